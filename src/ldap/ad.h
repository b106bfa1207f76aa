/*
 * The Active Directory reader: libldap behind an opaque handle (the shape of
 * nss-pam-ldapd's myldap.h). Connecting, TLS, binding, failover over several
 * domain controllers, reconnecting, paging and ranged retrieval all happen
 * inside; callers see whole struct obj values, a watermark and error codes.
 * See docs/ldap.md for the internals.
 *
 * Threads: a struct ad_conn (and a struct ad_notify) belongs to the thread
 * that created it; it is never shared. The bind password is loaded from
 * bind_password_file for each bind and wiped at once (libldap keeps no copy
 * after a simple bind returns).
 *
 * Snapshot or nothing: ad_read_full() streams every object to a callback
 * and returns 0 only when the read completed. On any other return the
 * caller must discard whatever it staged from the callbacks of that call.
 * A bad value of one object's attribute is not a failed read: that
 * attribute comes held (obj->held) and the read goes on.
 *
 * Errors: 0 or a negative code (err.h), plus a sentence in `why` that names
 * the domain controller and the fix; adsync_strerror() names every code.
 * -ADSYNC_ERESYNC means that an incremental read is impossible and a full
 * read is needed.
 */
#ifndef ADSYNC_AD_H
#define ADSYNC_AD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attributes.h"
#include "err.h"
#include "obj.h"

struct conf_ad;
struct ad_conn;
struct ad_notify;

/*
 * -ADSYNC_ERESYNC (err.h) means "a full read is needed": the watermark
 * names another domain controller, the DC was restored (new invocationId),
 * or the DirSync cookie was refused.
 */

/* A message in `why` is at most this long (longer ones are cut). */
#define AD_WHY_MAX 2048

/*
 * Opens a handle for the [ad] section `conf` (borrowed; it must outlive the
 * handle) and connects: every URI in order until one answers, TLS verified
 * against ca_file, simple bind as bind_dn. Returns 0 and *out (owned; free
 * with ad_conn_free()), or a negative code and a sentence in `why`:
 * -ADSYNC_ECONFIG (section incomplete), -ADSYNC_ESECRET (password file),
 * -ADSYNC_ETLS, -ADSYNC_EAUTH, -ADSYNC_ETRANSPORT, -ADSYNC_ETIMEOUT.
 */
int ad_conn_new(const struct conf_ad *conf, struct ad_conn **out /* OUT */,
    char *why, size_t whylen) ATTR_NODISCARD;

/* Unbinds and releases; accepts NULL. */
void ad_conn_free(struct ad_conn *conn);

/*
 * The URI of the domain controller in use and its dnsHostName ("" before
 * the first successful connection). Borrowed; valid until the next call
 * on `conn` that may reconnect.
 */
const char *ad_conn_uri(const struct ad_conn *conn);
const char *ad_conn_dc(const struct ad_conn *conn);

/*
 * Whether full and change reads on `conn` also hand on computers and
 * foreignSecurityPrincipals (default: no), as objects of kind OBJ_UNKNOWN
 * with no attributes (DN, GUID and SID only). The engine reads them so
 * that the planner can name such a member of a sync group (docs/plan.md
 * rule 2); `adsync ad dump` does not.
 */
void ad_conn_read_others(struct ad_conn *conn, bool on);

/*
 * How a change read saw an object. A rename or move is reported as MOVE
 * only when the read can tell (DirSync sent a changed cn); otherwise it
 * comes as MODIFY. Either way obj->dn is the new DN and obj->guid the
 * same: match by GUID, never by DN (docs/ldap.md, "Renames and moves").
 */
enum ad_change {
	AD_CHANGE_NONE = 0,	/* full read: the object as it is */
	AD_CHANGE_ADD,
	AD_CHANGE_MODIFY,	/* changed, or not known more precisely */
	AD_CHANGE_MOVE,		/* renamed (known); new DN in obj->dn */
	AD_CHANGE_DELETE	/* obj->deleted; match it by obj->guid */
};

/* "add", "modify", "move", "delete" or NULL for AD_CHANGE_NONE. */
const char *ad_change_name(enum ad_change c);

/*
 * Called once per object. Takes ownership of `o` (free it with obj_free()).
 * Returns 0 to go on, or a negative code to stop the read, which then
 * returns that code.
 */
typedef int ad_obj_fn(struct obj *o, enum ad_change change, void *arg);

/* Largest DirSync cookie kept (AD's are ~100 bytes per DC in the vector). */
#define AD_COOKIE_MAX 8192
#define AD_DC_MAX 256
#define AD_INVOCATION_MAX 40

enum ad_wm_kind {
	AD_WM_NONE = 0,		/* no watermark: a full read is needed */
	AD_WM_USN,		/* (dc, invocation_id, usn) */
	AD_WM_DIRSYNC		/* DirSync cookie; dc/usn informative */
};

/*
 * Where the last read ended. A plain value (no pointers): copy it freely.
 * Store it in the same transaction as the state it describes.
 */
struct ad_watermark {
	enum ad_wm_kind kind;
	char dc[AD_DC_MAX];		/* dnsHostName of the DC */
	char invocation_id[AD_INVOCATION_MAX]; /* GUID text of its DSA */
	uint64_t usn;			/* highestCommittedUSN */
	size_t cookie_len;
	unsigned char cookie[AD_COOKIE_MAX];
};

/* Encoded form: "adwm1;usn;DC;INVOCATION;USN" or
 * "adwm1;dirsync;DC;INVOCATION;USN;BASE64COOKIE". */
#define AD_WM_TEXT_MAX (64 + AD_DC_MAX + AD_INVOCATION_MAX + \
	(AD_COOKIE_MAX + 2) / 3 * 4)

/* Writes the text form into `out` (NUL-terminated). 0, or -ADSYNC_ETOOBIG
 * when `outlen` is too small, -ADSYNC_EPARSE for a watermark of kind NONE
 * or with fields that cannot be encoded. */
int ad_watermark_encode(const struct ad_watermark *wm, char *out,
    size_t outlen) ATTR_NODISCARD;
/* Parses `len` bytes of text form; strict (no trailing bytes). 0 and *out,
 * or -ADSYNC_EPARSE / -ADSYNC_ETOOBIG. */
int ad_watermark_decode(const char *s, size_t len,
    struct ad_watermark *out /* OUT */) ATTR_NODISCARD;

/*
 * Reads every user (objectCategory=person, objectClass=user), contact and
 * group under base_dn (and the others, see ad_conn_read_others()), paged,
 * with ranged member retrieval and GUIDs on every member/memberOf value,
 * and passes each to `fn` with AD_CHANGE_NONE. A value of a kept
 * attribute that the model cannot take does not fail the read: the
 * object comes with that attribute held (obj->held, obj.h). The watermark for later ad_read_changes() is taken
 * before the read starts (changes made during the read are read again
 * later; the consumer applies them idempotently) and written to *wm only
 * when 0 is returned. Returns 0 when the snapshot is complete; any other
 * return means the caller must trash what it staged.
 */
int ad_read_full(struct ad_conn *conn, ad_obj_fn *fn, void *arg,
    struct ad_watermark *wm /* OUT */, char *why, size_t whylen)
    ATTR_NODISCARD;

/*
 * The user account (objectCategory=person, objectClass=user) under base_dn
 * whose sAMAccountName is `sam` or whose userPrincipalName is `upn` (either
 * may be "" but not both), read whole like ad_read_full() reads it: for the
 * password sync, which learns accounts by name from the DCs' hooks and
 * needs the freshest pwdLastSet. 0 and *out (owned; obj_free), or
 * -ADSYNC_ENOTFOUND, or -EEXIST when the names match two accounts (with
 * `why`), or a negative code with `why`.
 */
int ad_read_account(struct ad_conn *conn, const char *sam, const char *upn,
    struct obj **out /* OUT */, char *why, size_t whylen) ATTR_NODISCARD;

/*
 * The object whose objectGUID is `g`, read whole as ad_read_full() reads
 * it (ranged members, holds), when a full read would hand it on: under
 * base_dn, not a tombstone, a user, contact or group (or one of the others,
 * see ad_conn_read_others()). For a change read's consumer that meets a
 * reference to an object it does not have: Samba's DirSync, for an account
 * that is not an administrator, leaves out some objects a search shows (a
 * foreignSecurityPrincipal made when a trusted domain's account joins a
 * group). 0 and *out (owned; obj_free), -ADSYNC_ENOTFOUND, or a negative
 * code with `why`.
 */
int ad_read_guid(struct ad_conn *conn, const struct obj_guid *g,
    struct obj **out /* OUT */, char *why, size_t whylen) ATTR_NODISCARD;

/* A group of the directory, for choosing the service groups. */
struct ad_group {
	char dn[512];
	char name[256];		/* cn */
	char mail[256];		/* "" when not mail-enabled */
	bool security;		/* a security group (groupType) */
};
typedef int ad_group_fn(void *arg, const struct ad_group *g);

/*
 * Calls `fn` for each group under base_dn, at most `max` of them, in the
 * order the server returns them. Returns 0, 1 when there were more than
 * `max`, fn's own non-zero code, or a negative code and `why`.
 */
int ad_list_groups(struct ad_conn *conn, size_t max, ad_group_fn *fn,
    void *arg, char *why, size_t whylen) ATTR_NODISCARD;

/*
 * The watermark of "now", without reading objects (e.g. `ad watch`
 * starting from the present). Same returns as ad_read_full().
 */
int ad_watermark_now(struct ad_conn *conn, struct ad_watermark *wm /* OUT */,
    char *why, size_t whylen) ATTR_NODISCARD;

/*
 * Reads what changed since `in` (borrowed) and passes each changed object
 * to `fn` with its change kind; deletions come as tombstones (obj->deleted,
 * matched by objectGUID). DirSync results are partial (obj->incremental,
 * only the attributes in obj->present) and carry member_added /
 * member_removed; uSN results are whole objects. Writes *out (may be the
 * same object as `in`) only on success. -ADSYNC_ERESYNC when `in` cannot be
 * continued: another DC, a new invocationId, a refused cookie.
 */
int ad_read_changes(struct ad_conn *conn, const struct ad_watermark *in,
    ad_obj_fn *fn, void *arg, struct ad_watermark *out /* OUT */,
    char *why, size_t whylen) ATTR_NODISCARD;

/*
 * Change notification (LDAP_SERVER_NOTIFICATION) on a connection of its
 * own, as a wake-up only: after it fires, call ad_read_changes(). Opens with
 * the configuration of `conn` (borrowed for the call only; the notifier
 * owns its own connection). 0 and *out (free with ad_notify_close()), or a
 * negative code and `why` (e.g. the server does not support it: fall back to
 * polling).
 */
int ad_notify_open(const struct ad_conn *conn,
    struct ad_notify **out /* OUT */, char *why, size_t whylen)
    ATTR_NODISCARD;
/*
 * Waits up to `timeout_ms` for a change notification. Returns 1 when one or
 * more changes were notified (all pending ones are drained), 0 on timeout,
 * or a negative code (the connection failed: close and reopen later).
 */
int ad_notify_wait(struct ad_notify *n, int timeout_ms, char *why,
    size_t whylen) ATTR_NODISCARD;
/* Abandons the search and releases; accepts NULL. */
void ad_notify_close(struct ad_notify *n);

#endif
