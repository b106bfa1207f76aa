/*
 * Unit tests of the client's data side: records, string lists, the JSON
 * decoders of Rackspace Email mailboxes, aliases, Exchange mailboxes,
 * contacts and distribution lists (nested reads to flat write names, null
 * vs "", the forwarding-list conversion), and the password rule.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "target_internal.h"

/* Shape of a real v1 Show answer (rackspace-api.md §5.1, C4's capture). */
static const char rs_show[] =
    "{\"name\":\"john.smith\",\"displayName\":\"John Smith\","
    "\"size\":25600,\"currentUsage\":12,\"enabled\":true,"
    "\"createdDate\":\"11/23/2020 12:34:25 PM\",\"lastLogin\":\"\","
    "\"enableVacationMessage\":false,\"vacationMessage\":null,"
    "\"emailForwardingAddressList\":[\"a@x.com\",\"b@y.com\"],"
    "\"saveForwardedEmail\":true,\"visibleInExchangeGAL\":false,"
    "\"contactInfo\":{\"firstName\":\"John\",\"lastName\":\"Smith\","
    "\"initials\":null,\"title\":\"\",\"businessNumber\":\"555 0100\","
    "\"notes\":null}}";

static void
test_rs_mailbox_decode(void **state)
{
	struct rs_record r;

	(void)state;
	rs_record_init(&r);
	assert_int_equal(rs_mailbox_decode(rs_show, strlen(rs_show), &r), 0);
	assert_string_equal(rs_record_get(&r, "name"), "john.smith");
	assert_string_equal(rs_record_get(&r, "size"), "25600");
	assert_string_equal(rs_record_get(&r, "enabled"), "true");
	assert_string_equal(rs_record_get(&r, "enableVacationMessage"),
	    "false");
	/* null and "" are the same. */
	assert_string_equal(rs_record_get(&r, "vacationMessage"), "");
	assert_string_equal(rs_record_get(&r, "lastLogin"), "");
	assert_string_equal(rs_record_get(&r, "initials"), "");
	assert_string_equal(rs_record_get(&r, "title"), "");
	/* contactInfo is lifted to the write names. */
	assert_string_equal(rs_record_get(&r, "firstName"), "John");
	assert_string_equal(rs_record_get(&r, "businessNumber"), "555 0100");
	assert_null(rs_record_get(&r, "contactInfo"));
	/* The read array becomes the write CSV. */
	assert_string_equal(rs_record_get(&r, "emailForwardingAddresses"),
	    "a@x.com,b@y.com");
	assert_null(rs_record_get(&r, "emailForwardingAddressList"));
	rs_record_fini(&r);

	/* An empty forwarding list and a null one are both "". */
	assert_int_equal(rs_mailbox_decode("{\"name\":\"a\","
	    "\"emailForwardingAddressList\":[]}", 44, &r), 0);
	assert_string_equal(rs_record_get(&r, "emailForwardingAddresses"),
	    "");
	rs_record_fini(&r);
	assert_int_equal(rs_mailbox_decode("{\"name\":\"a\","
	    "\"emailForwardingAddressList\":null}", 46, &r), 0);
	assert_string_equal(rs_record_get(&r, "emailForwardingAddresses"),
	    "");
	rs_record_fini(&r);

	assert_int_equal(rs_mailbox_decode("[]", 2, &r), -ADSYNC_EPROTO);
	assert_int_equal(rs_mailbox_decode("{\"a\":", 5, &r), -ADSYNC_EPROTO);
	assert_int_equal(rs_mailbox_decode("", 0, &r), -ADSYNC_EPROTO);
}

static void
test_ex_mailbox_decode(void **state)
{
	static const char j[] =
	    "{\"name\":\"apiexmailbox90\",\"displayName\":\"API Test\","
	    "\"size\":2048,\"isHidden\":false,\"lastLogin\":\"2/12/2006 "
	    "1:00:00 AM\",\"emailForwardingAddress\":null,"
	    "\"emailAddressList\":[{\"address\":\"apiexmailbox90@x.com\","
	    "\"replyTo\":true},{\"address\":\"alt@x.com\",\"replyTo\":"
	    "false}],\"samAccountName\":\"apiexmailbox90_53B5B\","
	    "\"contactInfo\":{\"firstName\":\"A\",\"jobTitle\":\"Boss\","
	    "\"zip\":\"12345\",\"customID\":null}}";
	struct rs_record r;

	(void)state;
	rs_record_init(&r);
	assert_int_equal(ex_mailbox_decode(j, strlen(j), &r), 0);
	assert_string_equal(rs_record_get(&r, "emailAddresses"),
	    "apiexmailbox90@x.com,alt@x.com");
	assert_string_equal(rs_record_get(&r, "primaryEmailAddress"),
	    "apiexmailbox90@x.com");
	assert_string_equal(rs_record_get(&r, "jobTitle"), "Boss");
	assert_string_equal(rs_record_get(&r, "customID"), "");
	assert_string_equal(rs_record_get(&r, "emailForwardingAddress"), "");
	assert_string_equal(rs_record_get(&r, "isHidden"), "false");
	assert_null(rs_record_get(&r, "emailAddressList"));
	rs_record_fini(&r);
	assert_int_equal(ex_mailbox_decode("{\"emailAddressList\":[3]}", 23,
	    &r), -ADSYNC_EPROTO);
	assert_int_equal(r.n, 0);
}

static void
test_alias_decode(void **state)
{
	static const char a1[] = "{\"name\":\"sales\",\"emailAddressList\":"
	    "{\"emailAddress\":[\"a@x.com\",\"ext@gmail.com\"]}}";
	static const char a2[] = "{\"name\":\"one\",\"emailAddressList\":"
	    "{\"emailAddress\":\"a@x.com\"}}";
	struct rs_record r;
	struct rs_strlist l;

	(void)state;
	rs_record_init(&r);
	assert_int_equal(rs_alias_decode(a1, strlen(a1), &r), 0);
	assert_string_equal(rs_record_get(&r, "aliasEmails"),
	    "a@x.com,ext@gmail.com");
	rs_strlist_init(&l);
	assert_int_equal(rs_strlist_from_csv(&l, rs_record_get(&r,
	    "aliasEmails")), 0);
	assert_int_equal(l.n, 2);
	assert_true(rs_strlist_has(&l, "EXT@gmail.com"));
	rs_strlist_fini(&l);
	rs_record_fini(&r);
	assert_int_equal(rs_alias_decode(a2, strlen(a2), &r), 0);
	assert_string_equal(rs_record_get(&r, "aliasEmails"), "a@x.com");
	rs_record_fini(&r);
}

static void
test_contact_decode(void **state)
{
	static const char j[] = "{\"name\":\"3f2504e0-4f89-11d3-9a0c-"
	    "0305e82c3301\",\"displayName\":\"Ext\",\"externalEmail\":"
	    "\"e@ext.org\",\"firstName\":null}";
	struct rs_record r;

	(void)state;
	rs_record_init(&r);
	assert_int_equal(ex_contact_decode(j, strlen(j), &r), 0);
	assert_string_equal(rs_record_get(&r, "externalEmail"), "e@ext.org");
	assert_string_equal(rs_record_get(&r, "firstName"), "");
	rs_record_fini(&r);
}

static void
test_dl_decode(void **state)
{
	static const char v2[] = "{\"CommonName\":\"staff\",\"DisplayName\":"
	    "\"Staff\",\"MemberCount\":2,\"Members\":{\"Recipients\":["
	    "{\"Value\":\"john\"},{\"Value\":\"jane\"}]},\"EmailAddresses\":["
	    "{\"Value\":\"staff@x.com\",\"AddressPrimary\":true,"
	    "\"AddressProtocol\":\"smtp\"},{\"Value\":\"team@x.com\","
	    "\"AddressPrimary\":false}]}";
	static const char v1[] = "{\"name\":\"staff\",\"displayName\":"
	    "\"Staff\",\"members\":[\"john\",\"jane\"],\"emailAddresses\":["
	    "\"staff@x.com\"]}";
	struct rs_record r;

	(void)state;
	rs_record_init(&r);
	assert_int_equal(ex_dl_decode(v2, strlen(v2), &r), 0);
	assert_string_equal(rs_record_get(&r, "name"), "staff");
	assert_string_equal(rs_record_get(&r, "displayName"), "Staff");
	assert_string_equal(rs_record_get(&r, "memberCount"), "2");
	assert_string_equal(rs_record_get(&r, "members"), "john,jane");
	assert_string_equal(rs_record_get(&r, "emailAddresses"),
	    "staff@x.com,team@x.com");
	assert_string_equal(rs_record_get(&r, "primarySmtpAddress"),
	    "staff@x.com");
	rs_record_fini(&r);
	assert_int_equal(ex_dl_decode(v1, strlen(v1), &r), 0);
	assert_string_equal(rs_record_get(&r, "members"), "john,jane");
	assert_string_equal(rs_record_get(&r, "emailAddresses"),
	    "staff@x.com");
	rs_record_fini(&r);
}

static void
test_record(void **state)
{
	struct rs_record r, c;
	char name[80];
	char *big;
	int i;

	(void)state;
	rs_record_init(&r);
	assert_int_equal(rs_record_set(&r, "a", "1"), 0);
	assert_int_equal(rs_record_set(&r, "b", NULL), 0);
	assert_int_equal(rs_record_set(&r, "a", "2"), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(rs_record_get(&r, "a"), "2");
	assert_string_equal(rs_record_get(&r, "b"), "");
	assert_null(rs_record_get(&r, "c"));
	assert_int_equal(rs_record_set(&r, "bad name", "x"), -ADSYNC_EPARSE);
	rs_record_init(&c);
	assert_int_equal(rs_record_copy(&c, &r), 0);
	rs_record_del(&r, "a");
	assert_null(rs_record_get(&r, "a"));
	assert_string_equal(rs_record_get(&c, "a"), "2");
	rs_record_fini(&c);
	/* Limits are checked before allocating. */
	big = malloc(RS_FIELD_VALUE_MAX + 2);
	memset(big, 'x', RS_FIELD_VALUE_MAX + 1);
	big[RS_FIELD_VALUE_MAX + 1] = '\0';
	assert_int_equal(rs_record_set(&r, "big", big), -ADSYNC_ETOOBIG);
	free(big);
	for (i = 0; i < RS_RECORD_MAX_FIELDS + 5; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		if (rs_record_set(&r, name, "v") < 0)
			break;
	}
	assert_int_equal(r.n, RS_RECORD_MAX_FIELDS);
	rs_record_fini(&r);
}

static void
test_strlist(void **state)
{
	struct rs_strlist l;
	char *s;

	(void)state;
	rs_strlist_init(&l);
	assert_int_equal(rs_strlist_from_csv(&l, " a@x.com, ,b@y.com ,"), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "a@x.com");
	assert_string_equal(l.v[1], "b@y.com");
	s = rs_strlist_join(&l);
	assert_string_equal(s, "a@x.com,b@y.com");
	free(s);
	rs_strlist_fini(&l);
	assert_int_equal(rs_strlist_from_csv(&l, "a@x.com,b@y.com,A@X.com"),
	    0);
	assert_int_equal(rs_strlist_add_new(&l, "B@Y.COM"), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(rs_strlist_add_new(&l, "c@z.com"), 0);
	assert_int_equal(l.n, 4);
	rs_strlist_remove(&l, "a@X.COM");
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "b@y.com");
	assert_string_equal(l.v[1], "c@z.com");
	rs_strlist_remove(&l, "absent@x.com");
	assert_int_equal(l.n, 2);
	rs_strlist_fini(&l);

	/* Many at once, in linear time; the same results, order kept. */
	{
		struct rs_strlist add, rm;
		char buf[32];
		int i;

		rs_strlist_init(&add);
		rs_strlist_init(&rm);
		assert_int_equal(rs_strlist_from_csv(&l, "a@x.com,b@y.com"), 0);
		assert_int_equal(rs_strlist_from_csv(&add,
		    "B@Y.com,d@z.com,D@Z.COM,e@z.com"), 0);
		assert_int_equal(rs_strlist_add_all_new(&l, &add), 0);
		assert_int_equal(l.n, 4);
		assert_string_equal(l.v[2], "d@z.com");
		assert_string_equal(l.v[3], "e@z.com");
		assert_int_equal(rs_strlist_from_csv(&rm, "A@X.COM,e@z.com,"
		    "absent@x.com"), 0);
		assert_int_equal(rs_strlist_remove_all(&l, &rm), 0);
		assert_int_equal(l.n, 2);
		assert_string_equal(l.v[0], "b@y.com");
		assert_string_equal(l.v[1], "d@z.com");
		rs_strlist_fini(&add);
		/* 5,000 into 5,000, half of them new. */
		for (i = 0; i < 5000; i++) {
			snprintf(buf, sizeof(buf), "u%d@x.com", i);
			assert_int_equal(rs_strlist_add(&l, buf), 0);
			snprintf(buf, sizeof(buf), "U%d@X.COM", i + 2500);
			assert_int_equal(rs_strlist_add(&add, buf), 0);
		}
		assert_int_equal(rs_strlist_add_all_new(&l, &add), 0);
		assert_int_equal(l.n, 2 + 7500);
		assert_int_equal(rs_strlist_remove_all(&l, &add), 0);
		assert_int_equal(l.n, 2 + 2500);
		rs_strlist_fini(&add);
		rs_strlist_fini(&rm);
	}
	rs_strlist_fini(&l);
	assert_int_equal(rs_strlist_from_csv(&l, ""), 0);
	assert_int_equal(l.n, 0);
	s = rs_strlist_join(&l);
	assert_string_equal(s, "");
	free(s);
	rs_strlist_fini(&l);
}

static void
test_password(void **state)
{
	char why[256];
	struct rs_error e;
	struct secret *s;

	(void)state;
	/* Official examples pass. */
	assert_int_equal(rs_password_check("abcABC123", 9, why, sizeof(why)),
	    0);
	assert_int_equal(rs_password_check("Password!1", 10, why,
	    sizeof(why)), 0);
	assert_int_equal(rs_password_check("abc 1234", 8, why, sizeof(why)),
	    0);
	/* Too short, even with four classes. */
	assert_int_equal(rs_password_check("aB1!xyz", 7, why, sizeof(why)),
	    -ADSYNC_EVALIDATION);
	assert_non_null(strstr(why, "too short"));
	/* Two classes only. */
	assert_int_equal(rs_password_check("abcdefgh12", 10, why,
	    sizeof(why)), -ADSYNC_EVALIDATION);
	assert_non_null(strstr(why, "2 of the 4"));
	assert_null(strstr(why, "abcdefgh12"));
	assert_int_equal(rs_password_check("ABCDEFGHI", 9, why, sizeof(why)),
	    -ADSYNC_EVALIDATION);
	/* UTF-8 counts characters, and non-ASCII is "other". */
	assert_int_equal(rs_password_check("\xc3\xa9\xc3\xa9\xc3\xa9" "abc1",
	    10, why, sizeof(why)), -ADSYNC_EVALIDATION);
	assert_int_equal(rs_password_check("\xc3\xa9\xc3\xa9\xc3\xa9" "abc12",
	    11, why, sizeof(why)), 0);
	/* Controls are refused. */
	assert_int_equal(rs_password_check("abcABC12\n", 9, why, sizeof(why)),
	    -ADSYNC_EVALIDATION);
	assert_int_equal(rs_password_check("abcAB\0C12", 9, why, sizeof(why)),
	    -ADSYNC_EVALIDATION);
	s = secret_new("weak", 4, "test");
	assert_int_equal(rs_password_check_secret(s, &e),
	    -ADSYNC_EVALIDATION);
	assert_int_equal(e.code, -ADSYNC_EVALIDATION);
	assert_int_equal(e.http_status, 0);
	assert_non_null(strstr(e.message, "too short"));
	secret_free(s);
	assert_int_equal(rs_password_check_secret(NULL, &e),
	    -ADSYNC_EVALIDATION);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rs_mailbox_decode),
		cmocka_unit_test(test_ex_mailbox_decode),
		cmocka_unit_test(test_alias_decode),
		cmocka_unit_test(test_contact_decode),
		cmocka_unit_test(test_dl_decode),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_strlist),
		cmocka_unit_test(test_password),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
