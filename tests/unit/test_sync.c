/*
 * Unit tests of the sync engine's pure parts: the random passwords of new
 * mailboxes (sync_password_new), and the member sets of list operations:
 * what a refused members-add or -remove still has to send once the list
 * was read again (sync_members_rest), and which members of a members-add
 * exist (sync_members_present). The engine's I/O is tested end to end
 * against Samba AD and rsemu (tests/integration/test_sync_*.sh,
 * tests/hostile, tests/chaos).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "secret.h"
#include "sync.h"
#include "sync_internal.h"
#include "target.h"

/* Every password meets the service rule, has every class, and the
 * passwords differ (1,000 of them: a collision would mean no entropy). */
static void
test_password_rule(void **state)
{
	static char seen[1000][25];
	const unsigned char *b;
	struct secret *s;
	size_t i, j, len;
	char why[256];
	int upper, lower, digit, other;

	(void)state;
	for (i = 0; i < 1000; i++) {
		s = sync_password_new(24);
		assert_non_null(s);
		b = secret_bytes(s, &len);
		assert_int_equal(len, 24);
		assert_int_equal(rs_password_check((const char *)b, len, why,
		    sizeof(why)), 0);
		upper = lower = digit = other = 0;
		for (j = 0; j < len; j++) {
			if (b[j] >= 'A' && b[j] <= 'Z')
				upper++;
			else if (b[j] >= 'a' && b[j] <= 'z')
				lower++;
			else if (b[j] >= '0' && b[j] <= '9')
				digit++;
			else
				other++;
			assert_true(b[j] > ' ' && b[j] < 127);
		}
		assert_true(upper > 0 && lower > 0 && digit > 0 && other > 0);
		memcpy(seen[i], b, 24);
		seen[i][24] = '\0';
		for (j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
		secret_free(s);
	}
}

/* Lengths outside 16..64 are refused. */
static void
test_password_bounds(void **state)
{
	struct secret *s;

	(void)state;
	assert_null(sync_password_new(15));
	assert_null(sync_password_new(65));
	s = sync_password_new(64);
	assert_non_null(s);
	secret_free(s);
}

static void
list_of(struct rs_strlist *l, const char *csv)
{
	rs_strlist_init(l);
	assert_int_equal(rs_strlist_from_csv(l, csv), 0);
}

static void
assert_list(const struct rs_strlist *l, const char *csv)
{
	char *j = rs_strlist_join(l);

	assert_non_null(j);
	assert_string_equal(j, csv);
	free(j);
}

/*
 * A members-remove of a and b re-sent after a kill: the service made a's
 * removal before the kill, so the list holds b (and c): only b is left
 * to remove. An add of a and b to a list holding A (another case): only b
 * to add. Done already: nothing left. Nothing done: everything left.
 */
static void
test_members_rest(void **state)
{
	struct rs_strlist values, have, rest;

	(void)state;
	list_of(&values, "a@example.com,b@example.com");
	list_of(&have, "b@example.com,c@example.com");
	rs_strlist_init(&rest);
	assert_int_equal(sync_members_rest(&values, &have, false, &rest), 0);
	assert_list(&rest, "b@example.com");
	rs_strlist_fini(&rest);
	assert_int_equal(sync_members_rest(&values, &have, true, &rest), 0);
	assert_list(&rest, "a@example.com");
	rs_strlist_fini(&rest);
	rs_strlist_fini(&have);

	list_of(&have, "A@Example.com");
	assert_int_equal(sync_members_rest(&values, &have, true, &rest), 0);
	assert_list(&rest, "b@example.com");
	rs_strlist_fini(&rest);
	assert_int_equal(sync_members_rest(&values, &have, false, &rest), 0);
	assert_list(&rest, "a@example.com");
	rs_strlist_fini(&rest);
	rs_strlist_fini(&have);

	list_of(&have, "c@example.com");
	assert_int_equal(sync_members_rest(&values, &have, false, &rest), 0);
	assert_int_equal(rest.n, 0);
	assert_int_equal(sync_members_rest(&values, &have, true, &rest), 0);
	assert_int_equal(rest.n, 2);
	rs_strlist_fini(&rest);
	rs_strlist_fini(&have);
	rs_strlist_fini(&values);
}

/* A members-add without the members whose create failed in this run
 * (sorted without regard to case, as sync_apply keeps them). */
static void
test_members_present(void **state)
{
	char a0[] = "Alice.Anderson@example.com", a1[] = "bob@example.com";
	char *absent[] = { a0, a1 };
	struct rs_strlist values, out;

	(void)state;
	list_of(&values, "alice.anderson@example.com,judy@example.com,"
	    "paula@example.com,BOB@example.com");
	rs_strlist_init(&out);
	assert_int_equal(sync_members_present(&values, absent, 2, &out), 0);
	assert_list(&out, "judy@example.com,paula@example.com");
	rs_strlist_fini(&out);
	assert_int_equal(sync_members_present(&values, absent, 0, &out), 0);
	assert_int_equal(out.n, 4);
	rs_strlist_fini(&out);
	rs_strlist_fini(&values);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_rule),
		cmocka_unit_test(test_password_bounds),
		cmocka_unit_test(test_members_rest),
		cmocka_unit_test(test_members_present),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
