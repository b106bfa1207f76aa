/*
 * Searches: paged subtree searches (LDAP_CONTROL_PAGEDRESULTS, page_size
 * entries a page), the walk over one entry's attributes into ad_decode.c,
 * and ranged retrieval of the rest of a large member attribute
 * ("member;range=1500-*" ...) with base searches on "<GUID=...>", so a
 * rename during the read cannot lose the group. Runs on the thread that
 * owns the struct ad_conn.
 *
 * Memory: entries are taken one at a time as they arrive; each becomes one
 * struct obj that is handed on at once and the entry is freed, so a read
 * holds one entry (plus what libldap queues while a ranged read of a large
 * group is under way: at most the rest of the page), never a page or the
 * directory.
 *
 * Domain facts: AD caps a page at MaxPageSize (1000) whatever we ask, and a
 * multi-valued attribute at MaxValRange (1500) values, ending the ranged
 * description with "-*" on the last part. Samba does neither unless asked,
 * which is why the reader always asks for pages (page_size) and for the
 * first slice of member (range_size).
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

/*
 * Waits for the next message of search `msgid`: 1 and *msg for an entry,
 * 0 and *msg for the final result, or a negative code. References and
 * other messages are skipped (referrals are off; AD still sends
 * continuation references for the DNS partitions at a domain root).
 */
static int
ad_search_next(struct ad_conn *c, int msgid, const char *where,
    LDAPMessage **msg, char *why, size_t whylen)
{
	struct timeval tv;
	int rc, err;

	for (;;) {
		/* Every wait is bounded: `timeout` between two messages,
		 * which also bounds a server that stops answering. */
		tv = ad_conn_timeout(c);
		*msg = NULL;
		rc = ldap_result(c->ld, msgid, LDAP_MSG_ONE, &tv, msg);
		if (rc == LDAP_RES_SEARCH_ENTRY)
			return 1;
		if (rc == LDAP_RES_SEARCH_RESULT)
			return 0;
		if (rc > 0) {
			ldap_msgfree(*msg);
			continue;
		}
		if (rc == 0) {
			err = LDAP_TIMEOUT;
		} else if (ldap_get_option(c->ld, LDAP_OPT_RESULT_CODE,
		    &err) != LDAP_OPT_SUCCESS || err == LDAP_SUCCESS) {
			err = LDAP_SERVER_DOWN;
		}
		ldap_msgfree(*msg);
		*msg = NULL;
		return ad_conn_fail(c, err, where, why, whylen);
	}
}

/*
 * The entries of a page are handed to `fn` one by one as they arrive
 * (ldap_search_ext + ldap_result with LDAP_MSG_ONE), each freed after its
 * call: a read holds one entry, not one page (docs/ldap.md, "Memory").
 * `fn` may run other operations on the same connection while the search
 * is outstanding (ranged member reads): LDAP allows several operations
 * per connection, and libldap queues the search's entries that arrive
 * meanwhile (at most the rest of the page) until we ask for them.
 *
 * The request carries no time limit of ours: the time a page takes
 * includes our own work on its entries. Instead every wait for the next
 * message is bounded by `timeout` (ad_search_next).
 */
int
ad_search_paged(struct ad_conn *c, const struct ad_search *s,
    ad_entry_fn *fn, void *arg, char *why, size_t whylen)
{
	struct berval *cookie = NULL;
	LDAPControl **rctrls = NULL, *pc;
	LDAPMessage *msg = NULL;
	struct ad_ctrls k = { .n = 0 };
	ber_int_t estimate;
	int rc, err, msgid = -1, r = 0;
	char where[160];

	snprintf(where, sizeof(where), "searching %.100s", s->base);
	for (;;) {
		if ((r = ad_search_ctrls(c, s, cookie, true, &k, why,
		    whylen)) < 0)
			goto out;
		rc = ldap_search_ext(c->ld, s->base, s->scope, s->filter,
		    (char **)(uintptr_t)s->attrs, 0, k.v, NULL, NULL, 0,
		    &msgid);
		ad_search_ctrls_free(&k);
		if (rc != LDAP_SUCCESS) {
			msgid = -1;
			r = ad_conn_fail(c, rc, where, why, whylen);
			goto out;
		}
		while ((r = ad_search_next(c, msgid, where, &msg, why,
		    whylen)) == 1) {
			r = fn(c, msg, arg);
			ldap_msgfree(msg);
			msg = NULL;
			if (r < 0)
				goto out;
		}
		if (r < 0)
			goto out;
		msgid = -1;	/* done: nothing left to abandon */
		rc = ldap_parse_result(c->ld, msg, &err, NULL, NULL, NULL,
		    &rctrls, 1);
		msg = NULL;	/* freed by ldap_parse_result */
		if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
			r = ad_conn_fail(c, rc != LDAP_SUCCESS ? rc : err,
			    "reading a page", why, whylen);
			goto out;
		}
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
	/* A search stopped part-way (the callback failed) is abandoned so
	 * that the connection can be used again; libldap then drops what
	 * it had queued for it. A failed connection is already gone. */
	if (msgid >= 0 && c->ld != NULL)
		ldap_abandon_ext(c->ld, msgid, NULL, NULL);
	ldap_controls_free(rctrls);
	ldap_msgfree(msg);
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

/*
 * Decodes every attribute of `e` whose name passes `only` (NULL: all).
 * ldap_get_attribute_ber() walks the entry once and leaves the values in
 * place (no copies); only the array of bervals is allocated.
 */
static int
ad_search_attrs(struct ad_conn *c, LDAPMessage *e, BerElement *ber,
    struct obj *o, struct ad_decode *d, const char *only)
{
	struct berval name, *vals = NULL;
	char desc[AD_ATTR_DESC_MAX];
	size_t n, only_len = only != NULL ? strlen(only) : 0;
	int rc, r = 0;

	for (;;) {
		rc = ldap_get_attribute_ber(c->ld, e, ber, &name, &vals);
		if (rc != LDAP_SUCCESS) {
			snprintf(d->why, sizeof(d->why), "malformed entry: %s",
			    ldap_err2string(rc));
			r = -ADSYNC_EPROTO;
			break;
		}
		if (name.bv_val == NULL)
			break;		/* the last attribute */
		if (name.bv_len >= sizeof(desc)) {
			snprintf(d->why, sizeof(d->why), "an attribute "
			    "description of %zu bytes", (size_t)name.bv_len);
			r = -ADSYNC_ETOOBIG;
		} else {
			memcpy(desc, name.bv_val, name.bv_len);
			desc[name.bv_len] = '\0';
			for (n = 0; vals != NULL && vals[n].bv_val != NULL; n++)
				;
			if (only == NULL || strncasecmp(desc, only,
			    only_len) == 0)
				r = ad_decode_attr(d, o, desc, vals, n);
		}
		ber_memfree(vals);
		vals = NULL;
		if (r < 0)
			break;
	}
	return r;
}

/*
 * Walks entry `e`: its DN into `o` when `with_dn`, then the attributes
 * whose names pass `only` (NULL: all). 0, or a negative code with d->why.
 */
static int
ad_search_walk(struct ad_conn *c, LDAPMessage *e, struct obj *o,
    struct ad_decode *d, bool with_dn, const char *only)
{
	BerElement *ber = NULL;
	struct berval dn;
	int rc, r;

	if ((rc = ldap_get_dn_ber(c->ld, e, &ber, &dn)) != LDAP_SUCCESS ||
	    dn.bv_val == NULL) {
		snprintf(d->why, sizeof(d->why), "an entry without a DN (%s)",
		    ldap_err2string(rc));
		ber_free(ber, 0);
		return -ADSYNC_EPROTO;
	}
	r = with_dn ? ad_decode_dn(d, o, dn.bv_val, dn.bv_len) : 0;
	if (r == 0)
		r = ad_search_attrs(c, e, ber, o, d, only);
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

/*
 * Reads the rest of a ranged member attribute into `o`.
 *
 * Only the first slice has our size (range_size, asked in the search that
 * found the group); the rest is asked open-ended, "member;range=N-*", as
 * sssd does: a server with a cap (AD's MaxValRange, 1500) answers with its
 * cap whatever we ask and labels the slice "N-M", so we go on from M+1; a
 * server without one (Samba) sends the rest at once, labelled "N-*". Fixed
 * windows would cost a server without a cap dearly: Samba builds the whole
 * attribute for every slice it cuts, so an 80,000-member group read in
 * 1,500-value windows took 54 reads and about 25 s of the DC's CPU; now it
 * takes 2 reads (measured, docs/ldap.md).
 */
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
		if ((r = ad_filter_range_rest(desc, sizeof(desc),
		    d->member_next)) < 0) {
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
			r = ad_search_walk(c, e, o, d, false, "member;");
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
	int r;

	ad_decode_init(d, dirsync);
	r = ad_search_walk(c, e, o, d, true, NULL);
	if (r == 0)
		r = ad_decode_finish(d, o);
	if (r < 0) {
		snprintf(why, whylen, "%s: %s: %s", c->uris[c->cur],
		    o->dn != NULL ? o->dn : "?", d->why);
		goto fail;
	}
	if ((r = ad_search_ranges(c, o, d, why, whylen)) < 0)
		goto fail;
	if (o->held != 0) {
		char held[512];

		log_warnx("ad: %s: %s: the object is held until the value is "
		    "corrected in AD", o->dn, obj_held_text(o, held,
		    sizeof(held)));
	}
	*out = o;
	return 0;
fail:
	obj_free(o);
	return r;
}

/* The entry of GUID `g` into *e (inside *res, which the caller frees
 * even on failure): 0, -ADSYNC_ENOTFOUND or the search's code. */
static int
ad_search_guid_first(struct ad_conn *c, const struct obj_guid *g,
    const char **attrs, LDAPMessage **res, LDAPMessage **e, char *why,
    size_t whylen)
{
	int r;

	*res = NULL;
	if ((r = ad_search_base(c, g, attrs, res, why, whylen)) < 0)
		return r;
	return (*e = ldap_first_entry(c->ld, *res)) == NULL ?
	    -ADSYNC_ENOTFOUND : 0;
}

int
ad_search_guid(struct ad_conn *c, const struct obj_guid *g,
    const char **attrs, struct obj *o, struct ad_decode *d, char *why,
    size_t whylen)
{
	LDAPMessage *res, *e;
	int r;

	if ((r = ad_search_guid_first(c, g, attrs, &res, &e, why,
	    whylen)) == 0 && (r = ad_search_walk(c, e, o, d, false, NULL)) < 0)
		snprintf(why, whylen, "%s", d->why);
	ldap_msgfree(res);
	return r;
}

int
ad_search_guid_entry(struct ad_conn *c, const struct obj_guid *g,
    const char **attrs, struct obj **out, struct ad_decode *d, char *why,
    size_t whylen)
{
	LDAPMessage *res, *e;
	int r;

	if ((r = ad_search_guid_first(c, g, attrs, &res, &e, why,
	    whylen)) == 0)
		r = ad_search_entry(c, e, false, out, d, why, whylen);
	ldap_msgfree(res);
	return r;
}
