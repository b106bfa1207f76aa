/*
 * Fuzz harness: pwhook_complexity_check() (hooks/samba/pwhook_complexity.c),
 * the domain's complexity rule that adsync-pwhook applies, in Samba's
 * check password script mode, to the new password of any user of the
 * domain (untrusted bytes from Samba's pipe) before Samba commits it: its
 * exit status replaces Samba's own check, so a rule that accepted a weak
 * password would switch the domain's rule off. The source is linked
 * directly, as the unit test of hooks/samba does.
 *
 * Input: ACCOUNT NUL FULL_NAME NUL PASSWORD (the password may hold more
 * NULs); a part that is missing is passed as NULL.
 *
 * Checked against a second, independent implementation of the rule
 * (comments of pwhook_complexity.c): strict UTF-8 without NUL decides
 * "not UTF-8" for every input; for ASCII-only inputs the category mask
 * and the verdict, in the rule's order (account of 3+ characters,
 * full-name tokens of 3+ characters split at ",.-_# \t", compared without
 * case; then three of the five categories), must be exactly the
 * independent ones. For any input: an accepted password has at least
 * three categories and the mask only the five bits. Single thread; inputs
 * are capped at PWHOOK_CHECK_MAX plus the names.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pwhook_complexity.h"

#define FUZZ_CPX_NAME_MAX 512
#define FUZZ_CPX_MAX (4096 + 2 * FUZZ_CPX_NAME_MAX)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strict UTF-8 (RFC 3629), without NUL; written apart from the code. */
static bool
fuzz_cpx_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0, need, k;
	uint32_t cp;

	while (i < len) {
		unsigned char c = s[i];

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + need >= len)
			return false;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

static bool
fuzz_cpx_ascii(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] >= 0x80)
			return false;
	return true;
}

static unsigned
fuzz_cpx_cats(const unsigned char *s, size_t len)
{
	static const char special[] = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/";
	unsigned m = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			m |= PWHOOK_CPX_UPPER;
		else if (s[i] >= 'a' && s[i] <= 'z')
			m |= PWHOOK_CPX_LOWER;
		else if (s[i] >= '0' && s[i] <= '9')
			m |= PWHOOK_CPX_DIGIT;
		else if (s[i] != 0 && memchr(special, s[i],
		    sizeof(special) - 1) != NULL)
			m |= PWHOOK_CPX_SPECIAL;
	}
	return m;
}

/* ASCII, without case: does pw contain needle[0..nlen)? */
static bool
fuzz_cpx_has(const unsigned char *pw, size_t len, const char *needle,
    size_t nlen)
{
	size_t i;

	if (nlen == 0 || nlen > len)
		return false;
	for (i = 0; i + nlen <= len; i++)
		if (strncasecmp((const char *)pw + i, needle, nlen) == 0)
			return true;
	return false;
}

static bool
fuzz_cpx_tokens(const unsigned char *pw, size_t len, const char *name)
{
	size_t n;

	while (*name != '\0') {
		n = strcspn(name, ",.-_# \t");
		if (n >= 3 && fuzz_cpx_has(pw, len, name, n))
			return true;
		name += n;
		if (*name != '\0')
			name++;
	}
	return false;
}

static unsigned
fuzz_cpx_popcount(unsigned m)
{
	unsigned n = 0;

	for (; m != 0; m &= m - 1)
		n++;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *account = NULL, *full = NULL;
	const unsigned char *pw;
	const uint8_t *p = data, *end = data + size, *z;
	enum pwhook_cpx got, want;
	char *names[2] = { NULL, NULL };
	unsigned cats = 0xdead, want_cats;
	size_t len;
	int i;
	bool ascii;

	if (size > FUZZ_CPX_MAX)
		return 0;
	for (i = 0; i < 2; i++) {
		if ((z = memchr(p, '\0', (size_t)(end - p))) == NULL ||
		    z - p > FUZZ_CPX_NAME_MAX)
			break;
		if ((names[i] = strndup((const char *)p, (size_t)(z - p))) ==
		    NULL)
			abort();
		p = z + 1;
	}
	account = names[0];
	full = names[1];
	pw = p;
	len = (size_t)(end - p);

	got = pwhook_complexity_check(pw, len, account, full, &cats);
	if ((cats & ~0x1fu) != 0 || pwhook_complexity_str(got) == NULL)
		abort();
	if (!fuzz_cpx_utf8(pw, len)) {
		if (got != PWHOOK_CPX_NOT_UTF8 || cats != 0)
			abort();
		goto out;
	}
	if (got == PWHOOK_CPX_NOT_UTF8)
		abort();
	if (got == PWHOOK_CPX_OK &&
	    pwhook_complexity_count(cats) < PWHOOK_CPX_NEEDED)
		abort();
	if (pwhook_complexity_count(cats) != fuzz_cpx_popcount(cats))
		abort();

	ascii = fuzz_cpx_ascii(pw, len) &&
	    (account == NULL || fuzz_cpx_ascii((const unsigned char *)account,
	    strlen(account))) &&
	    (full == NULL || fuzz_cpx_ascii((const unsigned char *)full,
	    strlen(full)));
	if (!ascii)
		goto out;
	want_cats = fuzz_cpx_cats(pw, len);
	if (account != NULL && strlen(account) >= 3 &&
	    fuzz_cpx_has(pw, len, account, strlen(account)))
		want = PWHOOK_CPX_ACCOUNT;
	else if (full != NULL && fuzz_cpx_tokens(pw, len, full))
		want = PWHOOK_CPX_FULL_NAME;
	else if (fuzz_cpx_popcount(want_cats) < 3)
		want = PWHOOK_CPX_CATEGORIES;
	else
		want = PWHOOK_CPX_OK;
	if (got != want || cats != want_cats) {
		fprintf(stderr, "verdict %d (cats 0x%x), expected %d (0x%x)\n",
		    (int)got, cats, (int)want, want_cats);
		abort();
	}
out:
	free(names[0]);
	free(names[1]);
	return 0;
}
