/*
 * Internals of the LDAP source module, shared by the files of src/ldap
 * and the unit tests (tests/unit/test_ldap_decode.c and friends). Nothing
 * else includes this file: other modules use ad.h.
 *
 * The pure parts (filters, error messages, entry decoding, watermark text)
 * take buffers and never do I/O, so they are unit-tested and fuzzed; the
 * libldap calls live in ad_conn.c, ad_search.c, ad_read.c, ad_dirsync.c,
 * ad_usn.c and ad_notify.c. One owning thread per handle.
 */
#ifndef ADSYNC_AD_INTERNAL_H
#define ADSYNC_AD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lber.h>
#include <ldap.h>

#include "ad.h"
#include "attributes.h"
#include "obj.h"

#define AD_URIS_MAX 8
#define AD_URI_MAX 256
/* A filter we build is never longer. */
#define AD_FILTER_MAX 512
/* Longest attribute description accepted from a server (with options,
 * e.g. "member;range=1500-2999"). */
#define AD_ATTR_DESC_MAX 256

struct ad_conn {
	const struct conf_ad *conf;	/* borrowed */
	char *uris[AD_URIS_MAX];	/* owned copies, in configured order */
	size_t nuris;
	LDAP *ld;			/* NULL while disconnected */
	size_t cur;			/* index of the URI in use */
	/* From the rootDSE and the DSA object, refreshed at each connect. */
	char dc[AD_DC_MAX];		/* dnsHostName */
	char invocation_id[AD_INVOCATION_MAX];
	char nc[OBJ_DN_MAX];		/* defaultNamingContext */
	char dsa[OBJ_DN_MAX];		/* dsServiceName */
	uint64_t highest_usn;		/* at the last rootDSE read */
	bool has_dirsync;		/* supportedControl lists DirSync */
	bool has_notify;
	/* DirSync flags that worked: -1 unknown, else the flags value. */
	long dirsync_flags;
	/* Reads also hand on computers and foreignSecurityPrincipals
	 * (ad_conn_read_others). */
	bool read_others;
};

/* ---- ad_conn.c ---------------------------------------------------- */

/*
 * Connects if not connected: every URI in order, then up to
 * connect_retries more rounds with a growing pause. 0, or a negative code
 * and a message listing every URI with its error.
 */
int ad_conn_ensure(struct ad_conn *c, char *why, size_t whylen);
/* Drops the connection after a transport failure (next call reconnects). */
void ad_conn_drop(struct ad_conn *c);
/* Re-reads highestCommittedUSN, dnsHostName and invocationId. */
int ad_conn_rootdse(struct ad_conn *c, char *why, size_t whylen);
/*
 * Opens, secures and binds one new LDAP handle to `uri` with the settings
 * of `conf`. 0 and *out (owned; ldap_unbind_ext_s() it), or a code and
 * why. Used by ad_conn_ensure() and by the notifier's own connection.
 */
int ad_conn_open_uri(const struct conf_ad *conf, const char *uri,
    LDAP **out /* OUT */, char *why, size_t whylen);
/* Operation timeout of `c` as a struct timeval. */
struct timeval ad_conn_timeout(const struct ad_conn *c);
/*
 * After a failed operation: fills `why` ("ldaps://dc: WHERE: message") and
 * returns the adsync code; drops the connection when it is gone.
 */
int ad_conn_fail(struct ad_conn *c, int ldap_rc, const char *where,
    char *why, size_t whylen);

/* ---- ad_error.c (pure) ------------------------------------------------ */

/* A server's diagnostic message fit for a log line: bounded, control
 * characters turned into blanks, trailing blanks dropped. */
void ad_error_clean(const char *in, char *out, size_t outlen);
/* The adsync code for an LDAP result code. */
int ad_error_code(int ldap_rc);
/* True when `ldap_rc` means the connection is gone. */
bool ad_error_is_transport(int ldap_rc);
/*
 * AD's "data NNN" sub-code of an invalid-credentials diagnostic ("...
 * AcceptSecurityContext error, data 52e, v4563"), or NULL. `out` gets the
 * three hex digits; returns a static explanation.
 */
const char *ad_error_ad_data(const char *diag, char out[8]);
/*
 * The sentence for a failed connect or bind to `uri` (ldap_rc and the
 * server's diagnostic message, which may be NULL or empty), naming the
 * fix; `bind_dn` and `ca_file` are named where they are the likely cause.
 */
void ad_error_connect(char *why, size_t whylen, const char *uri,
    int ldap_rc, const char *diag, const char *bind_dn,
    const char *ca_file, bool starttls);

/* ---- ad_filter.c (pure) ----------------------------------------------- */

/* Users (person + user), contacts and groups; with `others`, computers
 * and foreignSecurityPrincipals too. Static. */
const char *ad_filter_objects(bool others);
/* The DirSync filter: every object; the reader keeps the kinds it syncs
 * (ad_filter.c says why). Static. */
const char *ad_filter_dirsync(void);
/* Objects, live or deleted, changed after `usn`: (uSNChanged>=usn+1); the
 * reader keeps the kinds it syncs. */
int ad_filter_usn(char *out, size_t outlen, uint64_t usn);
/* RFC 4515 escaping of an assertion value; -ADSYNC_ETOOBIG if it does
 * not fit. */
int ad_filter_escape(const char *in, size_t len, char *out, size_t outlen);
/* "member;range=LOW-HIGH" for a range of `size` values from `low`. */
int ad_filter_range_attr(char *out, size_t outlen, long low,
    unsigned size);
/* "member;range=LOW-*": the values from `low` on, as many as the server
 * gives in one answer. */
int ad_filter_range_rest(char *out, size_t outlen, long low);

/* ---- ad_decode.c (pure) ----------------------------------------------- */

/* What decoding an entry learnt beyond the struct obj. */
struct ad_decode {
	bool dirsync;		/* DirSync INCREMENTAL_VALUES: member;range=1-1
				 * adds, member;range=0-0 removes */
	long member_next;	/* -1: member complete; else the next low
				 * bound to ask for */
	bool has_object_class;
	bool is_computer;	/* objectClass computer: never synced */
	bool is_fsp;		/* objectClass foreignSecurityPrincipal */
	bool has_name;		/* DirSync: name changed (rename) */
	bool has_parent;	/* DirSync: parentGUID changed (move) */
	uint64_t usn_created;
	char why[256];		/* first problem, for the log */
};

void ad_decode_init(struct ad_decode *d, bool dirsync);
/*
 * Decodes one attribute of an entry into `o`: `desc` is the attribute
 * description as the server sent it (e.g. "member;range=0-1499"), `vals`
 * an array of its `n` values (borrowed; each bv_len bytes, not
 * NUL-terminated). Unknown attributes are ignored. A kept attribute whose
 * values the model refuses is held (obj_hold, o->held), not an error.
 * 0, or -ADSYNC_EPARSE / -ADSYNC_ETOOBIG / -ENOMEM with d->why set.
 */
int ad_decode_attr(struct ad_decode *d, struct obj *o, const char *desc,
    const struct berval *vals, size_t n) ATTR_NODISCARD;
/* The entry's DN (plain or extended form) into o->dn and, when the
 * extended form has one, o->guid. */
int ad_decode_dn(struct ad_decode *d, struct obj *o, const char *dn,
    size_t len) ATTR_NODISCARD;
/* After the last attribute: kind from objectClass, a GUID is required;
 * a computer or foreignSecurityPrincipal becomes ad_decode_other().
 * 0 or -ADSYNC_EPARSE. */
int ad_decode_finish(struct ad_decode *d, struct obj *o) ATTR_NODISCARD;
/* Makes `o` an object of no kind we sync (OBJ_UNKNOWN): drops its kept
 * attributes and holds; DN, GUID and SID stay. */
void ad_decode_other(struct obj *o);

/* The attributes asked for every object (NULL-terminated, static); the
 * member entry is filled in per read with the first range. */
#define AD_ATTRS_MAX (OBJ_A_COUNT + 20)
void ad_decode_attrs(const char **out, size_t outn, const char *member);

/* ---- ad_search.c ---------------------------------------------------- */

typedef int ad_entry_fn(struct ad_conn *c, LDAPMessage *e, void *arg);

struct ad_search {
	const char *base;
	int scope;
	const char *filter;
	const char **attrs;	/* NULL-terminated */
	bool show_deleted;	/* LDAP_SERVER_SHOW_DELETED */
	bool extended_dn;	/* LDAP_SERVER_EXTENDED_DN, string form */
};

/*
 * Runs `s` paged (page_size), calling `fn` per entry as each arrives;
 * `e` is freed when `fn` returns. `fn` may run other operations on `c`
 * while the search is outstanding. 0, fn's code, or a negative code and
 * why; a search stopped early is abandoned.
 */
int ad_search_paged(struct ad_conn *c, const struct ad_search *s,
    ad_entry_fn *fn, void *arg, char *why, size_t whylen);
/*
 * Decodes an entry into a new object (owned by the caller), reading the
 * rest of a ranged member attribute with further base searches.
 */
int ad_search_entry(struct ad_conn *c, LDAPMessage *e, bool dirsync,
    struct obj **out /* OUT */, struct ad_decode *d, char *why,
    size_t whylen);
/* Base search of one object by GUID, decoded whole as ad_search_entry()
 * does (DN, ranged members): 0 and *out (owned), -ADSYNC_ENOTFOUND, or a
 * negative code and why. */
int ad_search_guid_entry(struct ad_conn *c, const struct obj_guid *g,
    const char **attrs, struct obj **out /* OUT */, struct ad_decode *d,
    char *why, size_t whylen);
/* Base search of one object by GUID for `attrs`; decodes into `o`. */
int ad_search_guid(struct ad_conn *c, const struct obj_guid *g,
    const char **attrs, struct obj *o, struct ad_decode *d, char *why,
    size_t whylen);

/* ---- ad_dirsync.c, ad_usn.c ----------------------------------------- */

int ad_dirsync_now(struct ad_conn *c, struct ad_watermark *wm, char *why,
    size_t whylen);
int ad_dirsync_read(struct ad_conn *c, const struct ad_watermark *in,
    ad_obj_fn *fn, void *arg, struct ad_watermark *out, char *why,
    size_t whylen);
int ad_usn_now(struct ad_conn *c, struct ad_watermark *wm, char *why,
    size_t whylen);
int ad_usn_read(struct ad_conn *c, const struct ad_watermark *in,
    ad_obj_fn *fn, void *arg, struct ad_watermark *out, char *why,
    size_t whylen);

/* ---- ad_watermark.c --------------------------------------------------- */

/* Base64 (RFC 4648, padded) of `len` bytes; 0 or -ADSYNC_ETOOBIG. */
int ad_watermark_b64enc(const unsigned char *in, size_t len, char *out,
    size_t outlen);
/* Strict decoding; 0 and *outlen, or -ADSYNC_EPARSE / -ADSYNC_ETOOBIG. */
int ad_watermark_b64dec(const char *in, size_t len, unsigned char *out,
    size_t outmax, size_t *outlen);

#endif
