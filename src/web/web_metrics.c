/*
 * GET /metrics: the daemon's metrics in the Prometheus text format (the
 * daemon renders them: `metrics` control request; docs/daemon.md lists
 * them), without login from loopback so a local Prometheus or node
 * exporter can scrape. GET /healthz: whether the daemon's loop answers,
 * for monitoring and systemd-style checks; it tells "degraded" when the
 * last cycle failed, and never shows anything secret.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_internal.h"

#define WEB_HEALTH_TIMEOUT_MS 3000

void
web_view_metrics(struct web_req *r, struct web_page *p)
{
	const char *text;
	json_t *ans;
	char why[1024];

	p->ctype = "text/plain; version=0.0.4; charset=utf-8";
	ans = web_ctl(r->w, json_pack("{s:s}", "cmd", "metrics"),
	    WEB_HEALTH_TIMEOUT_MS, why, sizeof(why));
	if (ans == NULL || (text = json_string_value(json_object_get(ans,
	    "text"))) == NULL) {
		p->status = 503;
		p->ctype = "text/plain; charset=utf-8";
		wp_raw(p, "# the daemon does not answer: ");
		wp_raw(p, ans == NULL ? why : "no metrics in its answer");
		wp_raw(p, "\n");
		json_decref(ans);
		return;
	}
	wp_raw(p, text);
	json_decref(ans);
}

void
web_view_healthz(struct web_req *r, struct web_page *p)
{
	const json_t *last;
	const char *state, *status = "ok";
	json_t *st, *out;
	char why[1024], *text;

	p->ctype = "application/json";
	st = web_ctl(r->w, json_pack("{s:s}", "cmd", "status"),
	    WEB_HEALTH_TIMEOUT_MS, why, sizeof(why));
	if (st == NULL) {
		p->status = 503;
		out = json_pack("{s:s,s:s}", "status", "down", "error", why);
	} else {
		state = json_string_value(json_object_get(st, "state"));
		last = json_object_get(st, "last");
		if (state != NULL && strcmp(state, "setup") == 0)
			status = "setup";
		else if (last != NULL && json_object_get(last, "error") !=
		    NULL)
			status = "degraded";
		out = json_pack("{s:s,s:s,s:O}", "status", status, "state",
		    state != NULL ? state : "unknown", "last_success",
		    json_object_get(st, "last_success") != NULL ?
		    json_object_get(st, "last_success") : json_null());
		json_decref(st);
	}
	text = out != NULL ? json_dumps(out, JSON_COMPACT) : NULL;
	json_decref(out);
	if (text == NULL) {
		p->failed = true;
		return;
	}
	wp_raw(p, text);
	wp_raw(p, "\n");
	free(text);
}
