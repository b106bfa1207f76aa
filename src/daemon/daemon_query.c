/*
 * The control socket's read-only queries behind the web console (and any
 * other client): the operations of one run, filtered; objects found by
 * name, address, DN or GUID; the enrolled password hooks; and "reload",
 * which applies an edited configuration file. On the loop thread, through
 * its read-only store handle (SQLite WAL: never waits for the engine).
 * Trusts nothing in a request beyond its being a JSON object: every
 * argument is type- and range-checked and answered with a sentence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon_internal.h"
#include "plan.h"
#include "pwsync.h"
#include "xmalloc.h"

/* Most operations one "ops" answer lists (the page asks for more). */
#define DM_OPS_LIMIT_MAX 1000
/* Most objects one "objects" answer lists. */
#define DM_OBJECTS_MAX 200

/* An optional integer argument within [lo, hi]; `def` when absent. */
static int
dm_arg_int(const json_t *body, const char *key, int64_t lo, int64_t hi,
    int64_t def, int64_t *out, json_t **err)
{
	const json_t *v = json_object_get(body, key);

	*out = def;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		*err = dm_error("\"%s\" must be a number from %lld to %lld",
		    key, (long long)lo, (long long)hi);
		return -1;
	}
	*out = (int64_t)json_integer_value(v);
	return 0;
}

/* An optional string argument of at most `max` bytes; "" when absent. */
static const char *
dm_arg_str(const json_t *body, const char *key, size_t max, json_t **err)
{
	const json_t *v = json_object_get(body, key);

	if (v == NULL)
		return "";
	if (!json_is_string(v) || json_string_length(v) > max) {
		*err = dm_error("\"%s\" must be a text of at most %zu bytes",
		    key, max);
		return NULL;
	}
	return json_string_value(v);
}

/* One journaled or held operation as the console shows it. */
json_t *
dm_op_json(const struct store_op *op)
{
	char guid[OBJ_GUID_TEXT];
	json_t *j, *detail;

	obj_guid_format(&op->anchor, guid);
	j = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}",
	    "id", (json_int_t)op->id, "run", (json_int_t)op->run_id,
	    "op", plan_opkind_name(op->op),
	    "service", plan_service_name(op->service),
	    "kind", plan_kind_name(op->kind),
	    "state", store_op_state_name(op->state),
	    "guid", guid, "dn", op->dn, "domain", op->domain,
	    "name", op->name, "reason", op->reason,
	    "started", (json_int_t)op->started,
	    "finished", (json_int_t)op->finished);
	if (j == NULL)
		return NULL;
	if (op->result[0] != '\0')
		json_object_set_new(j, "result", json_string(op->result));
	/* The detail is the journal's own JSON ({"fields": ..., "values":
	 * ...}); shown as text when a cut made it invalid. */
	detail = json_loads(op->detail, JSON_REJECT_DUPLICATES, NULL);
	json_object_set_new(j, "detail", detail != NULL ? detail :
	    json_string(op->detail));
	return j;
}

static json_t *
dm_run_json(const struct store_run *run)
{
	json_t *o;

	o = json_pack("{s:I,s:s,s:I,s:I,s:s,s:o}",
	    "run", (json_int_t)run->id, "trigger", run->trigger,
	    "started", (json_int_t)run->started,
	    "finished", (json_int_t)run->finished,
	    "status", store_run_status_name(run->status),
	    "counts", dm_counts_json(&run->counts));
	if (o != NULL && run->message[0] != '\0')
		json_object_set_new(o, "error", json_string(run->message));
	return o;
}

json_t *
dm_cmd_history(struct daemon *d, const json_t *body)
{
	struct store_run *runs;
	struct store *st;
	json_t *arr, *err = NULL;
	int64_t n, from;
	size_t got = 0, i;
	char why[512];

	if (dm_arg_int(body, "n", 1, DM_HISTORY_MAX, 20, &n, &err) < 0 ||
	    dm_arg_int(body, "from", 1, INT64_MAX, INT64_MAX, &from,
	    &err) < 0)
		return err;
	if ((st = dm_ro(d, why, sizeof(why))) == NULL)
		return dm_error("no history yet: %s", why);
	runs = xcalloc((size_t)n, sizeof(*runs));
	if (store_run_page(st, from, runs, (size_t)n, &got) < 0) {
		free(runs);
		return dm_error("cannot read the history: %s",
		    store_errmsg(st));
	}
	arr = json_array();
	for (i = 0; i < got; i++)
		json_array_append_new(arr, dm_run_json(&runs[i]));
	free(runs);
	return json_pack("{s:o}", "runs", arr);
}

struct dm_ops {
	const char *q;		/* "" = any */
	const char *state;	/* "" = any */
	int64_t offset, limit;	/* of the held ops, after the journal's */
	size_t total;		/* held ops that match */
	json_t *arr;
	size_t by_state[STORE_OP_SUPERSEDED + 1];	/* held, unfiltered */
};

/* Whether held op `op` matches the page's filter (the journal's ops are
 * filtered in SQL with the same rules: store_op_page_of_run()). */
static bool
dm_ops_match(const struct dm_ops *f, const struct store_op *op)
{
	if (f->state[0] != '\0' && strcmp(f->state,
	    store_op_state_name(op->state)) != 0)
		return false;
	if (f->q[0] == '\0')
		return true;
	return strcasestr(op->name, f->q) != NULL ||
	    strcasestr(op->domain, f->q) != NULL ||
	    strcasestr(op->dn, f->q) != NULL ||
	    strcasestr(op->result, f->q) != NULL ||
	    strcasecmp(plan_opkind_name(op->op), f->q) == 0;
}

static int
dm_held_cb(const struct store_op *op, void *arg)
{
	struct dm_ops *f = arg;

	if (op->state <= STORE_OP_SUPERSEDED)
		f->by_state[op->state]++;
	if (!dm_ops_match(f, op))
		return 0;
	if ((int64_t)f->total >= f->offset &&
	    (int64_t)f->total < f->offset + f->limit)
		json_array_append_new(f->arr, dm_op_json(op));
	f->total++;
	return 0;
}

static int
dm_page_cb(const struct store_op *op, void *arg)
{
	json_array_append_new(arg, dm_op_json(op));
	return 0;
}

/* The enum of a state's name, -1 for "" (any), -2 for no such state. */
static int
dm_state_of(const char *name)
{
	int i;

	if (name[0] == '\0')
		return -1;
	for (i = 0; i <= STORE_OP_SUPERSEDED; i++)
		if (strcmp(name, store_op_state_name(
		    (enum store_op_state)i)) == 0)
			return i;
	return -2;
}

/*
 * ops RUN [q TEXT] [state NAME] [offset N] [limit N]: the run, and a page
 * of its operations that match (the journal's, then those the guard held
 * back), with the number that matched and the count by state. The
 * journal is paged and counted in SQL, so a page costs the same at 100
 * operations as at 100,000.
 */
json_t *
dm_cmd_ops(struct daemon *d, const json_t *body)
{
	struct dm_ops f = { 0 };
	struct store_op_filter sf;
	size_t jcount[STORE_OP_SUPERSEDED + 1], jtotal = 0, got = 0;
	struct store_run run;
	struct store *st;
	json_t *err = NULL, *by;
	int64_t id, offset, limit;
	char why[512];
	int i, state;

	if (dm_arg_int(body, "run", 1, INT64_MAX, 0, &id, &err) < 0 ||
	    dm_arg_int(body, "offset", 0, INT64_MAX / 2, 0, &offset,
	    &err) < 0 ||
	    dm_arg_int(body, "limit", 1, DM_OPS_LIMIT_MAX, 200, &limit,
	    &err) < 0 ||
	    (f.q = dm_arg_str(body, "q", 256, &err)) == NULL ||
	    (f.state = dm_arg_str(body, "state", 32, &err)) == NULL)
		return err;
	if (id == 0)
		return dm_error("\"run\" must be a run number (see `adsync "
		    "history`)");
	if ((state = dm_state_of(f.state)) == -2)
		return dm_error("\"state\" must be one of pending, done, "
		    "failed, held, approved, rejected, superseded");
	if ((st = dm_ro(d, why, sizeof(why))) == NULL)
		return dm_error("no history yet: %s", why);
	if (store_run_page(st, id, &run, 1, &got) < 0)
		return dm_error("cannot read the history: %s",
		    store_errmsg(st));
	if (got == 0 || run.id != id)
		return dm_error("there is no run %lld (see `adsync history`)",
		    (long long)id);
	sf.q = f.q;
	sf.state = state;
	sf.op = -1;
	for (i = 0; i < PLAN_OP_COUNT; i++)
		if (f.q[0] != '\0' && strcasecmp(f.q,
		    plan_opkind_name((enum plan_opkind)i)) == 0)
			sf.op = i;
	f.arr = json_array();
	/* The journal's page; a state only held ops have matches none. */
	if (state < STORE_OP_HELD && store_op_page_of_run(st, id, &sf,
	    offset, limit, dm_page_cb, f.arr, &jtotal) < 0)
		goto fail;
	if (store_op_count_states_of_run(st, id, jcount) < 0)
		goto fail;
	/* Then the held ops, where the page reaches past the journal's. */
	f.offset = offset > (int64_t)jtotal ? offset - (int64_t)jtotal : 0;
	f.limit = limit - (int64_t)json_array_size(f.arr);
	if (f.limit <= 0)
		f.limit = 0;
	if (store_held_each_of_run(st, id, dm_held_cb, &f) < 0)
		goto fail;
	by = json_object();
	for (i = 0; i <= STORE_OP_SUPERSEDED; i++)
		if (jcount[i] + f.by_state[i] > 0)
			json_object_set_new(by, store_op_state_name(
			    (enum store_op_state)i), json_integer(
			    (json_int_t)(jcount[i] + f.by_state[i])));
	return json_pack("{s:o,s:o,s:I,s:o}", "run", dm_run_json(&run),
	    "ops", f.arr, "total", (json_int_t)(jtotal + f.total),
	    "by_state", by);
fail:
	json_decref(f.arr);
	return dm_error("cannot read the operations of run %lld: %s",
	    (long long)id, store_errmsg(st));
}

static int
dm_objects_cb(const struct store_hit *h, void *arg)
{
	json_t *arr = arg, *o;
	char guid[OBJ_GUID_TEXT];

	obj_guid_format(&h->guid, guid);
	o = json_pack("{s:s,s:s,s:s,s:b}", "guid", guid, "dn", h->dn,
	    "kind", h->in_mirror ? obj_kind_name(h->obj_kind) : "gone",
	    "in_ad", h->in_mirror);
	if (o != NULL && h->synced) {
		json_object_set_new(o, "service", json_string(
		    plan_service_name(h->service)));
		json_object_set_new(o, "address", json_sprintf("%s@%s",
		    h->name, h->domain));
		json_object_set_new(o, "enabled", json_boolean(h->enabled));
		json_object_set_new(o, "in_scope", json_boolean(h->in_scope));
	}
	json_array_append_new(arr, o);
	return 0;
}

/* objects Q: what matches Q (at most DM_OBJECTS_MAX, "more" if cut). */
json_t *
dm_cmd_objects(struct daemon *d, const json_t *body)
{
	const char *q;
	struct store *st;
	json_t *err = NULL, *arr;
	char why[512];
	bool more;

	if ((q = dm_arg_str(body, "q", 256, &err)) == NULL)
		return err;
	if (q[0] == '\0')
		return dm_error("\"q\" must be part of a name, an address or "
		    "a DN, or a GUID");
	if ((st = dm_ro(d, why, sizeof(why))) == NULL)
		return dm_error("nothing synced yet: %s", why);
	arr = json_array();
	if (store_search(st, q, DM_OBJECTS_MAX + 1, dm_objects_cb, arr) < 0) {
		json_decref(arr);
		return dm_error("cannot search: %s", store_errmsg(st));
	}
	more = json_array_size(arr) > DM_OBJECTS_MAX;
	if (more)
		json_array_remove(arr, DM_OBJECTS_MAX);
	return json_pack("{s:o,s:b}", "objects", arr, "more", more);
}

static int
dm_hook_cb(void *arg, const struct pw_dc *dc)
{
	json_t *arr = arg;
	const char *state = pw_dc_state(dc, (int64_t)time(NULL));

	json_array_append_new(arr, json_pack(
	    "{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s}",
	    "dc", dc->name, "state", state,
	    "enrolled", (json_int_t)dc->enrolled,
	    "not_after", (json_int_t)dc->not_after,
	    "revoked", (json_int_t)dc->revoked,
	    "last_heartbeat", (json_int_t)dc->last_heartbeat,
	    "last_change", (json_int_t)(dc->last_change_ms / 1000),
	    "captures", (json_int_t)dc->captures,
	    "spooled", (json_int_t)dc->spooled,
	    "version", dc->version));
	return 0;
}

/* hooks: the enrolled DCs and the password queue (no password, ever). */
json_t *
dm_cmd_hooks(struct daemon *d)
{
	struct pw_db *db = NULL;
	uint64_t queued = 0;
	json_t *arr = json_array();
	char why[512];

	if (pw_db_open(d->conf->sync.state_dir, true, &db, why,
	    sizeof(why)) == 0) {
		(void)pw_db_queue_count(db, &queued);
		(void)pw_db_dc_each(db, dm_hook_cb, arr);
		pw_db_close(db);
	}
	return json_pack("{s:s,s:I,s:o}", "receiver", d->pw != NULL ?
	    pw_sync_receiver_addr(d->pw) : "", "queued", (json_int_t)queued,
	    "dcs", arr);
}

/* reload: the configuration file again (the console saved it). */
json_t *
dm_cmd_reload(struct daemon *d)
{
	char why[1024];
	int n;

	if ((n = dm_reload(d, "console", why, sizeof(why))) < 0)
		return dm_error("%s", why);
	return json_pack("{s:i,s:b}", "changed", n, "setup_needed",
	    dm_setup_missing(d->conf, NULL, 0));
}
