/*
 * The dashboard: the daemon's `status` as a page (state, objects per
 * service, last and next run, queue, alerts, passwords), Sync Now, the
 * progress of a running sync (refreshed by console.js from /status.json)
 * and the run the guard holds, with its operations and Approve / Reject.
 * Every figure comes from the daemon over the control socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strparse.h"
#include "web_internal.h"

/* Status answers are immediate (the loop never waits on the engine). */
#define WEB_STATUS_TIMEOUT_MS 5000

static void
web_card(struct web_page *p, const char *id, const char *label,
    const char *value_html)
{
	wp_fmt(p, "<div class=\"card\"><div class=\"k\">%s</div>"
	    "<div class=\"v\" id=\"%s\">", label, id);
	wp_raw(p, value_html);
	wp_raw(p, "</div></div>");
}

/* The held operations of run `run`, with Approve and Reject. */
static void
web_dash_held(struct web_req *r, struct web_page *p, json_int_t run)
{
	json_t *ans, *ops, *op;
	char why[1024];
	size_t i;

	ans = web_ctl(r->w, json_pack("{s:s,s:I,s:s,s:i}", "cmd", "ops",
	    "run", run, "state", "held", "limit", 200),
	    WEB_STATUS_TIMEOUT_MS, why, sizeof(why));
	wp_raw(p, "<section id=\"held\"><h2>Held by the safety guard</h2>");
	wp_fmt(p, "<p>Run <a href=\"/runs/%lld\">%lld</a> planned more "
	    "removals than the safety limits allow (max_deletes, "
	    "max_delete_percent). Nothing below was done. Approve to let "
	    "them through in the next sync, or reject to keep the "
	    "mailboxes as they are.</p>", (long long)run, (long long)run);
	if (ans == NULL) {
		wp_note(p, "error", why);
	} else {
		ops = json_object_get(ans, "ops");
		wp_fmt(p, "<p><strong id=\"held-count\">%lld</strong> "
		    "operation(s) held.</p>",
		    (long long)web_int(ans, "total"));
		wp_raw(p, "<div class=\"scroll\"><table id=\"held-ops\">"
		    "<thead><tr><th>Operation</th><th>Object</th>"
		    "<th>Service</th><th>Why</th></tr></thead><tbody>");
		json_array_foreach(ops, i, op) {
			wp_raw(p, "<tr><td>");
			wp_text(p, json_string_value(json_object_get(op,
			    "op")));
			wp_raw(p, "</td><td><a href=\"/objects/");
			wp_url(p, json_string_value(json_object_get(op,
			    "guid")));
			wp_raw(p, "\">");
			wp_text(p, json_string_value(json_object_get(op,
			    "name")));
			wp_raw(p, "@");
			wp_text(p, json_string_value(json_object_get(op,
			    "domain")));
			wp_raw(p, "</a></td><td>");
			wp_service(p, json_string_value(json_object_get(op,
			    "service")));
			wp_raw(p, "</td><td>");
			wp_text(p, json_string_value(json_object_get(op,
			    "reason")));
			wp_raw(p, "</td></tr>");
		}
		wp_raw(p, "</tbody></table></div>");
		json_decref(ans);
	}
	wp_fmt(p, "<p><form method=\"post\" action=\"/approve\" "
	    "class=\"inline\" data-confirm=\"Let run %lld's removals "
	    "through?\">", (long long)run);
	wp_csrf(p, r);
	wp_fmt(p, "<input type=\"hidden\" name=\"run\" value=\"%lld\">"
	    "<button type=\"submit\" class=\"danger\" id=\"approve\">"
	    "Approve</button></form> ", (long long)run);
	wp_raw(p, "<form method=\"post\" action=\"/reject\" class=\"inline\">");
	wp_csrf(p, r);
	wp_fmt(p, "<input type=\"hidden\" name=\"run\" value=\"%lld\">"
	    "<button type=\"submit\" class=\"secondary\" id=\"reject\">"
	    "Reject</button></form></p></section>", (long long)run);
}

void
web_view_dashboard(struct web_req *r, struct web_page *p)
{
	const json_t *last, *by, *pw, *run;
	const char *state, *err;
	json_t *st;
	char why[1024], v[256];
	json_int_t n;

	st = web_ctl(r->w, json_pack("{s:s}", "cmd", "status"),
	    WEB_STATUS_TIMEOUT_MS, why, sizeof(why));
	wp_begin(p, r, "Dashboard", "dashboard");
	if (st == NULL) {
		wp_note(p, "error", why);
		wp_end(p);
		return;
	}
	state = json_string_value(json_object_get(st, "state"));
	if (state == NULL)
		state = "unknown";
	if (strcmp(state, "setup") == 0) {
		wp_note(p, "info", json_string_value(json_object_get(st,
		    "setup")));
		wp_raw(p, "<p><a class=\"button\" id=\"go-setup\" "
		    "href=\"/setup\">Set up adsync</a></p>");
		wp_end(p);
		json_decref(st);
		return;
	}
	wp_raw(p, "<div id=\"live\" data-state=\"");
	wp_text(p, state);
	wp_raw(p, "\"></div><div class=\"cards\">");
	wp_raw(p, "<div class=\"card\"><div class=\"k\">State</div>"
	    "<div class=\"v\" id=\"state\">");
	wp_text(p, state);
	wp_raw(p, "</div></div>");
	by = json_object_get(st, "objects_by_service");
	snprintf(v, sizeof(v), "%lld", (long long)web_int(by, "ex"));
	web_card(p, "objects-exchange", "Hosted Exchange objects", v);
	snprintf(v, sizeof(v), "%lld",
	    (long long)web_int(by, "rs"));
	web_card(p, "objects-rackspace", "Rackspace Email mailboxes", v);
	snprintf(v, sizeof(v), "%lld", (long long)web_int(st, "queue"));
	web_card(p, "queue", "Operations queued", v);
	n = web_int(st, "alerts");
	snprintf(v, sizeof(v), "<a href=\"/alerts\">%lld</a>", (long long)n);
	web_card(p, "alerts-count", "Open alerts", v);
	if ((pw = json_object_get(st, "passwords")) != NULL) {
		snprintf(v, sizeof(v), "%lld queued, <a href=\"/hooks\">%lld "
		    "DC(s)</a>", (long long)web_int(pw, "queued"),
		    (long long)web_int(pw, "dcs"));
		web_card(p, "passwords", "Password changes", v);
	}
	snprintf(v, sizeof(v), "in %lld s",
	    (long long)web_int(st, "next_run_in"));
	web_card(p, "next-run", "Next scheduled sync", v);
	wp_raw(p, "</div>");

	/* Sync Now, and the progress of a running sync. */
	run = json_object_get(st, "running");
	wp_raw(p, "<section id=\"progress\"");
	if (run == NULL)
		wp_raw(p, " hidden");
	wp_raw(p, "><h2>Sync in progress</h2><progress id=\"progress-bar\"");
	if (run != NULL && web_int(run, "total") > 0)
		wp_fmt(p, " max=\"%lld\" value=\"%lld\"",
		    (long long)web_int(run, "total"),
		    (long long)web_int(run, "done"));
	wp_raw(p, "></progress><p id=\"progress-text\">");
	if (run != NULL) {
		wp_text(p, json_string_value(json_object_get(run, "stage")));
		if (web_int(run, "total") > 0)
			wp_fmt(p, ": %lld of %lld operations, %.1f/s",
			    (long long)web_int(run, "done"),
			    (long long)web_int(run, "total"),
			    json_real_value(json_object_get(run, "rate")));
		if (json_object_get(run, "eta_seconds") != NULL)
			wp_fmt(p, ", about %lld s left",
			    (long long)web_int(run, "eta_seconds"));
	}
	wp_raw(p, "</p></section>");
	wp_raw(p, "<p><form method=\"post\" action=\"/sync\" "
	    "class=\"inline\">");
	wp_csrf(p, r);
	wp_raw(p, "<button type=\"submit\" id=\"sync-now\">Sync Now</button>"
	    "</form> <form method=\"post\" action=\"/sync\" class=\"inline\">");
	wp_csrf(p, r);
	wp_raw(p, "<input type=\"hidden\" name=\"full\" value=\"1\">"
	    "<button type=\"submit\" class=\"secondary\" id=\"sync-full\">"
	    "Full sync</button></form></p>");

	if (!json_is_true(json_object_get(st, "notifications")) &&
	    (err = json_string_value(json_object_get(st,
	    "notifications_why"))) != NULL) {
		wp_raw(p, "<p class=\"note info\">AD change notifications are "
		    "down, so changes are picked up by the periodic sync: ");
		wp_text(p, err);
		wp_raw(p, "</p>");
	}
	if ((n = web_int(st, "held_run")) > 0)
		web_dash_held(r, p, n);

	/* The last run. */
	wp_raw(p, "<h2>Last sync</h2>");
	if ((last = json_object_get(st, "last")) == NULL) {
		wp_raw(p, "<p id=\"last-run\">No sync has ended since the "
		    "daemon started.</p>");
	} else {
		const json_t *c = json_object_get(last, "counts");
		const char *status = json_string_value(json_object_get(last,
		    "status"));

		wp_raw(p, "<table id=\"last-run\"><tbody><tr><th>Run</th><td>");
		if (web_int(last, "run") > 0)
			wp_fmt(p, "<a href=\"/runs/%lld\">%lld</a>",
			    (long long)web_int(last, "run"),
			    (long long)web_int(last, "run"));
		wp_raw(p, " (");
		wp_text(p, json_string_value(json_object_get(last,
		    "trigger")));
		wp_raw(p, ")</td></tr><tr><th>Result</th><td class=\"st-");
		wp_text(p, status);
		wp_raw(p, "\">");
		wp_text(p, status);
		wp_raw(p, "</td></tr><tr><th>Ended</th><td>");
		wp_time(p, web_int(last, "ended"));
		wp_raw(p, "</td></tr><tr><th>Duration</th><td>");
		wp_duration(p, web_int(last, "ended") -
		    web_int(last, "started"));
		wp_fmt(p, "</td></tr><tr><th>Changes</th><td>%lld created, "
		    "%lld updated, %lld enabled, %lld disabled, %lld deleted, "
		    "%lld errors</td></tr>",
		    (long long)web_int(c, "created"),
		    (long long)web_int(c, "updated"),
		    (long long)web_int(c, "enabled"),
		    (long long)web_int(c, "disabled"),
		    (long long)web_int(c, "deleted"),
		    (long long)web_int(c, "errors"));
		if ((err = json_string_value(json_object_get(last,
		    "error"))) != NULL) {
			wp_raw(p, "<tr><th>Error</th><td>");
			wp_text(p, err);
			wp_raw(p, "</td></tr>");
		}
		wp_raw(p, "</tbody></table>");
	}
	wp_raw(p, "<p>Last successful sync: ");
	wp_time(p, web_int(st, "last_success"));
	wp_raw(p, ". Daemon up since ");
	wp_time(p, web_int(st, "started"));
	wp_raw(p, ".</p>");
	wp_end(p);
	json_decref(st);
}

void
web_view_status_json(struct web_req *r, struct web_page *p)
{
	json_t *st;
	char why[1024], *text;

	p->ctype = "application/json";
	st = web_ctl(r->w, json_pack("{s:s}", "cmd", "status"),
	    WEB_STATUS_TIMEOUT_MS, why, sizeof(why));
	if (st == NULL) {
		p->status = 503;
		st = json_pack("{s:s}", "error", why);
	}
	text = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	if (text == NULL) {
		p->failed = true;
		return;
	}
	wp_raw(p, text);
	free(text);
}

void
web_post_sync(struct web_req *r, struct web_page *p)
{
	bool full = web_field(r, "full") != NULL;
	json_t *ans;
	char why[1024];

	ans = web_ctl(r->w, json_pack("{s:s,s:b,s:b}", "cmd", "sync", "full",
	    full, "wait", false), WEB_STATUS_TIMEOUT_MS, why, sizeof(why));
	if (ans == NULL) {
		wp_redirect_err(p, "/", why);
		return;
	}
	wp_redirect(p, "/", json_is_true(json_object_get(ans,
	    "after_running")) ? "A sync is running; yours follows it." :
	    full ? "Full sync started." : "Sync started.");
	json_decref(ans);
}

/* The run number of an approve or reject form; 0 when bad. */
static json_int_t
web_form_run(struct web_req *r)
{
	const char *s = web_field(r, "run"), *errstr;
	long long v;

	if (s == NULL || strparse_num(s, 1, INT64_MAX, &v, &errstr) < 0)
		return 0;
	return (json_int_t)v;
}

void
web_post_approve(struct web_req *r, struct web_page *p)
{
	json_int_t run = web_form_run(r);
	json_t *ans;
	char why[1024];

	if (run == 0) {
		wp_redirect_err(p, "/", "No run was given to approve.");
		return;
	}
	ans = web_ctl(r->w, json_pack("{s:s,s:I,s:b}", "cmd", "approve",
	    "run", run, "wait", false), WEB_STATUS_TIMEOUT_MS, why,
	    sizeof(why));
	if (ans == NULL) {
		wp_redirect_err(p, "/", why);
		return;
	}
	json_decref(ans);
	wp_redirect(p, "/", "Approved: the held removals are applied by the "
	    "sync that has started.");
}

void
web_post_reject(struct web_req *r, struct web_page *p)
{
	json_int_t run = web_form_run(r);
	json_t *ans;
	char why[1024], msg[256];

	if (run == 0) {
		wp_redirect_err(p, "/", "No run was given to reject.");
		return;
	}
	/* The engine records it between cycles: wait for a running one. */
	ans = web_ctl(r->w, json_pack("{s:s,s:I}", "cmd", "reject", "run",
	    run), 60000, why, sizeof(why));
	if (ans == NULL) {
		wp_redirect_err(p, "/", why);
		return;
	}
	snprintf(msg, sizeof(msg), "Rejected: %lld removal(s) of run %lld "
	    "will not be made.", (long long)web_int(ans, "rejected"),
	    (long long)run);
	json_decref(ans);
	wp_redirect(p, "/", msg);
}
