/*
 * The adsync command line. main.c owns the table of subcommands (smtpctl's
 * idea): each entry names a cmd_* function in its own cmd_<name>.c file.
 * Subcommand entry points may print and exit; business logic lives in the
 * modules. Main thread only.
 */
#ifndef ADSYNC_CLI_H
#define ADSYNC_CLI_H

#include <stdbool.h>

/* Options common to every subcommand, parsed by main before dispatch. */
struct cli_ctx {
	const char *conf_path;	/* -c FILE, default CONF_DEFAULT_PATH */
	int verbosity;		/* -v count */
	bool json;		/* --json where the command supports it */
};

/*
 * A subcommand: argv[0] is the subcommand name, options after it are the
 * subcommand's own. Returns the process exit status (0 ok, 1 failure, 2 bad
 * usage or partial failure as the command documents).
 */
typedef int cli_cmd_fn(const struct cli_ctx *ctx, int argc, char **argv);

struct conf;

/*
 * cli_conf.c: loads ctx->conf_path for subcommand `cmd` (e.g. "ad dump"),
 * secret files checked. On failure prints every problem and one line
 * naming the file and the fix to stderr. 0 and *out (owned; conf_free),
 * or a negative code.
 */
int cli_conf_load(const struct cli_ctx *ctx, const char *cmd,
    struct conf **out /* OUT */);

cli_cmd_fn cmd_ad_dump;	/* cmd_ad.c: adsync ad dump [--json] */
cli_cmd_fn cmd_ad_watch;	/* cmd_ad.c: adsync ad watch [--json] */
cli_cmd_fn cmd_api;	/* cmd_api.c: adsync api METHOD PATH [f=v ...] */
cli_cmd_fn cmd_check;	/* cmd_check.c: adsync check [--dump] */
cli_cmd_fn cmd_plan;	/* cmd_sync.c: adsync plan [--json] ... */
cli_cmd_fn cmd_sync;	/* cmd_sync.c: adsync sync --once ... */
cli_cmd_fn cmd_version;	/* main.c */
cli_cmd_fn cmd_daemon;	/* cmd_daemon.c: adsync daemon */
cli_cmd_fn cmd_status;	/* cmd_daemon.c: adsync status [--json] */
cli_cmd_fn cmd_history;	/* cmd_daemon.c: adsync history [-n N] */
cli_cmd_fn cmd_alerts;	/* cmd_daemon.c: adsync alerts [--json] */
cli_cmd_fn cmd_approve;	/* cmd_daemon.c: adsync approve RUN */
cli_cmd_fn cmd_explain;	/* cmd_daemon.c: adsync explain KEY */
cli_cmd_fn cmd_reject;	/* cmd_daemon.c: adsync reject RUN */
cli_cmd_fn cmd_hook;	/* cmd_hook.c: adsync hook enroll|revoke|status */
cli_cmd_fn cmd_web_passwd;	/* cmd_web.c: adsync web passwd */
/* cmd_daemon.c: adsync sync --now [--full]: asks the running daemon for a
 * cycle and prints its result; the exit status as sync --once. */
int cmd_sync_now(const struct cli_ctx *ctx, bool full);

#endif
