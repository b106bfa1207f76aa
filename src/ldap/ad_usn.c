/*
 * Incremental reads by uSN polling, for DCs or accounts without DirSync:
 * objects with uSNChanged above the watermark, read whole (paged, ranged
 * members, extended DNs), and tombstones with Show Deleted
 * (1.2.840.113556.1.4.417) under CN=Deleted Objects. Runs on the thread
 * that owns the struct ad_conn.
 *
 * Domain facts:
 *  - a uSN is local to one DC and one copy of its database: the watermark
 *    keeps dnsHostName and invocationId, and any difference (failover to
 *    another DC, a restore) is -ADSYNC_ERESYNC: a full read is needed;
 *  - membership is read from groups: adding a member changes the group's
 *    uSNChanged, not the member's (memberOf is a back link);
 *  - the search covers the whole naming context, so an object moved out of
 *    base_dn is seen (and reported as a deletion: it left the scope);
 *  - tombstones keep objectGUID and objectClass, nothing else we need, and
 *    all of them are children of CN=Deleted Objects (one level);
 *  - both searches filter on the uSN alone and the kinds we sync are kept
 *    here: Samba answers an indexed objectClass clause by fetching every
 *    object of that class (ad_filter.c has the figures).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ad_internal.h"
#include "conf.h"
#include "err.h"
#include "log.h"

int
ad_usn_now(struct ad_conn *c, struct ad_watermark *wm, char *why,
    size_t whylen)
{
	(void)why;
	(void)whylen;
	memset(wm, 0, sizeof(*wm));
	wm->kind = AD_WM_USN;
	snprintf(wm->dc, sizeof(wm->dc), "%s", c->dc);
	snprintf(wm->invocation_id, sizeof(wm->invocation_id), "%s",
	    c->invocation_id);
	wm->usn = c->highest_usn;
	return 0;
}

static bool
ad_usn_in_base(const char *dn, const char *base)
{
	size_t dl = strlen(dn), bl = strlen(base);

	if (dl < bl || strcasecmp(dn + dl - bl, base) != 0)
		return false;
	return dl == bl || dn[dl - bl - 1] == ',';
}

struct ad_usn_ctx {
	ad_obj_fn *fn;
	void *arg;
	uint64_t since;
	char *why;
	size_t whylen;
};

static int
ad_usn_entry(struct ad_conn *c, LDAPMessage *e, void *arg)
{
	struct ad_usn_ctx *x = arg;
	struct ad_decode d;
	struct obj *o = NULL;
	enum ad_change ch;
	int r;

	if ((r = ad_search_entry(c, e, false, &o, &d, x->why, x->whylen)) < 0)
		return r;
	/* Not a user, contact or group: not ours (the filter is the uSN
	 * alone), except the others for a reader that wants them. */
	if (o->kind == OBJ_UNKNOWN &&
	    !(c->read_others && (d.is_computer || d.is_fsp))) {
		obj_free(o);
		return 0;
	}
	if (o->deleted) {
		ch = AD_CHANGE_DELETE;
	} else if (!ad_usn_in_base(o->dn, c->conf->base_dn)) {
		o->deleted = true;
		ch = AD_CHANGE_DELETE;
	} else if (d.usn_created > x->since) {
		ch = AD_CHANGE_ADD;
	} else {
		ch = AD_CHANGE_MODIFY;
	}
	return x->fn(o, ch, x->arg);
}

int
ad_usn_read(struct ad_conn *c, const struct ad_watermark *in,
    ad_obj_fn *fn, void *arg, struct ad_watermark *out, char *why,
    size_t whylen)
{
	static const char *const del_attrs[] = {
		"objectGUID", "objectClass", "isDeleted", "uSNChanged",
		"whenChanged", NULL,
	};
	struct ad_usn_ctx x = { .fn = fn, .arg = arg, .since = in->usn,
	    .why = why, .whylen = whylen };
	const char *attrs[AD_ATTRS_MAX];
	char filter[AD_FILTER_MAX], member[64], deleted[OBJ_DN_MAX + 32];
	struct ad_watermark now;
	struct ad_search s;
	int r;

	if (strcasecmp(in->dc, c->dc) != 0) {
		snprintf(why, whylen, "the uSN watermark is from %s but %s "
		    "answered; uSNs differ between domain controllers",
		    in->dc, c->dc);
		return -ADSYNC_ERESYNC;
	}
	if (strcasecmp(in->invocation_id, c->invocation_id) != 0) {
		snprintf(why, whylen, "%s has a new invocationId (%s, was %s): "
		    "its database was restored", c->dc, c->invocation_id,
		    in->invocation_id);
		return -ADSYNC_ERESYNC;
	}
	if (c->highest_usn < in->usn) {
		snprintf(why, whylen, "%s: highestCommittedUSN %" PRIu64
		    " is below the watermark %" PRIu64, c->dc, c->highest_usn,
		    in->usn);
		return -ADSYNC_ERESYNC;
	}
	/* Taken before reading, like a full read's. */
	ad_usn_now(c, &now, why, whylen);
	if (c->highest_usn == in->usn) {
		*out = now;
		return 0;
	}
	if ((r = ad_filter_usn(filter, sizeof(filter), in->usn)) < 0 ||
	    (r = ad_filter_range_attr(member, sizeof(member), 0,
	    c->conf->range_size)) < 0) {
		snprintf(why, whylen, "cannot build the uSN filter");
		return r;
	}
	ad_decode_attrs(attrs, AD_ATTRS_MAX, member);
	s = (struct ad_search){ .base = c->nc, .scope = LDAP_SCOPE_SUBTREE,
	    .filter = filter, .attrs = attrs, .extended_dn = true };
	if ((r = ad_search_paged(c, &s, ad_usn_entry, &x, why, whylen)) < 0)
		return r;
	snprintf(deleted, sizeof(deleted), "CN=Deleted Objects,%s", c->nc);
	s = (struct ad_search){ .base = deleted, .scope = LDAP_SCOPE_ONELEVEL,
	    .filter = filter, .attrs = (const char **)(uintptr_t)del_attrs,
	    .show_deleted = true, .extended_dn = true };
	if ((r = ad_search_paged(c, &s, ad_usn_entry, &x, why, whylen)) < 0)
		return r;
	*out = now;
	return 0;
}
