/*
 * Ranged attribute descriptions ("member;range=0-1499"), with which AD
 * returns large multi-valued attributes in slices. Pure; any thread; the
 * description comes from the DC and is not trusted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "obj.h"
#include "obj_internal.h"

/*
 * AD returns at most MaxValRange values of a multi-valued attribute per
 * read (1500 on current DCs, 1000 on Windows 2000). When there are more,
 * the attribute comes back as "member;range=0-1499" and the client asks
 * for "member;range=1500-*" and so on; the last slice has '*' as its high
 * bound. Samba does not force slices but honours requests for them. The
 * option name is case-insensitive like every attribute option
 * (RFC 4512 2.5). Bounds are capped at INT32_MAX: AD counts values in
 * 32-bit integers and `long` may be 32 bits.
 */
#define OBJ_RANGE_DESC_MAX 256
#define OBJ_RANGE_OPT "range="

static bool
obj_range_name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* True when `n` bytes at `s` equal the lower-case ASCII `lower`, ignoring
 * ASCII case (not the locale's). */
static bool
obj_range_caseeq(const char *s, const char *lower, size_t n)
{
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)lower[i])
			return false;
	}
	return true;
}

int
obj_range_parse_len(const char *desc, size_t len, size_t *base_len,
    long *low, long *high)
{
	const char *semi, *opt, *dash;
	size_t blen, olen, i;
	int64_t lo, hi;

	if (desc == NULL || base_len == NULL || low == NULL || high == NULL ||
	    len == 0 || len > OBJ_RANGE_DESC_MAX)
		return -ADSYNC_EPARSE;
	semi = memchr(desc, ';', len);
	blen = semi != NULL ? (size_t)(semi - desc) : len;
	if (blen == 0)
		return -ADSYNC_EPARSE;
	for (i = 0; i < blen; i++)
		if (!obj_range_name_char((unsigned char)desc[i]))
			return -ADSYNC_EPARSE;
	if (semi == NULL) {
		*base_len = len;
		*low = 0;
		*high = -1;
		return 0;
	}
	opt = semi + 1;
	olen = len - blen - 1;
	if (olen < sizeof(OBJ_RANGE_OPT) - 1 ||
	    !obj_range_caseeq(opt, OBJ_RANGE_OPT, sizeof(OBJ_RANGE_OPT) - 1))
		return -ADSYNC_EPARSE;
	opt += sizeof(OBJ_RANGE_OPT) - 1;
	olen -= sizeof(OBJ_RANGE_OPT) - 1;
	/* "low-high" or "low-*"; a further ';' option is refused below. */
	if ((dash = memchr(opt, '-', olen)) == NULL)
		return -ADSYNC_EPARSE;
	if (obj_num_parse(opt, (size_t)(dash - opt), 0, INT32_MAX, &lo) < 0)
		return -ADSYNC_EPARSE;
	olen -= (size_t)(dash - opt) + 1;
	opt = dash + 1;
	if (olen == 1 && opt[0] == '*')
		hi = -1;
	else if (obj_num_parse(opt, olen, 0, INT32_MAX, &hi) < 0 || hi < lo)
		return -ADSYNC_EPARSE;
	*base_len = blen;
	*low = (long)lo;
	*high = (long)hi;
	return 1;
}

int
obj_range_parse(const char *desc, size_t *base_len, long *low, long *high)
{
	if (desc == NULL)
		return -ADSYNC_EPARSE;
	/* One byte past the limit is enough to refuse a longer one. */
	return obj_range_parse_len(desc, strnlen(desc, OBJ_RANGE_DESC_MAX + 1),
	    base_len, low, high);
}
