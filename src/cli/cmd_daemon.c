/*
 * `adsync daemon` and the commands that ask a running daemon through its
 * control socket (state_dir/ctl.sock, src/ctl): status, sync --now,
 * history, alerts. Each prints text for a person, or the daemon's JSON
 * answer with --json. Main thread.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "conf.h"
#include "ctl.h"
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "pwproto.h"
#include "strparse.h"

/* Exit statuses (adsync(8)). */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2

int
cmd_daemon(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct conf *conf = NULL;
	bool allow_root = false;
	char why[1024];

	if (argc == 2 && strcmp(argv[1], "--allow-root") == 0)
		allow_root = true;
	else if (argc > 1) {
		fprintf(stderr, "usage: adsync [-c FILE] [-v] daemon "
		    "[--allow-root]\n");
		return CTL_EXIT_USAGE;
	}
	/* SECURITY (docs/SECURITY.md): the daemon needs no privilege (its
	 * ports are unprivileged, its files its own); as root, a flaw in a
	 * parser of what DCs, browsers, AD or the API send would own the
	 * host. Root is refused unless asked for, and then runs without
	 * capabilities (the sandbox). */
	if (geteuid() == 0 && !allow_root) {
		fprintf(stderr, "adsync daemon: will not run as root: run it "
		    "as the adsync user (`systemctl start adsync`, or `sudo -u "
		    "adsync adsync daemon`; its state_dir and secret files "
		    "must be adsync's), or add --allow-root to run it as root "
		    "without capabilities\n");
		return CTL_EXIT_FAIL;
	}
	/* SECURITY: the daemon receives passwords (the hook receiver): no
	 * core dump may hold one, no same-user process may attach to read
	 * them, and jansson's buffers that held one are wiped when freed
	 * (before any thread starts). */
	(void)setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	pw_json_wipe_install();
	if (cli_conf_load(ctx, "daemon", &conf) < 0)
		return CTL_EXIT_FAIL;
	if (daemon_run(ctx->conf_path, conf, why, sizeof(why)) < 0) {
		fprintf(stderr, "adsync daemon: %s\n", why);
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

/*
 * Sends `req` (reference stolen) to the daemon of the configuration and
 * returns its answer in *reply; prints the failure and returns -1 when
 * there is no answer or the answer is an error.
 */
static int
ctl_ask(const struct cli_ctx *ctx, const char *cmd, json_t *req,
    int timeout_ms, json_t **reply)
{
	struct conf *conf = NULL;
	char path[512], why[1024];
	const char *err;
	int r = -1;

	*reply = NULL;
	if (req == NULL || cli_conf_load(ctx, cmd, &conf) < 0)
		goto out;
	if (daemon_socket_path(conf->sync.state_dir, path,
	    sizeof(path)) < 0) {
		fprintf(stderr, "adsync %s: state_dir %s is too long\n", cmd,
		    conf->sync.state_dir);
		goto out;
	}
	if (ctl_call(path, req, timeout_ms, reply, why, sizeof(why)) < 0) {
		fprintf(stderr, "adsync %s: %s\n", cmd, why);
		goto out;
	}
	if ((err = json_string_value(json_object_get(*reply,
	    "error"))) != NULL && json_object_size(*reply) == 1) {
		fprintf(stderr, "adsync %s: %s\n", cmd, err);
		json_decref(*reply);
		*reply = NULL;
		goto out;
	}
	r = 0;
out:
	json_decref(req);
	conf_free(conf);
	return r;
}

static void
ctl_print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

static const char *
ctl_time(json_int_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0)
		return "never";
	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static json_int_t
ctl_int(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *
ctl_str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static void
ctl_print_counts(const json_t *c)
{
	printf("%lld created, %lld updated, %lld enabled, %lld disabled, "
	    "%lld deleted, %lld errors, %lld alerts, %lld held",
	    (long long)ctl_int(c, "created"), (long long)ctl_int(c, "updated"),
	    (long long)ctl_int(c, "enabled"),
	    (long long)ctl_int(c, "disabled"),
	    (long long)ctl_int(c, "deleted"), (long long)ctl_int(c, "errors"),
	    (long long)ctl_int(c, "alerts"), (long long)ctl_int(c, "held"));
}

/* One cycle's result, for a person. */
static void
ctl_print_cycle(const char *label, const json_t *c)
{
	char t[32];

	printf("%s: run %lld (%s), %s, ended %s, read %.2f s (%s), plan "
	    "%.2f s, apply %.2f s\n  ", label, (long long)ctl_int(c, "run"),
	    ctl_str(c, "trigger"), ctl_str(c, "status"),
	    ctl_time(ctl_int(c, "ended"), t, sizeof(t)),
	    json_real_value(json_object_get(c, "read_seconds")),
	    json_is_true(json_object_get(c, "full_read")) ? "full" :
	    "changes", json_real_value(json_object_get(c, "plan_seconds")),
	    json_real_value(json_object_get(c, "apply_seconds")));
	ctl_print_counts(json_object_get(c, "counts"));
	printf("\n");
	if (json_object_get(c, "error") != NULL)
		printf("  error: %s\n", ctl_str(c, "error"));
}

/* Arguments of a command that takes only --json. */
static int
ctl_args_json(int argc, char **argv, struct cli_ctx *c, const char *usage)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") != 0) {
			fprintf(stderr, "usage: adsync %s\n", usage);
			return -1;
		}
		c->json = true;
	}
	return 0;
}

int
cmd_status(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_ctx c = *ctx;
	json_t *reply, *run, *last;
	char t[32];

	if (ctl_args_json(argc, argv, &c, "status [--json]") < 0)
		return CTL_EXIT_USAGE;
	ctx = &c;
	if (ctl_ask(ctx, "status", json_pack("{s:s}", "cmd", "status"), 10000,
	    &reply) < 0)
		return CTL_EXIT_FAIL;
	if (ctx->json) {
		ctl_print_json(reply);
		json_decref(reply);
		return CTL_EXIT_OK;
	}
	if (json_object_get(reply, "setup") != NULL) {
		/* Nothing runs until the set-up is done. */
		printf("state: setup\n%s\n", ctl_str(reply, "setup"));
		json_decref(reply);
		return CTL_EXIT_OK;
	}
	run = json_object_get(reply, "running");
	printf("state: %s", ctl_str(reply, "state"));
	if (run != NULL) {
		printf(" (%s, since %s: %s", ctl_str(run, "trigger"),
		    ctl_time(ctl_int(run, "since"), t, sizeof(t)),
		    ctl_str(run, "stage"));
		if (json_object_get(run, "total") != NULL)
			printf(", %lld of %lld operations, %.0f/s",
			    (long long)ctl_int(run, "done"),
			    (long long)ctl_int(run, "total"),
			    json_real_value(json_object_get(run, "rate")));
		if (json_object_get(run, "eta_seconds") != NULL)
			printf(", about %lld s left",
			    (long long)ctl_int(run, "eta_seconds"));
		printf(")");
	}
	printf("%s\n", json_is_true(json_object_get(reply, "pending")) ?
	    "; another cycle queued" : "");
	printf("started: %s; cycles: %lld\n", ctl_time(ctl_int(reply,
	    "started"), t, sizeof(t)), (long long)ctl_int(reply, "cycles"));
	printf("change notification: %s%s%s\n",
	    json_is_true(json_object_get(reply, "notifications")) ? "on" :
	    "off", json_object_get(reply, "notifications_why") != NULL ?
	    ": " : "", ctl_str(reply, "notifications_why"));
	if (json_object_get(reply, "sandbox") != NULL)
		printf("sandbox: %s\n", ctl_str(reply, "sandbox"));
	if ((last = json_object_get(reply, "last")) != NULL)
		ctl_print_cycle("last cycle", last);
	printf("last success: %s\n", ctl_time(ctl_int(reply, "last_success"),
	    t, sizeof(t)));
	printf("next cycle in %lld s at the latest; next full read in %lld "
	    "s\n", (long long)ctl_int(reply, "next_run_in"),
	    (long long)ctl_int(reply, "next_full_in"));
	if (json_object_get(reply, "dc") != NULL)
		printf("domain controller: %s; the copy of AD is %lld s old\n",
		    ctl_str(reply, "dc"), (long long)ctl_int(reply,
		    "watermark_age"));
	if (json_object_get(reply, "objects") != NULL) {
		const json_t *by = json_object_get(reply,
		    "objects_by_service");

		printf("synced objects: %lld (Hosted Exchange %lld, Rackspace "
		    "Email %lld); open alerts: %lld\n",
		    (long long)ctl_int(reply, "objects"),
		    (long long)ctl_int(by, "ex"), (long long)ctl_int(by, "rs"),
		    (long long)ctl_int(reply, "alerts"));
	}
	if (ctl_int(reply, "queue") > 0)
		printf("queue: %lld operations still to send\n",
		    (long long)ctl_int(reply, "queue"));
	if (json_object_get(reply, "passwords") != NULL) {
		const json_t *pw = json_object_get(reply, "passwords");

		printf("password sync: receiver %s; %lld change(s) queued; "
		    "%lld DC(s) enrolled, %lld quiet, %lld revoked (adsync "
		    "hook status)\n", ctl_str(pw, "receiver"),
		    (long long)ctl_int(pw, "queued"),
		    (long long)ctl_int(pw, "dcs"),
		    (long long)ctl_int(pw, "quiet"),
		    (long long)ctl_int(pw, "revoked"));
	}
	if (json_object_get(reply, "held_run") != NULL)
		printf("held: run %lld waits for `adsync approve %lld` or "
		    "`adsync reject %lld`\n",
		    (long long)ctl_int(reply, "held_run"),
		    (long long)ctl_int(reply, "held_run"),
		    (long long)ctl_int(reply, "held_run"));
	json_decref(reply);
	return CTL_EXIT_OK;
}

/* Prints a cycle's result (takes `reply`) and returns the exit status of
 * sync --once for it: 0 ok, 1 failed, 2 partial or held. */
static int
ctl_cycle_done(const struct cli_ctx *ctx, json_t *reply)
{
	int status;

	if (ctx->json)
		ctl_print_json(reply);
	else
		ctl_print_cycle("cycle", reply);
	status = strcmp(ctl_str(reply, "status"), "ok") == 0 ? CTL_EXIT_OK :
	    strcmp(ctl_str(reply, "status"), "failed") == 0 ? CTL_EXIT_FAIL :
	    CTL_EXIT_USAGE;
	json_decref(reply);
	return status;
}

int
cmd_sync_now(const struct cli_ctx *ctx, bool full)
{
	json_t *reply;

	/* No timeout: a first sync of 100,000 objects takes minutes. */
	if (ctl_ask(ctx, "sync --now", json_pack("{s:s,s:b}", "cmd", "sync",
	    "full", full), 0, &reply) < 0)
		return CTL_EXIT_FAIL;
	return ctl_cycle_done(ctx, reply);
}

int
cmd_history(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_ctx c = *ctx;
	const char *errstr;
	json_t *reply, *runs, *r;
	long long n = 20;
	size_t i;
	char t1[32], t2[32];
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (strparse_num(optarg, 1, 1000, &n, &errstr) < 0) {
				fprintf(stderr, "adsync history: -n %s: %s "
				    "(1 to 1000)\n", optarg, errstr);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'j':
			c.json = true;
			break;
		default:
			fprintf(stderr, "usage: adsync history [-n N] "
			    "[--json]\n");
			return CTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "usage: adsync history [-n N] [--json]\n");
		return CTL_EXIT_USAGE;
	}
	if (ctl_ask(&c, "history", json_pack("{s:s,s:I}", "cmd", "history",
	    "n", (json_int_t)n), 10000, &reply) < 0)
		return CTL_EXIT_FAIL;
	runs = json_object_get(reply, "runs");
	if (c.json) {
		json_array_foreach(runs, i, r)
			ctl_print_json(r);
	} else {
		json_array_foreach(runs, i, r) {
			printf("run %lld  %s -> %s  %-8s %-8s ",
			    (long long)ctl_int(r, "run"),
			    ctl_time(ctl_int(r, "started"), t1, sizeof(t1)),
			    ctl_time(ctl_int(r, "finished"), t2, sizeof(t2)),
			    ctl_str(r, "trigger"), ctl_str(r, "status"));
			ctl_print_counts(json_object_get(r, "counts"));
			printf("\n");
			if (json_object_get(r, "error") != NULL)
				printf("  error: %s\n", ctl_str(r, "error"));
		}
	}
	json_decref(reply);
	return CTL_EXIT_OK;
}

int
cmd_alerts(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_ctx c = *ctx;
	json_t *reply, *alerts, *a;
	char t1[32], t2[32];
	size_t i;

	if (ctl_args_json(argc, argv, &c, "alerts [--json]") < 0)
		return CTL_EXIT_USAGE;
	ctx = &c;
	if (ctl_ask(ctx, "alerts", json_pack("{s:s}", "cmd", "alerts"), 10000,
	    &reply) < 0)
		return CTL_EXIT_FAIL;
	alerts = json_object_get(reply, "alerts");
	json_array_foreach(alerts, i, a) {
		if (ctx->json) {
			ctl_print_json(a);
			continue;
		}
		printf("%s [%s] %s\n  %s\n  first seen %s, last seen %s\n",
		    ctl_str(a, "level"), ctl_str(a, "service"), ctl_str(a, "dn"),
		    ctl_str(a, "message"),
		    ctl_time(ctl_int(a, "first_seen"), t1, sizeof(t1)),
		    ctl_time(ctl_int(a, "last_seen"), t2, sizeof(t2)));
	}
	if (!ctx->json && json_array_size(alerts) == 0)
		printf("no open alerts\n");
	json_decref(reply);
	return CTL_EXIT_OK;
}

/* RUN and --json of approve / reject; 0 on bad usage. */
static long long
ctl_args_run(int argc, char **argv, struct cli_ctx *c, const char *cmd)
{
	const char *errstr;
	long long run = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c->json = true;
		else if (run == 0 && strparse_num(argv[i], 1, INT64_MAX,
		    &run, &errstr) == 0)
			continue;
		else {
			run = 0;
			break;
		}
	}
	if (run == 0)
		fprintf(stderr, "usage: adsync %s RUN [--json]\n(RUN: a held "
		    "run's number, from `adsync history` or `adsync status`)\n",
		    cmd);
	return run;
}

int
cmd_approve(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_ctx c = *ctx;
	json_t *reply;
	long long run;

	if ((run = ctl_args_run(argc, argv, &c, "approve")) == 0)
		return CTL_EXIT_USAGE;
	/* No timeout: the answer is the cycle that applies them. */
	if (ctl_ask(&c, "approve", json_pack("{s:s,s:I}", "cmd", "approve",
	    "run", (json_int_t)run), 0, &reply) < 0)
		return CTL_EXIT_FAIL;
	return ctl_cycle_done(&c, reply);
}

int
cmd_reject(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_ctx c = *ctx;
	json_t *reply;
	long long run;

	if ((run = ctl_args_run(argc, argv, &c, "reject")) == 0)
		return CTL_EXIT_USAGE;
	if (ctl_ask(&c, "reject", json_pack("{s:s,s:I}", "cmd", "reject",
	    "run", (json_int_t)run), 0, &reply) < 0)
		return CTL_EXIT_FAIL;
	if (c.json)
		ctl_print_json(reply);
	else
		printf("run %lld: %lld held removals rejected; they stay out of "
		    "the plans while they stay the same (see `adsync alerts`)\n",
		    run, (long long)ctl_int(reply, "rejected"));
	json_decref(reply);
	return CTL_EXIT_OK;
}

int
cmd_explain(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_ctx c = *ctx;
	const char *key = NULL;
	json_t *reply, *a, *v, *x;
	const char *k;
	char t[32];
	size_t i;
	int n;

	for (n = 1; n < argc; n++) {
		if (strcmp(argv[n], "--json") == 0)
			c.json = true;
		else if (key == NULL)
			key = argv[n];
		else
			key = "";
	}
	if (key == NULL || key[0] == '\0') {
		fprintf(stderr, "usage: adsync explain ADDRESS|DN|GUID "
		    "[--json]\n");
		return CTL_EXIT_USAGE;
	}
	if (ctl_ask(&c, "explain", json_pack("{s:s,s:s}", "cmd", "explain",
	    "key", key), 0, &reply) < 0)
		return CTL_EXIT_FAIL;
	if (c.json) {
		ctl_print_json(reply);
		json_decref(reply);
		return CTL_EXIT_OK;
	}
	printf("%s (GUID %s)\n", key, ctl_str(reply, "guid"));
	if ((a = json_object_get(reply, "ad")) != NULL) {
		printf("in AD: %s %s%s\n", ctl_str(a, "kind"), ctl_str(a, "dn"),
		    json_is_true(json_object_get(a, "disabled")) ?
		    " (ACCOUNTDISABLE)" : "");
		json_object_foreach(json_object_get(a, "attributes"), k, v) {
			if (json_is_string(v))
				printf("  %-28s %s\n", k, json_string_value(v));
			else
				json_array_foreach(v, i, x)
					printf("  %-28s %s\n", k,
					    json_string_value(x));
		}
		json_array_foreach(json_object_get(a, "member_of"), i, v)
			printf("  %-28s %s\n", "member of",
			    json_string_value(v));
	}
	printf("why:\n");
	json_array_foreach(json_object_get(reply, "scope"), i, v)
		printf("  %s\n", json_string_value(v));
	a = json_object_get(reply, "synced");
	if (json_array_size(a) == 0)
		printf("synced: nowhere\n");
	json_array_foreach(a, i, v)
		printf("synced: %s %s %s, %s%s\n", ctl_str(v, "service"),
		    ctl_str(v, "kind"), ctl_str(v, "address"),
		    json_is_true(json_object_get(v, "enabled")) ? "enabled" :
		    "disabled", json_is_true(json_object_get(v, "in_scope")) ?
		    "" : " (out of scope)");
	a = json_object_get(reply, "pending");
	printf("pending: %s\n", json_array_size(a) == 0 ? "nothing (in step "
	    "with AD)" : "");
	json_array_foreach(a, i, v)
		printf("  %s %s %s: %s%s\n", ctl_str(v, "op"),
		    ctl_str(v, "service"), ctl_str(v, "address"),
		    ctl_str(v, "reason"), json_is_true(json_object_get(v,
		    "held")) ? " (held by the guard: adsync approve RUN)" : "");
	json_array_foreach(json_object_get(reply, "alerts"), i, v)
		printf("alert: %s %s\n", ctl_str(v, "level"),
		    ctl_str(v, "message"));
	a = json_object_get(reply, "operations");
	if (json_array_size(a) > 0)
		printf("last operations (newest first):\n");
	json_array_foreach(a, i, v) {
		printf("  run %lld %s %s %-8s %s", (long long)ctl_int(v, "run"),
		    ctl_time(ctl_int(v, "started"), t, sizeof(t)),
		    ctl_str(v, "op"), ctl_str(v, "state"), ctl_str(v, "reason"));
		if (ctl_str(v, "result")[0] != '\0')
			printf(": %s", ctl_str(v, "result"));
		printf("\n");
	}
	json_decref(reply);
	return CTL_EXIT_OK;
}
