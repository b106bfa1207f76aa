/*
 * DNs returned with the Extended DN control: "<GUID=...>;<SID=...>;DN".
 * The reader asks for it on every search so that member, memberOf and the
 * entry's own DN carry the target's objectGUID, the only stable name.
 * Pure; any thread; the text comes from the DC and is not trusted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "obj.h"
#include "obj_internal.h"

/*
 * LDAP_SERVER_EXTENDED_DN_OID (1.2.840.113556.1.4.529, MS-ADTS
 * 3.1.1.3.4.1.5) prefixes every DN value with the object's GUID and, for
 * security principals, its SID, each as "<NAME=value>" followed by ';':
 *
 *   flag 0 (hex):    <GUID=00112233445566778899aabbccddeeff>;
 *                    <SID=010500000000000515000000...>;CN=x,DC=y
 *   flag 1 (string): <GUID=33221100-5544-7766-8899-aabbccddeeff>;
 *                    <SID=S-1-5-21-...>;CN=x,DC=y
 *
 * NOTE the hex form is the RAW bytes in storage order, while the string
 * form is the canonical text with the first three fields byte-swapped
 * (see obj_guid.c): both spellings above name the same object. Objects
 * without a SID (contacts, OUs) have no SID part. A DN never starts with
 * '<' (RFC 4514: it starts with an attribute type), so a value starting
 * with '<' must be a well-formed extended DN.
 */
#define OBJ_EXTDN_GUID_HEX 32
#define OBJ_EXTDN_SID_RAW_MAX (8 + 4 * 15)

/* If `s` starts with "<tag=", the length of the value before '>'. */
static bool
obj_extdn_part(const char *s, size_t len, const char *tag,
    const char **val, size_t *vlen)
{
	size_t tlen = strlen(tag);
	const char *end;

	if (len < tlen + 2 || s[0] != '<' || memcmp(s + 1, tag, tlen) != 0)
		return false;
	*val = s + 1 + tlen;
	if ((end = memchr(*val, '>', len - 1 - tlen)) == NULL)
		return false;
	*vlen = (size_t)(end - *val);
	return true;
}

static int
obj_extdn_guid(const char *v, size_t vlen, struct obj_guid *out)
{
	if (vlen == OBJ_EXTDN_GUID_HEX)
		return obj_hex_decode(v, vlen, out->b, sizeof(out->b));
	return obj_guid_parse_len(v, vlen, out);
}

static int
obj_extdn_sid(const char *v, size_t vlen)
{
	uint8_t raw[OBJ_EXTDN_SID_RAW_MAX];
	char text[OBJ_SID_TEXT];

	if (vlen >= 2 && v[0] == 'S' && v[1] == '-')
		return obj_sid_text_valid(v, vlen) ? 0 : -ADSYNC_EPARSE;
	if (vlen % 2 != 0 || vlen / 2 > sizeof(raw) ||
	    obj_hex_decode(v, vlen, raw, vlen / 2) < 0)
		return -ADSYNC_EPARSE;
	return obj_sid_format(raw, vlen / 2, text, sizeof(text));
}

int
obj_extdn_parse(const char *s, size_t len, struct obj_guid *guid,
    bool *has_guid, const char **dn, size_t *dn_len)
{
	struct obj_guid g;
	const char *v;
	size_t vlen, pos = 0;
	bool got_guid = false;

	if (s == NULL || guid == NULL || has_guid == NULL || dn == NULL ||
	    dn_len == NULL)
		return -ADSYNC_EPARSE;
	/* SECURITY: bounded by the longest DN plus both parts. */
	if (len > OBJ_DN_MAX + 256)
		return -ADSYNC_EPARSE;
	memset(&g, 0, sizeof(g));
	if (obj_extdn_part(s, len, "GUID=", &v, &vlen)) {
		if (obj_extdn_guid(v, vlen, &g) < 0)
			return -ADSYNC_EPARSE;
		pos = (size_t)(v - s) + vlen + 1;
		if (pos >= len || s[pos] != ';')
			return -ADSYNC_EPARSE;
		pos++;
		got_guid = true;
	}
	if (obj_extdn_part(s + pos, len - pos, "SID=", &v, &vlen)) {
		if (obj_extdn_sid(v, vlen) < 0)
			return -ADSYNC_EPARSE;
		pos = (size_t)(v - s) + vlen + 1;
		if (pos >= len || s[pos] != ';')
			return -ADSYNC_EPARSE;
		pos++;
	}
	if (pos == len || s[pos] == '<')
		return -ADSYNC_EPARSE;
	if (len - pos > OBJ_DN_MAX)
		return -ADSYNC_EPARSE;
	if (!obj_utf8_valid(s + pos, len - pos))
		return -ADSYNC_EPARSE;
	*guid = g;
	*has_guid = got_guid;
	*dn = s + pos;
	*dn_len = len - pos;
	return 0;
}
