/*
 * The object model: users, contacts and groups read from Active Directory,
 * anchored on objectGUID (never on DN or sAMAccountName, which change), with
 * every attribute of the seed's "Synchronized user attributes" list plus
 * what scoping needs. Pure data and pure decoders: no I/O.
 *
 * Ownership: a struct obj owns everything it points to; obj_free() releases
 * it. The LDAP reader makes one per entry, hands it to its consumer, and the
 * consumer frees it (directories are streamed, never held whole in memory).
 * A struct obj belongs to one thread at a time.
 *
 * Values are UTF-8 text as AD returns them, except where a decoder gives a
 * typed field (guid, uac, group_type, pwd_last_set, usn_changed,
 * when_changed). Decoders take a buffer and a length, reject malformed input
 * with -ADSYNC_EPARSE, never print, and are fuzzed.
 */
#ifndef ADSYNC_OBJ_H
#define ADSYNC_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attributes.h"

/* Limits enforced before allocating (AD's own limits are lower or equal). */
#define OBJ_VALUE_MAX (64 * 1024)	/* one attribute value */
#define OBJ_VALUES_MAX 100000		/* values of one attribute */
#define OBJ_DN_MAX 4096

struct obj_guid {
	uint8_t b[16];		/* objectGUID as stored by AD (little-endian
				 * first three fields) */
};

/* Canonical text form: 36 characters, lower case, with hyphens, in the
 * order AD tools print it (the first three fields byte-swapped). */
#define OBJ_GUID_TEXT 37
void obj_guid_format(const struct obj_guid *g, char out[OBJ_GUID_TEXT]);
/* Parses the canonical form (either case). 0 or -ADSYNC_EPARSE. */
int obj_guid_parse(const char *s, struct obj_guid *out /* OUT */);
/* The same for `len` bytes of `s` (no NUL needed): exactly 36 bytes. */
int obj_guid_parse_len(const char *s, size_t len,
    struct obj_guid *out /* OUT */);
/* From the 16 raw bytes of an objectGUID value. 0 or -ADSYNC_EPARSE. */
int obj_guid_from_raw(const void *raw, size_t len, struct obj_guid *out);
bool obj_guid_equal(const struct obj_guid *a, const struct obj_guid *b);
bool obj_guid_is_zero(const struct obj_guid *g);

/* objectSid from its binary form to "S-1-5-21-...". `out` holds at least
 * OBJ_SID_TEXT bytes. 0 or -ADSYNC_EPARSE. */
#define OBJ_SID_TEXT 192
int obj_sid_format(const void *raw, size_t len, char *out, size_t outlen);
/* True when `len` bytes of `s` are a SID in the text form obj_sid_format()
 * writes ("S-1-5-21-1-2-3-500"; authority decimal below 2^32, else "0x" and
 * 12 hex digits). */
bool obj_sid_text_valid(const char *s, size_t len);

/* userAccountControl flags used by sync. */
#define OBJ_UAC_ACCOUNTDISABLE 0x0002u
#define OBJ_UAC_NORMAL_ACCOUNT 0x0200u
/* Parses a decimal userAccountControl (AD sends it as a signed 32-bit
 * integer in text). 0 or -ADSYNC_EPARSE. */
int obj_uac_parse(const char *s, size_t len, uint32_t *out /* OUT */);

/* groupType: security bit and scope. */
#define OBJ_GROUP_SECURITY 0x80000000u
int obj_int32_parse(const char *s, size_t len, int32_t *out /* OUT */);

/* FILETIME (100 ns since 1601, decimal text, e.g. pwdLastSet) to Unix
 * seconds; "0" and "9223372036854775807" (never) give 0. */
int obj_filetime_parse(const char *s, size_t len, int64_t *out /* OUT */);
/* LDAP generalized time "20261124131516.0Z" to Unix seconds (UTC). */
int obj_gentime_parse(const char *s, size_t len, int64_t *out /* OUT */);
/* uSNChanged and friends: unsigned decimal, at most INT64_MAX (AD's
 * Large-Integer syntax, and what the store can keep). */
int obj_usn_parse(const char *s, size_t len, uint64_t *out /* OUT */);
/*
 * All the numeric decoders above take LDAP's Integer syntax (RFC 4517
 * 3.3.16) strictly: an optional '-', then digits without leading zeros;
 * no '+', no spaces, no "-0", nothing after the last digit. Out of range
 * is -ADSYNC_EPARSE too.
 */

/*
 * One proxyAddresses value: "SMTP:a@b" is the primary, "smtp:a@b" a
 * secondary, any other "prefix:value" (X500:, SIP:, ...) is kept but not an
 * address for sync. `addr` points into `s` (borrowed, `addr_len` bytes).
 */
enum obj_proxy_kind {
	OBJ_PROXY_PRIMARY,
	OBJ_PROXY_SECONDARY,
	OBJ_PROXY_OTHER
};
int obj_proxy_parse(const char *s, size_t len, enum obj_proxy_kind *kind,
    const char **addr, size_t *addr_len) ATTR_NODISCARD;
/* (All three are OUT parameters.) The prefix is 1-32 ASCII letters and
 * digits; the address is not empty. SMTP addresses must look like
 * local@domain (one '@', no spaces or control characters, local part at
 * most 64 bytes, whole address at most 254). */

/*
 * A DN as returned with the Extended DN control (string form):
 * "<GUID=...>;<SID=...>;CN=x,OU=y,DC=z" or a plain DN. Fills `guid` when a
 * GUID part is present (*has_guid), and points `dn` at the plain DN inside
 * `s`. 0 or -ADSYNC_EPARSE.
 */
int obj_extdn_parse(const char *s, size_t len, struct obj_guid *guid,
    bool *has_guid, const char **dn, size_t *dn_len) ATTR_NODISCARD;
/* (All four are OUT parameters; without a GUID part `guid` is zeroed.)
 * Both forms of the control are accepted: hexadecimal (flag 0: 32 hex
 * digits of the raw GUID bytes, SID as hex bytes) and standard string (flag
 * 1: canonical GUID text, "S-1-..."). The SID part is validated and skipped.
 * The DN is 1..OBJ_DN_MAX bytes of UTF-8 and does not start with '<'. */

/*
 * Ranged attribute description, "member;range=0-1499" or
 * "member;range=1500-*": the base name length, the low bound and the high
 * bound (-1 for '*'). Returns 1 when `desc` is ranged, 0 when it is a plain
 * attribute name, -ADSYNC_EPARSE when malformed.
 */
int obj_range_parse(const char *desc, size_t *base_len, long *low,
    long *high);
/*
 * The same for `len` bytes of `desc`. (base_len, low, high are OUT.) For a
 * plain name *low = 0 and *high = -1 (every value). The name is ASCII
 * letters, digits, '-' and '.'; the only option accepted is "range="
 * (case-insensitive), with bounds 0..INT32_MAX and low <= high. Note that
 * DirSync with INCREMENTAL_VALUES reuses the syntax: "member;range=1-1" are
 * added values and "member;range=0-0" removed ones; the caller knows which
 * kind of read it made.
 */
int obj_range_parse_len(const char *desc, size_t len,
    size_t *base_len /* OUT */, long *low /* OUT */, long *high /* OUT */);

enum obj_kind {
	OBJ_UNKNOWN = 0,
	OBJ_USER,
	OBJ_CONTACT,
	OBJ_GROUP
};

/*
 * Attributes kept for each object. The table in obj_attr.c maps each to its
 * LDAP name and says whether it is multi-valued; the order here is the
 * order of `ad dump` output. Add new attributes at the end of a group.
 */
enum obj_attr {
	/* identity and naming */
	OBJ_A_MAIL,
	OBJ_A_DISPLAY_NAME,
	OBJ_A_SN,
	OBJ_A_GIVEN_NAME,
	OBJ_A_GENERATION_QUALIFIER,
	OBJ_A_INITIALS,
	OBJ_A_O,
	OBJ_A_SAM_ACCOUNT_NAME,
	OBJ_A_USER_PRINCIPAL_NAME,
	OBJ_A_CN,
	/* telephones */
	OBJ_A_TELEPHONE_NUMBER,
	OBJ_A_PAGER,
	OBJ_A_HOME_PHONE,
	OBJ_A_MOBILE,
	OBJ_A_FACSIMILE_TELEPHONE_NUMBER,
	OBJ_A_OTHER_FACSIMILE_TELEPHONE_NUMBER,
	/* address */
	OBJ_A_STREET_ADDRESS,
	OBJ_A_L,
	OBJ_A_ST,
	OBJ_A_POSTAL_CODE,
	OBJ_A_CO,
	/* organisation */
	OBJ_A_TITLE,
	OBJ_A_EMPLOYEE_ID,
	OBJ_A_EMPLOYEE_TYPE,
	OBJ_A_COMPANY,
	OBJ_A_DEPARTMENT,
	OBJ_A_PHYSICAL_DELIVERY_OFFICE_NAME,
	/* mail routing and scope */
	OBJ_A_PROXY_ADDRESSES,		/* multi */
	OBJ_A_OTHER_MAILBOX,		/* multi (otherMailbox) */
	OBJ_A_MAIL_NICKNAME,
	OBJ_A_TARGET_ADDRESS,
	OBJ_A_COUNT
};

/* Static description of an attribute. */
struct obj_attr_desc {
	enum obj_attr id;
	const char *ldap;	/* LDAP display name, e.g. "telephoneNumber" */
	bool multi;
};

/* The table entry of `a`; never NULL for a valid id. */
const struct obj_attr_desc *obj_attr_desc(enum obj_attr a);
/* Looks up an LDAP attribute name (case-insensitive); -1 if not kept. */
int obj_attr_lookup(const char *ldap_name, size_t len);

/* A list of owned UTF-8 strings. */
struct obj_values {
	char **v;
	size_t n;
	size_t cap;		/* slots allocated in v (obj.c only) */
};

/* A reference to another object (a member or a group one belongs to). */
struct obj_ref {
	struct obj_guid guid;	/* zero when the server gave none */
	char *dn;		/* owned plain DN */
};

struct obj_refs {
	struct obj_ref *v;
	size_t n;
	size_t cap;		/* slots allocated in v (obj.c only) */
};

/*
 * Why a value of a kept attribute (the table of obj_attr.c) could not be
 * taken. Such a value does not fail the read: the object is held
 * (obj_hold), and the planner leaves it as it was last synced until the
 * value is corrected in AD (docs/plan.md "Held objects").
 */
enum obj_bad {
	OBJ_BAD_NONE = 0,
	OBJ_BAD_UTF8,		/* not valid UTF-8 */
	OBJ_BAD_NUL,		/* contains a NUL byte */
	OBJ_BAD_LONG,		/* longer than OBJ_VALUE_MAX bytes */
	OBJ_BAD_MANY,		/* more than OBJ_VALUES_MAX values */
	OBJ_BAD_SINGLE,		/* several values, single-valued attribute */
	OBJ_BAD_COUNT
};

struct obj {
	struct obj_guid guid;
	enum obj_kind kind;
	char *dn;			/* owned; current DN */
	bool deleted;			/* a tombstone (isDeleted) */
	bool incremental;		/* from a change read: only the
					 * attributes in `present` changed */
	uint64_t usn_changed;
	int64_t when_changed;		/* Unix seconds, 0 if absent */
	uint32_t uac;			/* userAccountControl, 0 if absent */
	int32_t group_type;		/* groups only */
	int64_t pwd_last_set;		/* Unix seconds, 0 if never/absent */
	char *object_sid;		/* owned "S-1-..."; NULL if absent */
	struct obj_values attrs[OBJ_A_COUNT];
	uint64_t present;		/* bit (1 << attr): attribute returned
					 * (possibly with no values = cleared) */
	struct obj_refs member;		/* groups: full member list */
	struct obj_refs member_of;	/* users/contacts/groups */
	bool member_present;		/* member was returned */
	/* DirSync with INCREMENTAL_VALUES: member changes only. */
	struct obj_refs member_added;
	struct obj_refs member_removed;
	/*
	 * Held attributes: bit (1 << attr) for each kept attribute whose
	 * values AD sent could not be taken, and why (enum obj_bad) in
	 * held_why[attr]. A held attribute has no values from the read and
	 * is not in `present`; the store's mirror gives it its last good
	 * values (sync_read.c, store_mirror.c) and keeps the hold until a
	 * read brings a good value.
	 */
	uint64_t held;
	uint8_t held_why[OBJ_A_COUNT];
};

/* A new, empty object (xmalloc: small and fixed). */
struct obj *obj_new(void);
/* Releases `o` and everything it owns. Accepts NULL. */
void obj_free(struct obj *o);

/*
 * Appends a copy of `len` bytes of `val` to attribute `a` (not
 * NUL-terminated on input) and marks it present. Checks OBJ_VALUE_MAX and
 * OBJ_VALUES_MAX before allocating and rejects invalid UTF-8 and NUL bytes.
 * A second value for a single-valued attribute is -ADSYNC_EPARSE (AD never
 * sends one; a server that does is not to be believed). -EINVAL for an
 * invalid `a`. 0, -ADSYNC_ETOOBIG, -ADSYNC_EPARSE or -ENOMEM; on failure the
 * object is unchanged.
 */
int obj_value_add(struct obj *o, enum obj_attr a, const char *val,
    size_t len) ATTR_NODISCARD;
/* The first value of `a` (borrowed, valid until the object changes), or
 * NULL when absent. */
const char *obj_value(const struct obj *o, enum obj_attr a);
/* Appends a reference (guid may be NULL; dn copied). */
int obj_ref_add(struct obj_refs *refs, const struct obj_guid *guid,
    const char *dn, size_t dn_len) ATTR_NODISCARD;
/* (The DN must be 1..OBJ_DN_MAX bytes of UTF-8; at most OBJ_VALUES_MAX
 * references. 0, -ADSYNC_ETOOBIG, -ADSYNC_EPARSE, -EINVAL or -ENOMEM; on
 * failure `refs` is unchanged. Everything is freed by obj_free().) */

/*
 * Marks `a` as returned by the server, with or without values (an
 * attribute returned empty in a change read was cleared). obj_value_add()
 * marks it too. Ignores an invalid `a`.
 */
void obj_mark_present(struct obj *o, enum obj_attr a);
/* True when `a` was returned (see `present`). */
bool obj_is_present(const struct obj *o, enum obj_attr a);
/*
 * Replaces o->dn with a copy of `len` bytes of `dn` (1..OBJ_DN_MAX bytes of
 * UTF-8, no NUL). 0, -ADSYNC_ETOOBIG, -ADSYNC_EPARSE or -ENOMEM; on failure
 * the old DN stays.
 */
int obj_dn_set(struct obj *o, const char *dn, size_t len) ATTR_NODISCARD;
/*
 * Decodes a binary objectSid (see obj_sid_format) into o->object_sid,
 * replacing any previous value. 0, -ADSYNC_EPARSE or -ENOMEM; on failure
 * the old value stays.
 */
int obj_sid_set(struct obj *o, const void *raw, size_t len) ATTR_NODISCARD;

/*
 * What is wrong with one value of `len` bytes for a kept attribute:
 * OBJ_BAD_LONG above OBJ_VALUE_MAX, OBJ_BAD_NUL for a NUL byte, OBJ_BAD_UTF8
 * for anything obj_utf8_valid() refuses, else OBJ_BAD_NONE (the value
 * obj_value_add() takes). Pure; checks the length before reading.
 */
enum obj_bad obj_value_check(const char *val, size_t len);
/*
 * Holds attribute `a` of `o` for `why` (not OBJ_BAD_NONE): drops the
 * values read so far, clears its `present` bit, sets its `held` bit and
 * held_why. Ignores an invalid `a` or `why`.
 */
void obj_hold(struct obj *o, enum obj_attr a, enum obj_bad why);
/* Drops the values of `a` and its `present` bit (not its hold). */
void obj_values_clear(struct obj *o, enum obj_attr a);
/* The problem as the end of a sentence about a value ("is not valid
 * UTF-8", "is longer than 65536 bytes", ...); static. */
const char *obj_bad_text(enum obj_bad b);
/*
 * The holds of `o` as text for a log line, "title: is not valid UTF-8;
 * department: ..." (cut to fit `outlen`). Returns `out`.
 */
const char *obj_held_text(const struct obj *o, char *out, size_t outlen);

/* "user", "contact", "group" or "unknown"; static. */
const char *obj_kind_name(enum obj_kind k);

/* True when `len` bytes of `s` are valid UTF-8 without NUL bytes. */
bool obj_utf8_valid(const char *s, size_t len);

#endif
