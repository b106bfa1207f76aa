/*
 * The two reads callers use: a full snapshot (ad_read_full) and the
 * changes since a watermark (ad_read_changes, through DirSync or uSN
 * polling). Runs on the thread that owns the struct ad_conn.
 *
 * Snapshot or nothing: every object of a full read is streamed to the
 * caller's callback as it is decoded, and only the final return says
 * whether the snapshot is complete. A failure part-way (connection lost,
 * a group that could not be read whole, an entry without a usable GUID,
 * DN or membership) returns an error and the caller trashes what it
 * staged. One bad value of a kept attribute is not such a failure: the
 * object comes with that attribute held (ad_decode.c). The read is not resumed on
 * another connection: a paged-results cookie is only valid on the
 * connection that issued it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ad_internal.h"
#include "conf.h"
#include "err.h"
#include "log.h"

struct ad_read_full_ctx {
	ad_obj_fn *fn;
	void *arg;
	char *why;
	size_t whylen;
};

static int
ad_read_full_entry(struct ad_conn *c, LDAPMessage *e, void *arg)
{
	struct ad_read_full_ctx *x = arg;
	struct ad_decode d;
	struct obj *o = NULL;
	int r;

	if ((r = ad_search_entry(c, e, false, &o, &d, x->why,
	    x->whylen)) < 0)
		return r;
	if ((r = x->fn(o, AD_CHANGE_NONE, x->arg)) < 0 && x->why[0] == '\0')
		snprintf(x->why, x->whylen, "the consumer stopped the read: %s",
		    adsync_strerror(r));
	return r;
}

int
ad_read_full(struct ad_conn *c, ad_obj_fn *fn, void *arg,
    struct ad_watermark *wm, char *why, size_t whylen)
{
	struct ad_read_full_ctx x = { .fn = fn, .arg = arg, .why = why,
	    .whylen = whylen };
	struct ad_watermark now;
	const char *attrs[AD_ATTRS_MAX];
	char member[64];
	struct ad_search s;
	int r;

	why[0] = '\0';
	/* Taken first: what changes during the read is read again by the
	 * next incremental read, and applying it twice is harmless. */
	if ((r = ad_watermark_now(c, &now, why, whylen)) < 0)
		return r;
	if ((r = ad_filter_range_attr(member, sizeof(member), 0,
	    c->conf->range_size)) < 0)
		return r;
	ad_decode_attrs(attrs, AD_ATTRS_MAX, member);
	s = (struct ad_search){ .base = c->conf->base_dn,
	    .scope = LDAP_SCOPE_SUBTREE,
	    .filter = ad_filter_objects(c->read_others),
	    .attrs = attrs, .extended_dn = true };
	why[0] = '\0';
	if ((r = ad_search_paged(c, &s, ad_read_full_entry, &x, why,
	    whylen)) < 0)
		return r;
	*wm = now;
	return 0;
}

int
ad_read_changes(struct ad_conn *c, const struct ad_watermark *in,
    ad_obj_fn *fn, void *arg, struct ad_watermark *out, char *why,
    size_t whylen)
{
	int r;

	why[0] = '\0';
	if (in->kind == AD_WM_NONE) {
		snprintf(why, whylen, "no watermark yet");
		return -ADSYNC_ERESYNC;
	}
	if ((r = ad_conn_ensure(c, why, whylen)) < 0)
		return r;
	/* Refreshes the uSN and DC identity; reconnects once when the
	 * connection died since its last use. */
	if ((r = ad_conn_rootdse(c, why, whylen)) < 0) {
		if (c->ld != NULL || (r = ad_conn_ensure(c, why, whylen)) < 0)
			return r;
	}
	if (in->kind == AD_WM_DIRSYNC)
		return ad_dirsync_read(c, in, fn, arg, out, why, whylen);
	return ad_usn_read(c, in, fn, arg, out, why, whylen);
}

/* True when `dn` is `base` or below it (case-insensitive, as AD is). */
static bool
ad_read_in_base(const char *dn, const char *base)
{
	size_t dl = strlen(dn), bl = strlen(base);

	if (dl < bl || strcasecmp(dn + dl - bl, base) != 0)
		return false;
	return dl == bl || dn[dl - bl - 1] == ',';
}

int
ad_read_guid(struct ad_conn *c, const struct obj_guid *g, struct obj **out,
    char *why, size_t whylen)
{
	const char *attrs[AD_ATTRS_MAX];
	char member[64];
	struct ad_decode d;
	struct obj *o = NULL;
	int r;

	*out = NULL;
	why[0] = '\0';
	if ((r = ad_conn_ensure(c, why, whylen)) < 0)
		return r;
	if ((r = ad_filter_range_attr(member, sizeof(member), 0,
	    c->conf->range_size)) < 0)
		return r;
	ad_decode_attrs(attrs, AD_ATTRS_MAX, member);
	if ((r = ad_search_guid_entry(c, g, attrs, &o, &d, why, whylen)) < 0)
		return r;
	/* What a full read would not have: another kind, a tombstone, an
	 * object outside base_dn. */
	if (o->deleted || !ad_read_in_base(o->dn, c->conf->base_dn) ||
	    (o->kind == OBJ_UNKNOWN &&
	    !(c->read_others && (d.is_computer || d.is_fsp)))) {
		obj_free(o);
		return -ADSYNC_ENOTFOUND;
	}
	*out = o;
	return 0;
}

struct ad_read_account_ctx {
	struct obj *o;
	unsigned n;
	char *why;
	size_t whylen;
};

static int
ad_read_account_entry(struct ad_conn *c, LDAPMessage *e, void *arg)
{
	struct ad_read_account_ctx *x = arg;
	struct ad_decode d;
	struct obj *o = NULL;
	int r;

	if (++x->n > 1)
		return 0;	/* counted; the caller refuses the ambiguity */
	if ((r = ad_search_entry(c, e, false, &o, &d, x->why,
	    x->whylen)) < 0)
		return r;
	x->o = o;
	return 0;
}

int
ad_read_account(struct ad_conn *c, const char *sam, const char *upn,
    struct obj **out, char *why, size_t whylen)
{
	struct ad_read_account_ctx x = { .why = why, .whylen = whylen };
	const char *attrs[AD_ATTRS_MAX];
	char member[64], esam[3 * 256 + 1], eupn[3 * 256 + 1], filter[2048];
	struct ad_search s;
	int r;

	*out = NULL;
	why[0] = '\0';
	if (sam[0] == '\0' && upn[0] == '\0')
		return -EINVAL;
	/* Escaped (RFC 4515): the names come from a DC's hook. */
	if ((r = ad_filter_escape(sam, strlen(sam), esam, sizeof(esam))) <
	    0 || (r = ad_filter_escape(upn, strlen(upn), eupn,
	    sizeof(eupn))) < 0)
		return r;
	if (snprintf(filter, sizeof(filter), "(&(objectCategory=person)"
	    "(objectClass=user)(|%s%s%s%s%s%s))",
	    sam[0] ? "(sAMAccountName=" : "", esam, sam[0] ? ")" : "",
	    upn[0] ? "(userPrincipalName=" : "", eupn, upn[0] ? ")" : "") >=
	    (int)sizeof(filter))
		return -ADSYNC_ETOOBIG;
	if ((r = ad_filter_range_attr(member, sizeof(member), 0,
	    c->conf->range_size)) < 0)
		return r;
	ad_decode_attrs(attrs, AD_ATTRS_MAX, member);
	s = (struct ad_search){ .base = c->conf->base_dn,
	    .scope = LDAP_SCOPE_SUBTREE, .filter = filter, .attrs = attrs,
	    .extended_dn = true };
	if ((r = ad_search_paged(c, &s, ad_read_account_entry, &x, why,
	    whylen)) < 0) {
		obj_free(x.o);
		return r;
	}
	if (x.n > 1) {
		obj_free(x.o);
		snprintf(why, whylen, "%u accounts match sAMAccountName "
		    "\"%s\" or userPrincipalName \"%s\"", x.n, sam, upn);
		return -EEXIST;
	}
	if (x.o == NULL)
		return -ADSYNC_ENOTFOUND;
	*out = x.o;
	return 0;
}
