/*
 * The service's password rule (rackspace-api.md §7, both Rackspace Email and
 * Hosted Exchange): at least 8 characters from at least 3 of the 4 classes
 * upper case A-Z, lower case a-z, digits 0-9 and everything else (space and
 * non-ASCII included). Checked before any password is sent so that a weak
 * one becomes a clear per-user error instead of an API call (and a spent
 * token). Pure; any thread. The password is never copied or printed.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "target_internal.h"

int
rs_password_check(const char *pw, size_t len, char *why, size_t whylen)
{
	bool upper = false, lower = false, digit = false, other = false;
	size_t i, chars = 0;
	int classes;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (len > RS_PASSWORD_MAX) {
		if (why != NULL)
			snprintf(why, whylen, "password is longer than %d "
			    "bytes", RS_PASSWORD_MAX);
		return -ADSYNC_EVALIDATION;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)pw[i];

		if (ch == '\0' || ch < 0x20 || ch == 0x7f) {
			if (why != NULL)
				snprintf(why, whylen, "password contains a "
				    "control character");
			return -ADSYNC_EVALIDATION;
		}
		/* Count UTF-8 characters: continuation bytes are not new
		 * characters. */
		if ((ch & 0xc0) != 0x80)
			chars++;
		if (ch >= 'A' && ch <= 'Z')
			upper = true;
		else if (ch >= 'a' && ch <= 'z')
			lower = true;
		else if (ch >= '0' && ch <= '9')
			digit = true;
		else
			other = true;
	}
	if (chars < RS_PASSWORD_MIN) {
		if (why != NULL)
			snprintf(why, whylen, "password is too short: %zu "
			    "characters, at least %d required", chars,
			    RS_PASSWORD_MIN);
		return -ADSYNC_EVALIDATION;
	}
	classes = upper + lower + digit + other;
	if (classes < 3) {
		if (why != NULL)
			snprintf(why, whylen, "password uses %d of the 4 "
			    "character classes (upper case, lower case, "
			    "digits, symbols); at least 3 are required",
			    classes);
		return -ADSYNC_EVALIDATION;
	}
	return 0;
}

int
rs_password_check_secret(const struct secret *pw, struct rs_error *err)
{
	char why[256];
	const unsigned char *p;
	size_t len;
	int r;

	if (pw == NULL)
		return rs_error_set(err, -ADSYNC_EVALIDATION,
		    "a password is required");
	p = secret_bytes(pw, &len);
	if ((r = rs_password_check((const char *)p, len, why,
	    sizeof(why))) < 0)
		return rs_error_set(err, r, "%s", why);
	return 0;
}
