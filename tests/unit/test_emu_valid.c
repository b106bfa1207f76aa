/*
 * rsemu validation rules: the password rule, names, addresses, booleans,
 * offset-paging and marker-paging parameters. Single thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "emu_form.h"
#include "emu_valid.h"
#include "err.h"

static void
test_password(void **st)
{
	static const char *const good[] = {
		"abcABC123", "Password!1", "Welcome-2026", "abcdefg1!",
		"ABCDEFG1!", "ab cd EF12", "aaaaAAAA1",
	};
	static const char *const bad[] = {
		"", "Ab1!", "Abcdef1",	/* too short */
		"abcdefgh", "abcdefg1",	/* 1 and 2 classes */
		"ABCDEFGH", "12345678", "abcdEFGH", "!!!!1111",
	};
	const char *why;
	char longpw[EMU_PASSWORD_MAX + 2];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(emu_valid_password(good[i], &why), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(emu_valid_password(bad[i], &why),
		    -ADSYNC_EVALIDATION);
		assert_non_null(why);
	}
	memset(longpw, 'a', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	longpw[0] = 'A';
	longpw[1] = '1';
	assert_int_equal(emu_valid_password(longpw, &why),
	    -ADSYNC_EVALIDATION);
	longpw[EMU_PASSWORD_MAX] = '\0';
	assert_int_equal(emu_valid_password(longpw, &why), 0);
}

static void
test_names_addresses(void **st)
{
	char n65[66];

	(void)st;
	assert_true(emu_valid_name("john.smith"));
	assert_true(emu_valid_name("0b1e4c2a-1111-2222-3333-444455556666"));
	assert_true(emu_valid_name("o'neil+x_y"));
	assert_false(emu_valid_name(""));
	assert_false(emu_valid_name(".john"));
	assert_false(emu_valid_name("john."));
	assert_false(emu_valid_name("jo..hn"));
	assert_false(emu_valid_name("jo hn"));
	assert_false(emu_valid_name("jo@hn"));
	assert_false(emu_valid_name("j\xc3\xa9"));
	memset(n65, 'a', 65);
	n65[65] = '\0';
	assert_false(emu_valid_name(n65));
	n65[64] = '\0';
	assert_true(emu_valid_name(n65));
	assert_true(emu_valid_address("a@b.co"));
	assert_true(emu_valid_address("john.smith@mail.example.com"));
	assert_false(emu_valid_address("a@b"));
	assert_false(emu_valid_address("a@@b.com"));
	assert_false(emu_valid_address("@b.com"));
	assert_false(emu_valid_address("a@.b.com"));
	assert_false(emu_valid_address("a@b..com"));
	assert_false(emu_valid_address("a@-b.com"));
	assert_false(emu_valid_address("a@b-.com"));
	assert_false(emu_valid_address("a b@c.com"));
	assert_false(emu_valid_address("ab.com"));
}

static void
test_bool(void **st)
{
	bool b = false;

	(void)st;
	assert_int_equal(emu_valid_bool("True", &b), 0);
	assert_true(b);
	assert_int_equal(emu_valid_bool("FALSE", &b), 0);
	assert_false(b);
	assert_true(emu_valid_bool("1", &b) < 0);
	assert_true(emu_valid_bool("yes", &b) < 0);
	assert_true(emu_valid_bool("", &b) < 0);
}

static int
iq(const char *query, bool en, struct emu_index_q *q)
{
	struct emu_form f;
	char why[256];
	int r;

	if (emu_form_parse(query, strlen(query), &f, why, sizeof(why)) < 0)
		return -1;
	r = emu_valid_index_query(&f, en, q, why, sizeof(why));
	emu_form_fini(&f);
	return r;
}

static void
test_index_query(void **st)
{
	struct emu_index_q q;

	(void)st;
	assert_int_equal(iq("", true, &q), 0);
	assert_int_equal(q.size, 50);
	assert_int_equal(q.offset, 0);
	assert_int_equal(q.enabled, -1);
	assert_string_equal(q.like, "");
	assert_int_equal(iq("size=250&offset=500&enabled=false", true, &q),
	    0);
	assert_int_equal(q.size, 250);
	assert_int_equal(q.offset, 500);
	assert_int_equal(q.enabled, 0);
	assert_int_equal(iq("size=1&startswith=jo_h%25", true, &q), 0);
	assert_string_equal(q.like, "jo\\_h\\%%");
	assert_int_equal(iq("contains=mi", true, &q), 0);
	assert_string_equal(q.like, "%mi%");
	assert_int_equal(iq("startswith=0-9", true, &q), 0);
	assert_true(q.digits);
	assert_int_equal(iq("enabled=TRUE", true, &q), 0);
	assert_int_equal(q.enabled, 1);
	/* ?enabled= is ignored where it is not supported. */
	assert_int_equal(iq("enabled=maybe", false, &q), 0);

	assert_true(iq("size=251", true, &q) < 0);
	assert_true(iq("size=0", true, &q) < 0);
	assert_true(iq("size=-1", true, &q) < 0);
	assert_true(iq("size=ten", true, &q) < 0);
	assert_true(iq("size=", true, &q) < 0);
	assert_true(iq("offset=-5", true, &q) < 0);
	assert_true(iq("offset=1.5", true, &q) < 0);
	assert_true(iq("startswith=a&contains=b", true, &q) < 0);
	assert_true(iq("startswith=", true, &q) < 0);
	assert_true(iq("enabled=maybe", true, &q) < 0);
}

static int
dq(const char *query, struct emu_dl_q *q)
{
	struct emu_form f;
	char why[256];
	int r;

	if (emu_form_parse(query, strlen(query), &f, why, sizeof(why)) < 0)
		return -1;
	r = emu_valid_dl_query(&f, q, why, sizeof(why));
	emu_form_fini(&f);
	return r;
}

static void
test_dl_query(void **st)
{
	struct emu_dl_q q;

	(void)st;
	assert_int_equal(dq("", &q), 0);
	assert_int_equal(q.limit, 100);
	assert_false(q.by_display);
	assert_false(q.desc);
	assert_int_equal(dq("limit=10&sort=DisplayName&order=desc&"
	    "search=st", &q), 0);
	assert_int_equal(q.limit, 10);
	assert_true(q.by_display);
	assert_true(q.desc);
	assert_string_equal(q.like, "%st%");
	assert_true(dq("limit=101", &q) < 0);
	assert_true(dq("limit=0", &q) < 0);
	assert_true(dq("sort=name", &q) < 0);
	assert_true(dq("order=up", &q) < 0);
	assert_true(dq("marker=", &q) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_names_addresses),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_index_query),
		cmocka_unit_test(test_dl_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
