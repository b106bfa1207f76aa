/*
 * Unit tests of adsync-pwhook's complexity rule (hooks/samba/
 * pwhook_complexity.c): a table of passwords with the account and display
 * name Samba would export, the rule each one breaks (or none) and the
 * number of character categories found; strict UTF-8 decoding; the
 * descriptions used in log lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pwhook_complexity.h"

struct cpx_case {
	const char *why;
	const char *pw;
	size_t len;		/* 0: strlen(pw) */
	const char *account;
	const char *full_name;
	enum pwhook_cpx want;
	unsigned cats;		/* categories found */
};

#define OK PWHOOK_CPX_OK
#define UTF8 PWHOOK_CPX_NOT_UTF8
#define ACCT PWHOOK_CPX_ACCOUNT
#define NAME PWHOOK_CPX_FULL_NAME
#define CATS PWHOOK_CPX_CATEGORIES

static const struct cpx_case cases[] = {
	{ "upper, lower, digit; the euro counts in no category",
	    "Pässwörd1€", 0, "alice", NULL, OK, 3 },
	{ "lower case only", "simple", 0, "alice", NULL, CATS, 1 },
	{ "contains the account name", "xalice1A!", 0, "alice", NULL,
	    ACCT, 4 },
	{ "contains the account name, other case", "xALICE1a!", 0, "alice",
	    NULL, ACCT, 4 },
	{ "account name at the very end", "Q1!alice", 0, "alice", NULL,
	    ACCT, 4 },
	{ "all but one letter of the account name", "xalic1A!e", 0, "alice",
	    NULL, OK, 4 },
	{ "account name of 2 characters is not checked", "al1Al!xyz", 0,
	    "al", NULL, OK, 4 },
	{ "account name of exactly 3 characters is checked", "xBob9!", 0,
	    "bob", NULL, ACCT, 4 },
	{ "non-ASCII account name, upcased", "XJÖRG1a!", 0, "jörg", NULL,
	    ACCT, 4 },
	{ "display name token", "Hagens#2024x", 0, "ehagens",
	    "Erin M. Hagens", NAME, 4 },
	{ "display name token, other case", "ERIN2024!x", 0, "ehagens",
	    "Erin M. Hagens", NAME, 4 },
	{ "display name token of 1 character is ignored", "M2024!xyzQ", 0,
	    "ehagens", "Erin M. Hagens", OK, 4 },
	{ "substrings of tokens are not checked", "Hagen5!x", 0, "ehagens",
	    "Erin M. Hagens", OK, 4 },
	{ "display name tokens of 2 characters are ignored", "Li!Wu2x", 0,
	    "lwu", "Li Wu", OK, 4 },
	{ "token of exactly 3 characters", "Lee123!x", 0, "alee",
	    "Ann Lee", NAME, 4 },
	{ "comma, underscore and tab split the name", "xPAUL9!", 0, "js",
	    "Smith,John_Paul\tJones", NAME, 4 },
	{ "number sign and hyphen split the name", "team#1X", 0, "ops",
	    "Ops#Team-Rota", NAME, 4 },
	{ "Japanese without case counts as letters", "パスワード1a", 0,
	    "alice", NULL, OK, 3 },
	{ "Japanese and lower case only", "パスワードabc", 0, "alice", NULL,
	    CATS, 2 },
	{ "Arabic letters, digit, symbol", "مرحبا1!", 0, "alice", NULL, OK,
	    3 },
	{ "digits and symbols only", "123456!@#$", 0, "alice", NULL, CATS,
	    2 },
	{ "upper case and digits only", "ABCDEF123", 0, "alice", NULL, CATS,
	    2 },
	{ "four categories", "Abc123!@#", 0, "alice", NULL, OK,
	    4 },
	{ "lower, digit, euro: Samba would accept, Microsoft does not",
	    "pässwörd1€", 0, "alice", NULL, CATS, 2 },
	{ "currency symbols only add nothing", "Passwort£€¥", 0, "alice",
	    NULL, CATS, 2 },
	{ "Greek upper and lower case", "ΑΒΓδεζ123", 0, "alice", NULL, OK,
	    3 },
	{ "Cyrillic upper and lower case", "ЖЖЖжжж!!!", 0, "alice", NULL,
	    OK, 3 },
	{ "sharp s is lower case", "ßßß123!!!", 0, "alice", NULL, OK, 3 },
	{ "the space is not a special character", "Hello world", 0,
	    "alice", NULL, CATS, 2 },
	{ "every ASCII special character counts",
	    "aB~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/", 0, "alice", NULL, OK,
	    3 },
	{ "a tab is not a special character", "abc\t123", 0, "alice", NULL,
	    CATS, 2 },
	{ "emoji add nothing", "\xf0\x9f\x98\x80" "Ab", 0, "alice", NULL, CATS,
	    2 },
	{ "empty password", "", 0, "alice", NULL, CATS, 0 },
	{ "no account name, no display name", "Xy3!", 0, NULL, NULL, OK, 4 },
	{ "empty account name", "Xy3!", 0, "", "", OK, 4 },
	{ "account name that is not UTF-8 is skipped", "Xy3!\xc3\xa9", 0,
	    "\xff\xfe\xfd", NULL, OK, 4 },
	{ "not UTF-8", "\xff\xfe" "Ab1!", 0, "alice", NULL, UTF8, 0 },
	{ "overlong encoding of /", "\xc0\xaf" "Ab1!", 0, "alice", NULL,
	    UTF8, 0 },
	{ "UTF-16 surrogate", "\xed\xa0\x80" "Ab1!", 0, "alice", NULL,
	    UTF8, 0 },
	{ "above U+10FFFF", "\xf4\x90\x80\x80" "Ab1!", 0, "alice", NULL,
	    UTF8, 0 },
	{ "truncated sequence at the end", "Ab1!\xe3\x81", 0, "alice", NULL,
	    UTF8, 0 },
	{ "a NUL byte", "Ab1!\0xyz", 8, "alice", NULL, UTF8, 0 },
};

static void
test_table(void **state)
{
	size_t i, len;
	enum pwhook_cpx got;
	unsigned cats;
	int bad = 0;

	(void)state;
	assert_true(sizeof(cases) / sizeof(cases[0]) >= 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = cases[i].len != 0 ? cases[i].len : strlen(cases[i].pw);
		cats = 99;
		got = pwhook_complexity_check(
		    (const unsigned char *)cases[i].pw, len,
		    cases[i].account, cases[i].full_name, &cats);
		if (got != cases[i].want ||
		    pwhook_complexity_count(cats) != cases[i].cats) {
			print_error("case %zu (%s): rule %d (%s), %u "
			    "categories; wanted rule %d, %u categories\n", i,
			    cases[i].why, (int)got,
			    pwhook_complexity_str(got),
			    pwhook_complexity_count(cats), (int)cases[i].want,
			    cases[i].cats);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* The category bits themselves, for one password of each kind. */
static void
test_categories(void **state)
{
	unsigned cats;

	(void)state;
	assert_int_equal(pwhook_complexity_check(
	    (const unsigned char *)"Aa1!日", strlen("Aa1!日"), NULL, NULL,
	    &cats), PWHOOK_CPX_OK);
	assert_int_equal(cats, PWHOOK_CPX_UPPER | PWHOOK_CPX_LOWER |
	    PWHOOK_CPX_DIGIT | PWHOOK_CPX_SPECIAL | PWHOOK_CPX_OTHER);
	assert_int_equal(pwhook_complexity_check(
	    (const unsigned char *)"Ää", strlen("Ää"), NULL, NULL, &cats),
	    PWHOOK_CPX_CATEGORIES);
	assert_int_equal(cats, PWHOOK_CPX_UPPER | PWHOOK_CPX_LOWER);
	/* cats may be NULL. */
	assert_int_equal(pwhook_complexity_check(
	    (const unsigned char *)"x", 1, NULL, NULL, NULL),
	    PWHOOK_CPX_CATEGORIES);
	assert_int_equal(pwhook_complexity_count(0x1f), 5);
	assert_int_equal(pwhook_complexity_count(0), 0);
}

/* The password is read in place: bytes after `len` are never looked at. */
static void
test_length_bound(void **state)
{
	const char buf[] = "abcDEF123alice";

	(void)state;
	assert_int_equal(pwhook_complexity_check((const unsigned char *)buf,
	    9, "alice", NULL, NULL), PWHOOK_CPX_OK);
	assert_int_equal(pwhook_complexity_check((const unsigned char *)buf,
	    14, "alice", NULL, NULL), PWHOOK_CPX_ACCOUNT);
	/* The account name longer than the password. */
	assert_int_equal(pwhook_complexity_check((const unsigned char *)buf,
	    3, "abcd", NULL, NULL), PWHOOK_CPX_CATEGORIES);
}

/* Works again after fini (the locale is loaded on demand). */
static void
test_reinit(void **state)
{
	(void)state;
	assert_int_equal(pwhook_complexity_init(), 0);
	pwhook_complexity_fini();
	pwhook_complexity_fini();
	assert_int_equal(pwhook_complexity_check(
	    (const unsigned char *)"Äpfel1", strlen("Äpfel1"), NULL, NULL,
	    NULL), PWHOOK_CPX_OK);
	assert_int_equal(pwhook_complexity_check(
	    (const unsigned char *)"XJÖRG1a!", strlen("XJÖRG1a!"), "jörg",
	    NULL, NULL), PWHOOK_CPX_ACCOUNT);
}

static void
test_strings(void **state)
{
	int r;

	(void)state;
	for (r = PWHOOK_CPX_OK; r <= PWHOOK_CPX_CATEGORIES; r++) {
		assert_non_null(pwhook_complexity_str((enum pwhook_cpx)r));
		assert_null(strstr(pwhook_complexity_str((enum pwhook_cpx)r),
		    "unknown"));
	}
}

static int
teardown(void **state)
{
	(void)state;
	pwhook_complexity_fini();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_length_bound),
		cmocka_unit_test(test_reinit),
		cmocka_unit_test(test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
