/*
 * Sync History: the runs, newest first, a page at a time; and one run
 * opened into its operations (object, operation, fields changed, result,
 * error), filtered by text and state. Everything from the daemon's
 * `history` and `ops` control requests.
 */
#include <stdio.h>
#include <string.h>

#include "strparse.h"
#include "web_internal.h"

#define WEB_HISTORY_PAGE 50
#define WEB_OPS_PAGE 200
#define WEB_CTL_TIMEOUT_MS 10000

/* A positive number argument, `def` when absent or bad. */
static long long
web_num_arg(struct web_req *r, const char *name, long long lo, long long hi,
    long long def)
{
	const char *s = web_arg(r, name), *errstr;
	long long v;

	if (s == NULL || strparse_num(s, lo, hi, &v, &errstr) < 0)
		return def;
	return v;
}

static void
web_counts(struct web_page *p, const json_t *c)
{
	static const char *const k[] = { "created", "updated", "enabled",
	    "disabled", "deleted", "errors", "held" };
	size_t i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		wp_fmt(p, "<td class=\"num\">%lld</td>",
		    (long long)web_int(c, k[i]));
}

void
web_view_history(struct web_req *r, struct web_page *p)
{
	long long from = web_num_arg(r, "from", 1, INT64_MAX, 0);
	json_t *ans, *runs, *run;
	const char *status;
	json_int_t last = 0;
	char why[1024];
	size_t i;

	ans = web_ctl(r->w, from > 0 ? json_pack("{s:s,s:i,s:I}", "cmd",
	    "history", "n", WEB_HISTORY_PAGE, "from", (json_int_t)from) :
	    json_pack("{s:s,s:i}", "cmd", "history", "n", WEB_HISTORY_PAGE),
	    WEB_CTL_TIMEOUT_MS, why, sizeof(why));
	wp_begin(p, r, "Sync History", "history");
	if (ans == NULL) {
		wp_note(p, "error", why);
		wp_end(p);
		return;
	}
	runs = json_object_get(ans, "runs");
	if (json_array_size(runs) == 0) {
		wp_raw(p, "<p>No sync has run yet.</p>");
		wp_end(p);
		json_decref(ans);
		return;
	}
	wp_raw(p, "<div class=\"scroll\"><table id=\"runs\"><thead><tr>"
	    "<th>Run</th><th>Trigger</th><th>Started</th><th>Duration</th>"
	    "<th>Result</th><th class=\"num\">Created</th>"
	    "<th class=\"num\">Updated</th><th class=\"num\">Enabled</th>"
	    "<th class=\"num\">Disabled</th><th class=\"num\">Deleted</th>"
	    "<th class=\"num\">Errors</th><th class=\"num\">Held</th>"
	    "</tr></thead><tbody>");
	json_array_foreach(runs, i, run) {
		last = web_int(run, "run");
		status = web_str(run, "status");
		wp_fmt(p, "<tr><td><a href=\"/runs/%lld\" class=\"run-link\">"
		    "%lld</a></td><td>", (long long)last, (long long)last);
		wp_text(p, web_str(run, "trigger"));
		wp_raw(p, "</td><td>");
		wp_time(p, web_int(run, "started"));
		wp_raw(p, "</td><td>");
		wp_duration(p, web_int(run, "finished") > 0 ?
		    web_int(run, "finished") - web_int(run, "started") : -1);
		wp_raw(p, "</td><td class=\"st-");
		wp_text(p, status);
		wp_raw(p, "\">");
		wp_text(p, status);
		wp_raw(p, "</td>");
		web_counts(p, json_object_get(run, "counts"));
		wp_raw(p, "</tr>");
	}
	wp_raw(p, "</tbody></table></div>");
	if (json_array_size(runs) == WEB_HISTORY_PAGE && last > 1)
		wp_fmt(p, "<p><a href=\"/history?from=%lld\" id=\"older\">"
		    "Older runs</a></p>", (long long)(last - 1));
	wp_end(p);
	json_decref(ans);
}

/* The fields an operation changed (the journal's detail), as text. */
static void
web_op_detail(struct web_page *p, const json_t *d)
{
	json_t *fields, *values, *v;
	const char *k;
	size_t i;
	bool any = false;

	if (json_is_string(d)) {
		wp_text(p, json_string_value(d));
		return;
	}
	fields = json_object_get(d, "fields");
	json_object_foreach(fields, k, v) {
		wp_raw(p, any ? "<br>" : "");
		wp_raw(p, "<code>");
		wp_text(p, k);
		wp_raw(p, "</code> = ");
		wp_text(p, json_is_string(v) ? json_string_value(v) : "");
		any = true;
	}
	values = json_object_get(d, "values");
	json_array_foreach(values, i, v) {
		wp_raw(p, any ? "<br>" : "");
		wp_text(p, json_is_string(v) ? json_string_value(v) : "");
		any = true;
	}
}

static const char *const web_states[] = { "", "done", "failed", "pending",
    "held", "approved", "rejected", "superseded" };

void
web_view_run(struct web_req *r, struct web_page *p)
{
	const char *idtext = r->url + strlen("/runs/"), *errstr, *q, *state;
	long long id, offset = web_num_arg(r, "offset", 0, 1000000000, 0);
	json_t *ans, *req, *run, *ops, *op, *bys;
	json_int_t total;
	char why[1024], title[64];
	size_t i;

	if (strparse_num(idtext, 1, INT64_MAX, &id, &errstr) < 0) {
		wp_error_page(p, r, 404, "Not found", "There is no such run.");
		return;
	}
	q = web_arg(r, "q");
	state = web_arg(r, "state");
	req = json_pack("{s:s,s:I,s:I,s:i}", "cmd", "ops", "run",
	    (json_int_t)id, "offset", (json_int_t)offset, "limit",
	    WEB_OPS_PAGE);
	if (req != NULL && q != NULL && q[0] != '\0')
		json_object_set_new(req, "q", json_string(q));
	if (req != NULL && state != NULL && state[0] != '\0')
		json_object_set_new(req, "state", json_string(state));
	ans = web_ctl(r->w, req, WEB_CTL_TIMEOUT_MS, why, sizeof(why));
	snprintf(title, sizeof(title), "Run %lld", id);
	wp_begin(p, r, title, "history");
	if (ans == NULL) {
		wp_note(p, "error", why);
		wp_end(p);
		return;
	}
	run = json_object_get(ans, "run");
	ops = json_object_get(ans, "ops");
	total = web_int(ans, "total");
	wp_raw(p, "<table id=\"run\"><tbody><tr><th>Trigger</th><td>");
	wp_text(p, web_str(run, "trigger"));
	wp_raw(p, "</td></tr><tr><th>Started</th><td>");
	wp_time(p, web_int(run, "started"));
	wp_raw(p, "</td></tr><tr><th>Duration</th><td>");
	wp_duration(p, web_int(run, "finished") > 0 ? web_int(run,
	    "finished") - web_int(run, "started") : -1);
	wp_raw(p, "</td></tr><tr><th>Result</th><td id=\"run-status\" "
	    "class=\"st-");
	wp_text(p, web_str(run, "status"));
	wp_raw(p, "\">");
	wp_text(p, web_str(run, "status"));
	wp_raw(p, "</td></tr>");
	if (web_str(run, "error")[0] != '\0') {
		wp_raw(p, "<tr><th>Error</th><td>");
		wp_text(p, web_str(run, "error"));
		wp_raw(p, "</td></tr>");
	}
	wp_raw(p, "<tr><th>Operations by result</th><td>");
	{
		const char *k;
		json_t *v;
		bool first = true;

		bys = json_object_get(ans, "by_state");
		json_object_foreach(bys, k, v) {
			wp_raw(p, first ? "" : ", ");
			wp_fmt(p, "%lld ", (long long)json_integer_value(v));
			wp_text(p, k);
			first = false;
		}
		if (first)
			wp_raw(p, "none");
	}
	wp_raw(p, "</td></tr></tbody></table>");

	/* The filter: works without JavaScript (a GET form). */
	wp_fmt(p, "<form method=\"get\" action=\"/runs/%lld\" id=\"filter\">"
	    "<label for=\"q\">Find</label><input type=\"search\" id=\"q\" "
	    "name=\"q\" placeholder=\"address, DN, operation or error\" "
	    "value=\"", id);
	wp_text(p, q != NULL ? q : "");
	wp_raw(p, "\"><label for=\"state\">Result</label><select id=\"state\" "
	    "name=\"state\">");
	for (i = 0; i < sizeof(web_states) / sizeof(web_states[0]); i++) {
		wp_raw(p, "<option value=\"");
		wp_text(p, web_states[i]);
		wp_raw(p, "\"");
		if (state != NULL && strcmp(state, web_states[i]) == 0)
			wp_raw(p, " selected");
		wp_raw(p, ">");
		wp_text(p, web_states[i][0] != '\0' ? web_states[i] : "any");
		wp_raw(p, "</option>");
	}
	wp_raw(p, "</select><p><button type=\"submit\">Filter</button></p>"
	    "</form>");

	wp_fmt(p, "<p id=\"ops-total\">%lld operation(s)", (long long)total);
	if (total > 0)
		wp_fmt(p, ", %lld to %lld shown", offset + 1, offset +
		    (long long)json_array_size(ops));
	wp_raw(p, ".</p>");
	if (json_array_size(ops) > 0) {
		wp_raw(p, "<div class=\"scroll\"><table id=\"ops\"><thead><tr>"
		    "<th>Object</th><th>Operation</th><th>Service</th>"
		    "<th>Fields changed</th><th>Result</th><th>Why</th></tr>"
		    "</thead><tbody>");
		json_array_foreach(ops, i, op) {
			const char *st = web_str(op, "state");

			wp_raw(p, "<tr><td><a href=\"/objects/");
			wp_url(p, web_str(op, "guid"));
			wp_raw(p, "\">");
			wp_text(p, web_str(op, "name"));
			wp_raw(p, "@");
			wp_text(p, web_str(op, "domain"));
			wp_raw(p, "</a><div class=\"hint\">");
			wp_text(p, web_str(op, "dn"));
			wp_raw(p, "</div></td><td>");
			wp_text(p, web_str(op, "op"));
			wp_raw(p, "</td><td>");
			wp_service(p, web_str(op, "service"));
			wp_raw(p, "</td><td>");
			web_op_detail(p, json_object_get(op, "detail"));
			wp_raw(p, "</td><td class=\"st-");
			wp_text(p, st);
			wp_raw(p, "\">");
			wp_text(p, st);
			if (web_str(op, "result")[0] != '\0') {
				wp_raw(p, "<div class=\"error-text\">");
				wp_text(p, web_str(op, "result"));
				wp_raw(p, "</div>");
			}
			wp_raw(p, "</td><td>");
			wp_text(p, web_str(op, "reason"));
			wp_raw(p, "</td></tr>");
		}
		wp_raw(p, "</tbody></table></div>");
	}
	if (offset + (long long)json_array_size(ops) < (long long)total) {
		wp_fmt(p, "<p><a id=\"more\" href=\"/runs/%lld?offset=%lld",
		    id, offset + WEB_OPS_PAGE);
		if (q != NULL && q[0] != '\0') {
			wp_raw(p, "&amp;q=");
			wp_url(p, q);
		}
		if (state != NULL && state[0] != '\0') {
			wp_raw(p, "&amp;state=");
			wp_url(p, state);
		}
		wp_raw(p, "\">More operations</a></p>");
	}
	wp_end(p);
	json_decref(ans);
}
