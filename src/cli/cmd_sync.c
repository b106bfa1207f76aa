/*
 * adsync plan [--json] [--offline] [--allow-deletes]
 * adsync sync --once [--dry-run] [--allow-deletes] [--json]
 *
 * Both run one cycle of the engine (src/sync): reconcile a crashed run,
 * read AD into the state's mirror, plan. `plan` prints the plan and
 * changes nothing in the service (it refreshes the state's copy of the
 * directory, never the synced state). `sync --once` applies it and prints
 * the summary; --dry-run is `plan` with the summary of `sync`.
 *
 * Exit status of sync --once: 0 every operation succeeded, 2 some objects
 * had errors or removals were held back (the rest applied), 1 the run
 * failed as a whole (nothing applied). Main thread only.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "conf.h"
#include "err.h"
#include "log.h"
#include "plan.h"
#include "store.h"
#include "sync.h"
#include "timing.h"

#define SYNC_EXIT_OK 0
#define SYNC_EXIT_FAIL 1
#define SYNC_EXIT_PARTIAL 2
#define SYNC_EXIT_USAGE 2

struct sync_args {
	bool once, dry_run, allow_deletes, offline, json;
	bool now, full;		/* sync --now [--full]: ask the daemon */
};

static int
sync_parse(const struct cli_ctx *ctx, int argc, char **argv, bool is_plan,
    struct sync_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->json = ctx->json;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			a->json = true;
		else if (strcmp(argv[i], "--allow-deletes") == 0)
			a->allow_deletes = true;
		else if (strcmp(argv[i], "--offline") == 0 && is_plan)
			a->offline = true;
		else if (strcmp(argv[i], "--once") == 0 && !is_plan)
			a->once = true;
		else if (strcmp(argv[i], "--dry-run") == 0 && !is_plan)
			a->dry_run = true;
		else if (strcmp(argv[i], "--now") == 0 && !is_plan)
			a->now = true;
		else if (strcmp(argv[i], "--full") == 0 && !is_plan)
			a->full = true;
		else {
			fprintf(stderr, "adsync %s: unexpected argument "
			    "\"%s\"\nusage: adsync [-c FILE] %s\n",
			    argv[0], argv[i], is_plan ?
			    "plan [--json] [--offline] [--allow-deletes]" :
			    "sync --once [--dry-run] [--allow-deletes] "
			    "[--json] | sync --now [--full] [--json]");
			return -1;
		}
	}
	if (!is_plan && a->now && (a->once || a->dry_run ||
	    a->allow_deletes)) {
		fprintf(stderr, "adsync sync: --now asks the running daemon "
		    "for a cycle and takes only --full and --json\n");
		return -1;
	}
	if (!is_plan && a->full && !a->now) {
		fprintf(stderr, "adsync sync: --full goes with --now\n");
		return -1;
	}
	if (!is_plan && !a->once && !a->now) {
		fprintf(stderr, "adsync sync: say --once to run one cycle and "
		    "exit, or --now to have the running daemon run one "
		    "(continuous sync is `adsync daemon`)\n"
		    "usage: adsync [-c FILE] sync --once [--dry-run] "
		    "[--allow-deletes] [--json] | sync --now [--full] "
		    "[--json]\n");
		return -1;
	}
	return 0;
}

static void
sync_print_alerts(const struct plan_alert *a, size_t n, FILE *fp)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(fp, "%-7s %s\n", plan_level_name(a[i].level),
		    a[i].message);
}

static void
sync_json_alerts(const struct plan_alert *a, size_t n, FILE *fp)
{
	json_t *j;
	size_t i;

	for (i = 0; i < n; i++) {
		j = json_pack("{s:s,s:s,s:s,s:s}", "alert",
		    plan_level_name(a[i].level), "service",
		    a[i].service < PLAN_SVC_COUNT ?
		    plan_service_name(a[i].service) : "", "dn",
		    a[i].dn != NULL ? a[i].dn : "", "message", a[i].message);
		if (j == NULL)
			continue;
		json_dumpf(j, fp, JSON_COMPACT);
		fputc('\n', fp);
		json_decref(j);
	}
}

static void
sync_print_summary(const struct sync_report *rep, double secs, bool json)
{
	const struct store_run_counts *c = &rep->counts;
	size_t alert_errors = rep->plan != NULL ?
	    rep->plan->counts.alerts[PLAN_ALERT_ERROR] : 0;
	json_t *j;

	if (json) {
		j = json_pack("{s:{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
		    "s:I,s:b,s:I,s:f,s:f,s:f,s:f}}", "summary",
		    "status", store_run_status_name(rep->status),
		    "run", (json_int_t)rep->run_id,
		    "created", (json_int_t)c->created,
		    "updated", (json_int_t)c->updated,
		    "enabled", (json_int_t)c->enabled,
		    "disabled", (json_int_t)c->disabled,
		    "deleted", (json_int_t)c->deleted,
		    "errors", (json_int_t)(c->errors + alert_errors),
		    "held", (json_int_t)c->held,
		    "alerts", (json_int_t)c->alerts,
		    "api_calls", (json_int_t)c->api_calls,
		    "full_read", rep->full_read,
		    "recovered", (json_int_t)rep->recovered,
		    "seconds", secs, "read_seconds", rep->secs_read,
		    "plan_seconds", rep->secs_plan,
		    "apply_seconds", rep->secs_apply);
		if (j != NULL) {
			json_dumpf(j, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(j);
		}
		return;
	}
	printf("run %lld %s: %lu created, %lu updated, %lu enabled, "
	    "%lu disabled, %lu deleted, %lu errors", (long long)rep->run_id,
	    store_run_status_name(rep->status), c->created, c->updated,
	    c->enabled, c->disabled, c->deleted,
	    c->errors + (unsigned long)alert_errors);
	if (c->held > 0)
		printf(", %lu held", c->held);
	printf(" (%lu API calls, %.2f s%s)\n", c->api_calls, secs,
	    rep->full_read ? ", full directory read" : "");
}

static int
sync_main(const struct cli_ctx *ctx, int argc, char **argv, bool is_plan)
{
	const char *cmd = is_plan ? "plan" : "sync";
	struct sync_opts so = { 0 };
	struct sync_engine *e = NULL;
	struct sync_report rep;
	struct sync_args a;
	struct conf *conf = NULL;
	double t0;
	char why[1024];
	int r, status = SYNC_EXIT_FAIL;

	sync_report_init(&rep);
	if (sync_parse(ctx, argc, argv, is_plan, &a) < 0)
		return SYNC_EXIT_USAGE;
	if (a.now) {
		struct cli_ctx c = *ctx;

		c.json = a.json;
		return cmd_sync_now(&c, a.full);
	}
	if (cli_conf_load(ctx, cmd, &conf) < 0)
		goto out;
	t0 = timing_now();
	if ((r = sync_engine_new(conf, &e, why, sizeof(why))) < 0) {
		fprintf(stderr, "adsync %s: %s\n", cmd, why);
		goto out;
	}
	so.trigger = is_plan ? "plan" : "once";
	so.apply = !is_plan && !a.dry_run;
	so.allow_deletes = a.allow_deletes;
	so.offline = a.offline;
	if ((r = sync_engine_run(e, &so, &rep)) < 0) {
		fprintf(stderr, "adsync %s: nothing applied: %s\n", cmd,
		    rep.why);
		goto out;
	}
	if (!so.apply) {
		if (a.json)
			plan_fmt_json(rep.plan, stdout);
		else
			plan_fmt_text(rep.plan, stdout);
		status = SYNC_EXIT_OK;
		goto out;
	}
	if (a.json) {
		sync_json_alerts(rep.plan->alerts, rep.plan->nalerts, stdout);
		sync_json_alerts(rep.errors, rep.nerrors, stdout);
		sync_print_summary(&rep, timing_since(t0), true);
	} else {
		sync_print_alerts(rep.plan->alerts, rep.plan->nalerts, stdout);
		sync_print_alerts(rep.errors, rep.nerrors, stdout);
		sync_print_summary(&rep, timing_since(t0), false);
	}
	status = rep.status == STORE_RUN_OK ? SYNC_EXIT_OK : SYNC_EXIT_PARTIAL;
out:
	sync_report_fini(&rep);
	sync_engine_free(e);
	conf_free(conf);
	return status;
}

int
cmd_plan(const struct cli_ctx *ctx, int argc, char **argv)
{
	return sync_main(ctx, argc, argv, true);
}

int
cmd_sync(const struct cli_ctx *ctx, int argc, char **argv)
{
	return sync_main(ctx, argc, argv, false);
}
