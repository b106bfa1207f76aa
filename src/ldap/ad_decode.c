/*
 * Entry decoding: one LDAP entry (its DN and attribute descriptions with
 * their values) into a struct obj. Pure: the libldap walk over an entry is
 * in ad_search.c, so this file is unit-tested on canned values and fuzzed
 * (tests/fuzz/fuzz_ad_decode.c). Any thread; one struct ad_decode per
 * entry.
 *
 * SECURITY: everything here comes from the domain controller and is
 * checked: sizes against obj.h's limits before anything is copied, text as
 * UTF-8 (obj_value_add), numbers and GUIDs by the model's strict decoders.
 *
 * Domain facts used here:
 *  - with the Extended DN control (string form) the entry DN and every
 *    member/memberOf value read "<GUID=...>;<SID=...>;CN=...", so members
 *    are known by objectGUID even when they are renamed later;
 *  - a large member attribute may come ranged, "member;range=0-1499",
 *    ending with "member;range=N-*"; the caller asks for the rest from
 *    member_next on (AD caps at 1500 values, Samba sends all unless asked);
 *  - DirSync with INCREMENTAL_VALUES sends member changes as
 *    "member;range=1-1" (values added) and "member;range=0-0" (removed);
 *  - objectClass=user also matches computer accounts, which are not
 *    synced; objectClass is the only kind marker a tombstone keeps.
 *    Computers and foreignSecurityPrincipals (a trusted domain's
 *    accounts, made when one is added to a group) decode as kind
 *    OBJ_UNKNOWN without attributes: readers that hand them on (the
 *    engine's, ad_conn_read_others) let the planner name such a member
 *    of a sync group, and nothing of theirs can become a mailbox.
 *
 * A value of a kept attribute (the model's table: mail, title, ...) that
 * the model cannot take (not UTF-8, a NUL byte, over OBJ_VALUE_MAX, too
 * many values, two values of a single-valued attribute) does not fail
 * the entry: the attribute is held (obj_hold) and the object handed on,
 * so that one user's bad value stops neither the read nor the others'
 * sync (docs/ldap.md "Snapshot or nothing"). What names the object or
 * decides the scope of others (the DN, objectGUID, objectClass, member
 * and memberOf, ranges, the typed numbers) still fails it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ad_internal.h"
#include "err.h"

void
ad_decode_init(struct ad_decode *d, bool dirsync)
{
	memset(d, 0, sizeof(*d));
	d->dirsync = dirsync;
	d->member_next = -1;
}

void
ad_decode_attrs(const char **out, size_t outn, const char *member)
{
	static const char *const extra[] = {
		"objectGUID", "objectSid", "objectClass", "userAccountControl",
		"groupType", "pwdLastSet", "whenChanged", "uSNChanged",
		"uSNCreated", "memberOf", "isDeleted",
	};
	size_t i, n = 0;

	for (i = 0; i < OBJ_A_COUNT && n + 1 < outn; i++)
		out[n++] = obj_attr_desc((enum obj_attr)i)->ldap;
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]) && n + 1 < outn;
	    i++)
		out[n++] = extra[i];
	if (member != NULL && n + 1 < outn)
		out[n++] = member;
	out[n] = NULL;
}

static int
ad_decode_fail(struct ad_decode *d, int r, const char *desc, const char *what)
{
	if (d->why[0] == '\0')
		snprintf(d->why, sizeof(d->why), "%.64s: %s (%s)", desc, what,
		    adsync_strerror(r));
	return r;
}

/* One value of `len` bytes as a NUL-terminated copy in `buf`, for the
 * number decoders, which want short text. */
static int
ad_decode_num_text(const struct berval *v, char *buf, size_t buflen)
{
	if (v->bv_len == 0 || v->bv_len >= buflen)
		return -ADSYNC_EPARSE;
	memcpy(buf, v->bv_val, v->bv_len);
	buf[v->bv_len] = '\0';
	return 0;
}

/* Adds member/memberOf references from extended or plain DN values. */
static int
ad_decode_refs(struct ad_decode *d, struct obj_refs *refs, const char *desc,
    const struct berval *vals, size_t n)
{
	struct obj_guid g;
	const char *dn;
	size_t i, dn_len;
	bool has;
	int r;

	if (refs->n + n > OBJ_VALUES_MAX)
		return ad_decode_fail(d, -ADSYNC_ETOOBIG, desc,
		    "too many values");
	for (i = 0; i < n; i++) {
		if (vals[i].bv_len > OBJ_DN_MAX + 128)
			return ad_decode_fail(d, -ADSYNC_ETOOBIG, desc,
			    "value too long");
		r = obj_extdn_parse(vals[i].bv_val, vals[i].bv_len, &g, &has,
		    &dn, &dn_len);
		if (r < 0)
			return ad_decode_fail(d, r, desc, "bad DN value");
		r = obj_ref_add(refs, has ? &g : NULL, dn, dn_len);
		if (r < 0)
			return ad_decode_fail(d, r, desc, "bad DN value");
	}
	return 0;
}

static int
ad_decode_member(struct ad_decode *d, struct obj *o, const char *desc,
    const struct berval *vals, size_t n)
{
	size_t base_len;
	long low, high;
	int r;

	r = obj_range_parse(desc, &base_len, &low, &high);
	if (r < 0)
		return ad_decode_fail(d, r, desc, "bad range");
	if (r == 0) {
		o->member_present = true;
		d->member_next = -1;
		return ad_decode_refs(d, &o->member, desc, vals, n);
	}
	if (d->dirsync && low == 1 && high == 1)
		return ad_decode_refs(d, &o->member_added, desc, vals, n);
	if (d->dirsync && low == 0 && high == 0)
		return ad_decode_refs(d, &o->member_removed, desc, vals, n);
	/* A range must continue where the previous one ended. */
	if (low != (o->member_present ? d->member_next : 0))
		return ad_decode_fail(d, -ADSYNC_EPARSE, desc,
		    "range does not continue the previous one");
	if (high != -1 && (high < low || (size_t)(high - low + 1) != n))
		return ad_decode_fail(d, -ADSYNC_EPARSE, desc,
		    "range and value count differ");
	o->member_present = true;
	d->member_next = high == -1 ? -1 : high + 1;
	return ad_decode_refs(d, &o->member, desc, vals, n);
}

static int
ad_decode_object_class(struct ad_decode *d, struct obj *o,
    const struct berval *vals, size_t n)
{
	enum obj_kind kind = OBJ_UNKNOWN;
	size_t i;

	d->has_object_class = true;
	for (i = 0; i < n; i++) {
		const struct berval *v = &vals[i];

#define AD_IS(s) (v->bv_len == sizeof(s) - 1 && \
	strncasecmp(v->bv_val, s, sizeof(s) - 1) == 0)
		if (AD_IS("computer"))
			d->is_computer = true;
		else if (AD_IS("foreignSecurityPrincipal"))
			d->is_fsp = true;
		else if (AD_IS("group"))
			kind = OBJ_GROUP;
		else if (AD_IS("contact"))
			kind = OBJ_CONTACT;
		else if (AD_IS("user") && kind == OBJ_UNKNOWN)
			kind = OBJ_USER;
#undef AD_IS
	}
	/* A computer is also a user by class: never one for sync. */
	o->kind = d->is_computer || d->is_fsp ? OBJ_UNKNOWN : kind;
	return 0;
}

void
ad_decode_other(struct obj *o)
{
	int a;

	o->kind = OBJ_UNKNOWN;
	for (a = 0; a < OBJ_A_COUNT; a++)
		obj_values_clear(o, (enum obj_attr)a);
	o->present = 0;
	o->held = 0;
	memset(o->held_why, 0, sizeof(o->held_why));
}

/*
 * A kept attribute (obj_attr.c's table): its values, or a hold when the
 * model cannot take them (the file comment says why that is not a read
 * failure). 0, or -ENOMEM with d->why.
 */
static int
ad_decode_kept(struct ad_decode *d, struct obj *o, enum obj_attr a,
    const char *desc, const struct berval *vals, size_t n)
{
	enum obj_bad bad = OBJ_BAD_NONE;
	size_t i;
	int r;

	/* Sent twice in one entry, the first time bad: it stays held. */
	if ((o->held & (uint64_t)1 << a) != 0)
		return 0;
	if (n > OBJ_VALUES_MAX)
		bad = OBJ_BAD_MANY;
	else if (n > 1 && !obj_attr_desc(a)->multi)
		bad = OBJ_BAD_SINGLE;
	for (i = 0; i < n && bad == OBJ_BAD_NONE; i++)
		bad = obj_value_check(vals[i].bv_val, vals[i].bv_len);
	if (bad == OBJ_BAD_NONE) {
		obj_mark_present(o, a);
		for (i = 0; i < n; i++) {
			r = obj_value_add(o, a, vals[i].bv_val,
			    vals[i].bv_len);
			if (r == -ENOMEM)
				return ad_decode_fail(d, r, desc,
				    "out of memory");
			/* The checks above make this the same attribute
			 * sent twice in one entry. */
			if (r < 0) {
				bad = r == -ADSYNC_ETOOBIG ? OBJ_BAD_MANY :
				    OBJ_BAD_SINGLE;
				break;
			}
		}
	}
	if (bad != OBJ_BAD_NONE)
		obj_hold(o, a, bad);
	return 0;
}

int
ad_decode_dn(struct ad_decode *d, struct obj *o, const char *dn, size_t len)
{
	struct obj_guid g;
	const char *plain;
	size_t plain_len;
	bool has;
	int r;

	if (len > OBJ_DN_MAX + 128)
		return ad_decode_fail(d, -ADSYNC_ETOOBIG, "dn", "too long");
	if ((r = obj_extdn_parse(dn, len, &g, &has, &plain, &plain_len)) < 0)
		return ad_decode_fail(d, r, "dn", "bad DN");
	if (plain_len > OBJ_DN_MAX || !obj_utf8_valid(plain, plain_len))
		return ad_decode_fail(d, -ADSYNC_EPARSE, "dn", "bad DN");
	free(o->dn);
	if ((o->dn = strndup(plain, plain_len)) == NULL)
		return ad_decode_fail(d, -ENOMEM, "dn", "out of memory");
	if (has && obj_guid_is_zero(&o->guid))
		o->guid = g;
	return 0;
}

int
ad_decode_attr(struct ad_decode *d, struct obj *o, const char *desc,
    const struct berval *vals, size_t n)
{
	char num[32];
	int a, r;
	size_t i, len = strlen(desc);

	if ((a = obj_attr_lookup(desc, len)) >= 0)
		return ad_decode_kept(d, o, (enum obj_attr)a, desc, vals, n);
	if (n > OBJ_VALUES_MAX)
		return ad_decode_fail(d, -ADSYNC_ETOOBIG, desc,
		    "too many values");
	for (i = 0; i < n; i++)
		if (vals[i].bv_len > OBJ_VALUE_MAX)
			return ad_decode_fail(d, -ADSYNC_ETOOBIG, desc,
			    "value too long");
	if (strncasecmp(desc, "member", 6) == 0 &&
	    (desc[6] == '\0' || desc[6] == ';'))
		return ad_decode_member(d, o, desc, vals, n);
	if (strcasecmp(desc, "memberOf") == 0)
		return ad_decode_refs(d, &o->member_of, desc, vals, n);
	if (strcasecmp(desc, "objectClass") == 0)
		return ad_decode_object_class(d, o, vals, n);
	if (strcasecmp(desc, "name") == 0) {
		d->has_name = true;
		return 0;
	}
	if (strcasecmp(desc, "parentGUID") == 0) {
		d->has_parent = true;
		return 0;
	}
	/* The remaining attributes are single-valued; no value = cleared. */
	if (n == 0)
		return 0;
	if (n > 1)
		return ad_decode_fail(d, -ADSYNC_EPARSE, desc,
		    "several values for a single-valued attribute");
	if (strcasecmp(desc, "objectGUID") == 0) {
		r = obj_guid_from_raw(vals[0].bv_val, vals[0].bv_len,
		    &o->guid);
		return r < 0 ? ad_decode_fail(d, r, desc, "bad GUID") : 0;
	}
	if (strcasecmp(desc, "objectSid") == 0) {
		char sid[OBJ_SID_TEXT];

		r = obj_sid_format(vals[0].bv_val, vals[0].bv_len, sid,
		    sizeof(sid));
		if (r < 0)
			return ad_decode_fail(d, r, desc, "bad SID");
		free(o->object_sid);
		if ((o->object_sid = strdup(sid)) == NULL)
			return ad_decode_fail(d, -ENOMEM, desc,
			    "out of memory");
		return 0;
	}
	if (strcasecmp(desc, "isDeleted") == 0) {
		o->deleted = vals[0].bv_len == 4 &&
		    strncasecmp(vals[0].bv_val, "TRUE", 4) == 0;
		return 0;
	}
	if (ad_decode_num_text(&vals[0], num, sizeof(num)) < 0) {
		/* Not a number attribute we know: nothing to do. */
		if (strcasecmp(desc, "userAccountControl") != 0 &&
		    strcasecmp(desc, "groupType") != 0 &&
		    strcasecmp(desc, "pwdLastSet") != 0 &&
		    strcasecmp(desc, "whenChanged") != 0 &&
		    strcasecmp(desc, "uSNChanged") != 0 &&
		    strcasecmp(desc, "uSNCreated") != 0)
			return 0;
		return ad_decode_fail(d, -ADSYNC_EPARSE, desc, "bad number");
	}
	if (strcasecmp(desc, "userAccountControl") == 0)
		r = obj_uac_parse(num, strlen(num), &o->uac);
	else if (strcasecmp(desc, "groupType") == 0)
		r = obj_int32_parse(num, strlen(num), &o->group_type);
	else if (strcasecmp(desc, "pwdLastSet") == 0)
		r = obj_filetime_parse(num, strlen(num), &o->pwd_last_set);
	else if (strcasecmp(desc, "whenChanged") == 0)
		r = obj_gentime_parse(num, strlen(num), &o->when_changed);
	else if (strcasecmp(desc, "uSNChanged") == 0)
		r = obj_usn_parse(num, strlen(num), &o->usn_changed);
	else if (strcasecmp(desc, "uSNCreated") == 0)
		r = obj_usn_parse(num, strlen(num), &d->usn_created);
	else
		r = 0;
	return r < 0 ? ad_decode_fail(d, r, desc, "bad number") : 0;
}

int
ad_decode_finish(struct ad_decode *d, struct obj *o)
{
	if (obj_guid_is_zero(&o->guid))
		return ad_decode_fail(d, -ADSYNC_EPARSE, "objectGUID",
		    "missing");
	if (o->dn == NULL)
		return ad_decode_fail(d, -ADSYNC_EPARSE, "dn", "missing");
	if (d->is_computer || d->is_fsp)
		ad_decode_other(o);
	return 0;
}
