/*
 * Configuration: adsync.conf, an INI file parsed with libinih through a
 * declarative keyword table (section, key, type, bounds, default, flags).
 * Unknown sections or keys, duplicates, bad values and lines of 200 bytes or
 * more are errors, all reported in one pass through a struct diag with
 * file:line. Parsers never print, log or exit.
 *
 * SECURITY: secrets are never inline; keys that name secrets end in _file and
 * are checked (0600/0400, regular file, owner) by conf_load_file(). The dump
 * prints the path, never the content.
 *
 * Ownership: a struct conf is immutable after parsing and may be read from
 * any thread; conf_free() releases it. All strings inside are owned by the
 * struct and never NULL (an unset string is "").
 *
 * Each section is a struct here.
 */
#ifndef ADSYNC_CONF_H
#define ADSYNC_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "attributes.h"
#include "diag.h"

#define CONF_DEFAULT_PATH "/etc/adsync/adsync.conf"

struct conf_rackspace {
	char *api_url;		/* default https://api.emailsrvr.com/v1 */
	char *customer;		/* account number or "me" (default) */
	char *user_key;		/* public user key; "" = not registered */
	char *secret_key_file;	/* path of the 0600/0400 secret key file */
	char *ca_file;		/* "" = system CA bundle */
	char *user_agent;	/* default "adsync/" ADSYNC_VERSION */
	unsigned reads_per_minute;	/* pacing, default 60 */
	unsigned writes_per_minute;	/* pacing, default 30 */
	unsigned domain_writes_per_minute; /* pacing, default 2 */
	unsigned throttle_window; /* seconds per rate window, default 60
				   * (lower only against a scaled rsemu) */
	unsigned timeout;	/* seconds for one HTTP exchange, default 30 */
	unsigned connect_timeout; /* seconds, default 10 */
	unsigned max_retries;	/* transport/5xx retries, default 5 */
	unsigned max_in_flight;	/* concurrent requests, default 4 */
};

/* [ad]: the directory source (src/ldap, docs/ldap.md). */
struct conf_ad {
	char *uri;		/* space-separated ldaps:// or ldap:// URIs,
				 * tried in order; "" = not configured */
	char *base_dn;		/* subtree read; "" = not configured */
	char *bind_dn;		/* UPN, DOMAIN\user or DN for a simple bind */
	char *bind_password_file; /* path of the 0600/0400 password file */
	char *ca_file;		/* "" = system CA bundle; never unverified */
	bool starttls;		/* ldap:// URIs upgrade with StartTLS */
	unsigned page_size;	/* paged results, default 1000 */
	unsigned range_size;	/* values per ranged member read, 1500 */
	unsigned timeout;	/* seconds per LDAP operation, default 60 */
	unsigned network_timeout; /* seconds to connect, default 10 */
	unsigned connect_retries; /* extra rounds over every URI, default 2 */
	char *incremental;	/* "auto" (default), "dirsync" or "usn" */
	bool notify;		/* change notification wake-ups, default on */
	unsigned poll_interval;	/* seconds between incremental reads when
				 * nothing wakes us, default 300 */
};

/* [sync]: scope, domains, sizes, state and the mass-removal guard
 * (src/plan, src/sync, docs/sync.md). */
struct conf_sync {
	char *exchange_group;	/* DN of the Hosted Exchange group; "" =
				 * do not sync Exchange */
	char *rackspace_email_group; /* DN of the Rackspace Email group */
	char *domains;		/* space-separated e-mail domains */
	bool sync_proxy_addresses; /* smtp: proxies -> alternate addresses */
	unsigned exchange_mailbox_size;	/* MB, new Exchange mailboxes */
	unsigned rackspace_email_mailbox_size; /* MB, new RS mailboxes */
	char *state_dir;	/* SQLite state, default /var/lib/adsync */
	unsigned interval;	/* seconds between safety-net cycles */
	unsigned full_sync_interval; /* seconds between full reconciles,
				      * default 86400 */
	unsigned max_deletes;	/* disables+deletes a run may make */
	unsigned max_delete_percent; /* ... as a share of synced objects */
};

/* [daemon]: what `adsync daemon` serves besides its control socket
 * (docs/daemon.md, docs/pwsync.md). */
struct conf_daemon {
	char *hook_listen;	/* ADDRESS:PORT of the password hook
				 * receiver, default 0.0.0.0:8732; "" = none */
	char *hook_names;	/* space-separated names the DCs reach the
				 * receiver by; "" = this host's name */
	unsigned password_hold;	/* minutes a captured password waits for
				 * its user or mailbox, default 60 */
	char *web_listen;	/* ADDRESS:PORT of the web console, default
				 * 127.0.0.1:8080; "" = no console */
	char *web_tls_cert;	/* PEM certificate chain of the console;
				 * "" = none (then web_listen is loopback) */
	char *web_tls_key_file;	/* path of its 0600/0400 private key; set
				 * exactly when web_tls_cert is */
	char *web_password_file; /* Argon2 hash of the console admin's
				  * password; "" = STATE_DIR/web.passwd.
				  * Not checked here: it may not exist
				  * yet; src/web checks its mode */
	bool sandbox;		/* Landlock and seccomp once started
				 * (docs/SECURITY.md), default true */
};

struct conf {
	char *path;		/* where it was read from ("" for buffers) */
	struct conf_ad ad;
	struct conf_rackspace rackspace;
	struct conf_sync sync;
	struct conf_daemon daemon;
};

/*
 * Parses `len` bytes of INI text; `name` labels diagnostics (a file name).
 * Returns 0 and *out (owned by the caller), or -ADSYNC_ECONFIG with every
 * problem in `diag`. *out is written only on success.
 */
int conf_parse_buffer(const char *buf, size_t len, const char *name,
    struct conf **out /* OUT */, struct diag *diag) ATTR_NODISCARD;

/*
 * Reads and parses `path` (at most 1 MiB) and checks every *_file secret
 * (mode, owner, type) without keeping its content. Same returns.
 */
int conf_load_file(const char *path, struct conf **out /* OUT */,
    struct diag *diag) ATTR_NODISCARD;

/* A configuration with every default, as if parsed from an empty file. */
struct conf *conf_new_default(void);

/* Prints the canonical INI form (every key, defaults included, comments
 * none); parses again to an equal configuration. */
void conf_dump(const struct conf *conf, FILE *fp);

void conf_free(struct conf *conf);

/* An owned copy of `conf` (through its canonical form), or NULL when out
 * of memory. For a second thread that needs a configuration of its own. */
struct conf *conf_dup(const struct conf *conf);

/*
 * True when `listen`, an ADDRESS:PORT string as accepted for hook_listen
 * and web_listen, names a loopback address: 127.0.0.0/8 in dotted-quad
 * form, [::1] (any spelling inet_pton takes) or localhost (any case).
 * Other names are false even if they resolve to 127.0.0.1. NULL, "" or a
 * string without ':' is false. Pure; any thread.
 */
bool conf_listen_is_loopback(const char *listen);

/*
 * ---- Editing adsync.conf in place (conf_edit.c) ------------------------
 *
 * For the web console's Settings page and for registration: change a few
 * keys and keep everything else of the file byte for byte (comments, blank
 * lines, line endings, unknown keys, order). Not for `adsync check`: an
 * edit never reformats the file.
 */
struct conf_edit {
	const char *section;	/* "ad", "rackspace", "sync", "daemon" */
	const char *key;	/* a key of that section's table */
	const char *value;	/* the new value as it will be written; NULL
				 * = remove every line of the key */
};

/*
 * Applies `n` edits, in order, to the `len` bytes at `in` (need not be
 * NUL-terminated, at most 1 MiB). A present key is rewritten on its own
 * line as "key = value" (the line's indentation, inline comment and line
 * ending kept); a missing key goes after the last non-comment line of its
 * section; a missing section is appended ("\n[section]\nkey = value\n",
 * with the file's line ending). Purely textual: the value is not checked
 * against its key's type (conf_edit_file() does that by parsing the
 * result), but it is refused when libinih would not read it back as
 * written: a control character (newline, CR, ...), a blank at either end,
 * a ';' first or after a blank (an inline comment), or a resulting line of
 * 200 bytes or more. `value` is a C string: a caller decoding form data
 * must refuse a NUL byte itself, since it would cut the value here.
 *
 * Returns 0 and *out (owned, malloc'd, NUL-terminated; free() it) with
 * *outlen bytes before the NUL. Else, with a sentence in `why` (may be
 * NULL) naming the key: -EINVAL (unknown section or key, refused value),
 * -ADSYNC_ECONFIG (the key is set more than once in its section: which
 * line to change is not ours to guess), -ADSYNC_ETOOBIG (input or result
 * over 1 MiB), -ENOMEM. Out-parameters are written only on success. Pure;
 * any thread.
 */
int conf_edit_buffer(const char *in, size_t len, const struct conf_edit *edits,
    size_t n, char **out /* OUT */, size_t *outlen /* OUT */, char *why,
    size_t whylen) ATTR_NODISCARD;

/*
 * Applies `n` edits to the configuration file at `path` (at most 1 MiB;
 * created with mode 0640 when missing) and replaces it atomically.
 *
 * The result must be a configuration conf_load_file() would accept: it is
 * parsed and its secret files checked first; if not, every problem goes to
 * `diag` (caller-owned, not NULL) as path:line (lines of the edited text),
 * the file is left untouched and -ADSYNC_ECONFIG is returned; so is a key
 * to set that the file has twice (one diag entry). Then a temporary file
 * is made beside it (O_EXCL), given the original's mode (and, when running
 * as root, its owner; else its group where allowed), written, fsync'd,
 * renamed over `path`, and the directory fsync'd. A file changed by
 * someone else between the read and the rename is not overwritten
 * (-EAGAIN: read it again and retry). A symbolic link at `path` is refused
 * (-ELOOP): the rename would replace the link, not its target.
 *
 * Returns 0, or a negative code (-errno, -EINVAL and the others of
 * conf_edit_buffer(), -ADSYNC_ECONFIG) with a sentence naming the path or
 * key and the fix in `why` (may be NULL). With n == 0 nothing is read or
 * written. Does not log. Any thread; two concurrent editors of one file
 * are not serialised beyond the -EAGAIN check.
 */
int conf_edit_file(const char *path, const struct conf_edit *edits, size_t n,
    struct diag *diag, char *why, size_t whylen) ATTR_NODISCARD;

#endif
