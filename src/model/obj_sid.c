/*
 * objectSid: the binary SID from the directory to its "S-1-5-21-..." text
 * form, a checker for that text form (the string form of the Extended DN
 * control carries it), and storing it in a struct obj. Pure; any thread;
 * the bytes come from the DC and are not trusted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "obj.h"
#include "obj_internal.h"

/*
 * Binary SID layout (MS-DTYP 2.4.2.2):
 *
 *   byte 0      Revision, always 1
 *   byte 1      SubAuthorityCount, 0..15
 *   bytes 2-7   IdentifierAuthority, 48-bit BIG-endian (5 = NT Authority)
 *   then        SubAuthorityCount x 32-bit LITTLE-endian sub-authorities
 *
 * so the length is exactly 8 + 4 * count; anything else is malformed.
 * Text form (MS-DTYP 2.4.2.1): "S-1-" authority, then "-" and each
 * sub-authority in decimal. The authority is decimal below 2^32 and "0x"
 * plus 12 hex digits above (never seen in AD, but the form is defined).
 * A domain user: S-1-5-21-<3 domain sub-authorities>-<RID>, 500 being the
 * domain's Administrator.
 */
#define OBJ_SID_REVISION 1
#define OBJ_SID_SUBAUTH_MAX 15
#define OBJ_SID_HEADER 8

int
obj_sid_format(const void *raw, size_t len, char *out, size_t outlen)
{
	const uint8_t *p = raw;
	char text[OBJ_SID_TEXT];
	uint64_t auth;
	uint32_t sub;
	size_t count, i, pos;
	int n;

	if (raw == NULL || out == NULL || len < OBJ_SID_HEADER)
		return -ADSYNC_EPARSE;
	count = p[1];
	if (p[0] != OBJ_SID_REVISION || count > OBJ_SID_SUBAUTH_MAX ||
	    len != OBJ_SID_HEADER + 4 * count)
		return -ADSYNC_EPARSE;
	auth = 0;
	for (i = 2; i < OBJ_SID_HEADER; i++)
		auth = auth << 8 | p[i];
	/*
	 * The longest text is "S-1-0x" + 12 + 15 * ("-" + 10) = 183 bytes
	 * and a NUL, so `text` cannot truncate; the checks are for form.
	 */
	if (auth >> 32 == 0)
		n = snprintf(text, sizeof(text), "S-1-%" PRIu64, auth);
	else
		n = snprintf(text, sizeof(text), "S-1-0x%012" PRIX64, auth);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -ADSYNC_EPARSE;
	pos = (size_t)n;
	for (i = 0; i < count; i++) {
		sub = (uint32_t)p[8 + 4 * i] |
		    (uint32_t)p[9 + 4 * i] << 8 |
		    (uint32_t)p[10 + 4 * i] << 16 |
		    (uint32_t)p[11 + 4 * i] << 24;
		n = snprintf(text + pos, sizeof(text) - pos, "-%" PRIu32, sub);
		if (n < 0 || (size_t)n >= sizeof(text) - pos)
			return -ADSYNC_EPARSE;
		pos += (size_t)n;
	}
	if (pos >= outlen)
		return -ADSYNC_ETOOBIG;
	memcpy(out, text, pos + 1);
	return 0;
}

/* Decimal digits without leading zeros, value <= max: the length used. */
static size_t
obj_sid_text_num(const char *s, size_t len, uint64_t max)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (i > 0 && v == 0)
			return 0;	/* leading zero */
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return i;
}

bool
obj_sid_text_valid(const char *s, size_t len)
{
	size_t pos, n, count, i;

	if (s == NULL || len < 5 || len >= OBJ_SID_TEXT ||
	    memcmp(s, "S-1-", 4) != 0)
		return false;
	pos = 4;
	if (len - pos >= 2 && s[pos] == '0' && s[pos + 1] == 'x') {
		/* Exactly 12 upper-case hex digits, and at least 2^32. */
		if (len - pos < 14)
			return false;
		for (i = pos + 2; i < pos + 14; i++)
			if (obj_hex_value((unsigned char)s[i]) < 0 ||
			    (s[i] >= 'a' && s[i] <= 'f'))
				return false;
		if (memcmp(s + pos + 2, "0000", 4) == 0)
			return false;
		pos += 14;
	} else {
		if ((n = obj_sid_text_num(s + pos, len - pos,
		    UINT32_MAX)) == 0)
			return false;
		pos += n;
	}
	for (count = 0; pos < len; count++) {
		if (count == OBJ_SID_SUBAUTH_MAX || s[pos] != '-')
			return false;
		pos++;
		if ((n = obj_sid_text_num(s + pos, len - pos,
		    UINT32_MAX)) == 0)
			return false;
		pos += n;
	}
	return true;
}

int
obj_sid_set(struct obj *o, const void *raw, size_t len)
{
	char text[OBJ_SID_TEXT], *copy;
	int r;

	if (o == NULL)
		return -EINVAL;
	if ((r = obj_sid_format(raw, len, text, sizeof(text))) < 0)
		return r;
	if ((copy = strdup(text)) == NULL)
		return -ENOMEM;
	free(o->object_sid);
	o->object_sid = copy;
	return 0;
}
