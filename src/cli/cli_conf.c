/*
 * Loading the configuration for a subcommand (cli.h): the same words for
 * every command that needs it. Main thread.
 */
#include <stdio.h>

#include "cli.h"
#include "conf.h"
#include "diag.h"

int
cli_conf_load(const struct cli_ctx *ctx, const char *cmd, struct conf **out)
{
	struct diag diag;
	int r;

	diag_init(&diag);
	if ((r = conf_load_file(ctx->conf_path, out, &diag)) < 0) {
		diag_print(&diag, stderr);
		fprintf(stderr, "adsync %s: %s: the configuration has errors; "
		    "fix them (adsync check lists them)\n", cmd,
		    ctx->conf_path);
	}
	diag_fini(&diag);
	return r;
}
