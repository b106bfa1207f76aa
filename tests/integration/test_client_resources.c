/*
 * Integration tests of the API client against rsemu over TLS: every
 * resource the sync engine needs, end to end — domains; Rackspace Email
 * mailboxes (add, show with contactInfo and forwarding, edit, password,
 * enable/disable, delete, recover, paging past 250); aliases; Exchange
 * mailboxes and alternate addresses; contacts; distribution lists (marker
 * paging, members, addresses, errors); and the asynchronous core with
 * several requests in flight. One rsemu for the whole file, throttle off.
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
#include <jansson.h>
#include <sodium.h>

#include "err.h"
#include "rsemu_fixture.h"
#include "target.h"

#define RS_DOM "example.net"
#define EX_DOM "example.com"

static struct rsemu emu;
static struct rs_client *client;

static void
check(int r, const struct rs_error *e, const char *what)
{
	char msg[1024];

	if (r != 0)
		fail_msg("%s: %s", what, rs_error_format(e, msg, sizeof(msg)));
}

static struct secret *
pw(const char *s)
{
	return secret_new(s, strlen(s), "test-password");
}

/* rsemu's POST /_emu/verify-password: does `password` open the box? */
static bool
verify_password(const char *svc, const char *dom, const char *name,
    const char *password)
{
	json_error_t jerr;
	json_t *req, *ans, *v;
	char *body, *out = NULL;
	long st;
	bool ok = false;

	(void)svc;
	req = json_pack("{s:s, s:s, s:s}", "domain", dom, "mailbox", name,
	    "password", password);
	body = json_dumps(req, JSON_COMPACT);
	st = rsemu_admin(&emu, "POST", "/_emu/verify-password", body, &out);
	if (st == 200 && out != NULL &&
	    (ans = json_loads(out, 0, &jerr)) != NULL) {
		v = json_object_get(ans, "match");
		ok = json_is_true(v);
		json_decref(ans);
	} else {
		fprintf(stderr, "verify-password: HTTP %ld %s\n", st,
		    out ? out : "");
	}
	free(out);
	free(body);
	json_decref(req);
	return ok;
}

static int
setup(void **state)
{
	static const char *const args[] = { "--domain", EX_DOM ":exchange",
	    "--domain", RS_DOM ":rsemail", "--domain", "both.test:both",
	    "--accepted-domain", EX_DOM ":example.org", "--throttle", "off",
	    NULL };
	struct rsemu_opts o = { .args = args };
	struct conf_rackspace c;
	char why[512];
	int r;

	(void)state;
	if ((r = rsemu_start(&emu, &o)) != 0)
		exit(r == RSEMU_SKIP ? RSEMU_SKIP : 1);
	rsemu_client_conf(&emu, &c);
	if (rs_client_new(&c, &client, why, sizeof(why)) != 0) {
		fprintf(stderr, "rs_client_new: %s\n", why);
		rsemu_stop(&emu);
		return -1;
	}
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

static const struct rs_record *
find_row(const struct rs_records *rs, const char *name)
{
	const char *n;
	size_t i;

	for (i = 0; i < rs->n; i++)
		if ((n = rs_record_get(&rs->v[i], "name")) != NULL &&
		    strcmp(n, name) == 0)
			return &rs->v[i];
	return NULL;
}

static void
test_domains(void **state)
{
	struct rs_records rs;
	struct rs_error e;
	const struct rs_record *d;

	(void)state;
	rs_records_init(&rs);
	check(rs_domain_list(client, &rs, &e), &e, "domain list");
	assert_int_equal(rs.n, 3);
	assert_non_null(d = find_row(&rs, EX_DOM));
	assert_string_equal(rs_record_get(d, "serviceType"), "exchange");
	assert_non_null(d = find_row(&rs, RS_DOM));
	assert_string_equal(rs_record_get(d, "serviceType"), "rsemail");
	rs_records_fini(&rs);
}

static void
test_rs_mailbox_lifecycle(void **state)
{
	struct rs_record f, got;
	struct rs_records rs;
	struct rs_list_opts lo = { .fields = "enabled", .enabled = 0 };
	struct rs_error e;
	struct secret *p;

	(void)state;
	rs_record_init(&f);
	assert_int_equal(rs_record_set(&f, "size", "25600"), 0);
	assert_int_equal(rs_record_set(&f, "displayName", "John Smith"), 0);
	assert_int_equal(rs_record_set(&f, "firstName", "John"), 0);
	assert_int_equal(rs_record_set(&f, "lastName", "Smith"), 0);
	assert_int_equal(rs_record_set(&f, "businessNumber", "+1 555 0100"),
	    0);
	assert_int_equal(rs_record_set(&f, "emailForwardingAddresses",
	    "a@ext.org,b@ext.org"), 0);
	p = pw("Welcome-2026");
	check(rs_mailbox_add(client, RS_DOM, "john.smith", &f, p, &e), &e,
	    "rs add");
	secret_free(p);
	assert_true(verify_password("rs", RS_DOM, "john.smith",
	    "Welcome-2026"));

	/* Read nested, compare flat: the names written come back. */
	rs_record_init(&got);
	check(rs_mailbox_show(client, RS_DOM, "john.smith", &got, &e), &e,
	    "rs show");
	assert_string_equal(rs_record_get(&got, "name"), "john.smith");
	assert_string_equal(rs_record_get(&got, "displayName"), "John Smith");
	assert_string_equal(rs_record_get(&got, "firstName"), "John");
	assert_string_equal(rs_record_get(&got, "businessNumber"),
	    "+1 555 0100");
	assert_string_equal(rs_record_get(&got, "emailForwardingAddresses"),
	    "a@ext.org,b@ext.org");
	assert_string_equal(rs_record_get(&got, "size"), "25600");
	assert_string_equal(rs_record_get(&got, "enabled"), "true");
	/* Unset contact fields are "" whether null or "" on the wire. */
	assert_string_equal(rs_record_get(&got, "initials") ?
	    rs_record_get(&got, "initials") : "", "");
	rs_record_fini(&got);

	/* Edit any subset; the rest stays. */
	rs_record_fini(&f);
	assert_int_equal(rs_record_set(&f, "lastName", "Smythe"), 0);
	assert_int_equal(rs_record_set(&f, "title", "Engineer"), 0);
	assert_int_equal(rs_record_set(&f, "emailForwardingAddresses", ""),
	    0);
	check(rs_mailbox_edit(client, RS_DOM, "john.smith", &f, &e), &e,
	    "rs edit");
	check(rs_mailbox_show(client, RS_DOM, "john.smith", &got, &e), &e,
	    "rs show 2");
	assert_string_equal(rs_record_get(&got, "lastName"), "Smythe");
	assert_string_equal(rs_record_get(&got, "title"), "Engineer");
	assert_string_equal(rs_record_get(&got, "firstName"), "John");
	assert_string_equal(rs_record_get(&got, "emailForwardingAddresses"),
	    "");
	rs_record_fini(&got);
	rs_record_fini(&f);

	p = pw("Changed-Pass-9");
	check(rs_mailbox_set_password(client, RS_DOM, "john.smith", p, &e),
	    &e, "rs password");
	secret_free(p);
	assert_true(verify_password("rs", RS_DOM, "john.smith",
	    "Changed-Pass-9"));
	assert_false(verify_password("rs", RS_DOM, "john.smith",
	    "Welcome-2026"));

	/* Disable, never delete (the product's rule); the index filter. */
	check(rs_mailbox_set_enabled(client, RS_DOM, "john.smith", false, &e),
	    &e, "rs disable");
	check(rs_mailbox_show(client, RS_DOM, "john.smith", &got, &e), &e,
	    "rs show 3");
	assert_string_equal(rs_record_get(&got, "enabled"), "false");
	rs_record_fini(&got);
	rs_records_init(&rs);
	check(rs_mailbox_list(client, RS_DOM, &lo, &rs, &e), &e, "rs list");
	assert_non_null(find_row(&rs, "john.smith"));
	rs_records_fini(&rs);
	check(rs_mailbox_set_enabled(client, RS_DOM, "john.smith", true, &e),
	    &e, "rs enable");

	/* Delete; the 404 says it can be recovered; recover. */
	check(rs_mailbox_delete(client, RS_DOM, "john.smith", &e), &e,
	    "rs delete");
	assert_int_equal(rs_mailbox_show(client, RS_DOM, "john.smith", &got,
	    &e), -ADSYNC_ENOTFOUND);
	assert_int_equal(e.http_status, 404);
	assert_string_equal(e.fault, "itemNotFoundFault");
	assert_true(e.is_recoverable);
	p = pw("Recovered-Pass-1");
	check(rs_mailbox_recover(client, RS_DOM, "john.smith", p, &e), &e,
	    "rs recover");
	secret_free(p);
	check(rs_mailbox_show(client, RS_DOM, "john.smith", &got, &e), &e,
	    "rs show recovered");
	assert_string_equal(rs_record_get(&got, "lastName"), "Smythe");
	rs_record_fini(&got);
	check(rs_mailbox_delete(client, RS_DOM, "john.smith", &e), &e,
	    "rs delete 2");
}

/* Creates `n` mailboxes with the asynchronous core, max_in_flight at a
 * time. */
struct bulk {
	int done;
	int failed;
};

static void
bulk_done(void *arg, struct rs_response *resp, const struct rs_error *err)
{
	struct bulk *b = arg;
	char msg[600];

	(void)resp;
	b->done++;
	if (err != NULL) {
		b->failed++;
		fprintf(stderr, "bulk: %s\n", rs_error_format(err, msg,
		    sizeof(msg)));
	}
}

static void
test_rs_mailbox_paging(void **state)
{
	struct rs_records rs;
	struct rs_request *req;
	struct rs_error e;
	struct bulk b = { 0, 0 };
	struct rs_client_stats s0, s1;
	struct secret *p;
	char path[256], name[32];
	int i, n = 260;

	(void)state;
	p = pw("Bulk-Passw0rd");
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/customers/me/domains/" RS_DOM
		    "/rs/mailboxes/user%03d", i);
		req = rs_request_new(RS_POST, path, NULL);
		assert_non_null(req);
		assert_int_equal(rs_request_form_add(req, "size", "1024"), 0);
		assert_int_equal(rs_request_form_add_secret(req, "password",
		    p), 0);
		assert_int_equal(rs_client_submit(client, req, bulk_done, &b),
		    0);
	}
	secret_free(p);
	while (rs_client_pending(client) > 0)
		assert_true(rs_client_run(client, 1000) >= 0);
	assert_int_equal(b.done, n);
	assert_int_equal(b.failed, 0);

	rs_client_stats(client, &s0);
	rs_records_init(&rs);
	check(rs_mailbox_list(client, RS_DOM, NULL, &rs, &e), &e,
	    "rs list all");
	assert_int_equal(rs.n, (size_t)n);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "user%03d", i);
		assert_non_null(find_row(&rs, name));
	}
	rs_records_fini(&rs);
	/* Two pages: offset 0 and offset 250. */
	rs_client_stats(client, &s1);
	assert_int_equal(s1.sent[RS_CAT_READ] - s0.sent[RS_CAT_READ], 2);
}

static void
test_rs_alias(void **state)
{
	struct rs_strlist m;
	struct rs_record got, f;
	struct rs_records rs;
	struct rs_error e;
	struct secret *p;

	(void)state;
	rs_record_init(&f);
	assert_int_equal(rs_record_set(&f, "size", "2048"), 0);
	p = pw("Alias-Target-1");
	check(rs_mailbox_add(client, RS_DOM, "jane", &f, p, &e), &e,
	    "rs add jane");
	check(rs_mailbox_add(client, RS_DOM, "joe", &f, p, &e), &e,
	    "rs add joe");
	secret_free(p);
	rs_record_fini(&f);

	rs_strlist_init(&m);
	assert_int_equal(rs_strlist_add(&m, "jane@" RS_DOM), 0);
	assert_int_equal(rs_strlist_add(&m, "someone@gmail.com"), 0);
	check(rs_alias_add(client, RS_DOM, "sales", &m, &e), &e, "alias add");
	rs_record_init(&got);
	check(rs_alias_show(client, RS_DOM, "sales", &got, &e), &e,
	    "alias show");
	assert_string_equal(rs_record_get(&got, "aliasEmails"),
	    "jane@" RS_DOM ",someone@gmail.com");
	rs_record_fini(&got);

	check(rs_alias_member_add(client, RS_DOM, "sales", "joe@" RS_DOM, &e),
	    &e, "alias member add");
	check(rs_alias_member_remove(client, RS_DOM, "sales",
	    "someone@gmail.com", &e), &e, "alias member remove");
	check(rs_alias_show(client, RS_DOM, "sales", &got, &e), &e,
	    "alias show 2");
	rs_strlist_fini(&m);
	assert_int_equal(rs_strlist_from_csv(&m, rs_record_get(&got,
	    "aliasEmails")), 0);
	assert_int_equal(m.n, 2);
	assert_true(rs_strlist_has(&m, "jane@" RS_DOM));
	assert_true(rs_strlist_has(&m, "joe@" RS_DOM));
	rs_record_fini(&got);
	rs_strlist_fini(&m);

	/* Removing an absent member is an error from the server. */
	assert_true(rs_alias_member_remove(client, RS_DOM, "sales",
	    "nobody@" RS_DOM, &e) < 0);

	assert_int_equal(rs_strlist_add(&m, "joe@" RS_DOM), 0);
	check(rs_alias_replace(client, RS_DOM, "sales", &m, &e), &e,
	    "alias replace");
	check(rs_alias_show(client, RS_DOM, "sales", &got, &e), &e,
	    "alias show 3");
	assert_string_equal(rs_record_get(&got, "aliasEmails"),
	    "joe@" RS_DOM);
	rs_record_fini(&got);
	rs_strlist_fini(&m);

	/* An empty alias is refused before any call. */
	assert_int_equal(rs_alias_replace(client, RS_DOM, "sales", &m, &e),
	    -ADSYNC_EVALIDATION);

	rs_records_init(&rs);
	check(rs_alias_list(client, RS_DOM, &rs, &e), &e, "alias list");
	assert_non_null(find_row(&rs, "sales"));
	rs_records_fini(&rs);
	check(rs_alias_delete(client, RS_DOM, "sales", &e), &e,
	    "alias delete");
	assert_int_equal(rs_alias_show(client, RS_DOM, "sales", &got, &e),
	    -ADSYNC_ENOTFOUND);
}

static void
test_ex_mailbox(void **state)
{
	struct rs_record f, got;
	struct rs_records rs;
	struct rs_strlist l;
	struct rs_error e;
	struct secret *p;

	(void)state;
	rs_record_init(&f);
	assert_int_equal(rs_record_set(&f, "displayName", "Ann Lee"), 0);
	assert_int_equal(rs_record_set(&f, "size", "2048"), 0);
	assert_int_equal(rs_record_set(&f, "firstName", "Ann"), 0);
	assert_int_equal(rs_record_set(&f, "jobTitle", "CTO"), 0);
	assert_int_equal(rs_record_set(&f, "company", "Example Inc"), 0);
	p = pw("Exchange-Pass-1");
	check(ex_mailbox_add(client, EX_DOM, "ann", &f, p, &e), &e, "ex add");
	secret_free(p);
	rs_record_fini(&f);
	assert_true(verify_password("ex", EX_DOM, "ann", "Exchange-Pass-1"));

	rs_record_init(&got);
	check(ex_mailbox_show(client, EX_DOM, "ann", &got, &e), &e,
	    "ex show");
	assert_string_equal(rs_record_get(&got, "displayName"), "Ann Lee");
	assert_string_equal(rs_record_get(&got, "jobTitle"), "CTO");
	assert_string_equal(rs_record_get(&got, "company"), "Example Inc");
	assert_string_equal(rs_record_get(&got, "primaryEmailAddress"),
	    "ann@" EX_DOM);
	rs_record_fini(&got);

	assert_int_equal(rs_record_set(&f, "department", "R&D"), 0);
	assert_int_equal(rs_record_set(&f, "jobTitle", ""), 0);
	check(ex_mailbox_edit(client, EX_DOM, "ann", &f, &e), &e, "ex edit");
	rs_record_fini(&f);
	check(ex_mailbox_show(client, EX_DOM, "ann", &got, &e), &e,
	    "ex show 2");
	assert_string_equal(rs_record_get(&got, "department"), "R&D");
	assert_string_equal(rs_record_get(&got, "jobTitle"), "");
	rs_record_fini(&got);

	p = pw("Exchange-Pass-2");
	check(ex_mailbox_set_password(client, EX_DOM, "ann", p, &e), &e,
	    "ex password");
	secret_free(p);
	assert_true(verify_password("ex", EX_DOM, "ann", "Exchange-Pass-2"));

	/* Alternate addresses on the primary and an accepted domain. */
	check(ex_mailbox_address_add(client, EX_DOM, "ann",
	    "ann.lee@" EX_DOM, &e), &e, "ex address add");
	check(ex_mailbox_address_add(client, EX_DOM, "ann",
	    "ann@example.org", &e), &e, "ex address add accepted");
	check(ex_mailbox_show(client, EX_DOM, "ann", &got, &e), &e,
	    "ex show 3");
	rs_strlist_init(&l);
	assert_int_equal(rs_strlist_from_csv(&l, rs_record_get(&got,
	    "emailAddresses")), 0);
	assert_true(rs_strlist_has(&l, "ann@" EX_DOM));
	assert_true(rs_strlist_has(&l, "ann.lee@" EX_DOM));
	assert_true(rs_strlist_has(&l, "ann@example.org"));
	rs_strlist_fini(&l);
	rs_record_fini(&got);
	/* A domain that is not accepted is refused by the server. */
	assert_true(ex_mailbox_address_add(client, EX_DOM, "ann",
	    "ann@elsewhere.test", &e) < 0);
	check(ex_mailbox_address_remove(client, EX_DOM, "ann",
	    "ann.lee@" EX_DOM, &e), &e, "ex address remove");
	check(ex_mailbox_show(client, EX_DOM, "ann", &got, &e), &e,
	    "ex show 4");
	assert_int_equal(rs_strlist_from_csv(&l, rs_record_get(&got,
	    "emailAddresses")), 0);
	assert_false(rs_strlist_has(&l, "ann.lee@" EX_DOM));
	rs_strlist_fini(&l);
	rs_record_fini(&got);

	check(ex_mailbox_set_enabled(client, EX_DOM, "ann", false, &e), &e,
	    "ex disable");
	check(ex_mailbox_show(client, EX_DOM, "ann", &got, &e), &e,
	    "ex show 5");
	assert_string_equal(rs_record_get(&got, "enabled"), "false");
	rs_record_fini(&got);

	rs_records_init(&rs);
	check(ex_mailbox_list(client, EX_DOM, NULL, &rs, &e), &e, "ex list");
	assert_non_null(find_row(&rs, "ann"));
	rs_records_fini(&rs);
	check(ex_mailbox_delete(client, EX_DOM, "ann", &e), &e, "ex delete");
	assert_int_equal(ex_mailbox_show(client, EX_DOM, "ann", &got, &e),
	    -ADSYNC_ENOTFOUND);
}

static void
test_ex_contact(void **state)
{
	static const char guid[] = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
	struct rs_record f, got;
	struct rs_records rs;
	struct rs_error e;

	(void)state;
	rs_record_init(&f);
	assert_int_equal(rs_record_set(&f, "displayName", "Partner Bob"), 0);
	assert_int_equal(rs_record_set(&f, "externalEmail", "bob@partner.test"),
	    0);
	check(ex_contact_add(client, EX_DOM, guid, &f, &e), &e, "contact add");
	rs_record_fini(&f);
	rs_record_init(&got);
	check(ex_contact_show(client, EX_DOM, guid, &got, &e), &e,
	    "contact show");
	assert_string_equal(rs_record_get(&got, "displayName"), "Partner Bob");
	assert_string_equal(rs_record_get(&got, "externalEmail"),
	    "bob@partner.test");
	rs_record_fini(&got);
	assert_int_equal(rs_record_set(&f, "externalEmail", "bob@new.test"),
	    0);
	check(ex_contact_edit(client, EX_DOM, guid, &f, &e), &e,
	    "contact edit");
	rs_record_fini(&f);
	check(ex_contact_show(client, EX_DOM, guid, &got, &e), &e,
	    "contact show 2");
	assert_string_equal(rs_record_get(&got, "externalEmail"),
	    "bob@new.test");
	rs_record_fini(&got);
	rs_records_init(&rs);
	check(ex_contact_list(client, EX_DOM, &rs, &e), &e, "contact list");
	assert_non_null(find_row(&rs, guid));
	rs_records_fini(&rs);
	check(ex_contact_delete(client, EX_DOM, guid, &e), &e,
	    "contact delete");
	assert_int_equal(ex_contact_show(client, EX_DOM, guid, &got, &e),
	    -ADSYNC_ENOTFOUND);
}

static void
test_ex_dl(void **state)
{
	struct rs_record f, got;
	struct rs_records rs;
	struct rs_strlist m, l;
	struct rs_error e;
	struct secret *p;
	char name[32];
	int i;

	(void)state;
	rs_record_init(&f);
	assert_int_equal(rs_record_set(&f, "displayName", "Member"), 0);
	assert_int_equal(rs_record_set(&f, "size", "1024"), 0);
	p = pw("Member-Pass-1");
	check(ex_mailbox_add(client, EX_DOM, "m1", &f, p, &e), &e, "add m1");
	check(ex_mailbox_add(client, EX_DOM, "m2", &f, p, &e), &e, "add m2");
	check(ex_mailbox_add(client, EX_DOM, "m3", &f, p, &e), &e, "add m3");
	secret_free(p);
	rs_record_fini(&f);

	rs_strlist_init(&m);
	assert_int_equal(rs_strlist_add(&m, "m1"), 0);
	assert_int_equal(rs_strlist_add(&m, "m2"), 0);
	assert_int_equal(rs_record_set(&f, "displayName", "All Staff"), 0);
	check(ex_dl_create(client, EX_DOM, "staff", &f, &m, &e), &e,
	    "dl create");
	rs_record_fini(&f);
	rs_strlist_fini(&m);
	rs_record_init(&got);
	check(ex_dl_show(client, EX_DOM, "staff", &got, &e), &e, "dl show");
	assert_string_equal(rs_record_get(&got, "name"), "staff");
	assert_string_equal(rs_record_get(&got, "displayName"), "All Staff");
	rs_strlist_init(&l);
	assert_non_null(rs_record_get(&got, "members"));
	assert_int_equal(rs_strlist_from_csv(&l, rs_record_get(&got,
	    "members")), 0);
	assert_int_equal(l.n, 2);
	rs_strlist_fini(&l);
	rs_record_fini(&got);

	assert_int_equal(rs_strlist_add(&m, "m3"), 0);
	check(ex_dl_members_add(client, EX_DOM, "staff", &m, &e), &e,
	    "dl members add");
	rs_strlist_fini(&m);
	assert_int_equal(rs_strlist_add(&m, "m1"), 0);
	check(ex_dl_members_remove(client, EX_DOM, "staff", &m, &e), &e,
	    "dl members remove");
	rs_strlist_fini(&m);
	check(ex_dl_address_add(client, EX_DOM, "staff", "team@" EX_DOM, &e),
	    &e, "dl address add");
	check(ex_dl_show(client, EX_DOM, "staff", &got, &e), &e, "dl show 2");
	assert_int_equal(rs_strlist_from_csv(&l, rs_record_get(&got,
	    "members")), 0);
	assert_int_equal(l.n, 2);
	assert_false(rs_strlist_has(&l, "m1") ||
	    rs_strlist_has(&l, "m1@" EX_DOM));
	rs_strlist_fini(&l);
	assert_int_equal(rs_strlist_from_csv(&l, rs_record_get(&got,
	    "emailAddresses")), 0);
	assert_true(rs_strlist_has(&l, "team@" EX_DOM));
	rs_strlist_fini(&l);
	rs_record_fini(&got);
	check(ex_dl_address_remove(client, EX_DOM, "staff", "team@" EX_DOM,
	    &e), &e, "dl address remove");

	rs_records_init(&rs);
	check(ex_dl_errors(client, EX_DOM, "staff", &rs, &e), &e,
	    "dl errors");
	assert_int_equal(rs.n, 0);
	rs_records_fini(&rs);

	/* Marker paging: more lists than one page holds. */
	for (i = 0; i < 104; i++) {
		snprintf(name, sizeof(name), "list%03d", i);
		check(ex_dl_create(client, EX_DOM, name, NULL, NULL, &e), &e,
		    "dl create many");
	}
	rs_records_init(&rs);
	check(ex_dl_list(client, EX_DOM, &rs, &e), &e, "dl list");
	assert_int_equal(rs.n, 105);
	assert_non_null(find_row(&rs, "staff"));
	assert_non_null(find_row(&rs, "list000"));
	assert_non_null(find_row(&rs, "list103"));
	rs_records_fini(&rs);

	check(ex_dl_delete(client, EX_DOM, "staff", &e), &e, "dl delete");
	assert_int_equal(ex_dl_show(client, EX_DOM, "staff", &got, &e),
	    -ADSYNC_ENOTFOUND);
}

/* The asynchronous core: many GETs at once, max_in_flight in flight. */
struct agg {
	int ok;
	int bad;
};

static void
agg_done(void *arg, struct rs_response *resp, const struct rs_error *err)
{
	struct agg *a = arg;

	if (err == NULL && resp->http_status == 200 && resp->body_len > 0)
		a->ok++;
	else
		a->bad++;
}

static void
test_async_parallel(void **state)
{
	struct rs_client_stats s0, s1;
	struct rs_request *req;
	struct agg a = { 0, 0 };
	int i;

	(void)state;
	rs_client_stats(client, &s0);
	for (i = 0; i < 40; i++) {
		req = rs_request_new(RS_GET, "/customers/me/domains", NULL);
		assert_int_equal(rs_client_submit(client, req, agg_done, &a),
		    0);
	}
	assert_int_equal(rs_client_pending(client), 40);
	while (rs_client_run(client, 500) > 0)
		;
	assert_int_equal(a.ok, 40);
	assert_int_equal(a.bad, 0);
	rs_client_stats(client, &s1);
	assert_int_equal(s1.sent[RS_CAT_READ] - s0.sent[RS_CAT_READ], 40);
	assert_int_equal(s1.succeeded - s0.succeeded, 40);
	/* Connections are reused: at most one per slot in flight. */
	fprintf(stderr, "async: 40 GETs, %lu new connections\n",
	    s1.connects - s0.connects);
	assert_true(s1.connects - s0.connects <= 4);
}

/* Freeing a client with requests pending cancels them. */
static void
test_cancel_on_free(void **state)
{
	struct conf_rackspace c;
	struct rs_client *cl;
	struct rs_request *req;
	struct agg a = { 0, 0 };
	char why[256];
	int i;

	(void)state;
	rsemu_client_conf(&emu, &c);
	assert_int_equal(rs_client_new(&c, &cl, why, sizeof(why)), 0);
	for (i = 0; i < 5; i++) {
		req = rs_request_new(RS_GET, "/customers/me/domains", NULL);
		assert_int_equal(rs_client_submit(cl, req, agg_done, &a), 0);
	}
	(void)rs_client_run(cl, 0);
	rs_client_free(cl);
	assert_int_equal(a.ok + a.bad, 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_rs_mailbox_lifecycle),
		cmocka_unit_test(test_rs_mailbox_paging),
		cmocka_unit_test(test_rs_alias),
		cmocka_unit_test(test_ex_mailbox),
		cmocka_unit_test(test_ex_contact),
		cmocka_unit_test(test_ex_dl),
		cmocka_unit_test(test_async_parallel),
		cmocka_unit_test(test_cancel_on_free),
	};
	int r;

	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	r = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return r;
}
