/*
 * Active Directory's password complexity rule, for the check password
 * script mode of adsync-pwhook. Samba runs a check password script only
 * while the domain's complexity setting is on, and then uses the script's
 * exit status INSTEAD of its own check (samba-ad-testbed.md §5.1): a hook
 * that accepted everything would switch the domain's rule off. So the hook
 * applies the rule itself. Pure and single-threaded: the caller passes the
 * password bytes (untrusted, from Samba's pipe) and the names from the
 * environment; nothing is logged or copied here.
 *
 * The rule, as Microsoft documents it ("Password must meet complexity
 * requirements", the Windows security policy reference; "Strong Password
 * Enforcement and Passfilt.dll"; [MS-SAMR] 3.1.1.7.2 "Cleartext Password
 * Policy"):
 *
 *  1. The password must not contain the sAMAccountName, compared without
 *     case, when the name has more than two characters.
 *  2. The displayName is split at commas, periods, hyphens, underscores,
 *     spaces, number signs and tabs; the password must not contain any
 *     token of three or more characters, compared without case.
 *     Substrings of tokens are not checked.
 *  3. The password must contain characters from three of five categories:
 *     upper case letters (A-Z and other scripts' upper case: diacritics,
 *     Greek, Cyrillic), lower case letters (a-z, sharp s, other scripts'
 *     lower case), the digits 0-9, the non-alphanumeric characters
 *     ~!@#$%^&*_-+=`|\(){}[]:;"'<>,.?/ and Unicode letters that are
 *     neither upper nor lower case (e.g. Japanese, Chinese, Arabic).
 *     Currency symbols such as the euro or the pound count in no category
 *     (Microsoft says so explicitly); nor do other symbols, the space,
 *     control characters or non-ASCII punctuation.
 *  Minimum length, history and age are Samba's checks, not this rule.
 *
 * Samba's built-in check (check_password_quality() in
 * lib/util/genrand_util.c, called by samdb_check_password() in
 * source4/dsdb/common/util.c when no script is set) implements only part
 * 3, with the same ASCII special characters (no space), and counts EVERY
 * non-ASCII character without case in category 5 ("for now do not check
 * if the unicode category is alphabetic"), so it accepts "pässwörd1€"
 * where Windows does not. We follow Microsoft: stricter than Samba in
 * these two places, never weaker. Invalid UTF-8 fails, as in Samba.
 *
 * Classification: code points are decoded here (strict UTF-8: no overlong
 * forms, surrogates or values above U+10FFFF); ASCII is classified by the
 * table above; non-ASCII uses glibc's iswupper_l / iswlower_l /
 * iswalpha_l and towupper_l in the C.UTF-8 locale (built into glibc since
 * 2.35, full Unicode classification), through newlocale() so that the
 * process locale is left alone. Case-insensitive means both sides upcased
 * code point by code point (simple case mapping). Known glibc detail:
 * decimal digits of other scripts (e.g. U+0663) are in glibc's "alpha"
 * class and so count as category 5.
 */
#include <errno.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <wctype.h>

#include "pwhook_complexity.h"

/* The displayName delimiters of rule 2. */
static const char cpx_delims[] = ",.-_# \t";
/* The non-alphanumeric characters of rule 3: all 32 ASCII punctuation
 * characters, as listed by Microsoft and in Samba's check. */
static const char cpx_special[] = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/";

static locale_t cpx_loc = (locale_t)0;
static bool cpx_tried;

int
pwhook_complexity_init(void)
{
	if (!cpx_tried) {
		cpx_tried = true;
		cpx_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return cpx_loc == (locale_t)0 ? -ENOENT : 0;
}

void
pwhook_complexity_fini(void)
{
	if (cpx_loc != (locale_t)0)
		freelocale(cpx_loc);
	cpx_loc = (locale_t)0;
	cpx_tried = false;
}

/*
 * Decodes the code point at s[*off] (s has `len` bytes) into *cp and
 * advances *off. Returns false for anything that is not strict UTF-8, and
 * for NUL: Samba hands the password over as a C string, so a NUL could
 * hide the rest of it.
 */
static bool
cpx_decode(const unsigned char *s, size_t len, size_t *off, uint32_t *cp)
{
	size_t i = *off, n, k;
	uint32_t c, min;
	unsigned char b = s[i];

	if (b == 0)
		return false;
	if (b < 0x80) {
		*cp = b;
		*off = i + 1;
		return true;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		n = 1;
		c = b & 0x1fu;
		min = 0x80;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 2;
		c = b & 0x0fu;
		min = 0x800;
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 3;
		c = b & 0x07u;
		min = 0x10000;
	} else
		return false;
	if (len - i - 1 < n)
		return false;
	for (k = 1; k <= n; k++) {
		if ((s[i + k] & 0xc0) != 0x80)
			return false;
		c = (c << 6) | (s[i + k] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return false;
	*cp = c;
	*off = i + 1 + n;
	return true;
}

/* Whether all of s[0..len) is strict UTF-8; *count gets the code points. */
static bool
cpx_valid(const unsigned char *s, size_t len, size_t *count)
{
	size_t off = 0, n = 0;
	uint32_t c;

	while (off < len) {
		if (!cpx_decode(s, len, &off, &c))
			return false;
		n++;
	}
	*count = n;
	return true;
}

static uint32_t
cpx_upper(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
	if (cpx_loc == (locale_t)0)
		return c;
	return (uint32_t)towupper_l((wint_t)c, cpx_loc);
}

static unsigned
cpx_category(uint32_t c)
{
	if (c < 0x80) {
		if (c >= '0' && c <= '9')
			return PWHOOK_CPX_DIGIT;
		if (c >= 'A' && c <= 'Z')
			return PWHOOK_CPX_UPPER;
		if (c >= 'a' && c <= 'z')
			return PWHOOK_CPX_LOWER;
		if (c != 0 && strchr(cpx_special, (int)c) != NULL)
			return PWHOOK_CPX_SPECIAL;
		return 0;
	}
	if (cpx_loc == (locale_t)0)
		return 0;
	/* Upper first: a title case letter (U+01C5) is both in glibc. */
	if (iswupper_l((wint_t)c, cpx_loc))
		return PWHOOK_CPX_UPPER;
	if (iswlower_l((wint_t)c, cpx_loc))
		return PWHOOK_CPX_LOWER;
	if (iswalpha_l((wint_t)c, cpx_loc))
		return PWHOOK_CPX_OTHER;
	/* Symbols (currency included), non-ASCII punctuation, spaces. */
	return 0;
}

/*
 * Whether `pw` (valid UTF-8) contains `needle` (valid UTF-8, at least one
 * code point) without regard to case. Naive search over code points: the
 * password is at most a few KiB and names are short.
 */
static bool
cpx_contains(const unsigned char *pw, size_t pwlen,
    const unsigned char *needle, size_t nlen)
{
	size_t start = 0, p, q;
	uint32_t a = 0, b = 0;
	bool match;

	while (start < pwlen) {
		p = start;
		q = 0;
		match = true;
		while (q < nlen) {
			if (p >= pwlen)
				return false;	/* later starts are shorter */
			(void)cpx_decode(pw, pwlen, &p, &a);
			(void)cpx_decode(needle, nlen, &q, &b);
			if (cpx_upper(a) != cpx_upper(b)) {
				match = false;
				break;
			}
		}
		if (match)
			return true;
		(void)cpx_decode(pw, pwlen, &start, &a);
	}
	return false;
}

/* Rule 2: any token of 3+ characters of `name` in `pw`. */
static bool
cpx_contains_token(const unsigned char *pw, size_t pwlen, const char *name)
{
	const unsigned char *tok;
	size_t toklen, chars;

	while (*name != '\0') {
		toklen = strcspn(name, cpx_delims);
		tok = (const unsigned char *)name;
		name += toklen;
		if (*name != '\0')
			name++;
		/* The delimiters are ASCII: splitting UTF-8 at them is safe. */
		if (toklen == 0 || !cpx_valid(tok, toklen, &chars) ||
		    chars < 3)
			continue;
		if (cpx_contains(pw, pwlen, tok, toklen))
			return true;
	}
	return false;
}

unsigned
pwhook_complexity_count(unsigned cats)
{
	unsigned n = 0;

	for (; cats != 0; cats >>= 1)
		n += cats & 1u;
	return n;
}

enum pwhook_cpx
pwhook_complexity_check(const unsigned char *pw, size_t len,
    const char *account, const char *full_name, unsigned *cats)
{
	size_t off = 0, chars, alen;
	unsigned mask = 0;
	uint32_t c;

	if (cats != NULL)
		*cats = 0;
	(void)pwhook_complexity_init();
	while (off < len) {
		if (!cpx_decode(pw, len, &off, &c))
			return PWHOOK_CPX_NOT_UTF8;
		mask |= cpx_category(c);
	}
	if (cats != NULL)
		*cats = mask;

	if (account != NULL) {
		alen = strlen(account);
		if (cpx_valid((const unsigned char *)account, alen, &chars) &&
		    chars >= 3 && cpx_contains(pw, len,
		    (const unsigned char *)account, alen))
			return PWHOOK_CPX_ACCOUNT;
	}
	if (full_name != NULL && cpx_contains_token(pw, len, full_name))
		return PWHOOK_CPX_FULL_NAME;
	if (pwhook_complexity_count(mask) < PWHOOK_CPX_NEEDED)
		return PWHOOK_CPX_CATEGORIES;
	return PWHOOK_CPX_OK;
}

const char *
pwhook_complexity_str(enum pwhook_cpx r)
{
	switch (r) {
	case PWHOOK_CPX_OK:
		return "meets the complexity rule";
	case PWHOOK_CPX_NOT_UTF8:
		return "it is not valid UTF-8";
	case PWHOOK_CPX_ACCOUNT:
		return "it contains the account name (sAMAccountName)";
	case PWHOOK_CPX_FULL_NAME:
		return "it contains a part of the user's display name";
	case PWHOOK_CPX_CATEGORIES:
		return "it has characters from fewer than 3 of the 5 "
		    "categories (upper case, lower case, digits, symbols, "
		    "letters without case)";
	}
	return "unknown rule";
}
