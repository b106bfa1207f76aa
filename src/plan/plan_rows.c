/*
 * The planner's light copy of the synced state: identity and flags of
 * every row (no fields, members or addresses: candidates fetch their own
 * row whole with row_get), sorted by (anchor, service) for "was this row
 * seen", and by address for conflicts between objects that claim the same
 * mailbox or list. Rows of a service whose group is not configured are
 * not read at all: "do not sync" leaves that service alone (the seed's
 * way to rename a sync group is to set the service to "Do Not Sync" for a
 * while, which must not disable every mailbox). Pure; the build's thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "plan_internal.h"

static int
plan_rows_cmp(const void *a, const void *b)
{
	const struct plan_lrow *x = a, *y = b;
	int c;

	if ((c = memcmp(x->anchor.b, y->anchor.b, 16)) != 0)
		return c;
	if (x->svc != y->svc)
		return x->svc < y->svc ? -1 : 1;
	return 0;
}

static int
plan_rows_addr_cmp(const void *a, const void *b)
{
	const struct plan_lrow *x = *(struct plan_lrow *const *)a;
	const struct plan_lrow *y = *(struct plan_lrow *const *)b;
	int c;

	if ((c = strcmp(x->address, y->address)) != 0)
		return c;
	return plan_rows_cmp(x, y);
}

/* The four texts of a light row are one allocation, from `address`: at
 * 100,000 rows three fewer blocks each are megabytes (docs/plan.md
 * "Memory"). */
static void
plan_lrow_fini(struct plan_lrow *l)
{
	free(l->address);
}


static int
plan_rows_one(const struct plan_row *row, void *arg)
{
	struct plan_ctx *ctx = arg;
	struct plan_lrow *l, *nv;
	const char *dn = row->dn != NULL ? row->dn : "";
	const char *name = row->name != NULL ? row->name : "";
	const char *domain = row->domain != NULL ? row->domain : "";
	size_t ncap, nl = strlen(name), dl = strlen(domain);
	char *p;

	if ((unsigned)row->service >= PLAN_SVC_COUNT ||
	    (unsigned)row->kind >= PLAN_K_COUNT)
		return -ADSYNC_EPROTO;
	if (ctx->group_dn[row->service] == NULL)
		return 0;
	if (ctx->nrows == ctx->caprows) {
		ncap = ctx->caprows ? ctx->caprows * 2 : 64;
		if ((nv = reallocarray(ctx->rows, ncap, sizeof(*nv))) == NULL)
			return -ENOMEM;
		ctx->rows = nv;
		ctx->caprows = ncap;
	}
	l = &ctx->rows[ctx->nrows];
	memset(l, 0, sizeof(*l));
	l->anchor = row->anchor;
	l->svc = row->service;
	l->kind = row->kind;
	l->enabled = row->enabled;
	l->in_scope = row->in_scope;
	/* "name@domain\0name\0domain\0dn\0", lower case but the DN. */
	if ((l->address = malloc(2 * (nl + dl) + strlen(dn) + 5)) == NULL)
		return -ENOMEM;
	p = plan_addr_lower_to(l->address, name);
	p[-1] = '@';
	p = plan_addr_lower_to(p, domain);
	l->name = p;
	p = plan_addr_lower_to(p, name);
	l->domain = p;
	p = plan_addr_lower_to(p, domain);
	l->dn = p;
	memcpy(p, dn, strlen(dn) + 1);
	ctx->nrows++;
	return 0;
}

int
plan_rows_load(struct plan_ctx *ctx)
{
	size_t i;
	int r;

	r = ctx->src->row_each(ctx->src->arg, plan_rows_one, ctx);
	if (r < 0) {
		if (r == -ADSYNC_EPROTO)
			snprintf(ctx->why, ctx->whylen, "the state holds a row "
			    "with an unknown service or kind");
		else if (r != -ENOMEM)
			snprintf(ctx->why, ctx->whylen, "reading the synced "
			    "state failed: %s", adsync_strerror(r));
		return r;
	}
	plan_sort(ctx->rows, ctx->nrows, sizeof(*ctx->rows), plan_rows_cmp);
	/* The doublings left up to half the array unused: give it back
	 * before anything points into it. */
	if (ctx->nrows > 0 && ctx->nrows < ctx->caprows) {
		struct plan_lrow *nv = reallocarray(ctx->rows, ctx->nrows,
		    sizeof(*nv));

		if (nv != NULL) {
			ctx->rows = nv;
			ctx->caprows = ctx->nrows;
		}
	}
	if (ctx->nrows > 0 && (ctx->rows_by_addr = reallocarray(NULL,
	    ctx->nrows, sizeof(*ctx->rows_by_addr))) == NULL)
		return -ENOMEM;
	for (i = 0; i < ctx->nrows; i++) {
		ctx->rows_by_addr[i] = &ctx->rows[i];
		if (ctx->rows[i].in_scope)
			ctx->p->counts.synced++;
	}
	plan_sort(ctx->rows_by_addr, ctx->nrows, sizeof(*ctx->rows_by_addr),
	    plan_rows_addr_cmp);
	return 0;
}

const struct plan_lrow *
plan_rows_find(const struct plan_ctx *ctx, const struct obj_guid *anchor,
    enum plan_service svc)
{
	struct plan_lrow key;

	if (ctx->nrows == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.anchor = *anchor;
	key.svc = svc;
	return bsearch(&key, ctx->rows, ctx->nrows, sizeof(*ctx->rows),
	    plan_rows_cmp);
}

size_t
plan_rows_by_address(const struct plan_ctx *ctx, const char *address,
    struct plan_lrow *const **first)
{
	size_t lo = 0, hi = ctx->nrows, mid, n = 0;

	/* Lower bound of `address`, then the run of equal ones. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(ctx->rows_by_addr[mid]->address, address) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo + n < ctx->nrows &&
	    strcmp(ctx->rows_by_addr[lo + n]->address, address) == 0)
		n++;
	*first = n > 0 ? &ctx->rows_by_addr[lo] : NULL;
	return n;
}

void
plan_rows_free(struct plan_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nrows; i++)
		plan_lrow_fini(&ctx->rows[i]);
	free(ctx->rows);
	free(ctx->rows_by_addr);
	ctx->rows = NULL;
	ctx->rows_by_addr = NULL;
	ctx->nrows = 0;
}
