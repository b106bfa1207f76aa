/*
 * Fuzz harness: the model's AD value decoders, which see every value a
 * domain controller returns. The first byte picks the decoder, the rest is
 * its input. Beyond "no crash, no overread, no leak", each decoder's result
 * is checked: canonical forms print back to the input, borrowed pointers
 * stay inside the input, a time decodes to the same calendar fields
 * through gmtime_r, and UTF-8 validation agrees with a second, independent
 * implementation.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "err.h"
#include "obj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum fuzz_model_op {
	FUZZ_GUID_RAW,
	FUZZ_GUID_TEXT,
	FUZZ_SID,
	FUZZ_UAC,
	FUZZ_INT32,
	FUZZ_USN,
	FUZZ_FILETIME,
	FUZZ_GENTIME,
	FUZZ_PROXY,
	FUZZ_EXTDN,
	FUZZ_RANGE,
	FUZZ_UTF8,
	FUZZ_ATTR,
	FUZZ_OP_COUNT
};

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "check failed: %s\n", #cond);		\
		abort();						\
	}								\
} while (0)

/* Code-point decoding UTF-8 check, independent of obj_utf8_valid(). */
static bool
fuzz_utf8_ref(const uint8_t *p, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (p[i] == 0)
			return false;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 2;
			cp = p[i] & 0x1f;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 3;
			cp = p[i] & 0x0f;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 4;
			cp = p[i] & 0x07;
		} else
			return false;
		if (len - i < n)
			return false;
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

/* The decimal print of a parsed number must be the input exactly. */
static void
fuzz_same(const char *s, size_t len, const char *printed)
{
	CHECK(strlen(printed) == len && memcmp(printed, s, len) == 0);
}

static bool
fuzz_inside(const char *p, size_t plen, const char *s, size_t len)
{
	return p >= s && plen <= len && (size_t)(p - s) <= len - plen;
}

static void
fuzz_guid(const char *s, size_t len, bool text)
{
	struct obj_guid g, g2;
	char out[OBJ_GUID_TEXT];
	size_t i;

	if (!text) {
		if (obj_guid_from_raw(s, len, &g) != 0)
			return;
		CHECK(len == 16);
		obj_guid_format(&g, out);
		CHECK(strlen(out) == 36);
		CHECK(obj_guid_parse(out, &g2) == 0);
		CHECK(obj_guid_equal(&g, &g2));
		return;
	}
	if (obj_guid_parse_len(s, len, &g) != 0)
		return;
	obj_guid_format(&g, out);
	CHECK(len == 36);
	for (i = 0; i < 36; i++)
		CHECK(out[i] == tolower((unsigned char)s[i]));
}

static void
fuzz_sid(const char *s, size_t len)
{
	char out[OBJ_SID_TEXT], small[16];
	struct obj *o;
	int r;

	if (obj_sid_format(s, len, out, sizeof(out)) != 0)
		return;
	CHECK(strlen(out) < OBJ_SID_TEXT);
	CHECK(obj_sid_text_valid(out, strlen(out)));
	r = obj_sid_format(s, len, small, sizeof(small));
	CHECK(r == 0 ? strcmp(small, out) == 0 : strlen(out) >= sizeof(small));
	o = obj_new();
	CHECK(obj_sid_set(o, s, len) == 0);
	CHECK(strcmp(o->object_sid, out) == 0);
	obj_free(o);
}

static void
fuzz_numbers(const char *s, size_t len, enum fuzz_model_op op)
{
	char printed[32];
	uint32_t u32;
	int32_t i32;
	uint64_t u64;
	int64_t t;

	switch (op) {
	case FUZZ_UAC:
		if (obj_uac_parse(s, len, &u32) != 0)
			return;
		snprintf(printed, sizeof(printed), "%" PRId32, (int32_t)u32);
		fuzz_same(s, len, printed);
		break;
	case FUZZ_INT32:
		if (obj_int32_parse(s, len, &i32) != 0)
			return;
		snprintf(printed, sizeof(printed), "%" PRId32, i32);
		fuzz_same(s, len, printed);
		break;
	case FUZZ_USN:
		if (obj_usn_parse(s, len, &u64) != 0)
			return;
		CHECK(u64 <= (uint64_t)INT64_MAX);
		snprintf(printed, sizeof(printed), "%" PRIu64, u64);
		fuzz_same(s, len, printed);
		break;
	case FUZZ_FILETIME:
		if (obj_filetime_parse(s, len, &t) != 0)
			return;
		/* A FILETIME is a USN-shaped number: same syntax, same
		 * range. */
		CHECK(obj_usn_parse(s, len, &u64) == 0);
		if (u64 == 0 || u64 == (uint64_t)INT64_MAX)
			CHECK(t == 0);
		else
			CHECK(t == (int64_t)(u64 / 10000000) -
			    INT64_C(11644473600));
		break;
	default:
		abort();
	}
}

/* Two digits at s, known to be digits after a successful parse. */
static int
fuzz_2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

static void
fuzz_gentime(const char *s, size_t len)
{
	struct tm tm;
	time_t tt;
	int64_t t;

	if (obj_gentime_parse(s, len, &t) != 0)
		return;
	CHECK(len >= 15 && s[len - 1] == 'Z');
	tt = (time_t)t;
	CHECK(gmtime_r(&tt, &tm) != NULL);
	CHECK(tm.tm_year + 1900 == fuzz_2(s) * 100 + fuzz_2(s + 2));
	CHECK(tm.tm_mon + 1 == fuzz_2(s + 4));
	CHECK(tm.tm_mday == fuzz_2(s + 6));
	CHECK(tm.tm_hour == fuzz_2(s + 8));
	CHECK(tm.tm_min == fuzz_2(s + 10));
	CHECK(tm.tm_sec == fuzz_2(s + 12));
}

static void
fuzz_proxy(const char *s, size_t len)
{
	enum obj_proxy_kind k;
	const char *a;
	size_t alen;

	if (obj_proxy_parse(s, len, &k, &a, &alen) != 0)
		return;
	CHECK(alen > 0 && fuzz_inside(a, alen, s, len));
	CHECK(a[-1] == ':' && memchr(s, ':', (size_t)(a - s) - 1) == NULL);
	if (k == OBJ_PROXY_PRIMARY)
		CHECK(a - s == 5 && memcmp(s, "SMTP", 4) == 0);
	else if (k == OBJ_PROXY_SECONDARY)
		CHECK(a - s == 5 && memcmp(s, "smtp", 4) == 0);
	else
		CHECK(k == OBJ_PROXY_OTHER);
	if (k != OBJ_PROXY_OTHER)
		CHECK(memchr(a, '@', alen) != NULL);
}

static void
fuzz_extdn(const char *s, size_t len)
{
	struct obj_guid g;
	struct obj *o;
	const char *dn;
	size_t dn_len;
	bool has;

	if (obj_extdn_parse(s, len, &g, &has, &dn, &dn_len) != 0)
		return;
	CHECK(dn_len > 0 && dn_len <= OBJ_DN_MAX);
	CHECK(fuzz_inside(dn, dn_len, s, len));
	CHECK(dn + dn_len == s + len);
	CHECK(dn[0] != '<');
	CHECK(has == (len > 6 && memcmp(s, "<GUID=", 6) == 0));
	if (!has)
		CHECK(obj_guid_is_zero(&g));
	/* What the reader does next with a member value. */
	o = obj_new();
	CHECK(obj_ref_add(&o->member, has ? &g : NULL, dn, dn_len) == 0);
	CHECK(obj_dn_set(o, dn, dn_len) == 0);
	CHECK(strlen(o->dn) == dn_len);
	obj_free(o);
}

static void
fuzz_range(const char *s, size_t len)
{
	size_t blen;
	long lo, hi;
	int r;

	r = obj_range_parse_len(s, len, &blen, &lo, &hi);
	if (r < 0)
		return;
	CHECK(r == 0 || r == 1);
	CHECK(blen > 0 && blen <= len);
	if (r == 0) {
		CHECK(blen == len && lo == 0 && hi == -1);
		CHECK(memchr(s, ';', len) == NULL);
	} else {
		CHECK(s[blen] == ';');
		CHECK(lo >= 0 && lo <= INT32_MAX);
		CHECK(hi == -1 || (hi >= lo && hi <= INT32_MAX));
		CHECK(strncasecmp(s + blen + 1, "range=", 6) == 0);
	}
}

static void
fuzz_utf8(const uint8_t *data, size_t len, uint8_t attr)
{
	const char *s = (const char *)data;
	struct obj *o;
	bool ok;
	int r;

	ok = obj_utf8_valid(s, len);
	CHECK(ok == fuzz_utf8_ref(data, len));
	o = obj_new();
	r = obj_value_add(o, (enum obj_attr)(attr % OBJ_A_COUNT), s, len);
	CHECK(r == (ok ? 0 : -ADSYNC_EPARSE));
	if (ok) {
		CHECK(obj_is_present(o, (enum obj_attr)(attr % OBJ_A_COUNT)));
		CHECK(memcmp(obj_value(o, (enum obj_attr)(attr % OBJ_A_COUNT)),
		    s, len) == 0);
	}
	obj_free(o);
}

static void
fuzz_attr(const char *s, size_t len)
{
	const struct obj_attr_desc *d;
	int a;

	if ((a = obj_attr_lookup(s, len)) < 0)
		return;
	CHECK(a < OBJ_A_COUNT);
	d = obj_attr_desc((enum obj_attr)a);
	CHECK(d != NULL && (int)d->id == a);
	CHECK(strlen(d->ldap) == len && strncasecmp(d->ldap, s, len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum fuzz_model_op op;
	const char *s;
	uint8_t attr;
	size_t len;

	if (size < 1 || size > 2 * OBJ_DN_MAX)
		return 0;
	op = (enum fuzz_model_op)(data[0] % FUZZ_OP_COUNT);
	/* For FUZZ_UTF8 the high bits of the selector choose the attribute. */
	attr = (uint8_t)(data[0] / FUZZ_OP_COUNT);
	s = (const char *)data + 1;
	len = size - 1;
	switch (op) {
	case FUZZ_GUID_RAW:
		fuzz_guid(s, len, false);
		break;
	case FUZZ_GUID_TEXT:
		fuzz_guid(s, len, true);
		break;
	case FUZZ_SID:
		fuzz_sid(s, len);
		break;
	case FUZZ_UAC:
	case FUZZ_INT32:
	case FUZZ_USN:
	case FUZZ_FILETIME:
		fuzz_numbers(s, len, op);
		break;
	case FUZZ_GENTIME:
		fuzz_gentime(s, len);
		break;
	case FUZZ_PROXY:
		fuzz_proxy(s, len);
		break;
	case FUZZ_EXTDN:
		fuzz_extdn(s, len);
		break;
	case FUZZ_RANGE:
		fuzz_range(s, len);
		break;
	case FUZZ_UTF8:
		fuzz_utf8(data + 1, len, attr);
		break;
	case FUZZ_ATTR:
		fuzz_attr(s, len);
		break;
	case FUZZ_OP_COUNT:
		break;
	}
	return 0;
}
