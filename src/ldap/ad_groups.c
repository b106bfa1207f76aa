/*
 * The groups AD has, for the console's Settings page: the administrator
 * chooses the Hosted Exchange and Rackspace Email groups from what the
 * directory actually holds instead of typing a DN. A paged subtree search
 * of base_dn for groups, with the attributes a chooser needs (cn, mail,
 * groupType). Trusts nothing in the values: each is copied bounded and
 * checked to be text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ad_internal.h"
#include "conf.h"
#include "err.h"
#include "strparse.h"

struct ad_groups_ctx {
	ad_group_fn *fn;
	void *arg;
	size_t n, max;
};

/* The first value of `attr` into `out` ("" when absent or not text). */
static void
ad_groups_value(struct ad_conn *c, LDAPMessage *e, const char *attr,
    char *out, size_t outlen)
{
	struct berval **v = ldap_get_values_len(c->ld, e, attr);

	out[0] = '\0';
	if (v != NULL && v[0] != NULL && v[0]->bv_len < outlen &&
	    memchr(v[0]->bv_val, '\0', v[0]->bv_len) == NULL) {
		memcpy(out, v[0]->bv_val, v[0]->bv_len);
		out[v[0]->bv_len] = '\0';
	}
	ldap_value_free_len(v);
}

static int
ad_groups_entry(struct ad_conn *c, LDAPMessage *e, void *arg)
{
	struct ad_groups_ctx *x = arg;
	struct ad_group g;
	char type[16], *dn;
	long long t;
	const char *errstr;

	if (++x->n > x->max)
		return 1;	/* enough: the caller says how many it shows */
	memset(&g, 0, sizeof(g));
	if ((dn = ldap_get_dn(c->ld, e)) == NULL)
		return 0;
	snprintf(g.dn, sizeof(g.dn), "%s", dn);
	ldap_memfree(dn);
	ad_groups_value(c, e, "cn", g.name, sizeof(g.name));
	ad_groups_value(c, e, "mail", g.mail, sizeof(g.mail));
	ad_groups_value(c, e, "groupType", type, sizeof(type));
	/* groupType is a signed 32-bit number; bit 0x80000000 makes it a
	 * security group (the seed's groups must be security groups). */
	if (strparse_num(type, INT32_MIN, INT32_MAX, &t, &errstr) == 0)
		g.security = ((unsigned long)(uint32_t)(int32_t)t &
		    0x80000000ul) != 0;
	return x->fn(x->arg, &g);
}

int
ad_list_groups(struct ad_conn *c, size_t max, ad_group_fn *fn, void *arg,
    char *why, size_t whylen)
{
	static const char *attrs[] = { "cn", "mail", "groupType", NULL };
	struct ad_groups_ctx x = { fn, arg, 0, max };
	struct ad_search s;
	int r;

	why[0] = '\0';
	if (c->ld == NULL && (r = ad_conn_ensure(c, why, whylen)) < 0)
		return r;
	s = (struct ad_search){ .base = c->conf->base_dn,
	    .scope = LDAP_SCOPE_SUBTREE, .filter = "(objectClass=group)",
	    .attrs = attrs };
	r = ad_search_paged(c, &s, ad_groups_entry, &x, why, whylen);
	if (r == 1)
		return 1;	/* more than `max` */
	return r;
}
