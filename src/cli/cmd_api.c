/*
 * adsync api [-c FILE] [--body JSON] METHOD PATH [FIELD=VALUE ...]
 *
 * Sends one signed request to the configured api_url + PATH (as typed,
 * query string included; "{customer}" is not substituted) through the
 * API client, so pacing, backoff and retries apply as in the daemon.
 * FIELD=VALUE pairs are form-encoded; --body JSON sends a JSON body
 * instead (distribution lists). A JSON answer is pretty-printed on stdout,
 * an empty one as its status; an error is printed as the typed error (code,
 * HTTP status, server message) on stderr, with exit status 1.
 *
 * Main thread only; curl_global_init() was done by main. Trusts argv only
 * to be NUL-terminated. A password typed as password=... is checked against
 * the service's rule, carried as a struct secret, and wiped from argv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cli.h"
#include "conf.h"
#include "diag.h"
#include "err.h"
#include "log.h"
#include "secret.h"
#include "target.h"

#define API_EXIT_FAIL 1
#define API_EXIT_USAGE 2
#define API_MAX_FIELDS 256

static const char api_usage[] =
    "usage: adsync api [-c FILE] [-v] [--body JSON] METHOD PATH "
    "[FIELD=VALUE ...]\n"
    "  METHOD  GET, POST, PUT or DELETE\n"
    "  PATH    relative to rackspace.api_url, e.g. /customers/me/domains\n"
    "  FIELD=VALUE  form fields; --body JSON sends JSON instead\n";

/* The symbolic name of an error code, for scripts reading stderr. */
static const char *
api_code_name(int code)
{
	static const struct {
		int code;
		const char *name;
	} names[] = {
		{ -ADSYNC_EAUTH, "EAUTH" },
		{ -ADSYNC_ETHROTTLED, "ETHROTTLED" },
		{ -ADSYNC_ENOTFOUND, "ENOTFOUND" },
		{ -ADSYNC_EVALIDATION, "EVALIDATION" },
		{ -ADSYNC_ECONFLICT, "ECONFLICT" },
		{ -ADSYNC_ESERVER, "ESERVER" },
		{ -ADSYNC_ETRANSPORT, "ETRANSPORT" },
		{ -ADSYNC_ETIMEOUT, "ETIMEOUT" },
		{ -ADSYNC_ETLS, "ETLS" },
		{ -ADSYNC_EPROTO, "EPROTO" },
		{ -ADSYNC_EUNKNOWN, "EUNKNOWN" },
		{ -ADSYNC_ELIMIT, "ELIMIT" },
		{ -ADSYNC_ETOOBIG, "ETOOBIG" },
		{ -ADSYNC_ECONFIG, "ECONFIG" },
		{ -ADSYNC_ESECRET, "ESECRET" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == code)
			return names[i].name;
	return "ERROR";
}

static bool
api_method(const char *s, enum rs_method *out)
{
	if (strcasecmp(s, "GET") == 0)
		*out = RS_GET;
	else if (strcasecmp(s, "POST") == 0)
		*out = RS_POST;
	else if (strcasecmp(s, "PUT") == 0)
		*out = RS_PUT;
	else if (strcasecmp(s, "DELETE") == 0)
		*out = RS_DELETE;
	else
		return false;
	return true;
}

/* Adds FIELD=VALUE to the form; a password goes through a struct secret
 * and its argv copy is wiped. 0, or an exit status after a message. */
static int
api_add_field(struct rs_request *req, char *arg)
{
	char why[256];
	struct secret *s;
	char *eq = strchr(arg, '=');
	int r;

	if (eq == NULL || eq == arg) {
		fprintf(stderr, "adsync api: \"%s\" is not FIELD=VALUE\n%s",
		    arg, api_usage);
		return API_EXIT_USAGE;
	}
	*eq = '\0';
	if (strcmp(arg, "password") == 0) {
		if (rs_password_check(eq + 1, strlen(eq + 1), why,
		    sizeof(why)) < 0) {
			fprintf(stderr, "adsync api: EVALIDATION: %s (not "
			    "sent)\n", why);
			explicit_bzero(eq + 1, strlen(eq + 1));
			return API_EXIT_FAIL;
		}
		s = secret_new(eq + 1, strlen(eq + 1), "password");
		explicit_bzero(eq + 1, strlen(eq + 1));
		if (s == NULL) {
			fprintf(stderr, "adsync api: out of memory\n");
			return API_EXIT_FAIL;
		}
		r = rs_request_form_add_secret(req, arg, s);
		secret_free(s);
	} else {
		r = rs_request_form_add(req, arg, eq + 1);
	}
	*eq = '=';
	if (r < 0) {
		fprintf(stderr, "adsync api: cannot add field \"%.*s\": %s "
		    "(names are letters, digits, '_', '.', '-')\n",
		    (int)(eq - arg), arg, adsync_strerror(r));
		return API_EXIT_USAGE;
	}
	return 0;
}

static void
api_print(const struct rs_response *resp)
{
	json_error_t jerr;
	json_t *j;

	if (resp->body == NULL || resp->body_len == 0) {
		printf("HTTP %ld\n", resp->http_status);
		return;
	}
	j = json_loadb(resp->body, resp->body_len, JSON_DECODE_ANY, &jerr);
	if (j == NULL) {
		/* Not JSON: show it as it came, for the admin to read. */
		fwrite(resp->body, 1, resp->body_len, stdout);
		if (resp->body[resp->body_len - 1] != '\n')
			putchar('\n');
		return;
	}
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	putchar('\n');
	json_decref(j);
}

int
cmd_api(const struct cli_ctx *ctx, int argc, char **argv)
{
	const char *conf_path = ctx->conf_path, *json_body = NULL;
	char *pos[API_MAX_FIELDS + 2];
	struct rs_client *client = NULL;
	struct rs_request *req = NULL;
	struct rs_response resp = { 0 };
	struct rs_error err;
	struct conf *conf = NULL;
	struct diag diag;
	enum rs_method method;
	char why[1024], msg[1200];
	bool opts_done = false, usage = true;
	int i, npos = 0, r, status = API_EXIT_USAGE, verbosity;

	diag_init(&diag);
	verbosity = log_get_verbosity();
	for (i = 1; i < argc; i++) {
		char *a = argv[i];

		if (!opts_done && strcmp(a, "--") == 0) {
			opts_done = true;
		} else if (!opts_done && strcmp(a, "--body") == 0) {
			if (++i >= argc)
				goto out;
			json_body = argv[i];
		} else if (!opts_done && strncmp(a, "--body=", 7) == 0) {
			json_body = a + 7;
		} else if (!opts_done && strcmp(a, "-c") == 0) {
			if (++i >= argc)
				goto out;
			conf_path = argv[i];
		} else if (!opts_done && strcmp(a, "-v") == 0) {
			verbosity++;
		} else if (!opts_done && npos == 0 && a[0] == '-') {
			fprintf(stderr, "adsync api: unknown option \"%s\"\n",
			    a);
			goto out;
		} else {
			if (npos >= API_MAX_FIELDS + 2) {
				fprintf(stderr, "adsync api: too many fields "
				    "(at most %d)\n", API_MAX_FIELDS);
				goto out;
			}
			pos[npos++] = a;
		}
	}
	log_set_verbosity(verbosity);
	if (npos < 2)
		goto out;
	if (!api_method(pos[0], &method)) {
		fprintf(stderr, "adsync api: unknown method \"%s\" (GET, POST, "
		    "PUT or DELETE)\n", pos[0]);
		goto out;
	}
	if (json_body != NULL && npos > 2) {
		fprintf(stderr, "adsync api: --body and FIELD=VALUE do not "
		    "mix\n");
		goto out;
	}
	usage = false;
	if ((req = rs_request_new(method, pos[1], &r)) == NULL) {
		fprintf(stderr, "adsync api: bad PATH \"%s\": it must start "
		    "with '/' and be percent-encoded (no spaces)\n", pos[1]);
		status = API_EXIT_USAGE;
		goto out;
	}
	for (i = 2; i < npos; i++)
		if ((status = api_add_field(req, pos[i])) != 0)
			goto out;
	status = API_EXIT_FAIL;
	if (json_body != NULL &&
	    (r = rs_request_json_set(req, json_body, strlen(json_body))) < 0) {
		fprintf(stderr, "adsync api: --body: %s\n",
		    adsync_strerror(r));
		goto out;
	}

	if ((r = conf_load_file(conf_path, &conf, &diag)) < 0) {
		diag_print(&diag, stderr);
		fprintf(stderr, "adsync api: %s: configuration not usable\n",
		    conf_path);
		goto out;
	}
	if ((r = rs_client_new(&conf->rackspace, &client, why,
	    sizeof(why))) < 0) {
		fprintf(stderr, "adsync api: %s: %s\n", conf_path, why);
		goto out;
	}
	r = rs_client_call(client, req, &resp, &err);
	req = NULL;
	if (r < 0) {
		fprintf(stderr, "adsync api: %s: %s\n", api_code_name(r),
		    rs_error_format(&err, msg, sizeof(msg)));
		goto out;
	}
	api_print(&resp);
	status = 0;
out:
	if (usage)
		fputs(api_usage, stderr);
	rs_response_fini(&resp);
	rs_request_free(req);
	rs_client_free(client);
	conf_free(conf);
	diag_fini(&diag);
	return status;
}
