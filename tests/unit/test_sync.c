/*
 * Unit tests of the sync engine's pure parts: the random passwords of new
 * mailboxes (sync_password_new). The engine's I/O is tested end to end
 * against Samba AD and rsemu (tests/integration/test_sync_*.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "secret.h"
#include "sync.h"
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_rule),
		cmocka_unit_test(test_password_bounds),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
