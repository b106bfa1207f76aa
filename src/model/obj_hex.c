/*
 * Hex digits for the model's decoders (the hex form of the Extended DN
 * control). Pure; any thread; input untrusted and bounded by the caller's
 * length.
 */
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "obj_internal.h"
#include "strparse.h"

int
obj_hex_value(unsigned char c)
{
	return strparse_hexdigit(c);
}

int
obj_hex_decode(const char *s, size_t len, uint8_t *out, size_t outlen)
{
	size_t i;
	int hi, lo;

	if (s == NULL || out == NULL || outlen > SIZE_MAX / 2 ||
	    len != 2 * outlen)
		return -ADSYNC_EPARSE;
	for (i = 0; i < outlen; i++) {
		hi = obj_hex_value((unsigned char)s[2 * i]);
		lo = obj_hex_value((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -ADSYNC_EPARSE;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
