/*
 * Unit tests of the client's wire format: fault decoding (every fault body,
 * header-only errors, the throttle/auth split on 403), percent-encoding of
 * paths and forms, the api_url check, request building and categories, and
 * that a password never enters a request except through a struct secret.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "err.h"
#include "target_internal.h"

static int
decode(long status, const char *xmsg, const char *body, struct rs_error *e)
{
	return rs_error_decode(status, xmsg, body, body ? strlen(body) : 0, e);
}

static void
test_fault_unauthorized(void **state)
{
	struct rs_error e;

	(void)state;
	assert_int_equal(decode(403, "Authentication failed.",
	    "{\"unauthorizedFault\":{\"message\":\"Authentication failed.\","
	    "\"details\":\"20240101120000\",\"code\":403}}", &e),
	    -ADSYNC_EAUTH);
	assert_int_equal(e.code, -ADSYNC_EAUTH);
	assert_int_equal(e.http_status, 403);
	assert_string_equal(e.fault, "unauthorizedFault");
	assert_string_equal(e.message, "Authentication failed.");
}

static void
test_fault_throttled(void **state)
{
	struct rs_error e;

	(void)state;
	assert_int_equal(decode(403, "Exceeded request limits",
	    "{\"unauthorizedFault\":{\"message\":\"Exceeded request limits\","
	    "\"code\":403}}", &e), -ADSYNC_ETHROTTLED);
	/* Body only, header only. */
	assert_int_equal(decode(403, NULL, "{\"unauthorizedFault\":{"
	    "\"message\":\"Exceeded request limits\"}}", &e),
	    -ADSYNC_ETHROTTLED);
	assert_int_equal(decode(403, "Exceeded request limits", "", &e),
	    -ADSYNC_ETHROTTLED);
	/* Exact and case-sensitive: anything else is an auth failure. */
	assert_int_equal(decode(403, NULL, "{\"unauthorizedFault\":{"
	    "\"message\":\"exceeded request limits\"}}", &e), -ADSYNC_EAUTH);
	assert_int_equal(decode(403, NULL, "{\"unauthorizedFault\":{"
	    "\"message\":\"Exceeded request limits.\"}}", &e), -ADSYNC_EAUTH);
	assert_int_equal(decode(403, NULL, "", &e), -ADSYNC_EAUTH);
	assert_string_equal(e.message, "HTTP 403");
}

static void
test_fault_not_found(void **state)
{
	struct rs_error e;

	(void)state;
	assert_int_equal(decode(404, NULL, "{\"itemNotFoundFault\":{"
	    "\"message\":\"Mailbox not found\",\"resourceType\":\"Mailbox\","
	    "\"additionalData\":{\"isRecoverable\":true},\"code\":404}}", &e),
	    -ADSYNC_ENOTFOUND);
	assert_string_equal(e.fault, "itemNotFoundFault");
	assert_string_equal(e.resource_type, "Mailbox");
	assert_true(e.is_recoverable);
	assert_int_equal(decode(404, NULL, "{\"itemNotFoundFault\":{"
	    "\"message\":\"x\",\"additionalData\":{\"isRecoverable\":"
	    "false}}}", &e), -ADSYNC_ENOTFOUND);
	assert_false(e.is_recoverable);
	assert_int_equal(decode(404, NULL, "{\"itemNotFoundFault\":{"
	    "\"additionalData\":{\"isRecoverable\":\"True\"}}}", &e),
	    -ADSYNC_ENOTFOUND);
	assert_true(e.is_recoverable);
	/* The 2009 style: empty body, text in the header. */
	assert_int_equal(decode(404, "Customer Not Found", "", &e),
	    -ADSYNC_ENOTFOUND);
	assert_string_equal(e.message, "Customer Not Found");
	assert_string_equal(e.fault, "");
}

static void
test_fault_validation(void **state)
{
	struct rs_error e;

	(void)state;
	assert_int_equal(decode(400, NULL, "{\"badRequestFault\":{"
	    "\"message\":\"Missing required field: password\",\"code\":400}}",
	    &e), -ADSYNC_EVALIDATION);
	assert_string_equal(e.fault, "badRequestFault");
	assert_string_equal(e.message, "Missing required field: password");
	assert_int_equal(decode(400, NULL, "{\"validationFault\":{"
	    "\"message\":\"Password does not meet the requirements\"}}", &e),
	    -ADSYNC_EVALIDATION);
	assert_string_equal(e.fault, "validationFault");
	assert_int_equal(decode(400, "Missing required field: type", "", &e),
	    -ADSYNC_EVALIDATION);
	assert_string_equal(e.message, "Missing required field: type");
	/* The header is used when the body has no message. */
	assert_int_equal(decode(400, "From header", "{\"badRequestFault\":{"
	    "\"code\":400}}", &e), -ADSYNC_EVALIDATION);
	assert_string_equal(e.message, "From header");
}

static void
test_fault_limit_conflict(void **state)
{
	struct rs_error e;

	(void)state;
	assert_int_equal(decode(400, NULL, "{\"appsFault\":{\"message\":"
	    "\"Mailbox limit exceeded\"}}", &e), -ADSYNC_ELIMIT);
	assert_int_equal(decode(500, "Mailbox limit exceeded.", "", &e),
	    -ADSYNC_ELIMIT);
	assert_int_equal(decode(409, NULL, "{\"appsFault\":{\"message\":"
	    "\"Conflict\"}}", &e), -ADSYNC_ECONFLICT);
	assert_string_equal(e.fault, "appsFault");
	assert_int_equal(decode(400, NULL, "{\"appsFault\":{\"message\":"
	    "\"The name john is already exists in the domain\"}}", &e),
	    -ADSYNC_ECONFLICT);
	assert_int_equal(decode(400, "Mailbox already exists", "", &e),
	    -ADSYNC_ECONFLICT);
}

static void
test_fault_server_other(void **state)
{
	struct rs_error e;

	(void)state;
	assert_int_equal(decode(500, NULL, "{\"appsFault\":{\"message\":"
	    "\"Internal error\",\"code\":500}}", &e), -ADSYNC_ESERVER);
	assert_string_equal(e.message, "Internal error");
	assert_int_equal(decode(503, NULL, "<html>busy</html>", &e),
	    -ADSYNC_ESERVER);
	/* Never the body text: only "HTTP 503". */
	assert_string_equal(e.message, "HTTP 503");
	assert_int_equal(decode(417, NULL, "", &e), -ADSYNC_EPROTO);
	assert_int_equal(decode(401, NULL, "", &e), -ADSYNC_EAUTH);
	assert_int_equal(decode(302, NULL, "", &e), -ADSYNC_EPROTO);
	assert_int_equal(decode(422, NULL, "", &e), -ADSYNC_EVALIDATION);
	/* An unknown fault name still gives its message. */
	assert_int_equal(decode(400, NULL, "{\"fooFault\":{\"message\":"
	    "\"odd\"}}", &e), -ADSYNC_EVALIDATION);
	assert_string_equal(e.fault, "fooFault");
	assert_string_equal(e.message, "odd");
	/* Garbage and non-object JSON are survived. */
	assert_int_equal(decode(500, NULL, "[1,2", &e), -ADSYNC_ESERVER);
	assert_int_equal(decode(500, NULL, "\"x\"", &e), -ADSYNC_ESERVER);
	assert_int_equal(decode(400, NULL, "{\"badRequestFault\":7}", &e),
	    -ADSYNC_EVALIDATION);
}

/* Control characters from the server never reach our text. */
static void
test_fault_sanitised(void **state)
{
	struct rs_error e;
	char big[2000];
	char out[600];

	(void)state;
	assert_int_equal(decode(400, NULL, "{\"badRequestFault\":{"
	    "\"message\":\"line1\\r\\nfake: log\\u001b[31m\"}}", &e),
	    -ADSYNC_EVALIDATION);
	assert_string_equal(e.message, "line1??fake: log?[31m");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(decode(400, big, "", &e), -ADSYNC_EVALIDATION);
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
	rs_error_format(&e, out, sizeof(out));
	assert_non_null(strstr(out, "refused by validation (HTTP 400)"));
}

static void
test_error_format(void **state)
{
	struct rs_error e;
	char out[700];

	(void)state;
	decode(404, NULL, "{\"itemNotFoundFault\":{\"message\":\"Mailbox not "
	    "found\",\"resourceType\":\"Mailbox\",\"additionalData\":{"
	    "\"isRecoverable\":true}}}", &e);
	assert_string_equal(rs_error_format(&e, out, sizeof(out)),
	    "not found (HTTP 404 itemNotFoundFault): Mailbox not found, "
	    "resourceType Mailbox, recoverable");
	rs_error_set(&e, -ADSYNC_ETLS, "SSL certificate problem");
	assert_string_equal(rs_error_format(&e, out, sizeof(out)),
	    "TLS error: SSL certificate problem");
	rs_error_clear(&e);
	assert_string_equal(rs_error_format(&e, out, sizeof(out)),
	    "no error");
}

static void
test_escape(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(http_escape(&b, "john.smith-1_~", 14, true), 0);
	assert_string_equal(buf_str(&b), "john.smith-1_~");
	buf_reset(&b);
	assert_int_equal(http_escape(&b, "a b/c?d#e%f&g=h+i@j", 19, true), 0);
	assert_string_equal(buf_str(&b),
	    "a%20b%2Fc%3Fd%23e%25f%26g%3Dh%2Bi@j");
	buf_reset(&b);
	assert_int_equal(http_escape(&b, "x@y", 3, false), 0);
	assert_string_equal(buf_str(&b), "x%40y");
	buf_reset(&b);
	/* UTF-8 and NUL bytes are bytes. */
	assert_int_equal(http_escape(&b, "\xc3\xa9\0z", 4, false), 0);
	assert_string_equal(buf_str(&b), "%C3%A9%00z");
	buf_fini(&b);
	/* The buffer's limit holds. */
	buf_init(&b, 4);
	assert_int_equal(http_escape(&b, "  ", 2, false), -ADSYNC_ETOOBIG);
	buf_fini(&b);
}

static void
test_form(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(http_form_add(&b, "size", "2048", 4), 0);
	assert_int_equal(http_form_add(&b, "displayName", "John Smith", 10),
	    0);
	assert_int_equal(http_form_add(&b, "emailForwardingAddresses",
	    "a@x.com,b@y.com", 15), 0);
	assert_int_equal(http_form_add(&b, "notes", "", 0), 0);
	assert_string_equal(buf_str(&b), "size=2048&displayName=John%20Smith"
	    "&emailForwardingAddresses=a%40x.com%2Cb%40y.com&notes=");
	assert_int_equal(http_form_add(&b, "bad name", "x", 1),
	    -ADSYNC_EPARSE);
	assert_int_equal(http_form_add(&b, "", "x", 1), -ADSYNC_EPARSE);
	assert_int_equal(http_form_add(&b, "a&b", "x", 1), -ADSYNC_EPARSE);
	buf_fini(&b);
}

static void
test_url_check(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(http_url_check("https://api.emailsrvr.com/v1", why,
	    sizeof(why)), 0);
	assert_int_equal(http_url_check("https://127.0.0.1:8443/v1", why,
	    sizeof(why)), 0);
	assert_int_equal(http_url_check("http://127.0.0.1:8080/v1", why,
	    sizeof(why)), 0);
	assert_int_equal(http_url_check("http://127.1.2.3/v1", why,
	    sizeof(why)), 0);
	assert_int_equal(http_url_check("http://localhost:1/v1", why,
	    sizeof(why)), 0);
	assert_int_equal(http_url_check("http://[::1]:8080/v1", why,
	    sizeof(why)), 0);
	assert_int_equal(http_url_check("http://api.emailsrvr.com/v1", why,
	    sizeof(why)), -ADSYNC_ECONFIG);
	assert_non_null(strstr(why, "only https"));
	assert_int_equal(http_url_check("http://10.0.0.1/v1", why,
	    sizeof(why)), -ADSYNC_ECONFIG);
	assert_int_equal(http_url_check("http://128.0.0.1/v1", why,
	    sizeof(why)), -ADSYNC_ECONFIG);
	assert_int_equal(http_url_check("ftp://x/v1", why, sizeof(why)),
	    -ADSYNC_ECONFIG);
	assert_int_equal(http_url_check("", why, sizeof(why)),
	    -ADSYNC_ECONFIG);
	assert_int_equal(http_url_check("https://u:p@x/v1", why,
	    sizeof(why)), -ADSYNC_ECONFIG);
	assert_int_equal(http_url_check("https://x/v1?a=b", why,
	    sizeof(why)), -ADSYNC_ECONFIG);
}

static void
test_curl_codes(void **state)
{
	(void)state;
	assert_int_equal(http_curl_error(CURLE_PEER_FAILED_VERIFICATION),
	    -ADSYNC_ETLS);
	assert_int_equal(http_curl_error(CURLE_SSL_CONNECT_ERROR),
	    -ADSYNC_ETLS);
	assert_int_equal(http_curl_error(CURLE_OPERATION_TIMEDOUT),
	    -ADSYNC_ETIMEOUT);
	assert_int_equal(http_curl_error(CURLE_GOT_NOTHING),
	    -ADSYNC_ETRANSPORT);
	assert_true(http_curl_not_sent(CURLE_COULDNT_CONNECT));
	assert_false(http_curl_not_sent(CURLE_GOT_NOTHING));
	assert_false(http_curl_not_sent(CURLE_RECV_ERROR));
}

static void
test_request_paths(void **state)
{
	const char *seg[] = { "customers", "me", "domains", "example.com",
	    "ex", "mailboxes", "j smith", "emailaddresses", "a+b@x.com" };
	const char *bad[] = { "customers", ".." };
	const char *empty[] = { "customers", "" };
	struct rs_request *r;
	int err = 0;

	(void)state;
	r = rs_request_path_new(RS_POST, seg, 9, NULL, &err);
	assert_non_null(r);
	assert_string_equal(rs_request_path(r), "/customers/me/domains/"
	    "example.com/ex/mailboxes/j%20smith/emailaddresses/a%2Bb@x.com");
	assert_int_equal(rs_request_category(r), RS_CAT_WRITE);
	assert_int_equal(rs_request_method(r), RS_POST);
	rs_request_free(r);
	r = rs_request_path_new(RS_GET, seg, 6, "size=250&offset=0", &err);
	assert_string_equal(rs_request_path(r), "/customers/me/domains/"
	    "example.com/ex/mailboxes?size=250&offset=0");
	assert_int_equal(rs_request_category(r), RS_CAT_READ);
	rs_request_free(r);
	assert_null(rs_request_path_new(RS_GET, bad, 2, NULL, &err));
	assert_int_equal(err, -ADSYNC_EPARSE);
	assert_null(rs_request_path_new(RS_GET, empty, 2, NULL, &err));
	assert_int_equal(err, -ADSYNC_EPARSE);
	/* Raw paths: must start with '/', no spaces or controls. */
	assert_null(rs_request_new(RS_GET, "customers/me", &err));
	assert_null(rs_request_new(RS_GET, "/a b", &err));
	assert_null(rs_request_new(RS_GET, "/a\r\nX: y", &err));
	assert_int_equal(err, -ADSYNC_EPARSE);
}

static void
test_request_category(void **state)
{
	struct rs_request *r;

	(void)state;
	r = rs_request_new(RS_POST, "/customers/me/domains/example.com", NULL);
	assert_int_equal(rs_request_category(r), RS_CAT_DOMAIN_WRITE);
	rs_request_free(r);
	r = rs_request_new(RS_DELETE, "/customers/123/domains/example.com/",
	    NULL);
	assert_int_equal(rs_request_category(r), RS_CAT_DOMAIN_WRITE);
	rs_request_free(r);
	r = rs_request_new(RS_POST, "/customers/me/domains/example.com/"
	    "alternatedomains/example.org", NULL);
	assert_int_equal(rs_request_category(r), RS_CAT_DOMAIN_WRITE);
	rs_request_free(r);
	r = rs_request_new(RS_GET, "/customers/me/domains/example.com", NULL);
	assert_int_equal(rs_request_category(r), RS_CAT_READ);
	rs_request_free(r);
	r = rs_request_new(RS_PUT, "/customers/me/domains/example.com/rs/"
	    "mailboxes/x", NULL);
	assert_int_equal(rs_request_category(r), RS_CAT_WRITE);
	assert_true(rs_request_idempotent(r));
	rs_request_free(r);
	r = rs_request_new(RS_POST, "/customers/me/domains/example.com/rs/"
	    "mailboxes/x", NULL);
	assert_false(rs_request_idempotent(r));
	rs_request_free(r);
}

static void
test_request_body(void **state)
{
	struct rs_request *r, *d;
	struct secret *pw;

	(void)state;
	r = rs_request_new(RS_POST, "/x", NULL);
	/* A password never goes in as plain text. */
	assert_int_equal(rs_request_form_add(r, "password", "Secret-123"),
	    -ADSYNC_EPARSE);
	assert_int_equal(rs_request_form_add(r, "size", "2048"), 0);
	pw = secret_new("Pa ss&w0rd", 10, "test");
	assert_int_equal(rs_request_form_add_secret(r, "password", pw), 0);
	secret_free(pw);
	assert_string_equal(buf_str(&r->body),
	    "size=2048&password=Pa%20ss%26w0rd");
	assert_int_equal(r->kind, RS_BODY_FORM);
	/* Form and JSON do not mix. */
	assert_int_equal(rs_request_json_set(r, "{}", 2), -EINVAL);
	d = rs_request_dup(r);
	assert_string_equal(buf_str(&d->body), buf_str(&r->body));
	assert_string_equal(rs_request_path(d), "/x");
	rs_request_free(d);
	rs_request_free(r);
	r = rs_request_new(RS_POST, "/x", NULL);
	assert_int_equal(rs_request_json_set(r, "{\"a\":1}", 7), 0);
	assert_int_equal(rs_request_form_add(r, "a", "b"), -EINVAL);
	rs_request_free(r);
}

static void
test_method_names(void **state)
{
	(void)state;
	assert_string_equal(rs_method_name(RS_GET), "GET");
	assert_string_equal(rs_method_name(RS_POST), "POST");
	assert_string_equal(rs_method_name(RS_PUT), "PUT");
	assert_string_equal(rs_method_name(RS_DELETE), "DELETE");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_unauthorized),
		cmocka_unit_test(test_fault_throttled),
		cmocka_unit_test(test_fault_not_found),
		cmocka_unit_test(test_fault_validation),
		cmocka_unit_test(test_fault_limit_conflict),
		cmocka_unit_test(test_fault_server_other),
		cmocka_unit_test(test_fault_sanitised),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_url_check),
		cmocka_unit_test(test_curl_codes),
		cmocka_unit_test(test_request_paths),
		cmocka_unit_test(test_request_category),
		cmocka_unit_test(test_request_body),
		cmocka_unit_test(test_method_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
