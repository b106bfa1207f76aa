/*
 * struct obj: creation, release, attribute values and references, and the
 * strict UTF-8 check every stored string goes through. Runs on whichever
 * thread owns the object (the LDAP reader, then its consumer). Values come
 * from a domain controller and are not trusted: sizes are checked against
 * the OBJ_*_MAX limits before anything is allocated.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "obj.h"
#include "utf8.h"
#include "xmalloc.h"

/* `present` is a 64-bit mask indexed by enum obj_attr. */
_Static_assert(OBJ_A_COUNT <= 64, "obj.present has 64 bits");
/* Sizes below are multiplied by element sizes without overflow checks. */
_Static_assert(OBJ_VALUES_MAX < SIZE_MAX / 2 / sizeof(struct obj_ref),
    "OBJ_VALUES_MAX too large");

static bool
obj_attr_valid(enum obj_attr a)
{
	return (unsigned)a < OBJ_A_COUNT;
}

struct obj *
obj_new(void)
{
	return xcalloc(1, sizeof(struct obj));
}

static void
obj_values_fini(struct obj_values *vals)
{
	size_t i;

	for (i = 0; i < vals->n; i++)
		free(vals->v[i]);
	free(vals->v);
	vals->v = NULL;
	vals->n = vals->cap = 0;
}

static void
obj_refs_fini(struct obj_refs *refs)
{
	size_t i;

	for (i = 0; i < refs->n; i++)
		free(refs->v[i].dn);
	free(refs->v);
	refs->v = NULL;
	refs->n = refs->cap = 0;
}

void
obj_free(struct obj *o)
{
	int a;

	if (o == NULL)
		return;
	for (a = 0; a < OBJ_A_COUNT; a++)
		obj_values_fini(&o->attrs[a]);
	obj_refs_fini(&o->member);
	obj_refs_fini(&o->member_of);
	obj_refs_fini(&o->member_added);
	obj_refs_fini(&o->member_removed);
	free(o->object_sid);
	free(o->dn);
	free(o);
}

/*
 * The slot count after growing an array of `cap` slots that must hold at
 * least `need`: doubling, at least 4, at most OBJ_VALUES_MAX.
 */
static size_t
obj_grow_cap(size_t cap, size_t need)
{
	size_t ncap;

	ncap = cap < 4 ? 4 : cap * 2;
	if (ncap < need)
		ncap = need;
	if (ncap > OBJ_VALUES_MAX)
		ncap = OBJ_VALUES_MAX;
	return ncap;
}

/* A NUL-terminated copy of `len` bytes, or NULL. */
static char *
obj_strndup(const char *s, size_t len)
{
	char *p;

	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

int
obj_value_add(struct obj *o, enum obj_attr a, const char *val, size_t len)
{
	struct obj_values *vals;
	char **nv, *copy;
	size_t ncap;

	if (o == NULL || !obj_attr_valid(a) || (val == NULL && len > 0))
		return -EINVAL;
	vals = &o->attrs[a];
	/* SECURITY: limits before allocation; the value is the DC's. */
	if (len > OBJ_VALUE_MAX || vals->n >= OBJ_VALUES_MAX)
		return -ADSYNC_ETOOBIG;
	if (!obj_utf8_valid(val, len))
		return -ADSYNC_EPARSE;
	if (vals->n > 0 && !obj_attr_desc(a)->multi)
		return -ADSYNC_EPARSE;
	if ((copy = obj_strndup(val, len)) == NULL)
		return -ENOMEM;
	if (vals->n == vals->cap) {
		ncap = obj_grow_cap(vals->cap, vals->n + 1);
		if ((nv = reallocarray(vals->v, ncap, sizeof(*nv))) == NULL) {
			free(copy);
			return -ENOMEM;
		}
		vals->v = nv;
		vals->cap = ncap;
	}
	vals->v[vals->n++] = copy;
	obj_mark_present(o, a);
	return 0;
}

const char *
obj_value(const struct obj *o, enum obj_attr a)
{
	if (o == NULL || !obj_attr_valid(a) || o->attrs[a].n == 0)
		return NULL;
	return o->attrs[a].v[0];
}

int
obj_ref_add(struct obj_refs *refs, const struct obj_guid *guid,
    const char *dn, size_t dn_len)
{
	struct obj_ref *nv;
	char *copy;
	size_t ncap;

	if (refs == NULL || dn == NULL)
		return -EINVAL;
	/* SECURITY: limits before allocation. */
	if (dn_len > OBJ_DN_MAX || refs->n >= OBJ_VALUES_MAX)
		return -ADSYNC_ETOOBIG;
	if (dn_len == 0 || !obj_utf8_valid(dn, dn_len))
		return -ADSYNC_EPARSE;
	if ((copy = obj_strndup(dn, dn_len)) == NULL)
		return -ENOMEM;
	if (refs->n == refs->cap) {
		ncap = obj_grow_cap(refs->cap, refs->n + 1);
		if ((nv = reallocarray(refs->v, ncap, sizeof(*nv))) == NULL) {
			free(copy);
			return -ENOMEM;
		}
		refs->v = nv;
		refs->cap = ncap;
	}
	if (guid != NULL)
		refs->v[refs->n].guid = *guid;
	else
		memset(&refs->v[refs->n].guid, 0, sizeof(struct obj_guid));
	refs->v[refs->n].dn = copy;
	refs->n++;
	return 0;
}

void
obj_mark_present(struct obj *o, enum obj_attr a)
{
	if (o != NULL && obj_attr_valid(a))
		o->present |= (uint64_t)1 << a;
}

bool
obj_is_present(const struct obj *o, enum obj_attr a)
{
	if (o == NULL || !obj_attr_valid(a))
		return false;
	return (o->present & (uint64_t)1 << a) != 0;
}

int
obj_dn_set(struct obj *o, const char *dn, size_t len)
{
	char *copy;

	if (o == NULL || dn == NULL)
		return -EINVAL;
	if (len > OBJ_DN_MAX)
		return -ADSYNC_ETOOBIG;
	if (len == 0 || !obj_utf8_valid(dn, len))
		return -ADSYNC_EPARSE;
	if ((copy = obj_strndup(dn, len)) == NULL)
		return -ENOMEM;
	free(o->dn);
	o->dn = copy;
	return 0;
}

enum obj_bad
obj_value_check(const char *val, size_t len)
{
	/* SECURITY: the length first; the value is the DC's. */
	if (len > OBJ_VALUE_MAX)
		return OBJ_BAD_LONG;
	if (val == NULL)
		return len == 0 ? OBJ_BAD_NONE : OBJ_BAD_UTF8;
	if (memchr(val, '\0', len) != NULL)
		return OBJ_BAD_NUL;
	if (!utf8_valid(val, len))
		return OBJ_BAD_UTF8;
	return OBJ_BAD_NONE;
}

void
obj_values_clear(struct obj *o, enum obj_attr a)
{
	if (o == NULL || !obj_attr_valid(a))
		return;
	obj_values_fini(&o->attrs[a]);
	o->present &= ~((uint64_t)1 << a);
}

void
obj_hold(struct obj *o, enum obj_attr a, enum obj_bad why)
{
	if (o == NULL || !obj_attr_valid(a) || why <= OBJ_BAD_NONE ||
	    why >= OBJ_BAD_COUNT)
		return;
	obj_values_clear(o, a);
	o->held |= (uint64_t)1 << a;
	o->held_why[a] = (uint8_t)why;
}

const char *
obj_bad_text(enum obj_bad b)
{
	switch (b) {
	case OBJ_BAD_UTF8:
		return "is not valid UTF-8";
	case OBJ_BAD_NUL:
		return "contains a NUL byte";
	case OBJ_BAD_LONG:
		return "is longer than 65536 bytes";
	case OBJ_BAD_MANY:
		return "has more than 100000 values";
	case OBJ_BAD_SINGLE:
		return "has several values, but the attribute takes one";
	case OBJ_BAD_NONE:
	case OBJ_BAD_COUNT:
		break;
	}
	return "cannot be read";
}
_Static_assert(OBJ_VALUE_MAX == 65536 && OBJ_VALUES_MAX == 100000,
    "obj_bad_text() names the limits");

const char *
obj_held_text(const struct obj *o, char *out, size_t outlen)
{
	size_t used = 0;
	int a, n;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	for (a = 0; a < OBJ_A_COUNT && used < outlen; a++) {
		if ((o->held & (uint64_t)1 << a) == 0)
			continue;
		n = snprintf(out + used, outlen - used, "%s%s: %s",
		    used > 0 ? "; " : "", obj_attr_desc((enum obj_attr)a)->ldap,
		    obj_bad_text((enum obj_bad)o->held_why[a]));
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return out;
}

const char *
obj_kind_name(enum obj_kind k)
{
	switch (k) {
	case OBJ_USER:
		return "user";
	case OBJ_CONTACT:
		return "contact";
	case OBJ_GROUP:
		return "group";
	case OBJ_UNKNOWN:
		break;
	}
	return "unknown";
}

/*
 * Strict UTF-8 (RFC 3629, the Unicode standard's table 3-7): shortest form
 * only, so no overlong encodings (C0, C1, E0 80..9F, F0 80..8F), no UTF-16
 * surrogates (ED A0..BF), nothing above U+10FFFF (F4 90.., F5..FF).
 * SECURITY: overlong forms would let "/" or NUL hide from byte-level checks
 * further on; the Rackspace API would reject the rest half-way through a
 * run. NUL is refused as well, because values become C strings.
 */
bool
obj_utf8_valid(const char *s, size_t len)
{
	if (s == NULL)
		return len == 0;
	/* The values become C strings: no NUL inside. */
	return memchr(s, '\0', len) == NULL && utf8_valid(s, len);
}
