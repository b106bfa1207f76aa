/*
 * The entity table of one build: every AD object the planner meets, by
 * objectGUID, fetched through the source at most once (a user may be a
 * group member, a list member and a state row's anchor at the same time).
 * Open addressing with linear probing; the GUIDs come from AD and are not
 * trusted to be random (test GUIDs are sequential), so all 16 bytes are
 * hashed. Pure; the build's thread.
 */
#include <errno.h>
#include <stdint.h>
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
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->guid = *g;
	for (i = plan_ent_hash(g) & (ctx->tabcap - 1); ctx->tab[i] != NULL;
	    i = (i + 1) & (ctx->tabcap - 1))
		;
	ctx->tab[i] = e;
	ctx->nents++;
	return e;
}

int
plan_ent_fetch(struct plan_ctx *ctx, struct plan_ent *e)
{
	struct obj *o = NULL;
	int r;

	if (e->fetched)
		return 0;
	r = ctx->src->get(ctx->src->arg, &e->guid, &o);
	if (r == -ADSYNC_ENOTFOUND) {
		e->fetched = true;
		e->gone = true;
		return 0;
	}
	if (r < 0) {
		snprintf(ctx->why, ctx->whylen, "reading an object from the "
		    "directory mirror failed: %s", adsync_strerror(r));
		return r;
	}
	e->fetched = true;
	e->o = o;
	/* A tombstone (isDeleted) is as good as gone for scope, but its
	 * last DN still names it in a reason. */
	e->gone = o == NULL || o->deleted;
	return 0;
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
		free(ctx->tab[i]);
	}
	free(ctx->tab);
	ctx->tab = NULL;
	ctx->tabcap = 0;
	ctx->nents = 0;
}
