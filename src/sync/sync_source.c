/*
 * The planner's view of the world (struct plan_source) over the engine:
 * the directory mirror and the synced rows from the store, and the
 * service's inventory for objects not yet synced. Engine thread.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "sync_internal.h"

static int
sync_source_find_dn(void *arg, const char *dn, struct obj_guid *out)
{
	struct sync_engine *e = arg;

	return store_mirror_find_dn(e->st, dn, out);
}

static int
sync_source_get(void *arg, const struct obj_guid *g, struct obj **out)
{
	struct sync_engine *e = arg;

	return store_mirror_get_lean(e->st, g, out);
}

static int
sync_source_row_get(void *arg, const struct obj_guid *anchor,
    enum plan_service s, struct plan_row *out)
{
	struct sync_engine *e = arg;

	return store_row_get(e->st, anchor, s, out);
}

static int
sync_source_row_each(void *arg,
    int (*fn)(const struct plan_row *row, void *fnarg), void *fnarg)
{
	struct sync_engine *e = arg;

	return store_row_each_ident(e->st, fn, fnarg);
}

static int
sync_source_target_find(void *arg, enum plan_service s, const char *domain,
    const char *name, enum plan_kind *kind)
{
	struct sync_engine *e = arg;
	int r;

	e->why[0] = '\0';
	r = sync_inv_find(e, s, domain, name, kind, e->why, sizeof(e->why));
	/* plan_build() reports only the code: say the rest here. */
	if (r < 0)
		log_warnx("%s", e->why);
	return r;
}

void
sync_source_init(struct plan_source *src, struct sync_engine *e,
    bool offline)
{
	memset(src, 0, sizeof(*src));
	src->arg = e;
	src->find_dn = sync_source_find_dn;
	src->get = sync_source_get;
	src->row_get = sync_source_row_get;
	src->row_each = sync_source_row_each;
	src->target_find = offline ? NULL : sync_source_target_find;
}
