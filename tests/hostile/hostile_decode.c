/*
 * The decoder side of tests/hostile's AD rows (where = decoder): values a
 * DC could send that Samba cannot be made to store, not even with
 * ldbmodify on the partition file ("Attribute value cannot be empty", and
 * the syntax checks), fed to the entry decoder of src/ldap (ad_decode.c,
 * the model's obj_value_add() and its strict UTF-8) the way ad_search.c
 * does for each LDAP entry.
 *
 *   hostile_decode CASE
 *
 * Prints one line: "decoded: ..." with what the object holds, "held:
 * <attribute>: <problem>" when a kept attribute's value could not be
 * taken (the object is handed on held, obj.h; the sync names it in an
 * alert), or "refused: <the decoder's why>" (the text a sync shows after
 * "nothing applied:"), and exits 0; 2 for an unknown CASE. Pure; single
 * thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ad_internal.h"
#include "err.h"

#define VALUES_MAX 100001

static struct berval vals[VALUES_MAX];

/* The entry every case starts from: a user with a GUID. */
static int
base_entry(struct ad_decode *d, struct obj *o)
{
	static const char guid[16] = "0123456789abcdef";
	static const char *const oc[] = { "top", "person",
	    "organizationalPerson", "user" };
	const char *dn = "CN=Hostile Decode,OU=Hostile,DC=example,DC=test";
	struct berval v[4];
	int r, i;

	if ((r = ad_decode_dn(d, o, dn, strlen(dn))) < 0)
		return r;
	for (i = 0; i < 4; i++) {
		v[i].bv_val = (char *)(uintptr_t)oc[i];
		v[i].bv_len = strlen(oc[i]);
	}
	if ((r = ad_decode_attr(d, o, "objectClass", v, 4)) < 0)
		return r;
	v[0].bv_val = (char *)(uintptr_t)guid;
	v[0].bv_len = sizeof(guid);
	return ad_decode_attr(d, o, "objectGUID", v, 1);
}

static int
one(struct ad_decode *d, struct obj *o, const char *desc, const char *val,
    size_t len)
{
	vals[0].bv_val = (char *)(uintptr_t)val;
	vals[0].bv_len = len;
	return ad_decode_attr(d, o, desc, vals, 1);
}

int
main(int argc, char **argv)
{
	struct ad_decode d;
	struct obj *o;
	const char *c, *v;
	char *big = NULL;
	size_t i;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: hostile_decode CASE\n");
		return 2;
	}
	c = argv[1];
	if ((o = obj_new()) == NULL)
		return 1;
	ad_decode_init(&d, false);
	if ((r = base_entry(&d, o)) < 0)
		goto done;
	if (strcmp(c, "empty_value") == 0)
		r = one(&d, o, "displayName", "", 0);
	else if (strcmp(c, "overlong_utf8") == 0)
		/* An overlong '/'. */
		r = one(&d, o, "title", "\xc0\xaf", 2);
	else if (strcmp(c, "surrogate_utf8") == 0)
		r = one(&d, o, "title", "\xed\xa0\x80", 3);	/* U+D800 */
	else if (strcmp(c, "nul_byte") == 0)
		r = one(&d, o, "department", "Sales\0Dept", 10);
	else if (strcmp(c, "value_70k") == 0) {
		if ((big = malloc(70000)) == NULL)
			return 1;
		memset(big, 'D', 70000);
		r = one(&d, o, "department", big, 70000);
	} else if (strcmp(c, "too_many_values") == 0) {
		for (i = 0; i < VALUES_MAX; i++) {
			vals[i].bv_val = (char *)(uintptr_t)"smtp:x@other.org";
			vals[i].bv_len = 16;
		}
		r = ad_decode_attr(&d, o, "proxyAddresses", vals, VALUES_MAX);
	} else if (strcmp(c, "single_valued_twice") == 0) {
		vals[0].bv_val = (char *)(uintptr_t)"One";
		vals[0].bv_len = 3;
		vals[1].bv_val = (char *)(uintptr_t)"Two";
		vals[1].bv_len = 3;
		r = ad_decode_attr(&d, o, "displayName", vals, 2);
	} else if (strcmp(c, "bad_guid") == 0)
		r = one(&d, o, "objectGUID", "short", 5);
	else if (strcmp(c, "bad_range") == 0)
		r = one(&d, o, "member;range=9-2",
		    "CN=X,DC=example,DC=test", 23);
	else {
		fprintf(stderr, "hostile_decode: unknown case %s\n", c);
		obj_free(o);
		return 2;
	}
	if (r == 0)
		r = ad_decode_finish(&d, o);
done:
	if (r < 0)
		printf("refused: %s\n", d.why[0] != '\0' ? d.why :
		    adsync_strerror(r));
	else if (o->held != 0) {
		char held[512];

		printf("held: %s (%s)\n", obj_held_text(o, held,
		    sizeof(held)), o->dn);
	} else {
		v = obj_value(o, OBJ_A_DISPLAY_NAME);
		printf("decoded: %s, displayName %s%s%s\n", o->dn,
		    v != NULL ? "'" : "", v != NULL ? v : "absent",
		    v != NULL ? "'" : "");
	}
	free(big);
	obj_free(o);
	return 0;
}
