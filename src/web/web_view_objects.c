/*
 * Alerts, Objects and Password hooks. An object's page is the daemon's
 * `explain` made readable: why it is (not) synced in plain words, its AD
 * values, what adsync last wrote to its mailbox, field by field beside the
 * AD attribute that feeds it, what is pending and what was done.
 */
#include <stdio.h>
#include <string.h>

#include "web_internal.h"

#define WEB_CTL_TIMEOUT_MS 10000
/* explain plans on the engine thread, between cycles: a long cycle
 * delays it, and the page then shows what the state alone says. */
#define WEB_EXPLAIN_TIMEOUT_MS 15000

/* A link to the object page of `guid` showing `label`. */
static void
web_obj_link(struct web_page *p, const char *guid, const char *label)
{
	if (guid[0] == '\0' || strcmp(guid,
	    "00000000-0000-0000-0000-000000000000") == 0) {
		wp_text(p, label);
		return;
	}
	wp_raw(p, "<a href=\"/objects/");
	wp_url(p, guid);
	wp_raw(p, "\">");
	wp_text(p, label[0] != '\0' ? label : guid);
	wp_raw(p, "</a>");
}

/*
 * An alert's message is one sentence in the seed's words that ends with
 * its fix after "; " (house style): shown as the problem and the fix.
 */
static void
web_alert_fix(struct web_page *p, const char *msg, bool fix)
{
	const char *semi = strstr(msg, "; ");
	char head[2048];

	if (semi == NULL) {
		/* The sentence says what to do without a separate fix. */
		wp_text(p, fix ? "see the message" : msg);
		return;
	}
	if (fix) {
		wp_text(p, semi + 2);
		return;
	}
	snprintf(head, sizeof(head), "%.*s", (int)(semi - msg), msg);
	wp_text(p, head);
}

void
web_view_alerts(struct web_req *r, struct web_page *p)
{
	json_t *ans, *alerts, *a;
	char why[1024];
	size_t i;

	ans = web_ctl(r->w, json_pack("{s:s}", "cmd", "alerts"),
	    WEB_CTL_TIMEOUT_MS, why, sizeof(why));
	wp_begin(p, r, "Alerts", "alerts");
	if (ans == NULL) {
		wp_note(p, "error", why);
		wp_end(p);
		return;
	}
	alerts = json_object_get(ans, "alerts");
	if (json_array_size(alerts) == 0) {
		wp_raw(p, "<p id=\"no-alerts\">No open alert: every object in "
		    "scope is in step.</p>");
	} else {
		wp_fmt(p, "<p>%zu open alert(s). An alert closes by itself at "
		    "the next sync after its cause is fixed in AD.</p>",
		    json_array_size(alerts));
		wp_raw(p, "<div class=\"scroll\"><table id=\"alerts\"><thead>"
		    "<tr><th>Level</th><th>Object</th><th>Service</th>"
		    "<th>Problem</th><th>How to fix it</th><th>Since</th>"
		    "</tr></thead><tbody>");
		json_array_foreach(alerts, i, a) {
			const char *level = web_str(a, "level");

			wp_raw(p, "<tr><td class=\"st-");
			wp_text(p, level);
			wp_raw(p, "\">");
			wp_text(p, level);
			wp_raw(p, "</td><td>");
			web_obj_link(p, web_str(a, "guid"), web_str(a, "dn"));
			wp_raw(p, "</td><td>");
			wp_service(p, web_str(a, "service"));
			wp_raw(p, "</td><td class=\"alert-message\">");
			web_alert_fix(p, web_str(a, "message"), false);
			wp_raw(p, "</td><td class=\"alert-fix\">");
			web_alert_fix(p, web_str(a, "message"), true);
			wp_raw(p, "</td><td>");
			wp_time(p, web_int(a, "first_seen"));
			wp_raw(p, "</td></tr>");
		}
		wp_raw(p, "</tbody></table></div>");
	}
	wp_end(p);
	json_decref(ans);
}

void
web_view_objects(struct web_req *r, struct web_page *p)
{
	const char *q = web_arg(r, "q");
	json_t *ans, *objs, *o;
	char why[1024];
	size_t i;

	wp_begin(p, r, "Objects", "objects");
	wp_raw(p, "<form method=\"get\" action=\"/objects\" id=\"search\">"
	    "<label for=\"q\">Find an object</label><input type=\"search\" "
	    "id=\"q\" name=\"q\" placeholder=\"name, address, DN or GUID\" "
	    "value=\"");
	wp_text(p, q != NULL ? q : "");
	wp_raw(p, "\" autofocus><p><button type=\"submit\">Search</button>"
	    "</p></form>");
	if (q == NULL || q[0] == '\0') {
		wp_end(p);
		return;
	}
	ans = web_ctl(r->w, json_pack("{s:s,s:s}", "cmd", "objects", "q", q),
	    WEB_CTL_TIMEOUT_MS, why, sizeof(why));
	if (ans == NULL) {
		wp_note(p, "error", why);
		wp_end(p);
		return;
	}
	objs = json_object_get(ans, "objects");
	if (json_array_size(objs) == 0) {
		wp_raw(p, "<p id=\"no-objects\">Nothing matches.</p>");
	} else {
		wp_raw(p, "<div class=\"scroll\"><table id=\"objects\"><thead>"
		    "<tr><th>Object</th><th>Kind</th><th>Synced as</th>"
		    "<th>Service</th><th>State</th></tr></thead><tbody>");
		json_array_foreach(objs, i, o) {
			wp_raw(p, "<tr><td>");
			web_obj_link(p, web_str(o, "guid"), web_str(o, "dn"));
			wp_raw(p, "</td><td>");
			wp_text(p, web_str(o, "kind"));
			wp_raw(p, "</td><td>");
			wp_text(p, web_str(o, "address"));
			wp_raw(p, "</td><td>");
			if (web_str(o, "service")[0] != '\0')
				wp_service(p, web_str(o, "service"));
			wp_raw(p, "</td><td>");
			if (json_object_get(o, "enabled") != NULL)
				wp_raw(p, !json_is_true(json_object_get(o,
				    "in_scope")) ? "disabled (left scope)" :
				    json_is_true(json_object_get(o,
				    "enabled")) ? "enabled" : "disabled");
			else
				wp_raw(p, "not synced");
			wp_raw(p, "</td></tr>");
		}
		wp_raw(p, "</tbody></table></div>");
		if (json_is_true(json_object_get(ans, "more")))
			wp_raw(p, "<p>More objects match: narrow the search."
			    "</p>");
	}
	wp_end(p);
	json_decref(ans);
}

/* A JSON value as text: a string, or the values of an array joined. */
static void
web_value(struct web_page *p, const json_t *v)
{
	const json_t *x;
	size_t i;

	if (json_is_string(v)) {
		wp_text(p, json_string_value(v));
		return;
	}
	json_array_foreach(v, i, x) {
		if (i > 0)
			wp_raw(p, "<br>");
		wp_text(p, json_string_value(x));
	}
}

static void
web_object_synced(struct web_page *p, const json_t *rows)
{
	const json_t *row, *m, *map;
	size_t i, k;

	if (json_array_size(rows) == 0) {
		wp_raw(p, "<p id=\"not-synced\">Not synced to any service.</p>");
		return;
	}
	json_array_foreach(rows, i, row) {
		wp_raw(p, "<h2>");
		wp_service(p, web_str(row, "service"));
		wp_raw(p, " ");
		wp_text(p, web_str(row, "kind"));
		wp_raw(p, ": ");
		wp_text(p, web_str(row, "address"));
		wp_raw(p, "</h2><p>");
		wp_raw(p, !json_is_true(json_object_get(row, "in_scope")) ?
		    "Disabled by adsync: the object left scope (it is never "
		    "deleted)." : json_is_true(json_object_get(row,
		    "enabled")) ? "Enabled." : "Disabled.");
		wp_raw(p, "</p>");
		map = json_object_get(row, "mapping");
		if (json_array_size(map) == 0)
			continue;
		wp_raw(p, "<div class=\"scroll\"><table class=\"mapping\">"
		    "<thead><tr><th>AD attribute</th><th>AD value</th>"
		    "<th>Mailbox field</th><th>Value adsync wrote</th></tr>"
		    "</thead><tbody>");
		json_array_foreach(map, k, m) {
			const json_t *applied = json_object_get(m, "applied");
			bool differs = json_is_string(applied) && strcmp(
			    json_string_value(applied), web_str(m, "ad")) != 0;

			wp_raw(p, "<tr><td><code>");
			wp_text(p, web_str(m, "attribute"));
			wp_raw(p, "</code></td><td>");
			wp_text(p, web_str(m, "ad"));
			wp_raw(p, "</td><td><code>");
			wp_text(p, web_str(m, "field"));
			wp_raw(p, differs ? "</code></td><td class=\"diff\">" :
			    "</code></td><td>");
			if (json_is_string(applied))
				wp_text(p, json_string_value(applied));
			else
				wp_raw(p, "<span class=\"hint\">not written"
				    "</span>");
			wp_raw(p, "</td></tr>");
		}
		wp_raw(p, "</tbody></table></div>");
	}
}

/* When explain cannot answer (a long sync holds the engine): what the
 * state says of the object, from the loop's read-only handle. */
static void
web_object_brief(struct web_req *r, struct web_page *p, const char *key)
{
	json_t *ans, *o;
	char why[1024];
	size_t i;

	ans = web_ctl(r->w, json_pack("{s:s,s:s}", "cmd", "objects", "q",
	    key), WEB_CTL_TIMEOUT_MS, why, sizeof(why));
	if (ans == NULL)
		return;
	json_array_foreach(json_object_get(ans, "objects"), i, o) {
		wp_raw(p, "<p><strong id=\"object-dn\">");
		wp_text(p, web_str(o, "dn"));
		wp_raw(p, "</strong>");
		if (web_str(o, "address")[0] != '\0') {
			wp_raw(p, "<br>");
			wp_service(p, web_str(o, "service"));
			wp_raw(p, ": ");
			wp_text(p, web_str(o, "address"));
			wp_raw(p, json_is_true(json_object_get(o, "enabled")) ?
			    " (enabled)" : " (disabled)");
		}
		wp_raw(p, "</p>");
	}
	wp_raw(p, "<p>The full explanation needs the sync engine, which is "
	    "busy with a sync; reload this page when it ends.</p>");
	json_decref(ans);
}

void
web_view_object(struct web_req *r, struct web_page *p)
{
	const char *key = r->url + strlen("/objects/");
	json_t *ad, *attrs, *v, *arr, *x;
	const char *k;
	json_t *ans;
	char why[1024];
	size_t i;

	/* The key comes from the address, decoded by libmicrohttpd: text
	 * is checked here (forms and queries are by web_form). */
	if (web_text_check(key, strlen(key), false) < 0) {
		wp_error_page(p, r, 400, "Bad request", "The object named in "
		    "the address is not UTF-8 text; search for it on the "
		    "Objects page.");
		return;
	}
	ans = web_ctl(r->w, json_pack("{s:s,s:s}", "cmd", "explain", "key",
	    key), WEB_EXPLAIN_TIMEOUT_MS, why, sizeof(why));
	wp_begin(p, r, "Object", "objects");
	if (ans == NULL) {
		wp_note(p, "error", why);
		web_object_brief(r, p, key);
		wp_end(p);
		return;
	}
	ad = json_object_get(ans, "ad");
	wp_raw(p, "<p><strong id=\"object-dn\">");
	wp_text(p, ad != NULL ? web_str(ad, "dn") : web_str(ans, "key"));
	wp_raw(p, "</strong><br><span class=\"hint\">GUID ");
	wp_text(p, web_str(ans, "guid"));
	wp_raw(p, "</span></p><h2>Why</h2><ul id=\"explain\">");
	json_array_foreach(json_object_get(ans, "scope"), i, x) {
		wp_raw(p, "<li>");
		wp_text(p, json_string_value(x));
		wp_raw(p, "</li>");
	}
	arr = json_object_get(ans, "pending");
	json_array_foreach(arr, i, x) {
		wp_raw(p, "<li>Next sync: ");
		wp_text(p, web_str(x, "op"));
		wp_raw(p, " ");
		wp_text(p, web_str(x, "address"));
		wp_raw(p, " — ");
		wp_text(p, web_str(x, "reason"));
		wp_raw(p, "</li>");
	}
	if (json_array_size(arr) == 0)
		wp_raw(p, "<li>Nothing is pending: the service is in step "
		    "with AD for this object.</li>");
	json_array_foreach(json_object_get(ans, "alerts"), i, x) {
		wp_raw(p, "<li class=\"st-error\">Alert: ");
		wp_text(p, web_str(x, "message"));
		wp_raw(p, "</li>");
	}
	wp_raw(p, "</ul>");
	web_object_synced(p, json_object_get(ans, "synced"));
	if (ad != NULL) {
		wp_raw(p, "<h2>In AD</h2><div class=\"scroll\"><table "
		    "id=\"ad-values\"><tbody><tr><th>kind</th><td>");
		wp_text(p, web_str(ad, "kind"));
		wp_raw(p, "</td></tr>");
		attrs = json_object_get(ad, "attributes");
		json_object_foreach(attrs, k, v) {
			wp_raw(p, "<tr><th><code>");
			wp_text(p, k);
			wp_raw(p, "</code></th><td>");
			web_value(p, v);
			wp_raw(p, "</td></tr>");
		}
		wp_raw(p, "<tr><th>member of</th><td>");
		web_value(p, json_object_get(ad, "member_of"));
		wp_raw(p, "</td></tr></tbody></table></div>");
	}
	arr = json_object_get(ans, "operations");
	if (json_array_size(arr) > 0) {
		wp_raw(p, "<h2>Last operations</h2><div class=\"scroll\">"
		    "<table id=\"object-ops\"><thead><tr><th>Run</th>"
		    "<th>Operation</th><th>Service</th><th>Result</th>"
		    "<th>When</th></tr></thead><tbody>");
		json_array_foreach(arr, i, x) {
			wp_fmt(p, "<tr><td><a href=\"/runs/%lld\">%lld</a>"
			    "</td><td>", (long long)web_int(x, "run"),
			    (long long)web_int(x, "run"));
			wp_text(p, web_str(x, "op"));
			wp_raw(p, "</td><td>");
			wp_service(p, web_str(x, "service"));
			wp_raw(p, "</td><td>");
			wp_text(p, web_str(x, "state"));
			if (web_str(x, "result")[0] != '\0') {
				wp_raw(p, ": ");
				wp_text(p, web_str(x, "result"));
			}
			wp_raw(p, "</td><td>");
			wp_time(p, web_int(x, "finished"));
			wp_raw(p, "</td></tr>");
		}
		wp_raw(p, "</tbody></table></div>");
	}
	wp_end(p);
	json_decref(ans);
}

void
web_view_hooks(struct web_req *r, struct web_page *p)
{
	json_t *ans, *dcs, *dc;
	char why[1024];
	size_t i;

	ans = web_ctl(r->w, json_pack("{s:s}", "cmd", "hooks"),
	    WEB_CTL_TIMEOUT_MS, why, sizeof(why));
	wp_begin(p, r, "Password hooks", "hooks");
	if (ans == NULL) {
		wp_note(p, "error", why);
		wp_end(p);
		return;
	}
	if (web_str(ans, "receiver")[0] != '\0') {
		wp_raw(p, "<p>The receiver listens on <code>");
		wp_text(p, web_str(ans, "receiver"));
		wp_raw(p, "</code> (mutual TLS).");
	} else {
		wp_raw(p, "<p>The receiver is off (no API keys yet, or "
		    "hook_listen is empty).");
	}
	wp_fmt(p, " <strong id=\"pw-queued\">%lld</strong> password "
	    "change(s) queued.</p>", (long long)web_int(ans, "queued"));
	dcs = json_object_get(ans, "dcs");
	if (json_array_size(dcs) == 0) {
		wp_raw(p, "<p id=\"no-dcs\">No domain controller is enrolled. "
		    "On this host, run <code>adsync hook enroll DCNAME</code> "
		    "for each DC and install the hook file it writes "
		    "(adsync-pwhook(8)).</p>");
	} else {
		wp_raw(p, "<div class=\"scroll\"><table id=\"dcs\"><thead><tr>"
		    "<th>DC</th><th>State</th><th>Last heartbeat</th>"
		    "<th>Last change</th><th class=\"num\">Captures</th>"
		    "<th class=\"num\">Spooled on the DC</th>"
		    "<th>Hook version</th><th>Certificate until</th></tr>"
		    "</thead><tbody>");
		json_array_foreach(dcs, i, dc) {
			const char *st = web_str(dc, "state");

			wp_raw(p, "<tr><td>");
			wp_text(p, web_str(dc, "dc"));
			wp_raw(p, "</td><td class=\"st-");
			wp_text(p, strcmp(st, "ok") == 0 ? "ok" : "quiet");
			wp_raw(p, "\">");
			wp_text(p, st);
			wp_raw(p, "</td><td>");
			wp_time(p, web_int(dc, "last_heartbeat"));
			wp_raw(p, "</td><td>");
			wp_time(p, web_int(dc, "last_change"));
			wp_fmt(p, "</td><td class=\"num\">%lld</td>"
			    "<td class=\"num\">%lld</td><td>",
			    (long long)web_int(dc, "captures"),
			    (long long)web_int(dc, "spooled"));
			wp_text(p, web_str(dc, "version"));
			wp_raw(p, "</td><td>");
			wp_time(p, web_int(dc, "not_after"));
			wp_raw(p, "</td></tr>");
		}
		wp_raw(p, "</tbody></table></div>");
	}
	wp_end(p);
	json_decref(ans);
}
