/*
 * Search filters and attribute descriptions built by the reader. Pure; any
 * thread. The only outside input that reaches a filter is a number, and
 * ad_filter_escape() exists for values should one ever be needed.
 *
 * Why these filters: a full read asks for users as
 * (objectCategory=person)(objectClass=user), because objectClass=user alone
 * also matches computer accounts. Change reads filter on nothing but what
 * they must: DirSync on (objectClass=*), uSN polling on the uSN alone, and
 * the reader keeps users, contacts and groups itself (ad_decode.c sets the
 * kind from objectClass; computers and other classes are dropped in
 * ad_dirsync.c and ad_usn.c, except computers and foreignSecurityPrincipals
 * for a connection that reads the others). Measured on Samba 4.17 at 100,000 users: a
 * filter with an indexed equality clause that matches most objects
 * (objectClass=user, objectCategory=person) makes ldb fetch every candidate
 * through the index, 3.4 to 3.9 s for each change read; without one, ldb
 * scans the database in order: DirSync 0.7 s, the uSN search 0.6 s, and the
 * tombstone search (one level under CN=Deleted Objects) 17 ms. AD indexes
 * uSNChanged and serves DirSync either way; the price there is that changes
 * to other objects (computers, OUs) come back and are dropped here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ad_internal.h"
#include "err.h"

#define AD_FILTER_OBJECTS "(|(&(objectCategory=person)(objectClass=user))" \
	"(objectClass=contact)(objectClass=group))"
/*
 * With the others: computers (objectClass=computer also covers managed
 * service accounts) and foreignSecurityPrincipals, which can be members
 * of a sync group and must then be named (docs/plan.md rule 2). Both
 * clauses match few objects, so Samba's index answers them cheaply.
 */
#define AD_FILTER_OTHERS "(|(&(objectCategory=person)(objectClass=user))" \
	"(objectClass=contact)(objectClass=group)(objectClass=computer)" \
	"(objectClass=foreignSecurityPrincipal))"

const char *
ad_filter_objects(bool others)
{
	return others ? AD_FILTER_OTHERS : AD_FILTER_OBJECTS;
}

const char *
ad_filter_dirsync(void)
{
	return "(objectClass=*)";
}

int
ad_filter_usn(char *out, size_t outlen, uint64_t usn)
{
	int n;

	if (usn == UINT64_MAX)
		return -ADSYNC_ERANGE;
	n = snprintf(out, outlen, "(uSNChanged>=%" PRIu64 ")", usn + 1);
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

int
ad_filter_range_rest(char *out, size_t outlen, long low)
{
	int n;

	if (low < 0)
		return -ADSYNC_ERANGE;
	n = snprintf(out, outlen, "member;range=%ld-*", low);
	return n < 0 || (size_t)n >= outlen ? -ADSYNC_ETOOBIG : 0;
}
