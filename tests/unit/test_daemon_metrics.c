/*
 * Unit tests of the daemon's metrics (src/daemon/daemon_metrics.c,
 * docs/daemon.md "Metrics"): the text format pieces (escaping of label
 * values and HELP text, number formatting), the change latency histogram
 * (buckets, cumulative rendering, which cycle observes which change), a
 * whole exposition rendered from a collected view, and the store's counts
 * behind adsync_objects and adsync_operations_total (store_row_*,
 * store_op_count_by_kind_state with its tally) on an in-memory store.
 *
 * `test_daemon_metrics --print` writes the exposition of a sample view to
 * stdout instead: CTest (tests/integration/metrics.cmake) checks it with
 * the strict parser tests/integration/promparse.py.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "daemon_internal.h"
#include "err.h"
#include "plan.h"
#include "store.h"
#include "target.h"
#include "xmalloc.h"

/* ---- helpers ---- */

static char *
render_sample(const char *name, const char *const *labels, double v)
{
	struct buf b;
	char *s;

	buf_init(&b, 4096);
	assert_int_equal(dm_prom_sample(&b, name, labels, v), 0);
	s = buf_take(&b);
	assert_non_null(s);
	return s;
}

static void
assert_sample(const char *want, const char *name, const char *const *labels,
    double v)
{
	char *got = render_sample(name, labels, v);

	assert_string_equal(got, want);
	free(got);
}

/* A view with a bit of everything, DC names that need escaping included. */
static void
sample_view(struct dm_metrics_view *v, struct dm_metrics *m,
    struct rs_metrics *api, struct dm_metrics_dc *dcs)
{
	memset(v, 0, sizeof(*v));
	memset(m, 0, sizeof(*m));
	memset(api, 0, sizeof(*api));
	memset(dcs, 0, 2 * sizeof(*dcs));
	v->version = "1.2.3-\"q\"\\b";
	v->started = 1700000000;
	v->last_ok = 1700000100;
	v->busy = true;
	v->notify_ok = true;
	v->queue = 7;
	m->cycles[STORE_RUN_OK] = 3;
	m->cycles[STORE_RUN_PARTIAL] = 1;
	m->last_duration = 0.25;
	dm_metrics_observe(m, 0.05);
	dm_metrics_observe(m, 0.3);
	dm_metrics_observe(m, 120);
	v->m = m;
	api->answers[0] = 2;
	api->answers[200] = 40;
	api->answers[201] = 5;
	api->answers[403] = 1;
	api->sent[RS_CAT_READ] = 30;
	api->sent[RS_CAT_WRITE] = 18;
	api->throttled = 1;
	api->retried = 2;
	api->waited_ms = 1500;
	api->waits = 48;
	v->api = api;
	v->store_ok = true;
	v->objects[PLAN_SVC_EX][PLAN_K_MAILBOX][1] = 25;
	v->objects[PLAN_SVC_EX][PLAN_K_MAILBOX][0] = 2;
	v->objects[PLAN_SVC_EX][PLAN_K_CONTACT][1] = 3;
	v->objects[PLAN_SVC_RS][PLAN_K_MAILBOX][1] = 17;
	v->ops.n[PLAN_OP_CREATE][STORE_OP_DONE] = 45;
	v->ops.n[PLAN_OP_UPDATE][STORE_OP_FAILED] = 1;
	v->ops.n[PLAN_OP_DISABLE][STORE_OP_HELD] = 2;
	v->ops.n[PLAN_OP_DISABLE][STORE_OP_APPROVED] = 2;
	v->alerts = 4;
	v->pw_ok = true;
	v->pw_enabled = true;
	v->pw_queue = 1;
	snprintf(dcs[0].name, sizeof(dcs[0].name), "dc1");
	dcs[0].last_heartbeat = 1700000200;
	dcs[0].up = true;
	snprintf(dcs[1].name, sizeof(dcs[1].name), "we\"ird\\dc\nx");
	dcs[1].last_heartbeat = 0;
	v->dcs = dcs;
	v->ndcs = 2;
	v->dcs_revoked = 1;
}

static char *
render_view(const struct dm_metrics_view *v)
{
	struct buf b;
	char *s;

	buf_init(&b, 1024 * 1024);
	assert_int_equal(dm_metrics_render(&b, v), 0);
	s = buf_take(&b);
	assert_non_null(s);
	return s;
}

/* The text has `line` as a whole line. */
static bool
has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return true;
	return false;
}

#define assert_line(text, line) do {					\
	if (!has_line((text), (line)))					\
		fail_msg("missing line: %s", (line));			\
} while (0)

/* ---- the text format ---- */

static void
test_sample_format(void **state)
{
	(void)state;
	assert_sample("adsync_up 1\n", "adsync_up", NULL, 1);
	assert_sample("x 0.1\n", "x", NULL, 0.1);
	assert_sample("x 2.5\n", "x", NULL, 2.5);
	assert_sample("x 1234567890123\n", "x", NULL, 1234567890123.0);
	assert_sample("x 1e+20\n", "x", NULL, 1e20);
	assert_sample("x 0.30000000000000004\n", "x", NULL, 0.1 + 0.2);
	assert_sample("x +Inf\n", "x", NULL, INFINITY);
	assert_sample("x -Inf\n", "x", NULL, -INFINITY);
	assert_sample("x NaN\n", "x", NULL, NAN);
	assert_sample("x{a=\"1\"} 0\n", "x", (const char *const[]){ "a", "1",
	    NULL }, 0);
	assert_sample("x{a=\"1\",b=\"\"} 3\n", "x", (const char *const[]){
	    "a", "1", "b", "", NULL }, 3);
}

static void
test_label_escape(void **state)
{
	(void)state;
	assert_sample("x{dc=\"a\\\\b\\\"c\\nd\"} 1\n", "x",
	    (const char *const[]){ "dc", "a\\b\"c\nd", NULL }, 1);
	/* Only those three: other bytes (UTF-8, tabs) pass as they are. */
	assert_sample("x{v=\"Zoë\tok\"} 1\n", "x",
	    (const char *const[]){ "v", "Zoë\tok", NULL }, 1);
}

static void
test_help_escape(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(dm_prom_head(&b, "x_total", "counter",
	    "a \"quoted\" back\\slash\nnewline"), 0);
	/* HELP escapes backslash and newline, not the double quote. */
	assert_string_equal(buf_str(&b), "# HELP x_total a \"quoted\" "
	    "back\\\\slash\\nnewline\n# TYPE x_total counter\n");
	buf_fini(&b);
}

static void
test_buffer_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(dm_prom_sample(&b, "a_long_name", NULL, 1),
	    -ADSYNC_ETOOBIG);
	buf_fini(&b);
}

/* ---- the histogram ---- */

static void
test_histogram(void **state)
{
	struct dm_metrics_view v;
	struct dm_metrics m;
	struct rs_metrics *api = xcalloc(1, sizeof(*api));
	struct dm_metrics_dc dcs[2];
	char *text;

	(void)state;
	sample_view(&v, &m, api, dcs);
	/* Bounds are inclusive (le): 0.1 falls in the first bucket. */
	dm_metrics_observe(&m, 0.1);
	dm_metrics_observe(&m, 60);
	dm_metrics_observe(&m, -1);	/* counted as 0 */
	text = render_view(&v);
	assert_line(text, "# TYPE adsync_change_latency_seconds histogram");
	assert_line(text, "adsync_change_latency_seconds_bucket{le=\"0.1\"} 3");
	assert_line(text, "adsync_change_latency_seconds_bucket{le=\"0.25\"} 3");
	assert_line(text, "adsync_change_latency_seconds_bucket{le=\"0.5\"} 4");
	assert_line(text, "adsync_change_latency_seconds_bucket{le=\"1\"} 4");
	assert_line(text, "adsync_change_latency_seconds_bucket{le=\"2.5\"} 4");
	assert_line(text, "adsync_change_latency_seconds_bucket{le=\"30\"} 4");
	assert_line(text, "adsync_change_latency_seconds_bucket{le=\"60\"} 5");
	assert_line(text, "adsync_change_latency_seconds_bucket{le=\"+Inf\"} 6");
	assert_line(text, "adsync_change_latency_seconds_count 6");
	assert_true(fabs(m.latency_sum - 180.45) < 1e-9);
	assert_non_null(strstr(text, "\nadsync_change_latency_seconds_sum 180."));
	free(text);
	free(api);
}

static struct dm_result *
cycle(int rc, size_t nops)
{
	static struct dm_result res;

	memset(&res, 0, sizeof(res));
	res.rc = rc;
	res.nops = nops;
	res.status = rc < 0 ? STORE_RUN_FAILED : STORE_RUN_OK;
	res.secs_read = 0.5;
	res.secs_apply = 0.25;
	return &res;
}

static uint64_t
observed(const struct dm_metrics *m)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i <= DM_LATENCY_NBOUNDS; i++)
		n += m->latency[i];
	return n;
}

/* Which cycle observes which change (dm_metrics_change_seen and
 * dm_metrics_cycle_done as the loop calls them). */
static void
test_change_latency(void **state)
{
	struct daemon *d = xcalloc(1, sizeof(*d));
	int64_t first;

	(void)state;
	/* Idle: a change, its debounce, then its cycle with operations. */
	d->change_at_ms = 1000;
	dm_metrics_change_seen(d);
	assert_true(d->metrics.change_ms > 0);
	/* More events in the same debounce are the same change. */
	first = d->metrics.change_ms;
	dm_metrics_change_seen(d);
	assert_true(d->metrics.change_ms == first);
	d->change_at_ms = 0;	/* the debounce ran: a cycle was scheduled */
	dm_metrics_cycle_done(d, cycle(0, 3));
	assert_int_equal(observed(&d->metrics), 1);
	assert_int_equal(d->metrics.change_ms, 0);
	assert_int_equal(d->metrics.cycles[STORE_RUN_OK], 1);
	assert_true(fabs(d->metrics.last_duration - 0.75) < 1e-9);

	/* A cycle without operations observes nothing, and forgets. */
	d->change_at_ms = 2000;
	dm_metrics_change_seen(d);
	d->change_at_ms = 0;
	dm_metrics_cycle_done(d, cycle(0, 0));
	assert_int_equal(observed(&d->metrics), 1);
	assert_int_equal(d->metrics.change_ms, 0);

	/* A change while a cycle runs belongs to the cycle after it. */
	d->busy = true;
	d->change_at_ms = 3000;
	dm_metrics_change_seen(d);
	assert_int_equal(d->metrics.change_ms, 0);
	assert_true(d->metrics.change_next_ms > 0);
	d->change_at_ms = 0;
	dm_metrics_cycle_done(d, cycle(0, 5));	/* the running one */
	assert_int_equal(observed(&d->metrics), 1);
	assert_true(d->metrics.change_ms > 0);
	assert_int_equal(d->metrics.change_next_ms, 0);
	/* ... which fails as a whole: the change's latency runs on. */
	dm_metrics_cycle_done(d, cycle(-5, 0));
	assert_int_equal(d->metrics.cycles[STORE_RUN_FAILED], 1);
	assert_true(d->metrics.change_ms > 0);
	dm_metrics_cycle_done(d, cycle(0, 1));
	assert_int_equal(observed(&d->metrics), 2);
	assert_int_equal(d->metrics.cycles[STORE_RUN_OK], 4);
	free(d);
}

/* ---- a whole exposition ---- */

static void
test_render(void **state)
{
	struct dm_metrics_view v;
	struct dm_metrics m;
	struct rs_metrics *api = xcalloc(1, sizeof(*api));
	struct dm_metrics_dc dcs[2];
	char *text;

	(void)state;
	sample_view(&v, &m, api, dcs);
	text = render_view(&v);
	assert_line(text, "# TYPE adsync_up gauge");
	assert_line(text, "adsync_up 1");
	assert_line(text, "adsync_build_info{version=\"1.2.3-\\\"q\\\"\\\\b\"} 1");
	assert_line(text, "adsync_start_time_seconds 1700000000");
	assert_line(text, "adsync_objects{service=\"exchange\",kind=\"mailbox\","
	    "state=\"enabled\"} 25");
	assert_line(text, "adsync_objects{service=\"exchange\",kind=\"mailbox\","
	    "state=\"disabled\"} 2");
	assert_line(text, "adsync_objects{service=\"exchange\",kind=\"list\","
	    "state=\"enabled\"} 0");
	assert_line(text, "adsync_objects{service=\"rackspace_email\","
	    "kind=\"mailbox\",state=\"enabled\"} 17");
	assert_null(strstr(text, "service=\"rackspace_email\",kind=\"contact\""));
	assert_line(text, "adsync_operations_total{kind=\"create\","
	    "result=\"done\"} 45");
	assert_line(text, "adsync_operations_total{kind=\"update\","
	    "result=\"failed\"} 1");
	assert_line(text, "adsync_operations_total{kind=\"disable\","
	    "result=\"held\"} 4");
	assert_line(text, "adsync_held_operations 2");
	assert_line(text, "adsync_api_calls_total{status=\"0\"} 2");
	assert_line(text, "adsync_api_calls_total{status=\"200\"} 40");
	assert_line(text, "adsync_api_calls_total{status=\"403\"} 1");
	assert_null(strstr(text, "status=\"404\""));
	assert_line(text, "adsync_api_attempts_total{category=\"domain_write\"} 0");
	assert_line(text, "adsync_api_queue_wait_seconds_total 1.5");
	assert_line(text, "adsync_api_queue_waits_total 48");
	assert_line(text, "adsync_queue_length 7");
	assert_line(text, "adsync_sync_running 1");
	assert_line(text, "adsync_cycles_total{result=\"ok\"} 3");
	assert_line(text, "adsync_cycles_total{result=\"held\"} 0");
	assert_line(text, "adsync_last_success_timestamp_seconds 1700000100");
	assert_line(text, "adsync_last_run_duration_seconds 0.25");
	assert_line(text, "adsync_alerts_open 4");
	assert_line(text, "adsync_password_queue_length 1");
	assert_line(text, "adsync_password_hook_up{dc=\"dc1\"} 1");
	assert_line(text, "adsync_password_hook_up{dc=\"we\\\"ird\\\\dc\\nx\"} 0");
	assert_line(text, "adsync_password_hook_last_heartbeat_timestamp_seconds"
	    "{dc=\"dc1\"} 1700000200");
	assert_line(text, "adsync_password_hooks{state=\"up\"} 1");
	assert_line(text, "adsync_password_hooks{state=\"quiet\"} 1");
	assert_line(text, "adsync_password_hooks{state=\"revoked\"} 1");
	free(text);

	/* Nothing read from the stores: their families keep HELP and TYPE
	 * and have no samples (not invented zeros). */
	v.store_ok = false;
	v.pw_ok = false;
	text = render_view(&v);
	assert_line(text, "# TYPE adsync_objects gauge");
	assert_null(strstr(text, "\nadsync_objects{"));
	assert_null(strstr(text, "\nadsync_alerts_open "));
	assert_null(strstr(text, "\nadsync_password_hook_up{"));
	assert_line(text, "adsync_api_calls_total{status=\"200\"} 40");
	free(text);
	free(api);
}

/* ---- the store's counts ---- */

static struct obj_guid
guid_n(uint32_t n)
{
	struct obj_guid g;

	memset(&g, 0x5a, sizeof(g));
	memcpy(g.b, &n, sizeof(n));
	return g;
}

static void
put_row(struct store *st, uint32_t n, enum plan_service s, enum plan_kind k,
    bool enabled)
{
	struct plan_row r;

	plan_row_init(&r);
	r.anchor = guid_n(n);
	r.service = s;
	r.kind = k;
	r.dn = xstrdup("CN=Row,DC=x");
	r.domain = xstrdup("example.test");
	r.name = xstrdup("row");
	r.enabled = enabled;
	r.in_scope = enabled;
	assert_int_equal(store_row_put(st, &r), 0);
	plan_row_fini(&r);
}

static int64_t
begin_op(struct store *st, int64_t run, uint32_t n, enum plan_opkind k)
{
	static char dn[] = "CN=Op,DC=x", domain[] = "example.test";
	static char name[] = "op", reason[] = "a test";
	struct plan_op op;
	int64_t id;

	memset(&op, 0, sizeof(op));
	op.op = k;
	op.service = PLAN_SVC_EX;
	op.kind = PLAN_K_MAILBOX;
	op.anchor = guid_n(n);
	op.dn = dn;
	op.domain = domain;
	op.name = name;
	op.reason = reason;
	rs_record_init(&op.fields);
	rs_strlist_init(&op.values);
	if (k == PLAN_OP_DISABLE) {
		assert_int_equal(store_held_put(st, run, &op, 10), 0);
		return 0;
	}
	assert_int_equal(store_op_begin(st, run, &op, 10, &id), 0);
	return id;
}

static void
test_store_counts(void **state)
{
	size_t obj[PLAN_SVC_COUNT][PLAN_K_COUNT][2];
	struct store_op_tally t;
	struct store_op_counts c;
	struct store *st = NULL;
	int64_t run, a, b, e;
	char why[512];

	(void)state;
	assert_int_equal(store_open(":memory:", &st, why, sizeof(why)), 0);
	assert_int_equal(store_row_count_by_service_state(st, obj), 0);
	assert_int_equal(obj[PLAN_SVC_EX][PLAN_K_MAILBOX][1], 0);
	put_row(st, 1, PLAN_SVC_EX, PLAN_K_MAILBOX, true);
	put_row(st, 2, PLAN_SVC_EX, PLAN_K_MAILBOX, true);
	put_row(st, 3, PLAN_SVC_EX, PLAN_K_MAILBOX, false);
	put_row(st, 4, PLAN_SVC_EX, PLAN_K_CONTACT, true);
	put_row(st, 5, PLAN_SVC_EX, PLAN_K_DL, true);
	put_row(st, 6, PLAN_SVC_RS, PLAN_K_MAILBOX, true);
	put_row(st, 1, PLAN_SVC_RS, PLAN_K_MAILBOX, false);
	assert_int_equal(store_row_count_by_service_state(st, obj), 0);
	assert_int_equal(obj[PLAN_SVC_EX][PLAN_K_MAILBOX][1], 2);
	assert_int_equal(obj[PLAN_SVC_EX][PLAN_K_MAILBOX][0], 1);
	assert_int_equal(obj[PLAN_SVC_EX][PLAN_K_CONTACT][1], 1);
	assert_int_equal(obj[PLAN_SVC_EX][PLAN_K_DL][1], 1);
	assert_int_equal(obj[PLAN_SVC_RS][PLAN_K_MAILBOX][1], 1);
	assert_int_equal(obj[PLAN_SVC_RS][PLAN_K_MAILBOX][0], 1);
	assert_int_equal(obj[PLAN_SVC_RS][PLAN_K_CONTACT][1], 0);

	/* The journal: a (pending), b done, e failed, two held removals
	 * of which one approved. */
	memset(&t, 0, sizeof(t));
	assert_int_equal(store_op_count_by_kind_state(st, &t, &c), 0);
	assert_int_equal(c.n[PLAN_OP_CREATE][STORE_OP_DONE], 0);
	assert_int_equal(store_run_begin(st, "test", 10, &run), 0);
	a = begin_op(st, run, 1, PLAN_OP_CREATE);
	b = begin_op(st, run, 2, PLAN_OP_CREATE);
	e = begin_op(st, run, 3, PLAN_OP_UPDATE);
	(void)begin_op(st, run, 4, PLAN_OP_DISABLE);
	(void)begin_op(st, run, 5, PLAN_OP_DISABLE);
	assert_int_equal(store_op_end(st, b, STORE_OP_DONE, "", 11), 0);
	assert_int_equal(store_op_end(st, e, STORE_OP_FAILED, "no", 11), 0);
	assert_int_equal(store_held_decide(st, run, STORE_OP_HELD,
	    STORE_OP_APPROVED, 12, NULL), 0);
	(void)begin_op(st, run, 6, PLAN_OP_DISABLE);
	assert_int_equal(store_op_count_by_kind_state(st, &t, &c), 0);
	assert_int_equal(c.n[PLAN_OP_CREATE][STORE_OP_PENDING], 1);
	assert_int_equal(c.n[PLAN_OP_CREATE][STORE_OP_DONE], 1);
	assert_int_equal(c.n[PLAN_OP_UPDATE][STORE_OP_FAILED], 1);
	assert_int_equal(c.n[PLAN_OP_DISABLE][STORE_OP_APPROVED], 2);
	assert_int_equal(c.n[PLAN_OP_DISABLE][STORE_OP_HELD], 1);
	/* `a` is pending: nothing after it is settled yet. */
	assert_int_equal(t.settled_id, a - 1);
	assert_int_equal(store_op_end(st, a, STORE_OP_DONE, "", 13), 0);
	assert_int_equal(store_op_count_by_kind_state(st, &t, &c), 0);
	assert_int_equal(t.settled_id, e);
	assert_int_equal(t.settled.n[PLAN_OP_CREATE][STORE_OP_DONE], 2);
	assert_int_equal(c.n[PLAN_OP_CREATE][STORE_OP_DONE], 2);
	assert_int_equal(c.n[PLAN_OP_CREATE][STORE_OP_PENDING], 0);
	assert_int_equal(c.n[PLAN_OP_UPDATE][STORE_OP_FAILED], 1);
	/* Counting again reads only the new rows, with the same result;
	 * without a tally, everything is read. */
	assert_int_equal(store_op_count_by_kind_state(st, &t, &c), 0);
	assert_int_equal(c.n[PLAN_OP_CREATE][STORE_OP_DONE], 2);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_op_count_by_kind_state(st, NULL, &c), 0);
	assert_int_equal(c.n[PLAN_OP_CREATE][STORE_OP_DONE], 2);
	assert_int_equal(c.n[PLAN_OP_UPDATE][STORE_OP_FAILED], 1);
	assert_int_equal(c.n[PLAN_OP_DISABLE][STORE_OP_HELD], 1);
	store_close(st);
}

/* ---- --print ---- */

static int
print_sample(void)
{
	struct dm_metrics_view v;
	struct dm_metrics m;
	struct rs_metrics *api = xcalloc(1, sizeof(*api));
	struct dm_metrics_dc dcs[2];
	struct buf b;
	int r;

	sample_view(&v, &m, api, dcs);
	buf_init(&b, 1024 * 1024);
	if ((r = dm_metrics_render(&b, &v)) == 0)
		fputs(buf_str(&b), stdout);
	buf_fini(&b);
	free(api);
	return r == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_format),
		cmocka_unit_test(test_label_escape),
		cmocka_unit_test(test_help_escape),
		cmocka_unit_test(test_buffer_limit),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_change_latency),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_store_counts),
	};

	if (argc == 2 && strcmp(argv[1], "--print") == 0)
		return print_sample();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
