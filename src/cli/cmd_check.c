/*
 * adsync check [--dump] [--connect]: loads the configuration as the daemon
 * would, secret files included (their mode, owner and type, never their
 * content), and prints every problem at once, or the canonical form with
 * --dump. --connect also binds to AD (every URI in order, TLS verified)
 * and asks the API for the account's domains, checking that every [sync]
 * domain is one of them. Main thread; an entry point, so it prints and
 * returns an exit status.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <strings.h>

#include "ad.h"
#include "cli.h"
#include "conf.h"
#include "diag.h"
#include "strparse.h"
#include "target.h"

static const char cmd_check_usage[] =
    "usage: adsync check [--dump] [--connect]\n";

/* Binds to AD as configured; a failure becomes a problem. */
static void
cmd_check_ad(const struct conf *conf, const char *path, struct diag *d)
{
	struct ad_conn *conn = NULL;
	char why[AD_WHY_MAX];

	if (conf->ad.uri[0] == '\0') {
		diag_add(d, path, 0, "[ad] uri is not set: the directory "
		    "cannot be read");
		return;
	}
	if (ad_conn_new(&conf->ad, &conn, why, sizeof(why)) < 0)
		diag_add(d, path, 0, "[ad] cannot connect: %s", why);
	ad_conn_free(conn);
}

/* True when the account's domains `recs` hold `len` bytes of `name`. */
static bool
cmd_check_listed(const struct rs_records *recs, const char *name,
    size_t len)
{
	const char *v;
	size_t i;

	for (i = 0; i < recs->n; i++) {
		v = rs_record_get(&recs->v[i], "name");
		if (v != NULL && strlen(v) == len &&
		    strncasecmp(v, name, len) == 0)
			return true;
	}
	return false;
}

/* Asks the API for the account's domains; every [sync] domain must be
 * one of them. */
static void
cmd_check_api(const struct conf *conf, const char *path, struct diag *d)
{
	struct rs_client *client = NULL;
	struct rs_records recs;
	struct rs_error err;
	const char *p, *w;
	char why[512], msg[600];
	size_t len;

	rs_records_init(&recs);
	if (conf->rackspace.user_key[0] == '\0') {
		diag_add(d, path, 0, "[rackspace] user_key is not set: "
		    "register adsync with the account's API keys");
		goto out;
	}
	if (rs_client_new(&conf->rackspace, &client, why, sizeof(why)) < 0) {
		diag_add(d, path, 0, "[rackspace] %s", why);
		goto out;
	}
	if (rs_domain_list(client, &recs, &err) < 0) {
		diag_add(d, path, 0, "[rackspace] the API at %s refused or "
		    "failed: %s", conf->rackspace.api_url,
		    rs_error_format(&err, msg, sizeof(msg)));
		goto out;
	}
	for (p = conf->sync.domains; strparse_word(&p, &w, &len);)
		if (!cmd_check_listed(&recs, w, len))
			diag_add(d, path, 0, "[sync] domains: %.*s is not a "
			    "domain of the account (adsync api GET "
			    "/customers/me/domains lists them); add it to the "
			    "account or remove it", (int)len, w);
out:
	rs_records_fini(&recs);
	rs_client_free(client);
}

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
	bool dump = false, connect = false;
	int i, status;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dump") == 0)
			dump = true;
		else if (strcmp(argv[i], "--connect") == 0)
			connect = true;
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
	if (status == 0 && connect) {
		cmd_check_ad(conf, ctx->conf_path, &d);
		cmd_check_api(conf, ctx->conf_path, &d);
		status = d.n == 0 ? 0 : 1;
	}
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
