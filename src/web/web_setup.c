/*
 * Registration and Settings: what an administrator who does not live in a
 * shell needs to set adsync up from the browser.
 *
 *   - Registration (no [rackspace] user_key yet): the API user key and
 *     secret key are checked against the API (the account's domains are
 *     listed with them) before anything is kept; the secret goes to
 *     secret_key_file (0600), never to the configuration file, the log or
 *     a page.
 *   - Settings: the AD connection (with "Test connection"), the Hosted
 *     Exchange and Rackspace Email groups chosen from the groups AD has
 *     (or "Do not sync"), the domains, the proxy-address option, the
 *     interval and the safety limits. "Save & start sync" writes the
 *     changed keys into the configuration file, keeping its comments and
 *     every other line (conf_edit_file), then asks the daemon to reload:
 *     no restart.
 *
 * The file is read afresh for every page, so edits made by hand show. A
 * password field left empty keeps the stored password; stored secrets are
 * never sent to the browser. One save at a time (w->conf_lock).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ad.h"
#include "diag.h"
#include "err.h"
#include "log.h"
#include "secret.h"
#include "target.h"
#include "web_internal.h"

#define WEB_CTL_TIMEOUT_MS 10000
/* Groups offered in a chooser; more means typing the DN. */
#define WEB_GROUPS_MAX 2000

/* Longest value a settings field keeps; every key's own limit is lower,
 * so conf_edit_file() refuses what is too long with the key's name. */
#define WEB_VAL_MAX 1024

/* The settings the form shows: from the file, or as posted (copies). */
struct web_setup_vals {
	char ad_uri[WEB_VAL_MAX], ad_base_dn[WEB_VAL_MAX];
	char ad_bind_dn[WEB_VAL_MAX], ad_ca_file[WEB_VAL_MAX];
	bool ad_starttls;
	char exchange_group[WEB_VAL_MAX], rackspace_email_group[WEB_VAL_MAX];
	char domains[WEB_VAL_MAX];
	bool proxy;
	char interval[WEB_VAL_MAX], max_deletes[WEB_VAL_MAX];
	char max_delete_percent[WEB_VAL_MAX];
	bool too_long;		/* a posted value did not fit */
};

/* Copies `s` into the field `dst`; false when it does not fit. */
static bool
web_val_set(char dst[WEB_VAL_MAX], const char *s)
{
	size_t n = strlen(s != NULL ? s : "");

	if (n >= WEB_VAL_MAX) {
		dst[0] = '\0';
		return false;
	}
	memcpy(dst, s != NULL ? s : "", n + 1);
	return true;
}

struct web_groups {
	struct ad_group *v;
	size_t n;
	bool more;
	char why[AD_WHY_MAX];	/* why there is no list, or "" */
};

static void
web_vals_from_conf(struct web_setup_vals *v, const struct conf *c)
{
	memset(v, 0, sizeof(*v));
	(void)web_val_set(v->ad_uri, c->ad.uri);
	(void)web_val_set(v->ad_base_dn, c->ad.base_dn);
	(void)web_val_set(v->ad_bind_dn, c->ad.bind_dn);
	(void)web_val_set(v->ad_ca_file, c->ad.ca_file);
	v->ad_starttls = c->ad.starttls;
	(void)web_val_set(v->exchange_group, c->sync.exchange_group);
	(void)web_val_set(v->rackspace_email_group,
	    c->sync.rackspace_email_group);
	(void)web_val_set(v->domains, c->sync.domains);
	v->proxy = c->sync.sync_proxy_addresses;
	snprintf(v->interval, sizeof(v->interval), "%u", c->sync.interval);
	snprintf(v->max_deletes, sizeof(v->max_deletes), "%u",
	    c->sync.max_deletes);
	snprintf(v->max_delete_percent, sizeof(v->max_delete_percent), "%u",
	    c->sync.max_delete_percent);
}

static const char *
web_f(struct web_req *r, const char *name)
{
	const char *s = web_field(r, name);

	return s != NULL ? s : "";
}

static void
web_vals_from_form(struct web_setup_vals *v, struct web_req *r)
{
	bool ok = true;

	memset(v, 0, sizeof(*v));
	ok &= web_val_set(v->ad_uri, web_f(r, "ad_uri"));
	ok &= web_val_set(v->ad_base_dn, web_f(r, "ad_base_dn"));
	ok &= web_val_set(v->ad_bind_dn, web_f(r, "ad_bind_dn"));
	ok &= web_val_set(v->ad_ca_file, web_f(r, "ad_ca_file"));
	v->ad_starttls = web_field(r, "ad_starttls") != NULL;
	ok &= web_val_set(v->exchange_group, web_f(r, "exchange_group"));
	ok &= web_val_set(v->rackspace_email_group, web_f(r,
	    "rackspace_email_group"));
	ok &= web_val_set(v->domains, web_f(r, "domains"));
	v->proxy = web_field(r, "sync_proxy_addresses") != NULL;
	ok &= web_val_set(v->interval, web_f(r, "interval"));
	ok &= web_val_set(v->max_deletes, web_f(r, "max_deletes"));
	ok &= web_val_set(v->max_delete_percent, web_f(r,
	    "max_delete_percent"));
	v->too_long = !ok;
}

/* The configuration file as it is now; NULL and `dg` filled when it has
 * errors. */
static struct conf *
web_conf_now(struct web *w, struct diag *dg)
{
	struct conf *c = NULL;

	if (conf_load_file(w->conf_path, &c, dg) < 0)
		return NULL;
	return c;
}

/* The file for a POST: NULL, and the answer sends back to the page that
 * lists the problems, when it has errors. */
static struct conf *
web_conf_for_post(struct web_req *r, struct web_page *p)
{
	struct diag dg;
	struct conf *c;

	diag_init(&dg);
	c = web_conf_now(r->w, &dg);
	diag_fini(&dg);
	if (c == NULL)
		wp_redirect_err(p, "/setup", "The configuration file has "
		    "errors; fix them first.");
	return c;
}

static void
web_diag_note(struct web_page *p, const struct diag *dg)
{
	char line[1024];
	size_t i;

	for (i = 0; i < dg->n; i++) {
		if (dg->v[i].line > 0)
			snprintf(line, sizeof(line), "%s:%u: %s",
			    dg->v[i].file != NULL ? dg->v[i].file : "",
			    dg->v[i].line, dg->v[i].msg);
		else
			snprintf(line, sizeof(line), "%s", dg->v[i].msg);
		wp_note(p, "error", line);
	}
}

/* A secret from a form into a temporary 0600 file beside `path`
 * ("PATH.new"), for a check before it replaces the real one. */
static int
web_secret_stage(const char *path, const char *value, char *tmp,
    size_t tmplen, char *why, size_t whylen)
{
	if ((size_t)snprintf(tmp, tmplen, "%s.new", path) >= tmplen) {
		snprintf(why, whylen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	return secret_write_file(tmp, value, strlen(value), why, whylen);
}

static int
web_secret_commit(const char *tmp, const char *path, char *why,
    size_t whylen)
{
	if (rename(tmp, path) < 0) {
		int r = -errno;

		snprintf(why, whylen, "cannot put the new secret in place at "
		    "%s: %s", path, adsync_strerror(r));
		(void)unlink(tmp);
		return r;
	}
	return 0;
}

static int
web_group_cb(void *arg, const struct ad_group *g)
{
	struct web_groups *gs = arg;

	gs->v[gs->n++] = *g;
	return 0;
}

/* The groups of the directory `ad` describes, into `gs`. */
static void
web_groups_load(const struct conf_ad *ad, struct web_groups *gs)
{
	struct ad_conn *conn = NULL;
	int r;

	memset(gs, 0, sizeof(*gs));
	if (ad->uri[0] == '\0' || ad->base_dn[0] == '\0') {
		snprintf(gs->why, sizeof(gs->why), "set the AD connection "
		    "first");
		return;
	}
	gs->v = calloc(WEB_GROUPS_MAX, sizeof(*gs->v));
	if (gs->v == NULL) {
		snprintf(gs->why, sizeof(gs->why), "out of memory");
		return;
	}
	if (ad_conn_new(ad, &conn, gs->why, sizeof(gs->why)) < 0)
		return;
	r = ad_list_groups(conn, WEB_GROUPS_MAX, web_group_cb, gs, gs->why,
	    sizeof(gs->why));
	if (r < 0)
		gs->n = 0;
	else
		gs->why[0] = '\0';
	gs->more = r == 1;
	ad_conn_free(conn);
}

static void
web_groups_free(struct web_groups *gs)
{
	free(gs->v);
}

/* A group chooser: "Do not sync", the security groups AD has, and the
 * current value even when it is not among them (a typed DN). */
static void
web_group_select(struct web_page *p, const char *id, const char *current,
    const struct web_groups *gs)
{
	bool found = current[0] == '\0';
	size_t i;

	if (gs->n == 0) {
		wp_fmt(p, "<input type=\"text\" id=\"%s\" name=\"%s\" "
		    "value=\"", id, id);
		wp_text(p, current);
		wp_raw(p, "\" placeholder=\"CN=Exchange Users,OU=Groups,"
		    "DC=example,DC=com (empty: do not sync)\">");
		return;
	}
	wp_fmt(p, "<select id=\"%s\" name=\"%s\"><option value=\"\">Do not "
	    "sync</option>", id, id);
	for (i = 0; i < gs->n; i++) {
		if (!gs->v[i].security)
			continue;
		wp_raw(p, "<option value=\"");
		wp_text(p, gs->v[i].dn);
		wp_raw(p, "\"");
		if (strcasecmp(gs->v[i].dn, current) == 0) {
			wp_raw(p, " selected");
			found = true;
		}
		wp_raw(p, ">");
		wp_text(p, gs->v[i].name[0] != '\0' ? gs->v[i].name :
		    gs->v[i].dn);
		wp_raw(p, " — ");
		wp_text(p, gs->v[i].dn);
		wp_raw(p, "</option>");
	}
	if (!found) {
		wp_raw(p, "<option selected value=\"");
		wp_text(p, current);
		wp_raw(p, "\">");
		wp_text(p, current);
		wp_raw(p, " (not found in AD)</option>");
	}
	wp_raw(p, "</select>");
}

static void
web_input(struct web_page *p, const char *id, const char *label,
    const char *type, const char *value, const char *hint)
{
	wp_fmt(p, "<label for=\"%s\">%s</label><input type=\"%s\" id=\"%s\" "
	    "name=\"%s\" value=\"", id, label, type, id, id);
	wp_text(p, value);
	wp_raw(p, "\">");
	if (hint != NULL) {
		wp_raw(p, "<p class=\"hint\">");
		wp_raw(p, hint);
		wp_raw(p, "</p>");
	}
}

static void
web_register_form(struct web_req *r, struct web_page *p,
    const struct conf *c)
{
	wp_raw(p, "<form method=\"post\" action=\"/setup/register\" "
	    "id=\"register-form\"><fieldset><legend>Rackspace API keys"
	    "</legend><p class=\"hint\">From the Control Panel: your name, "
	    "My Profile &amp; Settings, API Keys. The keys are checked "
	    "against ");
	wp_text(p, c->rackspace.api_url);
	wp_raw(p, " before they are kept; the secret key goes to ");
	wp_text(p, c->rackspace.secret_key_file);
	wp_raw(p, " (mode 0600) and is never shown again.</p>");
	wp_csrf(p, r);
	web_input(p, "user_key", "User key", "text", c->rackspace.user_key,
	    NULL);
	wp_raw(p, "<label for=\"secret_key\">Secret key</label><input "
	    "type=\"password\" id=\"secret_key\" name=\"secret_key\" "
	    "autocomplete=\"off\" required>"
	    "<p><button type=\"submit\" id=\"register\">Register</button></p>"
	    "</fieldset></form>");
}

static void
web_settings_form(struct web_req *r, struct web_page *p,
    const struct web_setup_vals *v, const struct web_groups *gs)
{
	wp_raw(p, "<form method=\"post\" action=\"/setup/settings\" "
	    "id=\"settings-form\">");
	wp_csrf(p, r);
	wp_raw(p, "<fieldset><legend>Active Directory</legend>");
	web_input(p, "ad_uri", "Domain controller URI(s)", "text", v->ad_uri,
	    "ldaps://dc1.example.com (several, blank-separated, are tried "
	    "in order). ldap:// needs StartTLS.");
	web_input(p, "ad_base_dn", "Base DN", "text", v->ad_base_dn,
	    "The subtree adsync reads, e.g. DC=example,DC=com.");
	web_input(p, "ad_bind_dn", "Bind account", "text", v->ad_bind_dn,
	    "A UPN (adsync@example.com), DOMAIN\\user or a DN.");
	wp_raw(p, "<label for=\"ad_bind_password\">Bind password</label>"
	    "<input type=\"password\" id=\"ad_bind_password\" "
	    "name=\"ad_bind_password\" autocomplete=\"new-password\">"
	    "<p class=\"hint\">Leave empty to keep the stored password.</p>");
	web_input(p, "ad_ca_file", "CA certificate file", "text",
	    v->ad_ca_file, "PEM file of the CA that signed the DC's "
	    "certificate; empty: the system's CAs. Certificates are always "
	    "verified.");
	wp_fmt(p, "<label><input type=\"checkbox\" name=\"ad_starttls\" "
	    "id=\"ad_starttls\"%s> Use StartTLS on ldap:// URIs</label>",
	    v->ad_starttls ? " checked" : "");
	wp_raw(p, "<p><button type=\"submit\" class=\"secondary\" "
	    "formaction=\"/setup/test-ad\" id=\"test-ad\">Test connection"
	    "</button></p></fieldset>");

	wp_raw(p, "<fieldset><legend>What to sync</legend>");
	if (gs->why[0] != '\0') {
		wp_raw(p, "<p class=\"hint\">The groups of AD cannot be listed "
		    "(");
		wp_text(p, gs->why);
		wp_raw(p, "): type the group's DN.</p>");
	} else if (gs->more) {
		wp_fmt(p, "<p class=\"hint\">AD has more than %d groups; only "
		    "the first are listed.</p>", WEB_GROUPS_MAX);
	}
	wp_raw(p, "<label for=\"exchange_group\">Hosted Exchange group"
	    "</label>");
	web_group_select(p, "exchange_group", v->exchange_group, gs);
	wp_raw(p, "<p class=\"hint\">Direct members get an Exchange mailbox; "
	    "mail-enabled groups nested in it become distribution lists and "
	    "contacts in it Exchange contacts.</p>"
	    "<label for=\"rackspace_email_group\">Rackspace Email group"
	    "</label>");
	web_group_select(p, "rackspace_email_group",
	    v->rackspace_email_group, gs);
	wp_raw(p, "<p class=\"hint\">Direct members get a Rackspace Email "
	    "mailbox.</p>");
	web_input(p, "domains", "E-mail domains", "text", v->domains,
	    "Blank-separated domains of the account that adsync manages.");
	wp_fmt(p, "<label><input type=\"checkbox\" "
	    "name=\"sync_proxy_addresses\" id=\"sync_proxy_addresses\"%s> "
	    "Sync proxyAddresses as alternate addresses (Exchange)</label>",
	    v->proxy ? " checked" : "");
	wp_raw(p, "</fieldset><fieldset><legend>Schedule and safety"
	    "</legend>");
	web_input(p, "interval", "Safety-net sync every (seconds)", "number",
	    v->interval, "Changes flow at once through AD change "
	    "notification; this periodic sync catches anything missed.");
	web_input(p, "max_deletes", "Most removals one sync may make",
	    "number", v->max_deletes, "More disables or deletes than this "
	    "are held until you approve them.");
	web_input(p, "max_delete_percent",
	    "Most removals as a share of synced objects (%)", "number",
	    v->max_delete_percent, NULL);
	wp_raw(p, "</fieldset><p><button type=\"submit\" id=\"save\">Save "
	    "&amp; start sync</button></p></form>");
}

/*
 * The set-up page: registration when no key is set, then the settings,
 * with `posted` values (NULL: the file's) and the groups listed through
 * `ad_posted` (NULL: the file's [ad] section).
 */
static void
web_setup_page(struct web_req *r, struct web_page *p,
    struct web_setup_vals *posted, const char *note_kind,
    const char *note, const struct diag *errors,
    const struct conf_ad *ad_posted)
{
	struct web_setup_vals *v, own;
	struct web_groups gs;
	struct conf_ad ad;
	struct diag dg;
	struct conf *c;

	diag_init(&dg);
	c = web_conf_now(r->w, &dg);
	wp_begin(p, r, "Settings", "setup");
	if (note != NULL)
		wp_note(p, note_kind, note);
	if (errors != NULL)
		web_diag_note(p, errors);
	if (c == NULL) {
		wp_note(p, "error", "The configuration file has errors; fix "
		    "them in the file (the console does not overwrite a file "
		    "it cannot read):");
		web_diag_note(p, &dg);
		diag_fini(&dg);
		wp_end(p);
		return;
	}
	diag_fini(&dg);
	if (c->rackspace.user_key[0] == '\0') {
		wp_raw(p, "<p>Step 1 of 2: register adsync with your Rackspace "
		    "account.</p>");
		web_register_form(r, p, c);
		wp_end(p);
		conf_free(c);
		return;
	}
	if ((v = posted) == NULL) {
		web_vals_from_conf(&own, c);
		v = &own;
	}
	ad = ad_posted != NULL ? *ad_posted : c->ad;
	web_groups_load(&ad, &gs);
	wp_raw(p, "<p>Registered with user key <code id=\"user-key\">");
	wp_text(p, c->rackspace.user_key);
	wp_raw(p, "</code>. Settings are kept in <code>");
	wp_text(p, r->w->conf_path);
	wp_raw(p, "</code>; saving keeps its comments and other lines.</p>");
	web_settings_form(r, p, v, &gs);
	wp_raw(p, "<details><summary>Change the API keys</summary>");
	web_register_form(r, p, c);
	wp_raw(p, "</details>");
	wp_end(p);
	web_groups_free(&gs);
	conf_free(c);
}

void
web_view_setup(struct web_req *r, struct web_page *p)
{
	web_setup_page(r, p, NULL, NULL, NULL, NULL, NULL);
}

/* Asks the daemon to read the file again; a message for the next page. */
static bool
web_reload(struct web_req *r, char *msg, size_t msglen)
{
	json_t *ans;
	char why[1024];

	ans = web_ctl(r->w, json_pack("{s:s}", "cmd", "reload"),
	    WEB_CTL_TIMEOUT_MS, why, sizeof(why));
	if (ans == NULL) {
		snprintf(msg, msglen, "Saved, but the daemon did not take the "
		    "new settings: %s", why);
		return false;
	}
	snprintf(msg, msglen, "%s", json_is_true(json_object_get(ans,
	    "setup_needed")) ? "Saved. Finish the settings below to start "
	    "syncing." : "Saved and applied: the sync has started.");
	json_decref(ans);
	return true;
}

void
web_post_register(struct web_req *r, struct web_page *p)
{
	const char *key = web_f(r, "user_key"), *secret = web_f(r,
	    "secret_key");
	struct conf_rackspace rc;
	struct conf_edit ed[1];
	char keycopy[WEB_VAL_MAX];
	struct rs_client *client = NULL;
	struct rs_records recs;
	struct rs_error err;
	struct diag dg;
	struct conf *c;
	char why[1024], tmp[4096], msg[1200], doms[512];
	size_t i, off = 0;
	bool applied;

	if ((c = web_conf_for_post(r, p)) == NULL)
		return;
	if (key[0] == '\0' || secret[0] == '\0' || strlen(key) >=
	    WEB_VAL_MAX) {
		conf_free(c);
		web_setup_page(r, p, NULL, "error", "Enter both the user key "
		    "and the secret key.", NULL, NULL);
		return;
	}
	pthread_mutex_lock(&r->w->conf_lock);
	rs_records_init(&recs);
	rs_error_clear(&err);
	if (web_secret_stage(c->rackspace.secret_key_file, secret, tmp,
	    sizeof(tmp), why, sizeof(why)) < 0)
		goto fail;
	rc = c->rackspace;
	(void)web_val_set(keycopy, key);
	rc.user_key = keycopy;
	rc.secret_key_file = tmp;
	if (rs_client_new(&rc, &client, why, sizeof(why)) < 0)
		goto fail_tmp;
	if (rs_domain_list(client, &recs, &err) < 0) {
		rs_error_format(&err, why, sizeof(why));
		goto fail_tmp;
	}
	doms[0] = '\0';
	for (i = 0; i < recs.n && off < sizeof(doms) - 64; i++) {
		const char *d = rs_record_get(&recs.v[i], "name");

		off += (size_t)snprintf(doms + off, sizeof(doms) - off, "%s%s",
		    i > 0 ? ", " : "", d != NULL ? d : "?");
	}
	if (web_secret_commit(tmp, c->rackspace.secret_key_file, why,
	    sizeof(why)) < 0)
		goto fail;
	ed[0] = (struct conf_edit){ "rackspace", "user_key", key };
	diag_init(&dg);
	if (conf_edit_file(r->w->conf_path, ed, 1, &dg, why,
	    sizeof(why)) < 0) {
		pthread_mutex_unlock(&r->w->conf_lock);
		rs_client_free(client);
		rs_records_fini(&recs);
		conf_free(c);
		web_setup_page(r, p, NULL, "error", why, &dg, NULL);
		diag_fini(&dg);
		return;
	}
	diag_fini(&dg);
	pthread_mutex_unlock(&r->w->conf_lock);
	log_info("console: API keys registered from %s (user key %s)",
	    r->client, key);
	applied = web_reload(r, msg, sizeof(msg));
	if (applied)
		snprintf(msg, sizeof(msg), "Registered: the API answered for "
		    "%zu domain(s)%s%s. Now set up the AD connection and the "
		    "groups.", recs.n, recs.n > 0 ? ": " : "", doms);
	rs_client_free(client);
	rs_records_fini(&recs);
	conf_free(c);
	if (applied)
		wp_redirect(p, "/setup", msg);
	else
		wp_redirect_err(p, "/setup", msg);
	return;
fail_tmp:
	(void)unlink(tmp);
fail:
	pthread_mutex_unlock(&r->w->conf_lock);
	rs_client_free(client);
	rs_records_fini(&recs);
	conf_free(c);
	snprintf(msg, sizeof(msg), "The keys were not accepted: %s. Nothing "
	    "was saved; check the keys in the Control Panel and try again.",
	    why);
	log_info("console: API key check from %s failed: %s", r->client,
	    why);
	web_setup_page(r, p, NULL, "error", msg, NULL, NULL);
}

/* The [ad] section of `c` with the posted connection settings; a posted
 * password is staged in `tmp` (""= none, the stored one is used). */
static int
web_posted_ad(struct web_req *r, const struct conf *c,
    struct web_setup_vals *v, struct conf_ad *ad, char *tmp,
    size_t tmplen, char *why, size_t whylen)
{
	const char *pw = web_f(r, "ad_bind_password");

	*ad = c->ad;
	ad->uri = v->ad_uri;
	ad->base_dn = v->ad_base_dn;
	ad->bind_dn = v->ad_bind_dn;
	ad->ca_file = v->ad_ca_file;
	ad->starttls = v->ad_starttls;
	tmp[0] = '\0';
	if (pw[0] == '\0')
		return 0;
	if (web_secret_stage(c->ad.bind_password_file, pw, tmp, tmplen, why,
	    whylen) < 0) {
		tmp[0] = '\0';
		return -1;
	}
	ad->bind_password_file = tmp;
	return 0;
}

void
web_post_test_ad(struct web_req *r, struct web_page *p)
{
	struct web_setup_vals v;
	struct ad_conn *conn = NULL;
	struct conf_ad ad;
	struct conf *c;
	char why[AD_WHY_MAX], tmp[4096], msg[AD_WHY_MAX + 256];
	bool ok = false;

	web_vals_from_form(&v, r);
	if ((c = web_conf_for_post(r, p)) == NULL)
		return;
	if (web_posted_ad(r, c, &v, &ad, tmp, sizeof(tmp), why,
	    sizeof(why)) == 0) {
		if (ad.uri[0] == '\0' || ad.base_dn[0] == '\0')
			snprintf(why, sizeof(why), "enter the URI and the base "
			    "DN");
		else if (ad_conn_new(&ad, &conn, why, sizeof(why)) == 0)
			ok = true;
	}
	ad_conn_free(conn);
	if (ok)
		snprintf(msg, sizeof(msg), "Connected to %s and bound as %s. "
		    "Choose the groups below, then save.", v.ad_uri,
		    v.ad_bind_dn);
	else
		snprintf(msg, sizeof(msg), "Cannot connect: %s", why);
	/* The groups are listed with the posted settings (and password). */
	web_setup_page(r, p, &v, ok ? "ok" : "error", msg, NULL,
	    ok ? &ad : NULL);
	if (tmp[0] != '\0')
		(void)unlink(tmp);
	conf_free(c);
}

void
web_post_settings(struct web_req *r, struct web_page *p)
{
	struct web_setup_vals v;
	struct conf_edit ed[12];
	const char *pw = web_f(r, "ad_bind_password");
	struct diag dg;
	struct conf *c;
	char why[1024], tmp[4096], msg[1200];
	size_t n = 0;

	web_vals_from_form(&v, r);
	if ((c = web_conf_for_post(r, p)) == NULL)
		return;
	ed[n++] = (struct conf_edit){ "ad", "uri", v.ad_uri };
	ed[n++] = (struct conf_edit){ "ad", "base_dn", v.ad_base_dn };
	ed[n++] = (struct conf_edit){ "ad", "bind_dn", v.ad_bind_dn };
	ed[n++] = (struct conf_edit){ "ad", "ca_file", v.ad_ca_file };
	ed[n++] = (struct conf_edit){ "ad", "starttls", v.ad_starttls ?
	    "true" : "false" };
	ed[n++] = (struct conf_edit){ "sync", "exchange_group",
	    v.exchange_group };
	ed[n++] = (struct conf_edit){ "sync", "rackspace_email_group",
	    v.rackspace_email_group };
	ed[n++] = (struct conf_edit){ "sync", "domains", v.domains };
	ed[n++] = (struct conf_edit){ "sync", "sync_proxy_addresses",
	    v.proxy ? "true" : "false" };
	ed[n++] = (struct conf_edit){ "sync", "interval", v.interval };
	ed[n++] = (struct conf_edit){ "sync", "max_deletes", v.max_deletes };
	ed[n++] = (struct conf_edit){ "sync", "max_delete_percent",
	    v.max_delete_percent };
	pthread_mutex_lock(&r->w->conf_lock);
	/* A new bind password first: the edited file must name a password
	 * file that exists (conf_edit_file checks it). */
	tmp[0] = '\0';
	if (pw[0] != '\0' && (web_secret_stage(c->ad.bind_password_file, pw,
	    tmp, sizeof(tmp), why, sizeof(why)) < 0 ||
	    web_secret_commit(tmp, c->ad.bind_password_file, why,
	    sizeof(why)) < 0)) {
		pthread_mutex_unlock(&r->w->conf_lock);
		conf_free(c);
		web_setup_page(r, p, &v, "error", why, NULL, NULL);
		return;
	}
	diag_init(&dg);
	if (conf_edit_file(r->w->conf_path, ed, n, &dg, why,
	    sizeof(why)) < 0) {
		pthread_mutex_unlock(&r->w->conf_lock);
		conf_free(c);
		snprintf(msg, sizeof(msg), "Not saved: %s", why);
		web_setup_page(r, p, &v, "error", msg, &dg, NULL);
		diag_fini(&dg);
		return;
	}
	diag_fini(&dg);
	pthread_mutex_unlock(&r->w->conf_lock);
	conf_free(c);
	log_info("console: settings saved from %s", r->client);
	if (web_reload(r, msg, sizeof(msg)))
		wp_redirect(p, "/", msg);
	else
		wp_redirect_err(p, "/setup", msg);
}
