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

#endif
