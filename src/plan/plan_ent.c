/*
 * The entity table of one build: every AD object the planner meets, by
 * objectGUID (a user may be a group member, a list member and a state
 * row's anchor at the same time). What is known of each (kind, mail set,
 * gone) stays for the whole build; the object itself is held only until
 * more than PLAN_RESIDENT_MAX are, then let go of at the next safe point
 * (plan_ent_trim) and fetched again when a stage needs it (plan_ent_obj).
 * Open addressing with linear probing; the GUIDs come from AD and are not
 * trusted to be random (test GUIDs are sequential), so all 16 bytes are
 * hashed. Pure; the build's thread.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "plan_internal.h"

static size_t
plan_ent_hash(const struct obj_guid *g)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */
	size_t i;

	for (i = 0; i < sizeof(g->b); i++) {
		h ^= g->b[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

struct plan_ent *
plan_ent_find(const struct plan_ctx *ctx, const struct obj_guid *g)
{
	size_t i;

	if (ctx->tabcap == 0)
		return NULL;
	for (i = plan_ent_hash(g) & (ctx->tabcap - 1); ctx->tab[i] != NULL;
	    i = (i + 1) & (ctx->tabcap - 1))
		if (obj_guid_equal(&ctx->tab[i]->guid, g))
			return ctx->tab[i];
	return NULL;
}

/* Doubles the table (power of two, at most half full). */
static int
plan_ent_grow(struct plan_ctx *ctx)
{
	struct plan_ent **nt;
	size_t ncap = ctx->tabcap ? ctx->tabcap * 2 : 256, i, j;

	if ((nt = calloc(ncap, sizeof(*nt))) == NULL)
		return -ENOMEM;
	for (i = 0; i < ctx->tabcap; i++) {
		if (ctx->tab[i] == NULL)
			continue;
		for (j = plan_ent_hash(&ctx->tab[i]->guid) & (ncap - 1);
		    nt[j] != NULL; j = (j + 1) & (ncap - 1))
			;
		nt[j] = ctx->tab[i];
	}
	free(ctx->tab);
	ctx->tab = nt;
	ctx->tabcap = ncap;
	return 0;
}

struct plan_ent *
plan_ent_add(struct plan_ctx *ctx, const struct obj_guid *g)
{
	struct plan_ent *e;
	size_t i;

	if ((e = plan_ent_find(ctx, g)) != NULL)
		return e;
	if ((ctx->nents + 1) * 2 > ctx->tabcap && plan_ent_grow(ctx) < 0)
		return NULL;
	/* Entities live in slabs of PLAN_ENT_SLAB: one allocation for a
	 * thousand of them rather than one each (never freed one by one). */
	if (ctx->nslabs == 0 || ctx->slab_used == PLAN_ENT_SLAB) {
		struct plan_ent **nv = reallocarray(ctx->slabs,
		    ctx->nslabs + 1, sizeof(*nv));

		if (nv == NULL)
			return NULL;
		ctx->slabs = nv;
		if ((nv[ctx->nslabs] = calloc(PLAN_ENT_SLAB,
		    sizeof(**nv))) == NULL)
			return NULL;
		ctx->nslabs++;
		ctx->slab_used = 0;
	}
	e = &ctx->slabs[ctx->nslabs - 1][ctx->slab_used++];
	e->guid = *g;
	for (i = plan_ent_hash(g) & (ctx->tabcap - 1); ctx->tab[i] != NULL;
	    i = (i + 1) & (ctx->tabcap - 1))
		;
	ctx->tab[i] = e;
	ctx->nents++;
	return e;
}

/* Asks the source for the object of `e`; 0 or its negative code (why
 * set); -ADSYNC_ENOTFOUND is not an error: *out is NULL. */
static int
plan_ent_get(struct plan_ctx *ctx, struct plan_ent *e, struct obj **out)
{
	int r;

	*out = NULL;
	r = ctx->src->get(ctx->src->arg, &e->guid, out);
	if (r == -ADSYNC_ENOTFOUND)
		return 0;
	if (r < 0)
		snprintf(ctx->why, ctx->whylen, "reading an object from the "
		    "directory mirror failed: %s", adsync_strerror(r));
	return r;
}

/* Lists `e` among the objects plan_ent_trim() may let go of. */
static int
plan_ent_hold(struct plan_ctx *ctx, struct plan_ent *e)
{
	struct plan_ent **nv;
	size_t ncap;

	if (e->o == NULL || e->pinned || e->resident)
		return 0;
	if (ctx->nresident == ctx->capresident) {
		ncap = ctx->capresident ? ctx->capresident * 2 : 256;
		if ((nv = reallocarray(ctx->resident, ncap,
		    sizeof(*nv))) == NULL)
			return -ENOMEM;
		ctx->resident = nv;
		ctx->capresident = ncap;
	}
	ctx->resident[ctx->nresident++] = e;
	e->resident = true;
	return 0;
}

int
plan_ent_fetch(struct plan_ctx *ctx, struct plan_ent *e)
{
	const char *mail;
	struct obj *o;
	int r;

	if (e->fetched)
		return 0;
	if ((r = plan_ent_get(ctx, e, &o)) < 0)
		return r;
	e->fetched = true;
	e->o = o;
	e->has_obj = o != NULL;
	/* A tombstone (isDeleted) is as good as gone for scope, but its
	 * last DN still names it in a reason. */
	e->gone = o == NULL || o->deleted;
	if (o != NULL) {
		e->kind = o->kind;
		e->held = o->held != 0;
		mail = obj_value(o, OBJ_A_MAIL);
		if (mail != NULL && mail[0] != '\0' &&
		    (e->mail = strdup(mail)) == NULL)
			return -ENOMEM;
	}
	return plan_ent_hold(ctx, e);
}

const struct obj *
plan_ent_obj(struct plan_ctx *ctx, struct plan_ent *e)
{
	struct obj *o;
	int r;

	if (!e->fetched) {
		if ((r = plan_ent_fetch(ctx, e)) < 0)
			goto fail;
		return e->o;
	}
	if (e->o != NULL || !e->has_obj)
		return e->o;
	/* Trimmed: the mirror does not change during a build, so it is
	 * there again. */
	if ((r = plan_ent_get(ctx, e, &o)) < 0)
		goto fail;
	if (o == NULL) {
		snprintf(ctx->why, ctx->whylen, "an object of the directory "
		    "mirror vanished while planning");
		r = -ADSYNC_EPROTO;
		goto fail;
	}
	e->o = o;
	if ((r = plan_ent_hold(ctx, e)) < 0)
		goto fail;
	return o;
fail:
	if (ctx->err == 0)
		ctx->err = r;
	return NULL;
}

const char *
plan_ent_dn(struct plan_ctx *ctx, struct plan_ent *e, const char *fallback)
{
	const struct obj *o = plan_ent_obj(ctx, e);

	return o != NULL && o->dn != NULL ? o->dn : fallback;
}

void
plan_ent_trim(struct plan_ctx *ctx)
{
	size_t i, max = ctx->opts->resident_max != 0 ?
	    ctx->opts->resident_max : PLAN_RESIDENT_MAX;

	if (ctx->nresident <= max)
		return;
	for (i = 0; i < ctx->nresident; i++) {
		ctx->resident[i]->resident = false;
		if (ctx->resident[i]->pinned)
			continue;	/* pinned after it was listed */
		obj_free(ctx->resident[i]->o);
		ctx->resident[i]->o = NULL;
	}
	ctx->nresident = 0;
}

struct plan_cand *
plan_ent_cand(const struct plan_ctx *ctx, const struct plan_ent *e,
    enum plan_service s)
{
	if (e == NULL || e->cand[s] == 0)
		return NULL;
	return &ctx->cands[e->cand[s] - 1];
}

void
plan_ent_free_all(struct plan_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->tabcap; i++) {
		if (ctx->tab[i] == NULL)
			continue;
		obj_free(ctx->tab[i]->o);
		free(ctx->tab[i]->mail);
	}
	for (i = 0; i < ctx->nslabs; i++)
		free(ctx->slabs[i]);
	free(ctx->slabs);
	ctx->slabs = NULL;
	ctx->nslabs = ctx->slab_used = 0;
	free(ctx->tab);
	ctx->tab = NULL;
	ctx->tabcap = 0;
	ctx->nents = 0;
	free(ctx->resident);
	ctx->resident = NULL;
	ctx->nresident = ctx->capresident = 0;
}
