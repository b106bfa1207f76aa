/*
 * Bringing the store's mirror of the directory up to date: a change read
 * from the stored watermark when there is one, else (or when AD says the
 * watermark cannot be continued: another DC, a restored DC, a refused
 * DirSync cookie) a full read staged beside the mirror. Snapshot or
 * nothing (ypldap): the store swaps a full read in, or applies a change
 * read, only together with the new watermark, and only when the read
 * completed. Engine thread. Trusts nothing the directory sends beyond what
 * src/ldap has decoded.
 *
 * A held object (a value src/ldap could not take, obj.h) is not a failed
 * read: it goes into the mirror with its hold, and its held attributes
 * keep the values the mirror had (the last good ones), so that the
 * planner holds it as it was and a later read that brings a good value
 * needs nothing else. Computers and foreignSecurityPrincipals (the
 * engine's reads ask for them: ad_conn_read_others) go into the mirror so
 * that the planner can name one in a sync group; they change no plan by
 * themselves, so a change read does not count them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "sync_internal.h"
#include "timing.h"
#include "xmalloc.h"

struct sync_read_ctx {
	struct sync_engine *e;
	struct store *st;
	unsigned long n;	/* objects that may change a plan */
	unsigned long others;	/* computers, foreign principals */
	unsigned long held;
	bool full;
	/* Change reads: members DirSync added to a group (owned). */
	struct obj_guid *added;
	size_t nadded, capadded;
};

/* Objects a change read may return and still be planned focused (more:
 * the whole mirror is planned). */
#define SYNC_FOCUS_MAX 512

/* Notes a changed object for a focused plan (docs/sync.md). */
static void
sync_read_note(struct sync_engine *e, const struct obj *o)
{
	if (!e->focusable)
		return;
	if (o->deleted || (o->kind != OBJ_USER && o->kind != OBJ_CONTACT) ||
	    e->nchanged == SYNC_FOCUS_MAX) {
		e->focusable = false;
		return;
	}
	if (e->nchanged == e->capchanged) {
		e->capchanged = e->capchanged ? e->capchanged * 2 : 16;
		e->changed = xreallocarray(e->changed, e->capchanged,
		    sizeof(*e->changed));
	}
	e->changed[e->nchanged++] = o->guid;
}

/*
 * A whole object (full or uSN read) with held attributes: each takes the
 * values the mirror has for it, the last good ones (none when the object
 * is new, or was held there too). A partial DirSync object leaves held
 * attributes out of `present`, and the mirror's merge keeps their values
 * and holds (store_mirror.c).
 */
static int
sync_read_hold(struct store *st, struct obj *o)
{
	struct obj *cur = NULL;
	uint64_t bit;
	size_t i;
	int a, r;

	r = store_mirror_get_lean(st, &o->guid, &cur);
	if (r == -ADSYNC_ENOTFOUND || r == -ADSYNC_EPARSE)
		return 0;	/* new, or a corrupt row the read replaces */
	if (r < 0)
		return r;
	for (a = 0; a < OBJ_A_COUNT && r == 0; a++) {
		bit = (uint64_t)1 << a;
		if ((o->held & bit) == 0)
			continue;
		for (i = 0; i < cur->attrs[a].n && r == 0; i++)
			r = obj_value_add(o, (enum obj_attr)a,
			    cur->attrs[a].v[i], strlen(cur->attrs[a].v[i]));
		o->present = (o->present & ~bit) | (cur->present & bit);
	}
	obj_free(cur);
	return r;
}

/* Notes the members a DirSync change added to a group, to look up those
 * the mirror does not have once the read is over (sync_read_missing). */
static void
sync_read_added(struct sync_read_ctx *x, const struct obj *o)
{
	size_t i;

	for (i = 0; i < o->member_added.n; i++) {
		if (obj_guid_is_zero(&o->member_added.v[i].guid))
			continue;
		if (x->nadded == x->capadded) {
			x->capadded = x->capadded ? x->capadded * 2 : 16;
			x->added = xreallocarray(x->added, x->capadded,
			    sizeof(*x->added));
		}
		x->added[x->nadded++] = o->member_added.v[i].guid;
	}
}

/* ad_obj_fn: one object into the staging area or the mirror. */
static int
sync_read_put(struct obj *o, enum ad_change change, void *arg)
{
	struct sync_read_ctx *x = arg;
	bool other = o->kind == OBJ_UNKNOWN && !o->deleted;
	int r = 0;

	(void)change;
	if (!x->full && o->incremental)
		sync_read_added(x, o);
	if (o->held != 0) {
		x->held++;
		if (!o->incremental)
			r = sync_read_hold(x->st, o);
	}
	if (!x->full && !other)
		sync_read_note(x->e, o);
	if (r == 0)
		r = x->full ? store_mirror_full_put(x->st, o) :
		    store_mirror_apply(x->st, o);
	obj_free(o);
	if (other)
		x->others++;
	else
		x->n++;
	return r;
}

static int
sync_read_full(struct sync_engine *e, char *why, size_t whylen)
{
	struct sync_read_ctx x = { .e = e, .st = e->st, .full = true };
	struct ad_watermark wm;
	char text[AD_WM_TEXT_MAX];
	double t0;
	int r;

	t0 = timing_now();
	if ((r = store_mirror_full_begin(e->st)) < 0) {
		snprintf(why, whylen, "cannot stage a full read in the state: "
		    "%s", adsync_strerror(r));
		return r;
	}
	if ((r = ad_read_full(e->ad, sync_read_put, &x, &wm, why,
	    whylen)) < 0)
		goto fail;
	if ((r = ad_watermark_encode(&wm, text, sizeof(text))) < 0) {
		snprintf(why, whylen, "cannot encode the watermark of %s",
		    ad_conn_dc(e->ad));
		goto fail;
	}
	if ((r = store_mirror_full_commit(e->st, text)) < 0) {
		snprintf(why, whylen, "cannot commit the full read to the "
		    "state: %s", adsync_strerror(r));
		goto fail;
	}
	log_info("full read: %lu objects (and %lu computers and foreign "
	    "principals) from %s in %.2f s%s", x.n, x.others,
	    ad_conn_dc(e->ad), timing_since(t0), x.held > 0 ?
	    "; some held for bad values (see the alerts)" : "");
	return 0;
fail:
	store_mirror_full_abort(e->st);
	return r;
}

static int
sync_read_guid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct obj_guid));
}

/*
 * After a change read: each member a group gained that the mirror does
 * not have is read by GUID and put in, when a full read would have it
 * (ad_read_guid). Samba's DirSync, for an account that is not an
 * administrator, leaves out some objects that searches show, e.g. the
 * foreignSecurityPrincipal made when a trusted domain's account joins a
 * group; without this, only the next full read would let the planner
 * name it. A member that is in the mirror costs one lookup in the state;
 * one that is not, one base search (none in the usual case).
 */
static int
sync_read_missing(struct sync_engine *e, struct sync_read_ctx *x, char *why,
    size_t whylen)
{
	struct obj *o;
	size_t i, n = 0;
	int r;

	if (x->nadded == 0)
		return 0;
	qsort(x->added, x->nadded, sizeof(*x->added), sync_read_guid_cmp);
	for (i = 0; i < x->nadded; i++)
		if (n == 0 || !obj_guid_equal(&x->added[n - 1], &x->added[i]))
			x->added[n++] = x->added[i];
	for (i = 0; i < n; i++) {
		o = NULL;
		r = store_mirror_get_lean(e->st, &x->added[i], &o);
		if (r == 0)
			obj_free(o);
		/* Present (a corrupt row too: the next full read mends it). */
		if (r == 0 || r == -ADSYNC_EPARSE)
			continue;
		if (r != -ADSYNC_ENOTFOUND) {
			snprintf(why, whylen, "cannot read the mirror: %s",
			    adsync_strerror(r));
			return r;
		}
		r = ad_read_guid(e->ad, &x->added[i], &o, why, whylen);
		if (r == -ADSYNC_ENOTFOUND)
			continue;	/* outside base_dn, or not ours */
		if (r < 0)
			return r;
		log_debug("change read: member %s was not in the mirror; "
		    "read it by GUID", o->dn);
		if ((r = sync_read_put(o, AD_CHANGE_ADD, x)) < 0) {
			snprintf(why, whylen, "cannot store an object in the "
			    "state: %s", adsync_strerror(r));
			return r;
		}
	}
	return 0;
}

/* 0, -ADSYNC_ERESYNC (the caller reads in full), or another negative code. */
static int
sync_read_changes(struct sync_engine *e, const char *wmtext, size_t *n,
    char *why, size_t whylen)
{
	struct sync_read_ctx x = { .e = e, .st = e->st, .full = false };
	struct ad_watermark in, out;
	char text[AD_WM_TEXT_MAX];
	double t0;
	int r;

	t0 = timing_now();
	if (ad_watermark_decode(wmtext, strlen(wmtext), &in) < 0) {
		log_warnx("the stored watermark does not decode; reading the "
		    "directory in full");
		return -ADSYNC_ERESYNC;
	}
	if ((r = store_mirror_changes_begin(e->st)) < 0) {
		snprintf(why, whylen, "cannot start a change read in the "
		    "state: %s", adsync_strerror(r));
		return r;
	}
	if ((r = ad_read_changes(e->ad, &in, sync_read_put, &x, &out, why,
	    whylen)) < 0 || (r = sync_read_missing(e, &x, why, whylen)) < 0)
		goto fail;
	if ((r = ad_watermark_encode(&out, text, sizeof(text))) < 0) {
		snprintf(why, whylen, "cannot encode the watermark of %s",
		    ad_conn_dc(e->ad));
		goto fail;
	}
	if ((r = store_mirror_changes_commit(e->st, text)) < 0) {
		snprintf(why, whylen, "cannot commit the changes to the "
		    "state: %s", adsync_strerror(r));
		goto fail;
	}
	log_debug("change read: %lu changes (and %lu computers and foreign "
	    "principals) from %s in %.3f s", x.n, x.others, ad_conn_dc(e->ad),
	    timing_since(t0));
	*n = x.n;
	free(x.added);
	return 0;
fail:
	store_mirror_changes_abort(e->st);
	free(x.added);
	return r;
}

int
sync_read(struct sync_engine *e, bool force_full, bool *full,
    size_t *changes, char *why, size_t whylen)
{
	char wm[AD_WM_TEXT_MAX];
	int r;

	if (e->ad == NULL) {
		if ((r = ad_conn_new(&e->conf->ad, &e->ad, why, whylen)) < 0)
			return r;
		/* So that the planner can name a computer or a foreign
		 * principal in a sync group (docs/plan.md rule 2). */
		ad_conn_read_others(e->ad, true);
	}
	if ((r = store_mirror_watermark(e->st, wm, sizeof(wm))) < 0) {
		snprintf(why, whylen, "cannot read the watermark from the "
		    "state: %s", adsync_strerror(r));
		return r;
	}
	e->nchanged = 0;
	e->focusable = true;
	if (wm[0] != '\0' && !force_full) {
		r = sync_read_changes(e, wm, changes, why, whylen);
		if (r != -ADSYNC_ERESYNC) {
			if (r == 0)
				*full = false;
			return r;
		}
		log_info("the watermark cannot be continued (%s); reading the "
		    "directory in full", why[0] != '\0' ? why :
		    "another domain controller");
	}
	if ((r = sync_read_full(e, why, whylen)) < 0)
		return r;
	*full = true;
	return 0;
}
