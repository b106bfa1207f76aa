/*
 * proxyAddresses values: "TYPE:address". Pure; any thread; the text comes
 * from the DC (typed there by administrators) and is not trusted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "err.h"
#include "obj.h"

/*
 * Exchange's convention, kept by AD and Samba as written: the address type
 * before the colon says what kind of address follows (SMTP, X500, X400,
 * SIP, EUM...), and its case carries meaning for SMTP only: "SMTP:" in
 * upper case is the one primary (reply) address, "smtp:" in lower case a
 * secondary one. Mixed case ("Smtp:") is neither: it is kept as OTHER and
 * never becomes an address on the target, rather than guessing which was
 * meant. The Rackspace seed documents the same upper/lower rule.
 */
#define OBJ_PROXY_TYPE_MAX 32
#define OBJ_PROXY_LOCAL_MAX 64		/* RFC 5321 4.5.3.1.1 */
#define OBJ_PROXY_SMTP_MAX 254		/* RFC 5321 path, less brackets */

static bool
obj_proxy_type_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

/*
 * A light check of an SMTP address: one '@' with something on both sides,
 * no spaces, control characters or DEL. Bytes above 0x7f (UTF-8, already
 * checked by obj_value_add) are left for the target to judge.
 */
static bool
obj_proxy_smtp_valid(const char *a, size_t len)
{
	const char *at;
	size_t i, local;

	if (len > OBJ_PROXY_SMTP_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)a[i] <= 0x20 || (unsigned char)a[i] == 0x7f)
			return false;
	if ((at = memchr(a, '@', len)) == NULL)
		return false;
	local = (size_t)(at - a);
	if (local == 0 || local > OBJ_PROXY_LOCAL_MAX || local + 1 == len ||
	    memchr(at + 1, '@', len - local - 1) != NULL)
		return false;
	return true;
}

int
obj_proxy_parse(const char *s, size_t len, enum obj_proxy_kind *kind,
    const char **addr, size_t *addr_len)
{
	enum obj_proxy_kind k;
	const char *colon, *a;
	size_t tlen, alen, i;

	if (s == NULL || kind == NULL || addr == NULL || addr_len == NULL ||
	    len > OBJ_VALUE_MAX)
		return -ADSYNC_EPARSE;
	if ((colon = memchr(s, ':', len)) == NULL)
		return -ADSYNC_EPARSE;
	tlen = (size_t)(colon - s);
	if (tlen == 0 || tlen > OBJ_PROXY_TYPE_MAX)
		return -ADSYNC_EPARSE;
	for (i = 0; i < tlen; i++)
		if (!obj_proxy_type_char((unsigned char)s[i]))
			return -ADSYNC_EPARSE;
	a = colon + 1;
	alen = len - tlen - 1;
	if (alen == 0 || memchr(a, '\0', alen) != NULL)
		return -ADSYNC_EPARSE;
	if (tlen == 4 && memcmp(s, "SMTP", 4) == 0)
		k = OBJ_PROXY_PRIMARY;
	else if (tlen == 4 && memcmp(s, "smtp", 4) == 0)
		k = OBJ_PROXY_SECONDARY;
	else
		k = OBJ_PROXY_OTHER;
	if (k != OBJ_PROXY_OTHER && !obj_proxy_smtp_valid(a, alen))
		return -ADSYNC_EPARSE;
	*kind = k;
	*addr = a;
	*addr_len = alen;
	return 0;
}
