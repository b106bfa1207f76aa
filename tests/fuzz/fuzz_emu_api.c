/*
 * Fuzz harness: rsemu's handling of one API request as a whole,
 * emu_api_process(): signature, throttle, route, Accept, query, account,
 * body (form or JSON), then the handlers on an in-memory state. The
 * distribution-list JSON bodies (CommonName, Members.Recipients[],
 * EmailAddresses[]) are decoded inside those handlers, not by a function of
 * their own, so this is the harness that reaches them; it also reaches the
 * field tables, the validation rules and the Show and Index builders.
 * Targets under /_emu/ go to the admin API, emu_admin_process(), instead
 * (state dump, request log, verify-password, faults and throttle bodies).
 *
 * One input is a short session, so that a create can be followed by the
 * edits, reads and deletes of the same object:
 *
 *	METHOD TARGET
 *	Name: value		optional headers: Content-Type, Accept,
 *	...			User-Agent, X-Api-Signature
 *	(empty line)
 *	BODY			the rest, up to a line "%%", which
 *				starts the next request
 *
 * Requests are signed for the configured user unless the input gives its
 * own X-Api-Signature. Accept defaults to application/json; Content-Type
 * to application/json when the body starts with '{', else to the form
 * type. The account is 100042 with example.com (both services, accepted
 * domain other.example), rs.example (Rackspace Email) and ex.example
 * (Exchange). Each input starts from emu_admin_reset(): no objects, no
 * throttle (until the session sets one), an empty request log.
 *
 * Checked: every reply has a status, and a body that is valid JSON; no
 * input makes the emulator fail inside (a 500 means the validation let
 * something through that the state or the handler cannot take); neither
 * the request log nor the admin answers ever hold a password; after a list
 * changed, every list of its domain still has exactly one primary address,
 * an smtp one, shown as PrimarySmtpAddress (S6); an accepted admin
 * throttle body applied exactly what it says. FUZZ_TRACE=1 in the
 * environment prints every exchange, for work on the corpus. Single
 * thread, taking the locks as an MHD worker does; the input is untrusted,
 * capped at 64 KiB and FUZZ_API_REQS requests.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "emu.h"
#include "emu_admin.h"
#include "emu_api.h"
#include "emu_config.h"
#include "emu_faults.h"
#include "emu_reqlog.h"
#include "emu_resp.h"
#include "emu_route.h"
#include "emu_state.h"
#include "emu_throttle.h"
#include "rs_auth.h"
#include "secret.h"

#define FUZZ_API_MAX (64 * 1024)
#define FUZZ_API_REQS 16
#define FUZZ_API_HDR_MAX 512
#define FUZZ_API_KEY "fuzzUserKey0123456789"
#define FUZZ_API_SECRET "fuzzSecretKey/0123456789abcdef"
#define FUZZ_API_UA "adsync-fuzz/1"
/* 2023-11-14 22:13:20 UTC: a fixed clock keeps runs reproducible. */
#define FUZZ_API_NOW ((time_t)1700000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct emu_config fuzz_cfg;
static struct emu fuzz_emu;
static bool fuzz_api_trace;

static void
fuzz_api_init(void)
{
	static char args[][48] = {
		"rsemu", "--listen", "127.0.0.1:0",
		"--account", "100042", "--user-key", FUZZ_API_KEY,
		"--secret-key-file", "/nonexistent/rsemu-fuzz.key",
		"--domain", "example.com:both",
		"--domain", "rs.example:rsemail",
		"--domain", "ex.example:exchange",
		"--accepted-domain", "example.com:other.example",
		"--mailbox-limit", "20", "--throttle", "off",
	};
	char *argv[sizeof(args) / sizeof(args[0]) + 1];
	char why[512];
	size_t i;

	fuzz_api_trace = getenv("FUZZ_TRACE") != NULL;
	for (i = 0; i < sizeof(args) / sizeof(args[0]); i++)
		argv[i] = args[i];
	argv[i] = NULL;
	if (emu_config_parse_args((int)i, argv, &fuzz_cfg, why,
	    sizeof(why)) < 0 || fuzz_cfg.nusers != 1) {
		fprintf(stderr, "fuzz_emu_api: %s\n", why);
		abort();
	}
	/* The secret file is never read: the key is set directly. */
	fuzz_cfg.users[0].secret = secret_new(FUZZ_API_SECRET,
	    strlen(FUZZ_API_SECRET), "fuzz");
	fuzz_emu.cfg = &fuzz_cfg;
	if (emu_state_open(NULL, &fuzz_emu.state, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz_emu_api: %s\n", why);
		abort();
	}
	if ((fuzz_emu.throttle = emu_throttle_new(fuzz_cfg.nusers,
	    &fuzz_cfg.throttle)) == NULL ||
	    (fuzz_emu.faults = emu_faults_new(&fuzz_cfg.faults)) == NULL ||
	    (fuzz_emu.reqlog = emu_reqlog_new(100)) == NULL)
		abort();
	/* Each input then starts with emu_admin_reset(), which seeds. */
}

/* SECURITY: the request log must never show a password. */
static void
fuzz_api_redacted(const json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach((json_t *)(uintptr_t)j, key, v) {
			if (strcmp(key, "password") == 0 &&
			    (!json_is_string(v) || strcmp(json_string_value(v),
			    "<redacted>") != 0))
				abort();
			fuzz_api_redacted(v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			fuzz_api_redacted(v);
	}
}

/* A copy of `len` bytes at `p` as a C string (NULs end it early). */
static char *
fuzz_api_str(const char *p, size_t len)
{
	char *s;

	if ((s = malloc(len + 1)) == NULL)
		abort();
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

struct fuzz_api_req {
	char *method;
	char *target;
	char *ctype;
	char *accept;
	char *ua;
	char *sig;
	char *body;		/* exactly body_len bytes, no NUL */
	size_t body_len;
	bool has_ctype, has_accept, has_ua, has_sig;
};

static void
fuzz_api_req_fini(struct fuzz_api_req *q)
{
	free(q->method);
	free(q->target);
	free(q->ctype);
	free(q->accept);
	free(q->ua);
	free(q->sig);
	free(q->body);
	memset(q, 0, sizeof(*q));
}

/* Reads one header line into the request; unknown names are ignored. */
static void
fuzz_api_header(struct fuzz_api_req *q, const char *line, size_t len)
{
	static const struct {
		const char *name;
		size_t off, has;
	} hdrs[] = {
		{ "Content-Type", offsetof(struct fuzz_api_req, ctype),
		  offsetof(struct fuzz_api_req, has_ctype) },
		{ "Accept", offsetof(struct fuzz_api_req, accept),
		  offsetof(struct fuzz_api_req, has_accept) },
		{ "User-Agent", offsetof(struct fuzz_api_req, ua),
		  offsetof(struct fuzz_api_req, has_ua) },
		{ "X-Api-Signature", offsetof(struct fuzz_api_req, sig),
		  offsetof(struct fuzz_api_req, has_sig) },
	};
	const char *colon = memchr(line, ':', len), *v;
	char **slot;
	size_t i, nlen;

	if (colon == NULL || len > FUZZ_API_HDR_MAX)
		return;
	nlen = (size_t)(colon - line);
	for (v = colon + 1; v < line + len && *v == ' '; v++)
		;
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		if (strlen(hdrs[i].name) != nlen ||
		    strncasecmp(hdrs[i].name, line, nlen) != 0)
			continue;
		slot = (char **)(void *)((char *)q + hdrs[i].off);
		free(*slot);
		*slot = fuzz_api_str(v, (size_t)(line + len - v));
		*(bool *)(void *)((char *)q + hdrs[i].has) = true;
		return;
	}
}

/* Parses one request of `len` bytes; false when it has no request line. */
static bool
fuzz_api_parse(const char *p, size_t len, struct fuzz_api_req *q)
{
	const char *end = p + len, *nl, *sp;
	size_t llen;

	memset(q, 0, sizeof(*q));
	nl = memchr(p, '\n', len);
	llen = nl != NULL ? (size_t)(nl - p) : len;
	if ((sp = memchr(p, ' ', llen)) == NULL || sp == p || sp - p > 15 ||
	    llen - (size_t)(sp - p) - 1 > EMU_URI_MAX)
		return false;
	q->method = fuzz_api_str(p, (size_t)(sp - p));
	q->target = fuzz_api_str(sp + 1, llen - (size_t)(sp - p) - 1);
	p = nl != NULL ? nl + 1 : end;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		llen = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (llen > 0 && p[llen - 1] == '\r')
			llen--;
		if (llen == 0) {
			p = nl != NULL ? nl + 1 : end;
			break;
		}
		fuzz_api_header(q, p, llen);
		p = nl != NULL ? nl + 1 : end;
	}
	q->body_len = (size_t)(end - p);
	/* An exact copy, so that a read past the body is caught. */
	if ((q->body = malloc(q->body_len > 0 ? q->body_len : 1)) == NULL)
		abort();
	memcpy(q->body, p, q->body_len);
	return true;
}

/*
 * An accepted POST /_emu/throttle with a JSON body applied what the body
 * says: its "spec" as a whole, or only the keys a SPEC has, each on its
 * own (a key must not smuggle in ",NAME=VALUE").
 */
static void
fuzz_api_admin_throttle(const struct fuzz_api_req *q, const json_t *reply)
{
	static const char *const names[] = { "get", "write", "domain",
	    "altdomain" };
	struct emu_throttle_limits l;
	json_error_t jerr;
	const json_t *spec, *v;
	const char *key;
	char why[256];
	json_t *j;
	size_t i;

	j = json_loadb(q->body, q->body_len, 0, &jerr);
	if (!json_is_object(j)) {
		json_decref(j);
		return;
	}
	spec = json_object_get(j, "spec");
	if (json_is_string(spec)) {
		if (emu_throttle_spec_parse(json_string_value(spec), &l, why,
		    sizeof(why)) < 0) {
			fprintf(stderr, "throttle SPEC \"%s\" accepted: %s\n",
			    json_string_value(spec), why);
			abort();
		}
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!l.off && json_integer_value(json_object_get(reply,
			    names[i])) != (json_int_t)l.limit[i])
				abort();
	} else {
		json_object_foreach(j, key, v) {
			for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				if (strcmp(key, names[i]) == 0)
					break;
			if (i == sizeof(names) / sizeof(names[0]) &&
			    strcmp(key, "window") != 0) {
				fprintf(stderr, "throttle key \"%s\" "
				    "accepted\n", key);
				abort();
			}
		}
	}
	json_decref(j);
}

/*
 * Sends `q` as the configured client would; returns the reply body as
 * JSON when `want` and the status is 200 (the caller owns it), else NULL.
 * *status gets the status.
 */
static json_t *
fuzz_api_run(struct fuzz_api_req *q, unsigned seq, bool want,
    unsigned *status, enum emu_route_kind *route)
{
	char sig[RS_AUTH_HEADER_MAX + 1];
	struct emu_call c;
	struct emu_resp r;
	json_error_t jerr;
	json_t *j, *entry, *out = NULL;
	bool admin = strncmp(q->target, "/_emu/", 6) == 0;

	memset(&c, 0, sizeof(c));
	c.method = q->method;
	c.target = q->target;
	c.user_agent = q->has_ua ? (q->ua[0] != '\0' ? q->ua : NULL) :
	    FUZZ_API_UA;
	c.accept = q->has_accept ? (q->accept[0] != '\0' ? q->accept : NULL) :
	    "application/json";
	if (q->has_ctype)
		c.content_type = q->ctype[0] != '\0' ? q->ctype : NULL;
	else if (q->body_len > 0)
		c.content_type = q->body[0] == '{' ? "application/json" :
		    "application/x-www-form-urlencoded";
	if (q->has_sig)
		c.signature = q->sig[0] != '\0' ? q->sig : NULL;
	else {
		if (rs_auth_header(FUZZ_API_KEY, c.user_agent != NULL ?
		    c.user_agent : "", FUZZ_API_NOW,
		    (const unsigned char *)FUZZ_API_SECRET,
		    strlen(FUZZ_API_SECRET), sig, sizeof(sig)) < 0)
			abort();
		c.signature = sig;
	}
	c.body = q->body;
	c.body_len = q->body_len;
	c.now = FUZZ_API_NOW;
	c.now_ms = 1000000 + 1000 * (int64_t)seq;
	c.user = -1;

	emu_resp_init(&r, c.now);
	if (admin)
		emu_admin_process(&fuzz_emu, q->method, q->target, q->body,
		    q->body_len, &r);
	else {
		emu_api_process(&fuzz_emu, &c, &r);
		/* What emu_http.c keeps for GET /_emu/requests. */
		entry = json_pack("{s:s, s:s, s:i, s:O?}", "method", q->method,
		    "path", q->target, "status", (int)r.status, "body",
		    c.logbody);
		if (entry != NULL)
			(void)emu_reqlog_add(fuzz_emu.reqlog, entry);
	}
	if (fuzz_api_trace)
		fprintf(stderr, "%s %s -> %u %s%s%.*s\n", q->method,
		    q->target, r.status, r.errmsg, r.body != NULL ? " " : "",
		    r.body != NULL ? (int)r.len : 0, r.body != NULL ? r.body :
		    "");
	if (r.status < 100 || r.status > 599 || r.status == 500) {
		fprintf(stderr, "%s %s -> %u %s\n", q->method, q->target,
		    r.status, r.errmsg);
		abort();
	}
	if (r.body != NULL) {
		if (strlen(r.body) != r.len ||
		    (j = json_loadb(r.body, r.len, 0, &jerr)) == NULL)
			abort();
		if (admin)
			fuzz_api_redacted(j);	/* the log and the dump */
		if (admin && r.status == 200 &&
		    strcmp(q->method, "POST") == 0 &&
		    strncmp(q->target, "/_emu/throttle", 14) == 0)
			fuzz_api_admin_throttle(q, j);
		if (want && r.status == 200)
			out = j;
		else
			json_decref(j);
	}
	fuzz_api_redacted(c.logbody);
	json_decref(c.logbody);
	*status = r.status;
	*route = c.route;
	emu_resp_fini(&r);
	return out;
}

/*
 * A GET of `target` (a C string): the 200 body, or NULL with *status.
 * These GETs count against the session's throttle like any other.
 */
static json_t *
fuzz_api_get(const char *target, unsigned seq, unsigned *status)
{
	struct fuzz_api_req q;
	enum emu_route_kind route;
	json_t *j;

	memset(&q, 0, sizeof(q));
	q.method = fuzz_api_str("GET", 3);
	q.target = fuzz_api_str(target, strlen(target));
	if ((q.body = malloc(1)) == NULL)
		abort();
	j = fuzz_api_run(&q, seq, true, status, &route);
	fuzz_api_req_fini(&q);
	return j;
}

/* The string member `key` of `o`, or "" when it is missing or no string. */
static const char *
fuzz_api_jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/*
 * After a list changed: every list of the domain still has exactly one
 * primary address, an smtp one, shown as PrimarySmtpAddress (S6).
 */
static void
fuzz_api_dl_check(const char *domain, unsigned seq)
{
	char target[EMU_URI_MAX + 1];
	const json_t *rows, *row, *addrs, *a;
	const char *cn, *primary;
	json_t *idx, *show;
	size_t i, k, nprim;
	unsigned status;

	snprintf(target, sizeof(target), "/v1/customers/me/domains/%s/ex/"
	    "distributionlists?limit=100", domain);
	if ((idx = fuzz_api_get(target, seq, &status)) == NULL)
		return;
	rows = json_object_get(idx, "DistributionLists");
	json_array_foreach(rows, i, row) {
		if ((cn = json_string_value(json_object_get(row,
		    "CommonName"))) == NULL)
			abort();
		snprintf(target, sizeof(target), "/v1/customers/me/domains/"
		    "%s/ex/distributionlists/%s", domain, cn);
		if ((show = fuzz_api_get(target, seq, &status)) == NULL) {
			/* The session may have set a throttle (admin API). */
			if (status == 403)
				break;
			abort();
		}
		addrs = json_object_get(show, "EmailAddresses");
		primary = fuzz_api_jstr(show, "PrimarySmtpAddress");
		nprim = 0;
		json_array_foreach(addrs, k, a) {
			if (!json_is_true(json_object_get(a, "AddressPrimary")))
				continue;
			nprim++;
			if (strcmp(fuzz_api_jstr(a, "AddressProtocol"),
			    "smtp") != 0 ||
			    strcmp(fuzz_api_jstr(a, "Value"), primary) != 0) {
				fprintf(stderr, "list %s@%s: primary address "
				    "is not its smtp PrimarySmtpAddress\n", cn,
				    domain);
				abort();
			}
		}
		if (nprim != 1) {
			fprintf(stderr, "list %s@%s has %zu primary "
			    "addresses\n", cn, domain, nprim);
			abort();
		}
		json_decref(show);
	}
	json_decref(idx);
}

static bool
fuzz_api_route_is_dl(enum emu_route_kind k)
{
	return k == EMU_R_EX_DLS || k == EMU_R_EX_DL ||
	    k == EMU_R_EX_DL_MEMBERS || k == EMU_R_EX_DL_SENDERS ||
	    k == EMU_R_EX_DL_ADDRS || k == EMU_R_EX_DL_ERRORS;
}

static void
fuzz_api_one(struct fuzz_api_req *q, unsigned seq)
{
	enum emu_route_kind route;
	struct emu_route rt;
	const char *query;
	unsigned status;
	size_t plen;

	(void)fuzz_api_run(q, seq, false, &status, &route);
	if (status >= 300 || strcmp(q->method, "GET") == 0 ||
	    !fuzz_api_route_is_dl(route))
		return;
	emu_route_split(q->target, &plen, &query);
	if (emu_route_parse(q->target, plen, &rt) == 0)
		fuzz_api_dl_check(rt.domain, seq);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct fuzz_api_req q;
	const char *p = (const char *)data, *end = p + size, *sep;
	unsigned n;

	if (size > FUZZ_API_MAX)
		return 0;
	if (!ready) {
		fuzz_api_init();
		ready = true;
	}
	/* As POST /_emu/reset: no objects, start-up throttle and faults,
	 * an empty request log. */
	if (emu_admin_reset(&fuzz_emu) < 0)
		abort();
	for (n = 0; n < FUZZ_API_REQS && p < end; n++) {
		sep = memmem(p, (size_t)(end - p), "\n%%\n", 4);
		if (fuzz_api_parse(p, sep != NULL ? (size_t)(sep - p) :
		    (size_t)(end - p), &q)) {
			fuzz_api_one(&q, n);
			fuzz_api_req_fini(&q);
		}
		if (sep == NULL)
			break;
		p = sep + 4;
	}
	return 0;
}
