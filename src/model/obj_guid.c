/*
 * objectGUID: the anchor of every object. Raw bytes from the directory,
 * the canonical text form for logs, the store's keys and the plan, and its
 * parser. Pure; any thread; raw values come from the DC and text from
 * configuration or the store, none of it trusted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "obj.h"
#include "obj_internal.h"

/*
 * AD stores objectGUID as 16 bytes in the layout of a Windows GUID struct:
 * Data1 (32 bits), Data2 and Data3 (16 bits) little-endian, then Data4 as
 * 8 plain bytes. Every AD tool (ADUC, PowerShell, ldp, samba-tool, the
 * "<GUID=...>" search base) prints the fields as numbers, so the first
 * three appear byte-swapped relative to the raw bytes:
 *
 *   raw   00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff
 *   text  33221100-5544-7766-8899-aabbccddeeff
 *
 * obj_guid_text_order[i] is the raw byte printed at hex pair i.
 */
static const uint8_t obj_guid_text_order[16] = {
	3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15
};

/* Text length, and where the hyphens are. */
#define OBJ_GUID_LEN 36

static bool
obj_guid_hyphen_at(size_t i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

void
obj_guid_format(const struct obj_guid *g, char out[OBJ_GUID_TEXT])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, pos = 0;
	uint8_t b;

	for (i = 0; i < 16; i++) {
		if (obj_guid_hyphen_at(pos))
			out[pos++] = '-';
		b = g->b[obj_guid_text_order[i]];
		out[pos++] = hex[b >> 4];
		out[pos++] = hex[b & 0x0f];
	}
	out[pos] = '\0';
}

int
obj_guid_parse_len(const char *s, size_t len, struct obj_guid *out)
{
	struct obj_guid g;
	size_t i, pos = 0;
	int hi, lo;

	if (s == NULL || out == NULL || len != OBJ_GUID_LEN)
		return -ADSYNC_EPARSE;
	for (i = 0; i < 16; i++) {
		if (obj_guid_hyphen_at(pos)) {
			if (s[pos] != '-')
				return -ADSYNC_EPARSE;
			pos++;
		}
		hi = obj_hex_value((unsigned char)s[pos++]);
		lo = obj_hex_value((unsigned char)s[pos++]);
		if (hi < 0 || lo < 0)
			return -ADSYNC_EPARSE;
		g.b[obj_guid_text_order[i]] = (uint8_t)(hi << 4 | lo);
	}
	*out = g;
	return 0;
}

int
obj_guid_parse(const char *s, struct obj_guid *out)
{
	if (s == NULL)
		return -ADSYNC_EPARSE;
	/* strnlen: one byte past the form is enough to see trailing data. */
	return obj_guid_parse_len(s, strnlen(s, OBJ_GUID_LEN + 1), out);
}

int
obj_guid_from_raw(const void *raw, size_t len, struct obj_guid *out)
{
	if (raw == NULL || out == NULL || len != sizeof(out->b))
		return -ADSYNC_EPARSE;
	memcpy(out->b, raw, sizeof(out->b));
	return 0;
}

bool
obj_guid_equal(const struct obj_guid *a, const struct obj_guid *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

bool
obj_guid_is_zero(const struct obj_guid *g)
{
	size_t i;

	for (i = 0; i < sizeof(g->b); i++)
		if (g->b[i] != 0)
			return false;
	return true;
}
