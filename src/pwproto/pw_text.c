/*
 * Small text checks shared by the hook file and the payload decoders:
 * UTF-8 validity (utf8.h's decoder, without NUL), control characters, the
 * GUID text form, the requests' Content-Type. Pure; any thread; the input is untrusted.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pw_internal.h"
#include "pwproto.h"
#include "utf8.h"

bool
pw_utf8_ok(const char *str, size_t len)
{
	/* What we encode must decode: jansson refuses what utf8_valid()
	 * refuses, and a NUL would cut the C string. */
	return len == 0 || (memchr(str, '\0', len) == NULL &&
	    utf8_valid(str, len));
}

bool
pw_nocntrl(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return false;
	return true;
}

void
pw_guid_format(const unsigned char b[16], char out[37])
{
	/* objectGUID is a Windows GUID in its in-memory layout: Data1 (4
	 * bytes), Data2 and Data3 (2 bytes each) little-endian, then Data4's
	 * 8 bytes in order. AD's text form prints the first three groups as
	 * numbers, so their bytes appear reversed. */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[3], b[2], b[1], b[0], b[5], b[4],
	    b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

bool
pw_guid_ok(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (strchr("0123456789abcdefABCDEF", s[i]) == NULL ||
		    s[i] == '\0')
			return false;
	}
	return true;
}

/* Skips blanks (HTTP's OWS: space and tab). */
static const char *
pw_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

bool
pw_content_type_ok(const char *value)
{
	static const char type[] = PW_CONTENT_TYPE;
	static const char cs[] = "charset";
	static const char utf8[] = "utf-8";
	const char *p;
	bool quoted;

	if (value == NULL)
		return false;
	p = pw_ows(value);
	if (strncasecmp(p, type, sizeof(type) - 1) != 0)
		return false;
	p = pw_ows(p + sizeof(type) - 1);
	if (*p == '\0')
		return true;
	/* One parameter, charset=utf-8 (RFC 9110 8.3.1: names and this
	 * value are case-insensitive, the value may be quoted). */
	if (*p++ != ';')
		return false;
	p = pw_ows(p);
	if (strncasecmp(p, cs, sizeof(cs) - 1) != 0)
		return false;
	p += sizeof(cs) - 1;
	if (*p++ != '=')
		return false;
	quoted = *p == '"';
	p += quoted;
	if (strncasecmp(p, utf8, sizeof(utf8) - 1) != 0)
		return false;
	p += sizeof(utf8) - 1;
	if (quoted && *p++ != '"')
		return false;
	return *pw_ows(p) == '\0';
}
