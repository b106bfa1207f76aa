/*
 * Integration tests of the API client's failure handling against rsemu:
 * every fault type decoded into the right typed error; authentication
 * failures not retried; throttling paced away (zero rejections when the
 * limits match) or backed off from; 5xx and dropped connections retried for
 * idempotent calls; a create whose reply is lost resolved by a lookup
 * without a duplicate POST; TLS with the wrong CA refused clearly; large
 * bodies sent without Expect: 100-continue; the secret never logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <sodium.h>

#include "err.h"
#include "log.h"
#include "rsemu_fixture.h"
#include "target.h"

#define RS_DOM "example.net"
#define EX_DOM "example.com"
#define MBX "/customers/me/domains/" RS_DOM "/rs/mailboxes/"

static struct rsemu emu;	/* shared, throttle off */
static struct rs_client *client;

static void
check(int r, const struct rs_error *e, const char *what)
{
	char msg[1024];

	if (r != 0)
		fail_msg("%s: %s", what, rs_error_format(e, msg, sizeof(msg)));
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct secret *
pw(const char *s)
{
	return secret_new(s, strlen(s), "test-password");
}

static struct rs_record *
fields_size(struct rs_record *f)
{
	rs_record_init(f);
	assert_int_equal(rs_record_set(f, "size", "1024"), 0);
	return f;
}

static int
add_mailbox(struct rs_client *c, const char *name, struct rs_error *e)
{
	struct rs_record f;
	struct secret *p = pw("Fault-Tests-1");
	int r;

	r = rs_mailbox_add(c, RS_DOM, name, fields_size(&f), p, e);
	secret_free(p);
	rs_record_fini(&f);
	return r;
}

static struct rs_client *
mkclient(struct rsemu *e, void (*tweak)(struct conf_rackspace *))
{
	struct conf_rackspace c;
	struct rs_client *cl = NULL;
	char why[512];

	rsemu_client_conf(e, &c);
	if (tweak != NULL)
		tweak(&c);
	if (rs_client_new(&c, &cl, why, sizeof(why)) != 0)
		fail_msg("rs_client_new: %s", why);
	return cl;
}

static int
setup(void **state)
{
	static const char *const args[] = { "--domain", EX_DOM ":exchange",
	    "--domain", RS_DOM ":rsemail", "--throttle", "off", NULL };
	struct rsemu_opts o = { .args = args };
	int r;

	(void)state;
	if ((r = rsemu_start(&emu, &o)) != 0)
		exit(r == RSEMU_SKIP ? RSEMU_SKIP : 1);
	client = mkclient(&emu, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rs_client_free(client);
	rsemu_stop(&emu);
	return 0;
}

/* Every test starts with no fault rules. */
static int
clear_faults(void **state)
{
	(void)state;
	return rsemu_faults(&emu, "{}");
}

static void
test_config_errors(void **state)
{
	struct conf_rackspace c;
	struct rs_client *cl = NULL;
	char why[512], path[RSEMU_PATH_MAX], bad[64] = "/nonexistent/key";
	char url[64] = "http://api.emailsrvr.com/v1";

	(void)state;
	rsemu_client_conf(&emu, &c);
	c.secret_key_file = bad;
	assert_int_equal(rs_client_new(&c, &cl, why, sizeof(why)),
	    -ADSYNC_ESECRET);
	assert_non_null(strstr(why, "/nonexistent/key"));
	assert_non_null(strstr(why, "0600"));
	/* A secret file others can read is refused, naming the fix. */
	assert_int_equal(rsemu_write_file(&emu, "loose.key", "abc", path,
	    sizeof(path)), 0);
	assert_int_equal(chmod(path, 0644), 0);
	c.secret_key_file = path;
	assert_true(rs_client_new(&c, &cl, why, sizeof(why)) < 0);
	assert_non_null(strstr(why, path));
	assert_non_null(strstr(why, "mode"));
	/* No clear text to a remote host. */
	rsemu_client_conf(&emu, &c);
	c.api_url = url;
	assert_int_equal(rs_client_new(&c, &cl, why, sizeof(why)),
	    -ADSYNC_ECONFIG);
	assert_non_null(strstr(why, "https"));
	assert_null(cl);
}

static void
bad_secret(struct conf_rackspace *c)
{
	static char path[RSEMU_PATH_MAX];

	if (rsemu_write_file(&emu, "wrong.key", "not-the-secret", path,
	    sizeof(path)) != 0)
		fail_msg("cannot write wrong.key");
	c->secret_key_file = path;
}

/* A bad secret is an authentication failure, sent once, never retried. */
static void
test_auth_failure(void **state)
{
	struct rs_client_stats st;
	struct rs_records rs;
	struct rs_client *cl;
	struct rs_error e;
	long before, after;

	(void)state;
	cl = mkclient(&emu, bad_secret);
	before = rsemu_count_requests(&emu, NULL, NULL, 403);
	rs_records_init(&rs);
	assert_int_equal(rs_domain_list(cl, &rs, &e), -ADSYNC_EAUTH);
	assert_int_equal(e.http_status, 403);
	assert_string_equal(e.fault, "unauthorizedFault");
	assert_string_equal(e.message, "Authentication failed.");
	assert_int_equal(e.attempts, 1);
	rs_client_stats(cl, &st);
	assert_int_equal(st.sent[RS_CAT_READ], 1);
	assert_int_equal(st.retried, 0);
	assert_int_equal(st.throttled, 0);
	after = rsemu_count_requests(&emu, NULL, NULL, 403);
	assert_int_equal(after - before, 1);
	rs_records_fini(&rs);
	rs_client_free(cl);
}

static void
test_not_found(void **state)
{
	struct rs_record r;
	struct rs_error e;

	(void)state;
	rs_record_init(&r);
	assert_int_equal(rs_mailbox_show(client, RS_DOM, "nobody", &r, &e),
	    -ADSYNC_ENOTFOUND);
	assert_int_equal(e.http_status, 404);
	assert_string_equal(e.fault, "itemNotFoundFault");
	assert_true(e.resource_type[0] != '\0');
	assert_false(e.is_recoverable);
	assert_int_equal(e.attempts, 1);
	/* A deleted Rackspace Email mailbox can be recovered. */
	check(add_mailbox(client, "gone", &e), &e, "add gone");
	check(rs_mailbox_delete(client, RS_DOM, "gone", &e), &e, "del gone");
	assert_int_equal(rs_mailbox_show(client, RS_DOM, "gone", &r, &e),
	    -ADSYNC_ENOTFOUND);
	assert_true(e.is_recoverable);
	/* A domain not on the account. */
	assert_true(rs_mailbox_show(client, "notours.test", "x", &r, &e) < 0);
	assert_int_equal(r.n, 0);
}

static void
test_validation(void **state)
{
	struct rs_record f;
	struct rs_error e;
	struct secret *p;
	long posts;

	(void)state;
	/* Weak password: refused here, never sent. */
	p = pw("password");
	assert_int_equal(rs_mailbox_add(client, RS_DOM, "weak",
	    fields_size(&f), p, &e), -ADSYNC_EVALIDATION);
	assert_int_equal(e.http_status, 0);
	assert_non_null(strstr(e.message, "character classes"));
	assert_null(strstr(e.message, "password\""));
	assert_int_equal(rs_mailbox_set_password(client, RS_DOM, "weak", p,
	    &e), -ADSYNC_EVALIDATION);
	secret_free(p);
	rs_record_fini(&f);
	posts = rsemu_count_requests(&emu, NULL, "/rs/mailboxes/weak", -1);
	assert_int_equal(posts, 0);

	/* Server-side 400: a required field missing. */
	rs_record_init(&f);
	assert_int_equal(rs_record_set(&f, "displayName", "No Size"), 0);
	p = pw("Strong-Enough-1");
	assert_int_equal(rs_mailbox_add(client, RS_DOM, "nosize", &f, p, &e),
	    -ADSYNC_EVALIDATION);
	assert_int_equal(e.http_status, 400);
	assert_true(e.fault[0] != '\0');
	assert_non_null(strstr(e.message, "size"));
	secret_free(p);
	rs_record_fini(&f);
}

static void
test_conflict(void **state)
{
	struct rs_strlist m;
	struct rs_error e;

	(void)state;
	check(add_mailbox(client, "taken", &e), &e, "add taken");
	assert_int_equal(add_mailbox(client, "taken", &e), -ADSYNC_ECONFLICT);
	assert_true(e.http_status == 409 || e.http_status == 400);
	assert_true(e.message[0] != '\0');
	/* One namespace per domain: an alias cannot take a mailbox's name. */
	check(add_mailbox(client, "target", &e), &e, "add target");
	rs_strlist_init(&m);
	assert_int_equal(rs_strlist_add(&m, "target@" RS_DOM), 0);
	assert_int_equal(rs_alias_add(client, RS_DOM, "taken", &m, &e),
	    -ADSYNC_ECONFLICT);
	rs_strlist_fini(&m);
}

static void
test_mailbox_limit(void **state)
{
	static const char *const args[] = { "--domain", RS_DOM ":rsemail",
	    "--mailbox-limit", "2", "--throttle", "off", NULL };
	struct rsemu_opts o = { .args = args };
	struct rsemu small;
	struct rs_client *cl;
	struct rs_error e;

	(void)state;
	assert_int_equal(rsemu_start(&small, &o), 0);
	cl = mkclient(&small, NULL);
	check(add_mailbox(cl, "one", &e), &e, "one");
	check(add_mailbox(cl, "two", &e), &e, "two");
	assert_int_equal(add_mailbox(cl, "three", &e), -ADSYNC_ELIMIT);
	assert_non_null(strstr(e.message, "Mailbox limit exceeded"));
	rs_client_free(cl);
	rsemu_stop(&small);
}

/* A 500 on an idempotent call is retried with backoff. */
static void
test_server_error_retried(void **state)
{
	struct rs_client_stats s0, s1;
	struct rs_record r;
	struct rs_error e;

	(void)state;
	check(add_mailbox(client, "flaky", &e), &e, "add flaky");
	assert_int_equal(rsemu_faults(&emu, "{\"rules\":[{\"method\":\"GET\","
	    "\"path\":\"/rs/mailboxes/flaky\",\"action\":\"error500\","
	    "\"count\":1}]}"), 0);
	rs_client_stats(client, &s0);
	rs_record_init(&r);
	check(rs_mailbox_show(client, RS_DOM, "flaky", &r, &e), &e,
	    "show flaky");
	rs_record_fini(&r);
	rs_client_stats(client, &s1);
	assert_int_equal(s1.retried - s0.retried, 1);
	assert_int_equal(rsemu_count_requests(&emu, "GET",
	    "/rs/mailboxes/flaky", 500), 1);
	assert_int_equal(rsemu_count_requests(&emu, "GET",
	    "/rs/mailboxes/flaky", 200), 1);
}

static void
two_retries(struct conf_rackspace *c)
{
	c->max_retries = 2;
}

/* Retries are bounded: the last error comes back. */
static void
test_server_error_exhausted(void **state)
{
	struct rs_client *cl;
	struct rs_record r;
	struct rs_error e;

	(void)state;
	cl = mkclient(&emu, two_retries);
	assert_int_equal(rsemu_faults(&emu, "{\"rules\":[{\"method\":\"GET\","
	    "\"path\":\"/rs/mailboxes/down\",\"action\":\"error500\","
	    "\"count\":0}]}"), 0);
	rs_record_init(&r);
	assert_int_equal(rs_mailbox_show(cl, RS_DOM, "down", &r, &e),
	    -ADSYNC_ESERVER);
	assert_int_equal(e.http_status, 500);
	assert_int_equal(e.attempts, 3);
	rs_client_free(cl);
}

/*
 * A POST answered 500 is not sent again blindly: the client looks the
 * mailbox up, finds it absent (rsemu's error500 does not process the
 * request) and only then creates it again.
 */
static void
test_server_error_create(void **state)
{
	struct rs_record r;
	struct rs_error e;

	(void)state;
	assert_int_equal(rsemu_faults(&emu, "{\"rules\":[{\"method\":\"POST\","
	    "\"path\":\"/rs/mailboxes/late\",\"action\":\"error500\","
	    "\"count\":1}]}"), 0);
	check(add_mailbox(client, "late", &e), &e, "add late");
	assert_int_equal(rsemu_count_requests(&emu, "POST",
	    "/rs/mailboxes/late", -1), 2);
	assert_int_equal(rsemu_count_requests(&emu, "GET",
	    "/rs/mailboxes/late", 404), 1);
	rs_record_init(&r);
	check(rs_mailbox_show(client, RS_DOM, "late", &r, &e), &e,
	    "show late");
	rs_record_fini(&r);
}

/* A dropped connection on a GET is a transport error, retried. */
static void
test_transport_retried(void **state)
{
	struct rs_records rs;
	struct rs_error e;

	(void)state;
	assert_int_equal(rsemu_faults(&emu, "{\"rules\":[{\"method\":\"GET\","
	    "\"path\":\"/domains\",\"action\":\"drop\",\"count\":1}]}"), 0);
	rs_records_init(&rs);
	check(rs_domain_list(client, &rs, &e), &e, "domains after drop");
	assert_int_equal(rs.n, 2);
	rs_records_fini(&rs);
	assert_true(rsemu_count_requests(&emu, "GET", "/domains", -1) >= 2);
}

/*
 * The create whose reply is lost: rsemu creates the mailbox, then drops
 * the connection. The client must end with the mailbox and rsemu must
 * have seen exactly one POST for it.
 */
static void
test_lost_create_reply(void **state)
{
	struct rs_record r;
	struct rs_error e;

	(void)state;
	rs_record_init(&r);
	/* Warm the connection pool so a reused connection is available. */
	check(rs_mailbox_show(client, RS_DOM, "taken", &r, &e), &e, "warm");
	rs_record_fini(&r);
	assert_int_equal(rsemu_faults(&emu, "{\"rules\":[{\"method\":\"POST\","
	    "\"path\":\"/rs/mailboxes/dropped\",\"action\":\"drop_after\","
	    "\"count\":1}]}"), 0);
	check(add_mailbox(client, "dropped", &e), &e, "add dropped");
	assert_int_equal(rsemu_count_requests(&emu, "POST",
	    "/rs/mailboxes/dropped", -1), 1);
	check(rs_mailbox_show(client, RS_DOM, "dropped", &r, &e), &e,
	    "show dropped");
	assert_string_equal(rs_record_get(&r, "name"), "dropped");
	rs_record_fini(&r);

	/* The same for a distribution list (POST to the collection). */
	assert_int_equal(rsemu_faults(&emu, "{\"rules\":[{\"method\":\"POST\","
	    "\"path\":\"/ex/distributionlists\",\"action\":\"drop_after\","
	    "\"count\":1}]}"), 0);
	check(ex_dl_create(client, EX_DOM, "lostlist", NULL, NULL, &e), &e,
	    "dl create dropped");
	assert_int_equal(rsemu_count_requests(&emu, "POST",
	    "/ex/distributionlists", -1), 1);
	check(ex_dl_show(client, EX_DOM, "lostlist", &r, &e), &e,
	    "show lostlist");
	rs_record_fini(&r);
}

/*
 * Idempotent writes whose reply is lost are sent again; when the first
 * copy did the work, the second is refused ("not found", "not a member"),
 * and the client must still report success.
 */
static void
test_lost_write_reply(void **state)
{
	struct rs_strlist m;
	struct rs_record r, f;
	struct rs_error e;
	struct secret *p;

	(void)state;
	check(add_mailbox(client, "doomed", &e), &e, "add doomed");
	assert_int_equal(rsemu_faults(&emu, "{\"rules\":[{\"method\":"
	    "\"DELETE\",\"path\":\"/rs/mailboxes/doomed\",\"action\":"
	    "\"drop_after\",\"count\":1}]}"), 0);
	check(rs_mailbox_delete(client, RS_DOM, "doomed", &e), &e,
	    "delete dropped");
	assert_int_equal(rsemu_count_requests(&emu, "DELETE",
	    "/rs/mailboxes/doomed", -1), 2);
	rs_record_init(&r);
	assert_int_equal(rs_mailbox_show(client, RS_DOM, "doomed", &r, &e),
	    -ADSYNC_ENOTFOUND);

	rs_record_init(&f);
	assert_int_equal(rs_record_set(&f, "displayName", "Member"), 0);
	assert_int_equal(rs_record_set(&f, "size", "1024"), 0);
	p = pw("Member-Pass-1");
	check(ex_mailbox_add(client, EX_DOM, "dm1", &f, p, &e), &e, "dm1");
	check(ex_mailbox_add(client, EX_DOM, "dm2", &f, p, &e), &e, "dm2");
	secret_free(p);
	rs_record_fini(&f);
	rs_strlist_init(&m);
	assert_int_equal(rs_strlist_add(&m, "dm1"), 0);
	assert_int_equal(rs_strlist_add(&m, "dm2"), 0);
	check(ex_dl_create(client, EX_DOM, "droplist", NULL, &m, &e), &e,
	    "droplist");
	rs_strlist_fini(&m);
	assert_int_equal(rs_strlist_add(&m, "dm1"), 0);
	assert_int_equal(rsemu_faults(&emu, "{\"rules\":[{\"method\":\"PUT\","
	    "\"path\":\"/ex/distributionlists/droplist\",\"action\":"
	    "\"drop_after\",\"count\":1}]}"), 0);
	check(ex_dl_members_remove(client, EX_DOM, "droplist", &m, &e), &e,
	    "members remove dropped");
	rs_strlist_fini(&m);
	assert_int_equal(rsemu_count_requests(&emu, "PUT",
	    "/ex/distributionlists/droplist", -1), 2);
	check(ex_dl_show(client, EX_DOM, "droplist", &r, &e), &e,
	    "show droplist");
	assert_int_equal(rs_strlist_from_csv(&m, rs_record_get(&r,
	    "members")), 0);
	assert_int_equal(m.n, 1);
	rs_strlist_fini(&m);
	rs_record_fini(&r);
}

static void
short_timeout(struct conf_rackspace *c)
{
	c->timeout = 1;
}

/* A stalled answer times out; a GET is retried, a POST looked up. */
static void
test_timeout(void **state)
{
	struct rs_client *cl;
	struct rs_record r;
	struct rs_error e;

	(void)state;
	cl = mkclient(&emu, short_timeout);
	assert_int_equal(rsemu_faults(&emu, "{\"rules\":[{\"method\":\"GET\","
	    "\"path\":\"/rs/mailboxes/taken\",\"action\":\"stall\","
	    "\"ms\":2500,\"count\":1}]}"), 0);
	rs_record_init(&r);
	check(rs_mailbox_show(cl, RS_DOM, "taken", &r, &e), &e,
	    "show after stall");
	rs_record_fini(&r);
	assert_int_equal(rsemu_faults(&emu, "{\"rules\":[{\"method\":\"POST\","
	    "\"path\":\"/rs/mailboxes/slow\",\"action\":\"stall\","
	    "\"ms\":2500,\"count\":1}]}"), 0);
	check(add_mailbox(cl, "slow", &e), &e, "add after stall");
	check(rs_mailbox_show(cl, RS_DOM, "slow", &r, &e), &e, "show slow");
	rs_record_fini(&r);
	rs_client_free(cl);
}

static char other_ca[RSEMU_PATH_MAX];

static void
wrong_ca(struct conf_rackspace *c)
{
	c->ca_file = other_ca;
}

static void
test_tls_wrong_ca(void **state)
{
	char dir[RSEMU_PATH_MAX - 16];
	struct rs_client_stats st;
	struct rs_records rs;
	struct rs_client *cl;
	struct rs_error e;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/otherca", emu.dir);
	assert_int_equal(rsemu_mkcert(dir), 0);
	snprintf(other_ca, sizeof(other_ca), "%s/ca.pem", dir);
	cl = mkclient(&emu, wrong_ca);
	rs_records_init(&rs);
	assert_int_equal(rs_domain_list(cl, &rs, &e), -ADSYNC_ETLS);
	assert_int_equal(e.http_status, 0);
	assert_non_null(strstr(e.message, "certificate"));
	rs_client_stats(cl, &st);
	assert_int_equal(st.retried, 0);
	rs_records_fini(&rs);
	rs_client_free(cl);
}

/* Bodies over 1 KiB: libcurl would add Expect: 100-continue, which the
 * API answers with 417. */
static void
test_large_body(void **state)
{
	struct rs_record f, r;
	struct rs_error e;
	char *notes;

	(void)state;
	notes = malloc(3001);
	memset(notes, 'n', 3000);
	notes[3000] = '\0';
	rs_record_init(&f);
	assert_int_equal(rs_record_set(&f, "notes", notes), 0);
	check(rs_mailbox_edit(client, RS_DOM, "taken", &f, &e), &e,
	    "big edit");
	rs_record_init(&r);
	check(rs_mailbox_show(client, RS_DOM, "taken", &r, &e), &e,
	    "show big");
	assert_string_equal(rs_record_get(&r, "notes"), notes);
	rs_record_fini(&r);
	rs_record_fini(&f);
	/* JSON too: a description and a display name over 1 KiB. */
	notes[1000] = '\0';
	assert_int_equal(rs_record_set(&f, "description", notes), 0);
	notes[200] = '\0';
	assert_int_equal(rs_record_set(&f, "displayName", notes), 0);
	check(ex_dl_create(client, EX_DOM, "biglist", &f, NULL, &e), &e,
	    "big dl");
	rs_record_fini(&f);
	free(notes);
	assert_int_equal(rsemu_count_requests(&emu, NULL, NULL, 417), 0);
}

/* Several requests in flight: 8 GETs that each take 200 ms at the
 * server finish in about two rounds of max_in_flight (4), not eight. */
struct flight {
	int ok;
	int bad;
};

static void
flight_done(void *arg, struct rs_response *resp, const struct rs_error *err)
{
	struct flight *f = arg;

	(void)resp;
	if (err == NULL)
		f->ok++;
	else
		f->bad++;
}

static void
test_in_flight(void **state)
{
	struct rs_client_stats s0, s1;
	struct rs_request *req;
	struct flight f = { 0, 0 };
	double t0, dt;
	int i;

	(void)state;
	assert_int_equal(rsemu_faults(&emu, "{\"latency_ms\":\"200-200\"}"),
	    0);
	rs_client_stats(client, &s0);
	t0 = now_s();
	for (i = 0; i < 8; i++) {
		req = rs_request_new(RS_GET, "/customers/me/domains", NULL);
		assert_int_equal(rs_client_submit(client, req, flight_done,
		    &f), 0);
	}
	while (rs_client_run(client, 1000) > 0)
		;
	dt = now_s() - t0;
	rs_client_stats(client, &s1);
	fprintf(stderr, "in flight: 8 GETs of 200 ms in %.2f s, %lu new "
	    "connections\n", dt, s1.connects - s0.connects);
	assert_int_equal(f.ok, 8);
	assert_true(dt >= 0.39);
	assert_true(dt < 1.2);
	assert_true(s1.connects - s0.connects <= 4);
}

/* Plain http is allowed for a loopback api_url (tests, benchmarks). */
static void
test_plain_http_loopback(void **state)
{
	struct rsemu_opts o = { .plain_http = true };
	struct rs_records rs;
	struct rs_client *cl;
	struct rs_error e;
	struct rsemu plain;

	(void)state;
	assert_int_equal(rsemu_start(&plain, &o), 0);
	assert_non_null(strstr(plain.api_url, "http://127.0.0.1:"));
	cl = mkclient(&plain, NULL);
	rs_records_init(&rs);
	check(rs_domain_list(cl, &rs, &e), &e, "plain http");
	assert_int_equal(rs.n, 2);
	rs_records_fini(&rs);
	rs_client_free(cl);
	rsemu_stop(&plain);
}

/* ---- throttling, against a tightly limited rsemu ---- */

static struct rsemu tight;

static void
tight_limits(struct conf_rackspace *c)
{
	c->reads_per_minute = 5;
	c->writes_per_minute = 3;
	c->throttle_window = 2;
}

static void
loose_limits(struct conf_rackspace *c)
{
	c->reads_per_minute = 60;
	c->writes_per_minute = 30;
	c->throttle_window = 2;
}

static int
start_tight(void)
{
	static const char *const args[] = { "--domain", RS_DOM ":rsemail",
	    "--throttle", "get=5,write=3,window=2", NULL };
	struct rsemu_opts o = { .args = args };

	if (tight.pid > 0)
		return rsemu_reset(&tight);
	return rsemu_start(&tight, &o);
}

static void
run_load(struct rs_client *cl, int gets, int writes, const char *name)
{
	struct rs_records rs;
	struct rs_record f;
	struct rs_error e;
	char v[16];
	int i;

	for (i = 0; i < gets; i++) {
		rs_records_init(&rs);
		check(rs_domain_list(cl, &rs, &e), &e, "paced GET");
		rs_records_fini(&rs);
	}
	if (writes > 0)
		check(add_mailbox(cl, name, &e), &e, "paced POST");
	for (i = 1; i < writes; i++) {
		snprintf(v, sizeof(v), "Name %d", i);
		rs_record_init(&f);
		assert_int_equal(rs_record_set(&f, "displayName", v), 0);
		check(rs_mailbox_edit(cl, RS_DOM, name, &f, &e), &e,
		    "paced PUT");
		rs_record_fini(&f);
	}
}

/* Our limits equal the server's: paced, never refused. */
static void
test_throttle_paced(void **state)
{
	struct rs_client_stats st;
	struct rs_client *cl;
	double t0, dt;

	(void)state;
	assert_int_equal(start_tight(), 0);
	cl = mkclient(&tight, tight_limits);
	t0 = now_s();
	run_load(cl, 11, 7, "paced");
	dt = now_s() - t0;
	rs_client_stats(cl, &st);
	fprintf(stderr, "paced: 11 GET + 7 writes in %.2f s, throttled %lu\n",
	    dt, st.throttled);
	assert_int_equal(st.throttled, 0);
	assert_int_equal(rsemu_count_requests(&tight, NULL, NULL, 403), 0);
	/* 11 GETs at 5 per 2 s need two full windows, 7 writes at 3 per
	 * 2 s two more: pacing, not luck. */
	assert_true(dt >= 7.9);
	rs_client_free(cl);
}

/* Our limits exceed the server's: throttled, backed off, completed. */
static void
test_throttle_backoff(void **state)
{
	struct rs_client_stats st;
	struct rs_client *cl;
	double t0, dt;

	(void)state;
	assert_int_equal(start_tight(), 0);
	cl = mkclient(&tight, loose_limits);
	t0 = now_s();
	run_load(cl, 12, 7, "backedoff");
	dt = now_s() - t0;
	rs_client_stats(cl, &st);
	fprintf(stderr, "backoff: 12 GET + 7 writes in %.2f s, throttled "
	    "%lu\n", dt, st.throttled);
	assert_true(st.throttled > 0);
	assert_int_equal(st.failed, 0);
	/* Backing off keeps the rejections few: each phase exhausts two
	 * server windows, and the backoff (a quarter window, doubling)
	 * passes a window's end after at most four refusals. */
	assert_true(st.throttled <= 16);
	rs_client_free(cl);
	rsemu_stop(&tight);
}

/* ---- the secret, passwords and the signature never reach the log ---- */

static bool
file_has(const char *path, const char *needle)
{
	char buf[1 << 16];
	size_t n;
	FILE *fp;
	bool found = false;

	if ((fp = fopen(path, "r")) == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	found = memmem(buf, n, needle, strlen(needle)) != NULL;
	return found;
}

static void
test_no_secret_in_log(void **state)
{
	char logpath[RSEMU_PATH_MAX], secret[256];
	struct rs_records rs;
	struct rs_client *cl, *bad;
	struct rs_record r;
	struct rs_error e;
	struct secret *p;
	FILE *fp;
	size_t n;
	int fd, saved;

	(void)state;
	fp = fopen(emu.secret_file, "r");
	assert_non_null(fp);
	n = fread(secret, 1, sizeof(secret) - 1, fp);
	fclose(fp);
	secret[n] = '\0';
	secret[strcspn(secret, "\n")] = '\0';
	assert_true(strlen(secret) >= 16);

	snprintf(logpath, sizeof(logpath), "%s/client.log", emu.dir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_set_verbosity(2);

	cl = mkclient(&emu, NULL);
	bad = mkclient(&emu, bad_secret);
	rs_records_init(&rs);
	(void)rs_domain_list(cl, &rs, &e);
	rs_records_fini(&rs);
	(void)rs_domain_list(bad, &rs, &e);
	rs_records_fini(&rs);
	(void)rsemu_faults(&emu, "{\"rules\":[{\"method\":\"GET\",\"path\":"
	    "\"/rs/mailboxes/taken\",\"action\":\"error500\",\"count\":1}]}");
	rs_record_init(&r);
	(void)rs_mailbox_show(cl, RS_DOM, "taken", &r, &e);
	rs_record_fini(&r);
	p = pw("Leaky-Passw0rd!");
	(void)rs_mailbox_set_password(cl, RS_DOM, "taken", p, &e);
	(void)add_mailbox(cl, "logged", &e);
	secret_free(p);
	rs_client_free(bad);
	rs_client_free(cl);

	log_set_verbosity(0);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	/* The log is not empty (debug lines were written, each naming its
	 * request so that the attempts of one request grep together)... */
	assert_true(file_has(logpath, "api req=1 method="));
	assert_true(file_has(logpath, " method=GET path="));
	/* ...and holds none of these. */
	assert_false(file_has(logpath, secret));
	assert_false(file_has(logpath, "X-Api-Signature"));
	assert_false(file_has(logpath, emu.user_key));
	assert_false(file_has(logpath, "Leaky-Passw0rd"));
	assert_false(file_has(logpath, "Fault-Tests-1"));
	assert_false(file_has(logpath, "password="));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_config_errors, clear_faults),
		cmocka_unit_test_setup(test_auth_failure, clear_faults),
		cmocka_unit_test_setup(test_not_found, clear_faults),
		cmocka_unit_test_setup(test_validation, clear_faults),
		cmocka_unit_test_setup(test_conflict, clear_faults),
		cmocka_unit_test_setup(test_mailbox_limit, clear_faults),
		cmocka_unit_test_setup(test_server_error_retried, clear_faults),
		cmocka_unit_test_setup(test_server_error_exhausted,
		    clear_faults),
		cmocka_unit_test_setup(test_server_error_create, clear_faults),
		cmocka_unit_test_setup(test_transport_retried, clear_faults),
		cmocka_unit_test_setup(test_lost_create_reply, clear_faults),
		cmocka_unit_test_setup(test_lost_write_reply, clear_faults),
		cmocka_unit_test_setup(test_timeout, clear_faults),
		cmocka_unit_test_setup(test_tls_wrong_ca, clear_faults),
		cmocka_unit_test_setup(test_large_body, clear_faults),
		cmocka_unit_test_setup(test_in_flight, clear_faults),
		cmocka_unit_test_setup(test_plain_http_loopback, clear_faults),
		cmocka_unit_test(test_throttle_paced),
		cmocka_unit_test(test_throttle_backoff),
		cmocka_unit_test_setup(test_no_secret_in_log, clear_faults),
	};
	int r;

	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	log_init("test_client_faults", 0, LOG_DEST_STDERR);
	r = cmocka_run_group_tests(tests, setup, teardown);
	rsemu_stop(&tight);
	curl_global_cleanup();
	return r;
}
