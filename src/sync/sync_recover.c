/*
 * Crash recovery. Every API write is journaled as pending before it is
 * sent (sync_apply.c); a pending op found at the start of a cycle belongs
 * to a run that died between the journal and the result. Whether the
 * service saw the call is unknown, so it is looked up:
 *
 *  - create/adopt: the object exists -> the state gets a row for it (with
 *    no remembered fields, so the next plan sends every field once, an
 *    idempotent PUT); absent -> the op failed and the plan creates it
 *    again. A lost create is therefore found by name and never sent twice.
 *  - delete: absent -> the row goes; present -> failed, planned again.
 *  - everything else (PUTs, addresses, members) is idempotent: marked
 *    failed, the state was not changed, so the plan sends it again. For
 *    list members that holds because the applier makes it so: the
 *    service refuses a whole Remove naming a member already gone (and
 *    [INFERRED] an Add naming one already there), so a refused members
 *    op re-reads the list and sends only what is still to do
 *    (sync_apply_members_settle); the member the killed run changed no
 *    longer keeps a newer one of the same batch from being applied.
 *
 * Engine thread. Runs before the directory is read, so a crash loop
 * cannot build up duplicate creates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "sync_internal.h"
#include "xmalloc.h"

struct sync_recover_list {
	struct store_op *v;
	size_t n, cap;
};

static int
sync_recover_collect(const struct store_op *op, void *arg)
{
	struct sync_recover_list *l = arg;

	/* Doubling: thousands of pending ops (a crash in a first sync)
	 * were a quadratic copy one 3 KB op at a time. */
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = *op;
	return 0;
}

/* Writes a row for an object found after a crashed create/adopt. */
static int
sync_recover_row(struct sync_engine *e, const struct store_op *op)
{
	struct plan_row row;
	int r;

	plan_row_init(&row);
	row.anchor = op->anchor;
	row.service = op->service;
	row.kind = op->kind;
	row.dn = xstrdup("");
	row.domain = xstrdup(op->domain);
	row.name = xstrdup(op->name);
	/* Unknown: the plan compares against "nothing applied" and sends
	 * every field, and the enabled state, once. */
	row.enabled = false;
	row.in_scope = false;
	r = store_row_put(e->st, &row);
	plan_row_fini(&row);
	return r;
}

/* After a delete: the row goes unless it names another object now (the
 * new half of a contact moved to another domain). */
static int
sync_recover_forget(struct sync_engine *e, const struct store_op *op)
{
	struct plan_row row;
	int r;

	plan_row_init(&row);
	r = store_row_get(e->st, &op->anchor, op->service, &row);
	if (r == 0 && sync_row_names(&row, op->domain, op->name))
		r = store_row_delete(e->st, &op->anchor, op->service);
	else if (r == -ADSYNC_ENOTFOUND)
		r = 0;
	plan_row_fini(&row);
	return r;
}

static int
sync_recover_one(struct sync_engine *e, const struct store_op *op,
    char *why, size_t whylen)
{
	struct rs_error err;
	const char *result;
	char msg[600];
	int r, found;
	enum store_op_state state = STORE_OP_FAILED;

	switch (op->op) {
	case PLAN_OP_CREATE:
	case PLAN_OP_ADOPT:
	case PLAN_OP_DELETE:
		found = sync_apply_exists(e, op->service, op->kind,
		    op->domain, op->name, &err);
		if (found < 0) {
			snprintf(why, whylen, "cannot check %s@%s after a "
			    "crashed run: %s", op->name, op->domain,
			    rs_error_format(&err, msg, sizeof(msg)));
			return found;
		}
		if (op->op == PLAN_OP_DELETE) {
			if (found)
				result = "outcome unknown after a crash: "
				    "still present, planned again";
			else {
				state = STORE_OP_DONE;
				result = "";
			}
		} else if (found) {
			state = STORE_OP_DONE;
			result = "";
		} else {
			result = "not applied: the run crashed before the "
			    "service saw it; planned again";
		}
		break;
	default:
		result = "outcome unknown after a crash; planned again "
		    "(idempotent)";
		break;
	}
	/* The caller holds the transaction (sync_recover). */
	r = 0;
	if (state == STORE_OP_DONE)
		r = op->op == PLAN_OP_DELETE ? sync_recover_forget(e, op) :
		    sync_recover_row(e, op);
	if (r == 0)
		r = store_op_end(e->st, op->id, state, result,
		    (int64_t)time(NULL));
	if (r < 0) {
		snprintf(why, whylen, "cannot record the recovery of %s@%s: "
		    "%s", op->name, op->domain, adsync_strerror(r));
		return r;
	}
	log_info("recovered %s %s@%s from a crashed run: %s",
	    plan_opkind_name(op->op), op->name, op->domain,
	    state == STORE_OP_DONE ? "applied" : result);
	return 0;
}

/* Pending ops recorded per commit: one durable commit per op made the
 * recovery of a first sync's thousands of pending ops take seconds. A
 * crash during recovery leaves the rest pending, to recover again. */
#define SYNC_RECOVER_GROUP 256

int
sync_recover(struct sync_engine *e, size_t *n, char *why, size_t whylen)
{
	struct sync_recover_list l = { NULL, 0, 0 };
	size_t i;
	int r;

	*n = 0;
	if ((r = store_op_each_pending(e->st, sync_recover_collect, &l)) < 0) {
		snprintf(why, whylen, "cannot read the journal: %s",
		    adsync_strerror(r));
		goto out;
	}
	if (l.n == 0)
		goto out;
	if ((r = sync_engine_client(e, why, whylen)) < 0)
		goto out;
	for (i = 0; i < l.n; i++) {
		if (i % SYNC_RECOVER_GROUP == 0 &&
		    (r = store_begin(e->st)) < 0) {
			snprintf(why, whylen, "cannot record the recovery: %s",
			    adsync_strerror(r));
			goto out;
		}
		if ((r = sync_recover_one(e, &l.v[i], why, whylen)) < 0) {
			store_rollback(e->st);
			goto out;
		}
		if ((i % SYNC_RECOVER_GROUP == SYNC_RECOVER_GROUP - 1 ||
		    i == l.n - 1) && (r = store_commit(e->st)) < 0) {
			snprintf(why, whylen, "cannot commit the recovery: %s",
			    adsync_strerror(r));
			goto out;
		}
	}
	*n = l.n;
out:
	free(l.v);
	return r;
}
