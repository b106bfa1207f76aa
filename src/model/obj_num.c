/*
 * Integer attributes: userAccountControl, groupType and uSNChanged, plus
 * the LDAP Integer parser the time decoders share. Pure; any thread; the
 * text comes from the DC and is not trusted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "obj.h"
#include "obj_internal.h"

/*
 * LDAP's Integer syntax (RFC 4517 3.3.16), which AD uses for both its
 * Integer (2.5.5.9, 32-bit) and Large-Integer (2.5.5.16, 64-bit) syntaxes:
 *
 *   Integer = ( HYPHEN LDIGIT *DIGIT ) / number
 *   number  = DIGIT / ( LDIGIT 1*DIGIT )
 *
 * No '+', no spaces, no leading zeros and no "-0", so every value has one
 * spelling and a parse can be checked by printing it back. The magnitude
 * is accumulated as uint64_t, so INT64_MIN parses without overflow.
 */
int
obj_num_parse(const char *s, size_t len, int64_t min, int64_t max,
    int64_t *out)
{
	uint64_t v = 0, limit;
	size_t i = 0;
	bool neg = false;
	int64_t r;
	unsigned d;

	if (s == NULL || out == NULL || len == 0 || len > 20)
		return -ADSYNC_EPARSE;
	if (s[0] == '-') {
		neg = true;
		i = 1;
		if (len == 1 || s[1] == '0')
			return -ADSYNC_EPARSE;
	} else if (s[0] == '0' && len > 1)
		return -ADSYNC_EPARSE;
	/* The largest magnitude allowed by the sign: 2^63 or 2^63 - 1. */
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -ADSYNC_EPARSE;
		d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			return -ADSYNC_EPARSE;
		v = v * 10 + d;
	}
	if (neg)
		r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		r = (int64_t)v;
	if (r < min || r > max)
		return -ADSYNC_EPARSE;
	*out = r;
	return 0;
}

/*
 * userAccountControl has AD's Integer syntax, a signed 32-bit number in
 * text. Its flags stop at 0x04000000 today, but the sign bit is part of the
 * syntax, so "-1" is well formed and means all bits set.
 */
int
obj_uac_parse(const char *s, size_t len, uint32_t *out)
{
	int64_t v;
	int r;

	if (out == NULL)
		return -ADSYNC_EPARSE;
	if ((r = obj_num_parse(s, len, INT32_MIN, INT32_MAX, &v)) < 0)
		return r;
	*out = (uint32_t)(int32_t)v;
	return 0;
}

/*
 * groupType is the same syntax, and there the sign bit is the point:
 * GROUP_TYPE_SECURITY_ENABLED is 0x80000000, so a global security group
 * (0x80000002) comes back as "-2147483646". Callers test bits on the
 * value converted to uint32_t, with OBJ_GROUP_SECURITY.
 */
int
obj_int32_parse(const char *s, size_t len, int32_t *out)
{
	int64_t v;
	int r;

	if (out == NULL)
		return -ADSYNC_EPARSE;
	if ((r = obj_num_parse(s, len, INT32_MIN, INT32_MAX, &v)) < 0)
		return r;
	*out = (int32_t)v;
	return 0;
}

/*
 * USNs are Large-Integer (signed 64-bit) in AD and never negative. The
 * upper bound is INT64_MAX, not UINT64_MAX: the store keeps watermarks in
 * SQLite integers, which are signed 64-bit.
 */
int
obj_usn_parse(const char *s, size_t len, uint64_t *out)
{
	int64_t v;
	int r;

	if (out == NULL)
		return -ADSYNC_EPARSE;
	if ((r = obj_num_parse(s, len, 0, INT64_MAX, &v)) < 0)
		return r;
	*out = (uint64_t)v;
	return 0;
}
