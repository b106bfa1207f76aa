/*
 * Unit tests of the typed operations' logic over a scripted transport:
 * rs_client_call() (and the two client getters the operations read) are
 * replaced at link time (-Wl,--wrap, tests/unit/target.cmake), so each
 * test says what the "server" answers, request by request, and checks
 * what the operation sent and concluded. Covered: the create budget (a
 * create whose outcome is unknown is looked up before any re-send, and
 * sent 1 + max_retries times at most, the caller's sends included), the
 * error once the last lookup found nothing, the distribution list
 * index's stop at an empty page naming a next marker or at a repeated
 * marker, which success answers of writes are the API's, and which TLS
 * failures are a connection cut rather than configuration.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "err.h"
#include "target_internal.h"

/* ---------------------------------------------------------------------
 * The scripted transport.
 */

struct answer {
	const char *method;	/* expected method: "GET", "POST", ... */
	const char *path_has;	/* a substring the path must hold */
	int code;		/* 0 or the -ADSYNC_E* the call fails with */
	long status;		/* HTTP status given back */
	const char *body;	/* success body */
};

#define SCRIPT_MAX 64

static struct {
	struct answer a[SCRIPT_MAX];
	size_t n;		/* answers scripted */
	size_t at;		/* answers used */
	char sent[SCRIPT_MAX][256];	/* "METHOD path" per call */
	unsigned max_retries;
} fake;

static void
script(const struct answer *a, size_t n)
{
	memset(&fake, 0, sizeof(fake));
	memcpy(fake.a, a, n * sizeof(*a));
	fake.n = n;
	fake.max_retries = 2;
}

static unsigned
calls_of(const char *method)
{
	size_t i, l = strlen(method);
	unsigned k = 0;

	for (i = 0; i < fake.at; i++)
		if (strncmp(fake.sent[i], method, l) == 0 &&
		    fake.sent[i][l] == ' ')
			k++;
	return k;
}

int __wrap_rs_client_call(struct rs_client *c, struct rs_request *req,
    struct rs_response *resp, struct rs_error *err);
unsigned __wrap_rs_client_max_retries(const struct rs_client *c);
const char *__wrap_rs_client_customer(const struct rs_client *c);

int
__wrap_rs_client_call(struct rs_client *c, struct rs_request *req,
    struct rs_response *resp, struct rs_error *err)
{
	const struct answer *a;
	const char *m = rs_method_name(rs_request_method(req));
	int r;

	(void)c;
	if (fake.at >= fake.n)
		fail_msg("unscripted call %zu: %s %s", fake.at, m,
		    rs_request_path(req));
	a = &fake.a[fake.at];
	snprintf(fake.sent[fake.at], sizeof(fake.sent[0]), "%s %s", m,
	    rs_request_path(req));
	fake.at++;
	assert_string_equal(m, a->method);
	if (a->path_has != NULL && strstr(rs_request_path(req),
	    a->path_has) == NULL)
		fail_msg("call %zu: %s %s lacks %s", fake.at, m,
		    rs_request_path(req), a->path_has);
	rs_request_free(req);
	if (resp != NULL)
		memset(resp, 0, sizeof(*resp));
	if (a->code < 0) {
		if (a->code == -ADSYNC_EUNKNOWN) {
			/* As the core words it (rs_client.c). */
			r = rs_error_set(err, a->code, RS_UNKNOWN_PREFIX "%s"
			    RS_UNKNOWN_SEP "HTTP %ld", m, a->status);
			if (err != NULL)
				err->cause = -ADSYNC_ESERVER;
		} else {
			r = rs_error_set(err, a->code, "scripted failure");
		}
		if (err != NULL)
			err->http_status = a->status;
		return r;
	}
	rs_error_clear(err);
	if (resp != NULL) {
		resp->http_status = a->status;
		resp->body = strdup(a->body != NULL ? a->body : "");
		assert_non_null(resp->body);
		resp->body_len = strlen(resp->body);
	}
	return 0;
}

unsigned
__wrap_rs_client_max_retries(const struct rs_client *c)
{
	(void)c;
	return fake.max_retries;
}

const char *
__wrap_rs_client_customer(const struct rs_client *c)
{
	(void)c;
	return "me";
}

/* Nothing reads the client itself: every use of it is wrapped. */
static struct rs_client *const C = (struct rs_client *)&fake;

static struct rs_request *
post_new(void)
{
	struct rs_request *req;

	req = rs_request_new(RS_POST,
	    "/customers/me/domains/example.com/ex/mailboxes/alice", NULL);
	assert_non_null(req);
	assert_int_equal(rs_request_form_add(req, "displayName", "Alice"), 0);
	return req;
}

/* The error the bulk apply holds after its own POST's reply was lost. */
static void
lost_reply(struct rs_error *e)
{
	rs_error_set(e, -ADSYNC_EUNKNOWN, RS_UNKNOWN_PREFIX "POST"
	    RS_UNKNOWN_SEP "HTTP 502");
	e->cause = -ADSYNC_ESERVER;
	e->http_status = 502;
}

#define GET_404 { "GET", "/ex/mailboxes/alice", -ADSYNC_ENOTFOUND, 404, NULL }
#define GET_200 { "GET", "/ex/mailboxes/alice", 0, 200, "{\"name\":\"alice\"}" }
#define POST_LOST { "POST", "/ex/mailboxes/alice", -ADSYNC_EUNKNOWN, 502, NULL }

/* ---------------------------------------------------------------------
 * The create budget.
 */

/* A create answered 502 every time, max_retries = 2, one POST made by the
 * caller already (the bulk apply's): two more, each after a lookup, and a
 * last lookup; then the outcome is known: not created, with the cause's
 * code and message, never "outcome unknown". */
static void
test_settle_budget(void **state)
{
	static const struct answer a[] = {
		GET_404, POST_LOST, GET_404, POST_LOST, GET_404,
	};
	struct rs_error e;

	(void)state;
	script(a, sizeof(a) / sizeof(a[0]));
	lost_reply(&e);
	assert_int_equal(rs_create_settle(C, post_new(), 1, "example.com",
	    "ex", "mailboxes", "alice", &e), -ADSYNC_ESERVER);
	assert_int_equal(fake.at, fake.n);
	assert_int_equal(calls_of("POST") + 1, 1 + fake.max_retries);
	assert_int_equal(e.code, -ADSYNC_ESERVER);
	assert_int_equal(e.http_status, 502);
	assert_null(strstr(e.message, "unknown"));
	assert_non_null(strstr(e.message, "HTTP 502"));
	assert_non_null(strstr(e.message, "not created"));
	assert_non_null(strstr(e.message, "3 attempts"));
}

/* max_retries = 0: the caller's POST was the only one; a lookup, and no
 * re-send. */
static void
test_settle_no_retries(void **state)
{
	static const struct answer a[] = { GET_404 };
	struct rs_error e;

	(void)state;
	script(a, 1);
	fake.max_retries = 0;
	lost_reply(&e);
	assert_int_equal(rs_create_settle(C, post_new(), 1, "example.com",
	    "ex", "mailboxes", "alice", &e), -ADSYNC_ESERVER);
	assert_int_equal(calls_of("POST"), 0);
	assert_non_null(strstr(e.message, "not created (looked up after 1 "
	    "attempt)"));
}

/* Found at the first lookup: created, nothing sent again. */
static void
test_settle_found(void **state)
{
	static const struct answer a[] = { GET_200 };
	struct rs_error e;

	(void)state;
	script(a, 1);
	lost_reply(&e);
	assert_int_equal(rs_create_settle(C, post_new(), 1, "example.com",
	    "ex", "mailboxes", "alice", &e), 0);
	assert_int_equal(e.code, 0);
	assert_int_equal(calls_of("POST"), 0);
}

/* Absent, sent again, the answer lost again, then found: created. */
static void
test_settle_found_later(void **state)
{
	static const struct answer a[] = {
		GET_404, POST_LOST, GET_200,
	};
	struct rs_error e;

	(void)state;
	script(a, sizeof(a) / sizeof(a[0]));
	lost_reply(&e);
	assert_int_equal(rs_create_settle(C, post_new(), 1, "example.com",
	    "ex", "mailboxes", "alice", &e), 0);
	assert_int_equal(fake.at, fake.n);
}

/* Absent, sent again: "already exists" is our own earlier copy, late. */
static void
test_settle_conflict_is_created(void **state)
{
	static const struct answer a[] = {
		GET_404,
		{ "POST", "/ex/mailboxes/alice", -ADSYNC_ECONFLICT, 409, NULL },
	};
	struct rs_error e;

	(void)state;
	script(a, sizeof(a) / sizeof(a[0]));
	lost_reply(&e);
	assert_int_equal(rs_create_settle(C, post_new(), 1, "example.com",
	    "ex", "mailboxes", "alice", &e), 0);
}

/* The lookup fails: the outcome stays unknown, and nothing is sent. */
static void
test_settle_lookup_fails(void **state)
{
	static const struct answer a[] = {
		{ "GET", "/ex/mailboxes/alice", -ADSYNC_ETRANSPORT, 0, NULL },
	};
	struct rs_error e;

	(void)state;
	script(a, 1);
	lost_reply(&e);
	assert_int_equal(rs_create_settle(C, post_new(), 1, "example.com",
	    "ex", "mailboxes", "alice", &e), -ADSYNC_EUNKNOWN);
	assert_int_equal(calls_of("POST"), 0);
	assert_non_null(strstr(e.message, "the lookup failed too"));
}

#define DL_POST_LOST \
	{ "POST", "/ex/distributionlists", -ADSYNC_EUNKNOWN, 502, NULL }
#define DL_GET_404 \
	{ "GET", "/ex/distributionlists/sales", -ADSYNC_ENOTFOUND, 404, NULL }

/* A create of the typed layer (a list: POST to the collection, looked up
 * by name) answered 502 every time: 1 + max_retries POSTs, a lookup after
 * each, and the last error is known. */
static void
test_create_budget_typed(void **state)
{
	static const struct answer a[] = {
		DL_POST_LOST, DL_GET_404, DL_POST_LOST, DL_GET_404,
		DL_POST_LOST, DL_GET_404,
	};
	struct rs_error e;

	(void)state;
	script(a, sizeof(a) / sizeof(a[0]));
	assert_int_equal(ex_dl_create(C, "example.com", "sales", NULL, NULL,
	    &e), -ADSYNC_ESERVER);
	assert_int_equal(fake.at, fake.n);
	assert_int_equal(calls_of("POST"), 1 + fake.max_retries);
	assert_null(strstr(e.message, "unknown"));
}

/* The cause's message, without the client's prefix. */
static void
test_cause_message(void **state)
{
	struct rs_error e;

	(void)state;
	lost_reply(&e);
	assert_string_equal(rs_error_cause_message(&e), "HTTP 502");
	rs_error_set(&e, -ADSYNC_EVALIDATION, "outcome of nothing");
	assert_string_equal(rs_error_cause_message(&e), "outcome of nothing");
}

/* ---------------------------------------------------------------------
 * Marker paging of distribution lists.
 */

#define DL_ROW(n) "{\"CommonName\":\"" n "\",\"DisplayName\":\"" n "\"}"

/* An empty page that names a next marker: one read, then an error naming
 * the marker (following it was up to 10,000 reads). */
static void
test_dl_marker_empty_page(void **state)
{
	static const struct answer a[] = {
		{ "GET", "/ex/distributionlists?limit=100", 0, 200,
		    "{\"DistributionLists\":[],\"NextMarker\":\"same\","
		    "\"TotalCount\":4}" },
	};
	struct rs_records out;
	struct rs_error e;

	(void)state;
	script(a, 1);
	rs_records_init(&out);
	assert_int_equal(ex_dl_list(C, "example.com", &out, &e),
	    -ADSYNC_EPROTO);
	assert_int_equal(fake.at, 1);
	assert_non_null(strstr(e.message, "distribution list"));
	assert_non_null(strstr(e.message, "'same'"));
	rs_records_fini(&out);
}

/* Markers going round in circles (a, b, a): stopped at the repeat. */
static void
test_dl_marker_loop(void **state)
{
	static const struct answer a[] = {
		{ "GET", "limit=100", 0, 200, "{\"DistributionLists\":["
		    DL_ROW("x") "],\"NextMarker\":\"a\"}" },
		{ "GET", "marker=a", 0, 200, "{\"DistributionLists\":["
		    DL_ROW("y") "],\"NextMarker\":\"b\"}" },
		{ "GET", "marker=b", 0, 200, "{\"DistributionLists\":["
		    DL_ROW("z") "],\"NextMarker\":\"a\"}" },
	};
	struct rs_records out;
	struct rs_error e;

	(void)state;
	script(a, sizeof(a) / sizeof(a[0]));
	rs_records_init(&out);
	assert_int_equal(ex_dl_list(C, "example.com", &out, &e),
	    -ADSYNC_EPROTO);
	assert_int_equal(fake.at, 3);
	assert_non_null(strstr(e.message, "marker 'a' came back"));
	rs_records_fini(&out);
}

/* A normal index: two pages, the second without a next marker. */
static void
test_dl_marker_pages(void **state)
{
	static const struct answer a[] = {
		{ "GET", "limit=100", 0, 200, "{\"DistributionLists\":["
		    DL_ROW("sales") "," DL_ROW("support") "],"
		    "\"NextMarker\":\"support\"}" },
		{ "GET", "marker=support", 0, 200, "{\"DistributionLists\":["
		    DL_ROW("tech") "],\"NextMarker\":null}" },
	};
	struct rs_records out;
	struct rs_error e;

	(void)state;
	script(a, sizeof(a) / sizeof(a[0]));
	rs_records_init(&out);
	assert_int_equal(ex_dl_list(C, "example.com", &out, &e), 0);
	assert_int_equal(out.n, 3);
	assert_string_equal(rs_record_get(&out.v[2], "name"), "tech");
	rs_records_fini(&out);
}

/* The pure check itself: last page, new markers, an empty page with a
 * marker, a repeat among many. */
static void
test_marker_next(void **state)
{
	struct rs_op_marks m;
	char why[256], mk[16];
	int i;

	(void)state;
	rs_op_marks_init(&m);
	assert_int_equal(rs_op_marker_next(&m, 5, NULL, why, sizeof(why)), 0);
	assert_int_equal(rs_op_marker_next(&m, 5, "", why, sizeof(why)), 0);
	/* An empty page that names no marker is simply the last. */
	assert_int_equal(rs_op_marker_next(&m, 0, NULL, why, sizeof(why)), 0);
	assert_int_equal(rs_op_marker_next(&m, 0, "m", why, sizeof(why)),
	    -ADSYNC_EPROTO);
	assert_non_null(strstr(why, "empty page"));
	for (i = 999; i >= 0; i--) {
		snprintf(mk, sizeof(mk), "m%03d", i);
		assert_int_equal(rs_op_marker_next(&m, 1, mk, why,
		    sizeof(why)), 1);
	}
	assert_int_equal(m.n, 1000);
	assert_int_equal(rs_op_marker_next(&m, 1, "m500", why, sizeof(why)),
	    -ADSYNC_EPROTO);
	assert_non_null(strstr(why, "'m500' came back"));
	/* Markers are opaque: another case is another marker. */
	assert_int_equal(rs_op_marker_next(&m, 1, "M500", why, sizeof(why)),
	    1);
	rs_op_marks_fini(&m);
}

/* ---------------------------------------------------------------------
 * Success answers of writes, and TLS failures.
 */

static void
test_write_answer(void **state)
{
	static const char html[] = "<html>Welcome to the hotel Wi-Fi</html>";

	(void)state;
	assert_true(rs_json_write_answer_ok("", 0, NULL));
	assert_true(rs_json_write_answer_ok(" \r\n", 3, "text/html"));
	assert_true(rs_json_write_answer_ok("{\"id\":1}", 8,
	    "application/json"));
	assert_true(rs_json_write_answer_ok("[]", 2, NULL));
	assert_true(rs_json_write_answer_ok("\"ok\"", 4, NULL));
	assert_false(rs_json_write_answer_ok(html, strlen(html),
	    "text/html; charset=utf-8"));
	assert_false(rs_json_write_answer_ok(html, strlen(html), NULL));
	assert_false(rs_json_write_answer_ok("OK", 2, "text/plain"));
	/* JSON, but a page by its type: not the API's. */
	assert_false(rs_json_write_answer_ok("{}", 2, "text/html"));
	assert_false(rs_json_write_answer_ok("{\"a\":", 5,
	    "application/json"));
}

static void
test_tls_reset(void **state)
{
	(void)state;
	assert_true(http_curl_reset(CURLE_SSL_CONNECT_ERROR,
	    "Recv failure: Connection reset by peer"));
	assert_true(http_curl_reset(CURLE_SSL_CONNECT_ERROR,
	    "OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to "
	    "127.0.0.1:443 "));
	assert_true(http_curl_reset(CURLE_SSL_CONNECT_ERROR,
	    "error:0A000126:SSL routines::unexpected eof while reading"));
	/* Configuration: a wrong CA, a plain-HTTP port, a bad name. */
	assert_false(http_curl_reset(CURLE_PEER_FAILED_VERIFICATION,
	    "SSL certificate problem: unable to get local issuer "
	    "certificate"));
	assert_false(http_curl_reset(CURLE_SSL_CONNECT_ERROR,
	    "error:0A00010B:SSL routines::wrong version number"));
	assert_false(http_curl_reset(CURLE_SSL_CACERT_BADFILE,
	    "error setting certificate file: reset by peer"));
	/* Not a TLS failure at all. */
	assert_false(http_curl_reset(CURLE_RECV_ERROR,
	    "Recv failure: Connection reset by peer"));
	assert_false(http_curl_reset(CURLE_SSL_CONNECT_ERROR, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settle_budget),
		cmocka_unit_test(test_settle_no_retries),
		cmocka_unit_test(test_settle_found),
		cmocka_unit_test(test_settle_found_later),
		cmocka_unit_test(test_settle_conflict_is_created),
		cmocka_unit_test(test_settle_lookup_fails),
		cmocka_unit_test(test_create_budget_typed),
		cmocka_unit_test(test_cause_message),
		cmocka_unit_test(test_dl_marker_empty_page),
		cmocka_unit_test(test_dl_marker_loop),
		cmocka_unit_test(test_dl_marker_pages),
		cmocka_unit_test(test_marker_next),
		cmocka_unit_test(test_write_answer),
		cmocka_unit_test(test_tls_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
