/*
 * Search filters and attribute descriptions built by the reader. Pure; any
 * thread. The only outside input that reaches a filter is a number, and
 * ad_filter_escape() exists for values should one ever be needed.
 *
 * Why these filters: users are (objectCategory=person)(objectClass=user),
 * because objectClass=user alone also matches computer accounts. DirSync
 * filters on objectClass only, because tombstones lose objectCategory; the
 * reader drops computers itself there (ad_decode.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ad_internal.h"
#include "err.h"

#define AD_FILTER_OBJECTS "(|(&(objectCategory=person)(objectClass=user))" \
	"(objectClass=contact)(objectClass=group))"

const char *
ad_filter_objects(void)
{
	return AD_FILTER_OBJECTS;
}

const char *
ad_filter_dirsync(void)
{
	return "(|(objectClass=user)(objectClass=contact)(objectClass=group))";
}

int
ad_filter_usn(char *out, size_t outlen, uint64_t usn)
{
	int n;

	if (usn == UINT64_MAX)
		return -ADSYNC_ERANGE;
	n = snprintf(out, outlen, "(&(uSNChanged>=%" PRIu64 ")%s)", usn + 1,
	    AD_FILTER_OBJECTS);
	return n < 0 || (size_t)n >= outlen ? -ADSYNC_ETOOBIG : 0;
}

int
ad_filter_usn_deleted(char *out, size_t outlen, uint64_t usn)
{
	int n;

	if (usn == UINT64_MAX)
		return -ADSYNC_ERANGE;
	n = snprintf(out, outlen, "(&(isDeleted=TRUE)(uSNChanged>=%" PRIu64
	    ")(|(objectClass=user)(objectClass=contact)(objectClass=group)))",
	    usn + 1);
	return n < 0 || (size_t)n >= outlen ? -ADSYNC_ETOOBIG : 0;
}

int
ad_filter_escape(const char *in, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, j = 0;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == '*' || ch == '(' || ch == ')' || ch == '\\' ||
		    ch == '\0') {
			if (j + 3 >= outlen)
				return -ADSYNC_ETOOBIG;
			out[j++] = '\\';
			out[j++] = hex[ch >> 4];
			out[j++] = hex[ch & 15];
		} else {
			if (j + 1 >= outlen)
				return -ADSYNC_ETOOBIG;
			out[j++] = (char)ch;
		}
	}
	if (j >= outlen)
		return -ADSYNC_ETOOBIG;
	out[j] = '\0';
	return 0;
}

int
ad_filter_range_attr(char *out, size_t outlen, long low, unsigned size)
{
	int n;

	if (low < 0 || size == 0 || (unsigned long)low > (unsigned long)
	    (0x7fffffffL - size))
		return -ADSYNC_ERANGE;
	n = snprintf(out, outlen, "member;range=%ld-%ld", low,
	    low + (long)size - 1);
	return n < 0 || (size_t)n >= outlen ? -ADSYNC_ETOOBIG : 0;
}
