/*
 * Bringing the store's mirror of the directory up to date: a change read
 * from the stored watermark when there is one, else (or when AD says the
 * watermark cannot be continued: another DC, a restored DC, a refused
 * DirSync cookie) a full read staged beside the mirror. Snapshot or
 * nothing (ypldap): the store swaps a full read in, or applies a change
 * read, only together with the new watermark, and only when the read
 * completed. Engine thread. Trusts nothing the directory sends beyond what
 * src/ldap has decoded.
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
	unsigned long n;
	bool full;
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

/* ad_obj_fn: one object into the staging area or the mirror. */
static int
sync_read_put(struct obj *o, enum ad_change change, void *arg)
{
	struct sync_read_ctx *x = arg;
	int r;

	(void)change;
	if (!x->full)
		sync_read_note(x->e, o);
	r = x->full ? store_mirror_full_put(x->st, o) :
	    store_mirror_apply(x->st, o);
	obj_free(o);
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
	log_info("full read: %lu objects from %s in %.2f s", x.n,
	    ad_conn_dc(e->ad), timing_since(t0));
	return 0;
fail:
	store_mirror_full_abort(e->st);
	return r;
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
	    whylen)) < 0)
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
	log_debug("change read: %lu changes from %s in %.3f s", x.n,
	    ad_conn_dc(e->ad), timing_since(t0));
	*n = x.n;
	return 0;
fail:
	store_mirror_changes_abort(e->st);
	return r;
}

int
sync_read(struct sync_engine *e, bool force_full, bool *full,
    size_t *changes, char *why, size_t whylen)
{
	char wm[AD_WM_TEXT_MAX];
	int r;

	if (e->ad == NULL && (r = ad_conn_new(&e->conf->ad, &e->ad, why,
	    whylen)) < 0)
		return r;
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
