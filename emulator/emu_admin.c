/*
 * Admin API handlers (see emu_admin.h). Each takes the lock of the one
 * structure it touches, never two at once. Runs on the admin listener's
 * worker threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_admin.h"
#include "emu_api.h"
#include "emu_config.h"
#include "emu_faults.h"
#include "emu_reqlog.h"
#include "emu_throttle.h"
#include "err.h"
#include "log.h"
#include "strparse.h"

#define EMU_ADMIN_REQ_DEFAULT 10000
#define EMU_ADMIN_REQ_MAX 200000

static void
emu_admin_error(struct emu_resp *r, unsigned status, const char *msg)
{
	json_t *o = json_object();

	json_object_set_new(o, "error", json_string(msg));
	emu_resp_json(r, status, o);
}

static json_t *
emu_admin_objects(struct emu_state *st, int64_t domain_id, const char *dom,
    enum emu_kind kind)
{
	json_t *arr = json_array(), *j;
	struct emu_obj o;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0, i;
	sqlite3_stmt *s;

	/* Ids first: the show builders use statements of their own. */
	s = emu_state_stmt(st, EMU_SQL_OBJ_LIST_KIND);
	sqlite3_bind_int64(s, 1, domain_id);
	sqlite3_bind_int(s, 2, (int)kind);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = realloc(ids, cap * sizeof(*ids));
			if (ids == NULL)
				fatalx("out of memory");
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	for (i = 0; i < n; i++) {
		if (emu_state_obj_get_id(st, ids[i], &o) < 0)
			continue;
		switch (kind) {
		case EMU_K_RS_MBX:
			j = emu_api_show(&emu_api_rs_mbx.res, st, &o, dom);
			break;
		case EMU_K_EX_MBX:
			j = emu_api_show(&emu_api_ex_mbx.res, st, &o, dom);
			break;
		case EMU_K_CONTACT:
			j = emu_api_show(&emu_api_ex_contact_res, st, &o, dom);
			break;
		case EMU_K_ALIAS:
			j = emu_api_rs_alias_show(st, &o);
			break;
		default:
			j = emu_api_dl_show(st, &o, dom);
			break;
		}
		json_array_append_new(arr, j);
		emu_state_obj_fini(&o);
	}
	free(ids);
	return arr;
}

static json_t *
emu_admin_deleted(struct emu_state *st, int64_t domain_id, time_t now)
{
	json_t *arr = json_array(), *o;
	sqlite3_stmt *s;
	time_t at;

	s = emu_state_stmt(st, EMU_SQL_DELETED_LIST);
	sqlite3_bind_int64(s, 1, domain_id);
	sqlite3_bind_int64(s, 2, (int64_t)now - EMU_RECOVER_SECONDS);
	while (sqlite3_step(s) == SQLITE_ROW) {
		at = (time_t)sqlite3_column_int64(s, 1);
		o = json_object();
		json_object_set_new(o, "name",
		    json_string(emu_state_col_text(s, 0)));
		json_object_set_new(o, "displayName",
		    json_string(emu_state_col_text(s, 2)));
		json_object_set_new(o, "deletedDate", emu_api_time_json(at));
		json_object_set_new(o, "recoverableUntil",
		    emu_api_time_json(at + EMU_RECOVER_SECONDS));
		json_array_append_new(arr, o);
	}
	sqlite3_reset(s);
	return arr;
}

static json_t *
emu_admin_domain(struct emu_state *st, const char *name, time_t now)
{
	struct emu_domain d;
	sqlite3_stmt *s;
	json_t *o, *acc;

	if (emu_state_domain_get(st, name, &d) < 0)
		return NULL;
	o = json_object();
	json_object_set_new(o, "name", json_string(d.name));
	json_object_set_new(o, "serviceType",
	    json_string(emu_config_service_name(d.service)));
	json_object_set_new(o, "mailboxLimit", json_integer(d.mailbox_limit));
	acc = json_array();
	s = emu_state_stmt(st, EMU_SQL_ACCEPTED_LIST);
	sqlite3_bind_int64(s, 1, d.id);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(acc,
		    json_string(emu_state_col_text(s, 0)));
	sqlite3_reset(s);
	json_object_set_new(o, "acceptedDomains", acc);
	json_object_set_new(o, "rsMailboxes",
	    emu_admin_objects(st, d.id, d.name, EMU_K_RS_MBX));
	json_object_set_new(o, "exMailboxes",
	    emu_admin_objects(st, d.id, d.name, EMU_K_EX_MBX));
	json_object_set_new(o, "aliases",
	    emu_admin_objects(st, d.id, d.name, EMU_K_ALIAS));
	json_object_set_new(o, "contacts",
	    emu_admin_objects(st, d.id, d.name, EMU_K_CONTACT));
	json_object_set_new(o, "distributionLists",
	    emu_admin_objects(st, d.id, d.name, EMU_K_DL));
	json_object_set_new(o, "deletedMailboxes",
	    emu_admin_deleted(st, d.id, now));
	return o;
}

static void
emu_admin_state(struct emu *e, struct emu_resp *r)
{
	const struct emu_config *cfg = e->cfg;
	json_t *out = json_object(), *accts = json_array(), *a, *users, *doms;
	json_t *d;
	long long *seen;
	size_t nseen = 0, i, j, k;
	bool dup;

	seen = calloc(cfg->nusers + cfg->ndomains + 1, sizeof(*seen));
	if (seen == NULL) {
		json_decref(out);
		json_decref(accts);
		emu_admin_error(r, 500, "out of memory");
		return;
	}
	for (i = 0; i < cfg->nusers + cfg->ndomains; i++) {
		long long n = i < cfg->nusers ? cfg->users[i].account :
		    cfg->domains[i - cfg->nusers].account;

		dup = false;
		for (j = 0; j < nseen; j++)
			if (seen[j] == n)
				dup = true;
		if (!dup)
			seen[nseen++] = n;
	}
	emu_state_lock(e->state);
	for (k = 0; k < nseen; k++) {
		a = json_object();
		json_object_set_new(a, "accountNumber", json_integer(seen[k]));
		users = json_array();
		for (i = 0; i < cfg->nusers; i++)
			if (cfg->users[i].account == seen[k])
				json_array_append_new(users,
				    json_string(cfg->users[i].key));
		json_object_set_new(a, "userKeys", users);
		doms = json_array();
		for (i = 0; i < cfg->ndomains; i++) {
			if (cfg->domains[i].account != seen[k])
				continue;
			if ((d = emu_admin_domain(e->state,
			    cfg->domains[i].name, emu_now(e))) != NULL)
				json_array_append_new(doms, d);
		}
		json_object_set_new(a, "domains", doms);
		json_array_append_new(accts, a);
	}
	emu_state_unlock(e->state);
	free(seen);
	json_object_set_new(out, "accounts", accts);
	emu_resp_json(r, 200, out);
}

int
emu_admin_reset(struct emu *e)
{
	int r;

	emu_state_lock(e->state);
	if ((r = emu_state_begin(e->state)) == 0) {
		if ((r = emu_state_seed(e->state, e->cfg, true)) < 0 ||
		    (r = emu_state_commit(e->state)) < 0)
			emu_state_rollback(e->state);
	}
	emu_state_unlock(e->state);
	if (r < 0)
		return r;
	emu_throttle_set_limits(e->throttle, &e->cfg->throttle);
	emu_faults_set(e->faults, &e->cfg->faults, NULL, 0);
	emu_reqlog_clear(e->reqlog);
	return 0;
}

static json_t *
emu_admin_body_json(const char *body, size_t len, struct emu_resp *r)
{
	json_error_t jerr;
	json_t *j;
	char msg[256];

	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(j)) {
		snprintf(msg, sizeof(msg), "body must be a JSON object: %s",
		    j == NULL ? jerr.text : "not an object");
		json_decref(j);
		emu_admin_error(r, 400, msg);
		return NULL;
	}
	return j;
}

static void
emu_admin_verify(struct emu *e, const char *body, size_t len,
    struct emu_resp *r)
{
	const char *dom, *mbx, *pw;
	struct emu_domain d;
	struct emu_obj o;
	json_t *j, *out;
	bool match = false, found = false;

	if ((j = emu_admin_body_json(body, len, r)) == NULL)
		return;
	dom = json_string_value(json_object_get(j, "domain"));
	mbx = json_string_value(json_object_get(j, "mailbox"));
	pw = json_string_value(json_object_get(j, "password"));
	if (dom == NULL || mbx == NULL || pw == NULL) {
		emu_admin_error(r, 400, "need {\"domain\",\"mailbox\","
		    "\"password\"} strings");
		goto out;
	}
	emu_state_lock(e->state);
	if (emu_state_domain_get(e->state, dom, &d) == 0 &&
	    emu_state_obj_get(e->state, d.id, mbx, &o) == 0) {
		if (o.kind == EMU_K_RS_MBX || o.kind == EMU_K_EX_MBX) {
			found = true;
			match = emu_state_pw_verify(e->state, o.id, pw);
		}
		emu_state_obj_fini(&o);
	}
	emu_state_unlock(e->state);
	if (!found) {
		emu_admin_error(r, 404, "no such mailbox");
		goto out;
	}
	out = json_object();
	json_object_set_new(out, "match", json_boolean(match));
	emu_resp_json(r, 200, out);
out:
	json_decref(j);
}

static void
emu_admin_requests(struct emu *e, const char *query, struct emu_resp *r)
{
	struct emu_form q;
	const char *since, *limit, *errstr;
	long long s = 0, l = EMU_ADMIN_REQ_DEFAULT;
	char why[256];

	if (emu_form_parse(query, strlen(query), &q, why, sizeof(why)) < 0) {
		emu_admin_error(r, 400, why);
		return;
	}
	since = emu_form_get(&q, "since");
	limit = emu_form_get(&q, "limit");
	if ((since != NULL && strparse_num(since, 0, INT64_MAX, &s,
	    &errstr) < 0) || (limit != NULL && strparse_num(limit, 1,
	    EMU_ADMIN_REQ_MAX, &l, &errstr) < 0)) {
		emu_admin_error(r, 400, "since must be a request id, limit 1 "
		    "to 200000");
		goto out;
	}
	emu_resp_status(r, 200);
	if ((r->body = emu_reqlog_dump(e->reqlog, (uint64_t)s,
	    (size_t)l)) == NULL) {
		emu_admin_error(r, 500, "out of memory");
		goto out;
	}
	r->len = strlen(r->body);
out:
	emu_form_fini(&q);
}

static void
emu_admin_faults(struct emu *e, bool post, const char *body, size_t len,
    struct emu_resp *r)
{
	struct emu_faults_spec spec;
	struct emu_fault_rule *rules = NULL;
	size_t n = 0;
	char why[256];
	json_t *j;

	if (post) {
		if ((j = emu_admin_body_json(body, len, r)) == NULL)
			return;
		if (emu_faults_json_parse(j, &spec, &rules, &n, why,
		    sizeof(why)) < 0) {
			json_decref(j);
			emu_admin_error(r, 400, why);
			return;
		}
		json_decref(j);
		emu_faults_set(e->faults, &spec, rules, n);
	}
	emu_resp_json(r, 200, emu_faults_to_json(e->faults));
}

static json_t *
emu_admin_throttle_json(struct emu *e)
{
	struct emu_throttle_limits l;
	char spec[EMU_THROTTLE_SPEC_MAX + 1];
	json_t *o = json_object();

	emu_throttle_get_limits(e->throttle, &l);
	emu_throttle_spec_format(&l, spec, sizeof(spec));
	json_object_set_new(o, "spec", json_string(spec));
	json_object_set_new(o, "off", json_boolean(l.off));
	json_object_set_new(o, "get", json_integer(l.limit[EMU_B_GET]));
	json_object_set_new(o, "write", json_integer(l.limit[EMU_B_WRITE]));
	json_object_set_new(o, "domain", json_integer(l.limit[EMU_B_DOMAIN]));
	json_object_set_new(o, "altdomain",
	    json_integer(l.limit[EMU_B_ALTDOMAIN]));
	json_object_set_new(o, "window", json_integer(l.window_s));
	return o;
}

/* POST /_emu/throttle: a SPEC as text, or {"spec":SPEC}, or JSON keys
 * get/write/domain/altdomain/window (numbers or "off"). */
static void
emu_admin_throttle(struct emu *e, bool post, const char *body, size_t len,
    struct emu_resp *r)
{
	struct emu_throttle_limits l;
	char spec[EMU_THROTTLE_SPEC_MAX + 1], why[256];
	const char *key;
	size_t n = 0;
	json_t *j, *v;
	int w;

	if (!post) {
		emu_resp_json(r, 200, emu_admin_throttle_json(e));
		return;
	}
	while (len > 0 && (body[0] == ' ' || body[0] == '\n' ||
	    body[0] == '\t' || body[0] == '\r')) {
		body++;
		len--;
	}
	while (len > 0 && (body[len - 1] == ' ' || body[len - 1] == '\n' ||
	    body[len - 1] == '\t' || body[len - 1] == '\r'))
		len--;
	if (len > 0 && body[0] == '{') {
		if ((j = emu_admin_body_json(body, len, r)) == NULL)
			return;
		spec[0] = '\0';
		if ((v = json_object_get(j, "spec")) != NULL &&
		    json_is_string(v)) {
			/* Refused, not cut: a cut SPEC may still parse. */
			if (json_string_length(v) > EMU_THROTTLE_SPEC_MAX) {
				json_decref(j);
				emu_admin_error(r, 400, "throttle SPEC too "
				    "long");
				return;
			}
			snprintf(spec, sizeof(spec), "%s",
			    json_string_value(v));
		} else {
			json_object_foreach(j, key, v) {
				/* One key is one NAME: "get=1,window" would
				 * add an item of its own to the SPEC. */
				if (strpbrk(key, ",=") != NULL)
					w = -1;
				else if (json_is_integer(v))
					w = snprintf(spec + n, sizeof(spec) - n,
					    "%s%s=%lld", n ? "," : "", key,
					    (long long)json_integer_value(v));
				else if (json_is_string(v))
					w = snprintf(spec + n, sizeof(spec) - n,
					    "%s%s=%s", n ? "," : "", key,
					    json_string_value(v));
				else
					w = -1;
				if (w < 0 || (size_t)w >= sizeof(spec) - n) {
					json_decref(j);
					emu_admin_error(r, 400, "throttle "
					    "values must be numbers or "
					    "\"off\"");
					return;
				}
				n += (size_t)w;
			}
		}
		json_decref(j);
	} else if (len == 0 || len > EMU_THROTTLE_SPEC_MAX) {
		emu_admin_error(r, 400, "body must be a throttle SPEC");
		return;
	} else {
		memcpy(spec, body, len);
		spec[len] = '\0';
	}
	if (emu_throttle_spec_parse(spec, &l, why, sizeof(why)) < 0) {
		emu_admin_error(r, 400, why);
		return;
	}
	emu_throttle_set_limits(e->throttle, &l);
	emu_resp_json(r, 200, emu_admin_throttle_json(e));
}

void
emu_admin_process(struct emu *e, const char *method, const char *target,
    const char *body, size_t body_len, struct emu_resp *r)
{
	const char *query;
	char path[64];
	size_t plen;
	bool get = strcmp(method, "GET") == 0;
	bool post = strcmp(method, "POST") == 0;
	json_t *o;

	emu_route_split(target, &plen, &query);
	if (plen >= sizeof(path)) {
		emu_admin_error(r, 404, "no such admin resource");
		return;
	}
	memcpy(path, target, plen);
	path[plen] = '\0';
	if (strcmp(path, "/_emu/state") == 0 && get)
		emu_admin_state(e, r);
	else if (strcmp(path, "/_emu/reset") == 0 && post) {
		if (emu_admin_reset(e) < 0)
			emu_admin_error(r, 500, "reset failed");
		else {
			o = json_object();
			json_object_set_new(o, "reset", json_true());
			emu_resp_json(r, 200, o);
		}
	} else if (strcmp(path, "/_emu/verify-password") == 0 && post)
		emu_admin_verify(e, body, body_len, r);
	else if (strcmp(path, "/_emu/requests") == 0 && get)
		emu_admin_requests(e, query, r);
	else if (strcmp(path, "/_emu/stats") == 0 && get)
		emu_resp_json(r, 200, emu_reqlog_stats(e->reqlog));
	else if (strcmp(path, "/_emu/faults") == 0 && (get || post))
		emu_admin_faults(e, post, body, body_len, r);
	else if (strcmp(path, "/_emu/throttle") == 0 && (get || post))
		emu_admin_throttle(e, post, body, body_len, r);
	else if (strcmp(path, "/_emu/health") == 0 && get) {
		o = json_object();
		json_object_set_new(o, "ok", json_true());
		emu_resp_json(r, 200, o);
	} else
		emu_admin_error(r, 404, "no such admin resource (see rsemu(1): "
		    "/_emu/state, reset, verify-password, requests, stats, "
		    "faults, throttle, health)");
}
