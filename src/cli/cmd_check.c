/*
 * adsync check [--dump]: loads the configuration as the daemon would,
 * secret files included (their mode, owner and type, never their content),
 * and prints every problem at once, or the canonical form with --dump.
 * Main thread; an entry point, so it prints and returns an exit status.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "conf.h"
#include "diag.h"

static const char cmd_check_usage[] = "usage: adsync check [--dump]\n";

/* {"file": F, "ok": B, "problems": [{"file", "line", "message"}...]} */
static int
cmd_check_json(const char *path, bool ok, const struct diag *d)
{
	json_t *root, *list, *item;
	bool done = false;
	size_t i;
	int r;

	root = json_object();
	list = json_array();
	if (root == NULL || list == NULL)
		goto out;
	for (i = 0; i < d->n; i++) {
		item = json_pack("{s:s?, s:I, s:s}", "file", d->v[i].file,
		    "line", (json_int_t)d->v[i].line, "message", d->v[i].msg);
		if (item == NULL || json_array_append_new(list, item) < 0)
			goto out;
	}
	if (json_object_set_new(root, "file", json_string(path)) < 0 ||
	    json_object_set_new(root, "ok", json_boolean(ok)) < 0)
		goto out;
	/* _set_new takes the reference, on failure too. */
	r = json_object_set_new(root, "problems", list);
	list = NULL;
	if (r < 0)
		goto out;
	if (d->dropped > 0 && json_object_set_new(root, "not_shown",
	    json_integer((json_int_t)d->dropped)) < 0)
		goto out;
	if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		goto out;
	putchar('\n');
	done = true;
out:
	json_decref(list);
	json_decref(root);
	if (!done)
		fprintf(stderr, "adsync check: cannot build the JSON "
		    "answer\n");
	return done && ok ? 0 : 1;
}

int
cmd_check(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct conf *conf = NULL;
	struct diag d;
	bool dump = false;
	int i, status;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dump") == 0)
			dump = true;
		else {
			fprintf(stderr, "adsync check: unexpected argument "
			    "\"%s\"\n%s", argv[i], cmd_check_usage);
			return 2;
		}
	}
	if (dump && ctx->json) {
		fprintf(stderr, "adsync check: --dump prints INI and cannot "
		    "be combined with --json\n%s", cmd_check_usage);
		return 2;
	}
	diag_init(&d);
	status = conf_load_file(ctx->conf_path, &conf, &d) == 0 ? 0 : 1;
	if (ctx->json)
		status = cmd_check_json(ctx->conf_path, status == 0, &d);
	else if (status != 0)
		diag_print(&d, stderr);
	else if (dump) {
		conf_dump(conf, stdout);
		/* stderr, so that the dump alone can be redirected. */
		fprintf(stderr, "%s: configuration OK\n", ctx->conf_path);
	} else
		printf("%s: configuration OK\n", ctx->conf_path);
	conf_free(conf);
	diag_fini(&d);
	return status;
}
