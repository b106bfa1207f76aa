/*
 * Internals of the configuration module: the declarative keyword table that
 * conf.c (parser, loader, defaults), conf_dump.c and the unit tests share.
 * Nothing outside src/conf and tests/unit/test_conf*.c includes this file.
 *
 * How a section is declared (redis's config table, one block per section):
 * a file conf_<section>.c holds `static const struct conf_key` entries, one
 * per key, and exports one `struct conf_section`; conf.c lists every section
 * in conf_sections[]. The engine does everything else: defaults, type and
 * bounds checks, unknown/duplicate detection, secret-file checks, the dump
 * and freeing. A section adds a `check` function only for rules that join
 * several keys. See docs/conf.md.
 *
 * Pure data and functions; any thread.
 */
#ifndef ADSYNC_CONF_INTERNAL_H
#define ADSYNC_CONF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "attributes.h"
#include "conf.h"

/*
 * libinih 55 reads lines into a 200-byte buffer (INI_MAX_LINE): a line of
 * 200 bytes or more, newline excluded, would reach the handler truncated.
 * Such lines are refused before inih sees them.
 */
#define CONF_LINE_MAX 199

/* Longest configuration file read or parsed. */
#define CONF_FILE_MAX (1024 * 1024)

enum conf_type {
	CONF_T_STRING,	/* char *: length <= max, then the key's `check` */
	CONF_T_PATH,	/* char *: absolute path, length <= max */
	CONF_T_UINT,	/* unsigned: decimal digits in [min, max] */
	CONF_T_BOOL	/* bool: true/false/yes/no/on/off/1/0; def_num 0
			 * or 1; dumped as true or false */
};

/* The value names a secret file (a *_file key): conf_load_file() checks it
 * with secret_load_file(); only the path is ever shown. */
#define CONF_F_SENSITIVE	0x01
/* An empty value is allowed (strings and paths). */
#define CONF_F_EMPTY_OK		0x02

/*
 * A value check for CONF_T_STRING keys. Returns 0, or -1 with a sentence
 * in `why` that says what is wrong and how to fix it (without the key name,
 * which the caller puts in front). `value` is never NULL.
 */
typedef int conf_check_fn(const char *value, char *why, size_t whylen);

struct conf_key {
	const char *name;	/* as written in the file; lower case */
	enum conf_type type;
	size_t offset;		/* of the field in struct conf */
	long long min;		/* CONF_T_UINT: lowest value */
	long long max;		/* CONF_T_UINT: highest value; strings and
				 * paths: longest value in bytes */
	const char *def_str;	/* default of strings and paths */
	long long def_num;	/* default of numbers */
	unsigned flags;		/* CONF_F_* */
	conf_check_fn *check;	/* CONF_T_STRING: extra check, may be NULL */
	/*
	 * CONF_F_SENSITIVE: the secret is needed only when this key of the
	 * same section is non-empty (e.g. no secret key before a user key is
	 * registered); while it is empty a missing file is not an error. NULL:
	 * always needed.
	 */
	const char *needed_if;
};

/* Reports a problem found by a section's cross-key check (see below). */
struct conf_report;

struct conf_section {
	const char *name;		/* "rackspace" */
	const struct conf_key *keys;	/* borrowed, static */
	size_t nkeys;
	/*
	 * Rules that join several keys, run after every key of the file was
	 * read. Report with conf_report_add(). May be NULL.
	 */
	void (*check)(const struct conf *conf, struct conf_report *r);
};

/* Every section, in dump order; static. */
extern const struct conf_section *const conf_sections[];
extern const size_t conf_nsections;

/* The [rackspace] block, in conf_rackspace.c. */
extern const struct conf_section conf_rackspace_section;
/* The [ad] block, in conf_ad.c. */
extern const struct conf_section conf_ad_section;
/* The [sync] block, in conf_sync.c. */
extern const struct conf_section conf_sync_section;
/* The [daemon] block, in conf_daemon.c. */
extern const struct conf_section conf_daemon_section;
/*
 * conf_ad.c. True when `value` has the shape of a distinguished name
 * (RFC 4514): one or more RDNs TYPE=VALUE separated by commas, TYPE a
 * name or an OID, backslash escapes. The check of base_dn, of a bind_dn
 * written as a DN and of the sync groups' DNs.
 */
bool conf_dn_valid(const char *value);
/* ADDRESS:PORT, or empty (conf_daemon.c); a conf_check_fn. */
int conf_daemon_check_listen(const char *value, char *why, size_t whylen);

/*
 * Adds a diagnostic for `key` of the section being checked, at the line
 * where the key was set (or naming the key when it kept its default).
 */
void conf_report_add(struct conf_report *r, const char *key,
    const char *fmt, ...) ATTR_PRINTF(3, 4);

/*
 * Returns the known name (section or key) closest to `name` by edit
 * distance when it is close enough to be a likely typo, else NULL.
 * `known` has `n` entries; the result is borrowed from it.
 */
const char *conf_suggest(const char *name, const char *const *known,
    size_t n);

/*
 * Like inih's find_chars_or_comment(): the index in the `len` bytes at `s`
 * of the first byte of `chars` (may be NULL), or of a ';' after a blank
 * (an inline comment), or `len`. Shared by the reader (conf.c) and the
 * editor (conf_edit.c), so that both see a line the same way.
 */
size_t conf_line_find(const char *s, size_t len, const char *chars);

/*
 * What conf_load_file() does once the file is read: conf_parse_buffer()
 * plus the secret-file checks (mode, owner, type; `needed_if`). `name`
 * labels the diagnostics and becomes (*out)->path. Same returns as
 * conf_parse_buffer(). conf_edit_file() uses it on the edited text, so
 * that it never writes a file the daemon would refuse.
 */
int conf_parse_checked(const char *buf, size_t len, const char *name,
    struct conf **out /* OUT */, struct diag *diag) ATTR_NODISCARD;

/*
 * conf_url.c. conf_url_check_http() is a conf_check_fn for base URLs of
 * HTTP APIs: https://HOST[:PORT][/PATH], or http:// only when HOST is a
 * loopback address (tests and benchmarks against a local emulator). No
 * user information, query, fragment or trailing slash.
 */
int conf_url_check_http(const char *value, char *why, size_t whylen);

/* True when the `len` bytes at `host` name a loopback address: localhost,
 * 127.0.0.0/8 in dotted-quad form, or [::1] (with its brackets). */
bool conf_url_host_is_loopback(const char *host, size_t len);

#endif
