/*
 * Searches: paged subtree searches (LDAP_CONTROL_PAGEDRESULTS, page_size
 * entries a page), the walk over one entry's attributes into ad_decode.c,
 * and ranged retrieval of the rest of a large member attribute
 * ("member;range=1500-2999" ...) with base searches on "<GUID=...>", so a
 * rename during the read cannot lose the group. Runs on the thread that
 * owns the struct ad_conn.
 *
 * Memory: one page of entries is held at a time (libldap's result chain);
 * each entry becomes one struct obj that is handed on at once, so a read
 * never holds the directory.
 *
 * Domain facts: AD caps a page at MaxPageSize (1000) whatever we ask, and a
 * multi-valued attribute at MaxValRange (1500) values, ending the ranged
 * description with "-*" on the last part. Samba does neither unless asked,
 * which is why the reader always asks (page_size, range_size).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ad_internal.h"
#include "conf.h"
#include "err.h"
#include "log.h"

/* Controls of one request; every one is freed by ad_search_ctrls_free. */
struct ad_ctrls {
	LDAPControl *v[4];
	size_t n;
};

static void
ad_search_ctrls_free(struct ad_ctrls *k)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		ldap_control_free(k->v[i]);
		k->v[i] = NULL;
	}
	k->n = 0;
	k->v[0] = NULL;
}

static int
ad_search_ctrls(struct ad_conn *c, const struct ad_search *s,
    struct berval *cookie, bool paged, struct ad_ctrls *k, char *why,
    size_t whylen)
{
	int rc = LDAP_SUCCESS;

	memset(k, 0, sizeof(*k));
	if (paged)
		rc = ldap_create_page_control(c->ld, (ber_int_t)
		    c->conf->page_size, cookie, 1, &k->v[k->n++]);
	/* Flag 1: the string form "<GUID=...>;<SID=...>;DN". */
	if (rc == LDAP_SUCCESS && s->extended_dn)
		rc = ldap_create_extended_dn_control(c->ld, 1,
		    &k->v[k->n++]);
	if (rc == LDAP_SUCCESS && s->show_deleted)
		rc = ldap_create_show_deleted_control(c->ld, &k->v[k->n++]);
	k->v[k->n] = NULL;
	if (rc != LDAP_SUCCESS) {
		if (k->v[k->n - 1] == NULL)
			k->n--;
		ad_search_ctrls_free(k);
		snprintf(why, whylen, "cannot build the request controls: %s",
		    ldap_err2string(rc));
		return -ENOMEM;
	}
	return 0;
}

int
ad_search_paged(struct ad_conn *c, const struct ad_search *s,
    ad_entry_fn *fn, void *arg, char *why, size_t whylen)
{
	struct berval *cookie = NULL;
	struct timeval tv = ad_conn_timeout(c);
	LDAPControl **rctrls = NULL, *pc;
	LDAPMessage *res = NULL, *e;
	struct ad_ctrls k = { .n = 0 };
	ber_int_t estimate;
	int rc, err, r = 0;
	char where[160];

	for (;;) {
		if ((r = ad_search_ctrls(c, s, cookie, true, &k, why,
		    whylen)) < 0)
			goto out;
		rc = ldap_search_ext_s(c->ld, s->base, s->scope, s->filter,
		    (char **)(uintptr_t)s->attrs, 0, k.v, NULL, &tv, 0, &res);
		ad_search_ctrls_free(&k);
		if (rc != LDAP_SUCCESS) {
			snprintf(where, sizeof(where), "searching %.100s",
			    s->base);
			r = ad_conn_fail(c, rc, where, why, whylen);
			goto out;
		}
		for (e = ldap_first_entry(c->ld, res); e != NULL;
		    e = ldap_next_entry(c->ld, e))
			if ((r = fn(c, e, arg)) < 0)
				goto out;
		rc = ldap_parse_result(c->ld, res, &err, NULL, NULL, NULL,
		    &rctrls, 0);
		if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
			r = ad_conn_fail(c, rc != LDAP_SUCCESS ? rc : err,
			    "reading a page", why, whylen);
			goto out;
		}
		ldap_msgfree(res);
		res = NULL;
		if (cookie != NULL) {
			ber_bvfree(cookie);
			cookie = NULL;
		}
		pc = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
		if (pc == NULL) {
			/* The server ignored paging (it is not critical
			 * for every server): everything came at once. */
			break;
		}
		if ((cookie = calloc(1, sizeof(*cookie))) == NULL) {
			r = -ENOMEM;
			snprintf(why, whylen, "out of memory");
			goto out;
		}
		rc = ldap_parse_pageresponse_control(c->ld, pc, &estimate,
		    cookie);
		ldap_controls_free(rctrls);
		rctrls = NULL;
		if (rc != LDAP_SUCCESS) {
			r = -ADSYNC_EPROTO;
			snprintf(why, whylen, "%s: bad paged results control",
			    c->uris[c->cur]);
			goto out;
		}
		if (cookie->bv_len == 0)
			break;
	}
out:
	ldap_controls_free(rctrls);
	ldap_msgfree(res);
	if (cookie != NULL)
		ber_bvfree(cookie);
	return r;
}

/* Base DN "<GUID=...>" of an object. */
static void
ad_search_guid_dn(const struct obj_guid *g, char *out, size_t outlen)
{
	char text[OBJ_GUID_TEXT];

	obj_guid_format(g, text);
	snprintf(out, outlen, "<GUID=%s>", text);
}

/* Decodes every attribute of `e` whose name passes `only` (NULL: all). */
static int
ad_search_attrs(struct ad_conn *c, LDAPMessage *e, struct obj *o,
    struct ad_decode *d, const char *only)
{
	struct berval **vals;
	BerElement *ber = NULL;
	char *a;
	int r = 0;

	for (a = ldap_first_attribute(c->ld, e, &ber); a != NULL;
	    a = ldap_next_attribute(c->ld, e, ber)) {
		if (r == 0 && (only == NULL || strncasecmp(a, only,
		    strlen(only)) == 0)) {
			vals = ldap_get_values_len(c->ld, e, a);
			r = ad_decode_attr(d, o, a,
			    (const struct berval *const *)vals,
			    (size_t)ldap_count_values_len(vals));
			ldap_value_free_len(vals);
		}
		ldap_memfree(a);
	}
	ber_free(ber, 0);
	return r;
}

/* One base search on "<GUID=...>" with extended DNs. */
static int
ad_search_base(struct ad_conn *c, const struct obj_guid *g,
    const char **attrs, LDAPMessage **res, char *why, size_t whylen)
{
	struct ad_search s = { .scope = LDAP_SCOPE_BASE,
	    .filter = "(objectClass=*)", .attrs = attrs, .extended_dn = true };
	struct timeval tv = ad_conn_timeout(c);
	struct ad_ctrls k = { .n = 0 };
	char base[64];
	int rc, r;

	ad_search_guid_dn(g, base, sizeof(base));
	s.base = base;
	if ((r = ad_search_ctrls(c, &s, NULL, false, &k, why, whylen)) < 0)
		return r;
	rc = ldap_search_ext_s(c->ld, base, LDAP_SCOPE_BASE, s.filter,
	    (char **)(uintptr_t)attrs, 0, k.v, NULL, &tv, 1, res);
	ad_search_ctrls_free(&k);
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(*res);
		*res = NULL;
		return ad_conn_fail(c, rc, base, why, whylen);
	}
	return 0;
}

/* Reads the rest of a ranged member attribute into `o`. */
static int
ad_search_ranges(struct ad_conn *c, struct obj *o, struct ad_decode *d,
    char *why, size_t whylen)
{
	const char *attrs[2];
	char desc[64];
	LDAPMessage *res = NULL, *e;
	long before;
	int r;

	while (d->member_next >= 0) {
		if ((r = ad_filter_range_attr(desc, sizeof(desc),
		    d->member_next, c->conf->range_size)) < 0) {
			snprintf(why, whylen, "%s: member range too large",
			    o->dn);
			return r;
		}
		attrs[0] = desc;
		attrs[1] = NULL;
		if ((r = ad_search_base(c, &o->guid, attrs, &res, why,
		    whylen)) < 0)
			return r;
		before = d->member_next;
		if ((e = ldap_first_entry(c->ld, res)) != NULL)
			r = ad_search_attrs(c, e, o, d, "member;");
		ldap_msgfree(res);
		res = NULL;
		if (r < 0) {
			snprintf(why, whylen, "%s: %s", o->dn, d->why);
			return r;
		}
		/* No progress: the group changed under us or the server
		 * misbehaves; a half-read group must not pass as whole. */
		if (e == NULL || d->member_next == before) {
			snprintf(why, whylen, "%s: the server sent no values "
			    "for %s; the group may have changed during the "
			    "read, read again", o->dn, desc);
			return -ADSYNC_EPROTO;
		}
	}
	return 0;
}

int
ad_search_entry(struct ad_conn *c, LDAPMessage *e, bool dirsync,
    struct obj **out, struct ad_decode *d, char *why, size_t whylen)
{
	struct obj *o = obj_new();
	char *dn;
	int r;

	ad_decode_init(d, dirsync);
	if ((dn = ldap_get_dn(c->ld, e)) == NULL) {
		snprintf(why, whylen, "%s: an entry without a DN",
		    c->uris[c->cur]);
		r = -ADSYNC_EPROTO;
		goto fail;
	}
	r = ad_decode_dn(d, o, dn, strlen(dn));
	ldap_memfree(dn);
	if (r == 0)
		r = ad_search_attrs(c, e, o, d, NULL);
	if (r == 0)
		r = ad_decode_finish(d, o);
	if (r < 0) {
		snprintf(why, whylen, "%s: %s: %s", c->uris[c->cur],
		    o->dn != NULL ? o->dn : "?", d->why);
		goto fail;
	}
	if ((r = ad_search_ranges(c, o, d, why, whylen)) < 0)
		goto fail;
	*out = o;
	return 0;
fail:
	obj_free(o);
	return r;
}

int
ad_search_guid(struct ad_conn *c, const struct obj_guid *g,
    const char **attrs, struct obj *o, struct ad_decode *d, char *why,
    size_t whylen)
{
	LDAPMessage *res = NULL, *e;
	int r;

	if ((r = ad_search_base(c, g, attrs, &res, why, whylen)) < 0)
		return r;
	if ((e = ldap_first_entry(c->ld, res)) == NULL)
		r = -ADSYNC_ENOTFOUND;
	else if ((r = ad_search_attrs(c, e, o, d, NULL)) < 0)
		snprintf(why, whylen, "%s", d->why);
	ldap_msgfree(res);
	return r;
}
