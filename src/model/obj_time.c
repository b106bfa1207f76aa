/*
 * Time attributes: FILETIME integers (pwdLastSet, accountExpires,
 * lastLogonTimestamp) and generalized time strings (whenChanged,
 * whenCreated), both to Unix seconds in UTC. Pure: no time zone, no locale,
 * no libc time functions; any thread; the text comes from the DC and is
 * not trusted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "obj.h"
#include "obj_internal.h"

/*
 * A FILETIME counts 100 ns intervals since 1601-01-01 00:00 UTC. AD sends
 * it as a Large-Integer in text. Two values mean "no time": 0 (pwdLastSet:
 * the user must change the password at next logon; accountExpires: never)
 * and 0x7FFFFFFFFFFFFFFF = 9223372036854775807 (accountExpires: never).
 * Both give 0 here. 11644473600 is the number of seconds from 1601 to
 * 1970 (369 years, 89 of them leap years). A negative FILETIME is not a
 * time and is refused.
 */
#define OBJ_FILETIME_TICKS 10000000
#define OBJ_FILETIME_EPOCH_DIFF INT64_C(11644473600)

int
obj_filetime_parse(const char *s, size_t len, int64_t *out)
{
	int64_t v;
	int r;

	if (out == NULL)
		return -ADSYNC_EPARSE;
	if ((r = obj_num_parse(s, len, 0, INT64_MAX, &v)) < 0)
		return r;
	if (v == 0 || v == INT64_MAX)
		*out = 0;
	else
		*out = v / OBJ_FILETIME_TICKS - OBJ_FILETIME_EPOCH_DIFF;
	return 0;
}

/* `n` decimal digits at `s` as a number, or -1. */
static int
obj_time_digits(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool
obj_time_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil; valid for every year used here).
 */
static int64_t
obj_time_days(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Generalized time as AD writes it: "YYYYMMDDHHMMSS.0Z", always UTC, always
 * with seconds and a one-digit fraction. Accepted here, strictly: the 14
 * digits, an optional fraction ('.' or ',' and 1-9 digits, dropped: whole
 * seconds are enough), then 'Z' and nothing after. Refused: the short
 * forms without minutes or seconds and time-zone offsets (RFC 4517 allows
 * them, AD never sends them), out-of-range fields, leap seconds (AD's
 * times come from FILETIMEs, which have none). Year 1601 is common:
 * dSCorePropagationData says "16010101000000.0Z" for "never".
 */
int
obj_gentime_parse(const char *s, size_t len, int64_t *out)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int y, mo, d, h, mi, sec, dim;
	size_t pos, frac;

	if (s == NULL || out == NULL || len < 15 || len > 25)
		return -ADSYNC_EPARSE;
	y = obj_time_digits(s, 4);
	mo = obj_time_digits(s + 4, 2);
	d = obj_time_digits(s + 6, 2);
	h = obj_time_digits(s + 8, 2);
	mi = obj_time_digits(s + 10, 2);
	sec = obj_time_digits(s + 12, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return -ADSYNC_EPARSE;
	dim = mdays[mo - 1] + (mo == 2 && obj_time_leap(y));
	if (d > dim)
		return -ADSYNC_EPARSE;
	pos = 14;
	if (s[pos] == '.' || s[pos] == ',') {
		pos++;
		for (frac = 0; pos < len && s[pos] >= '0' && s[pos] <= '9';
		    frac++)
			pos++;
		if (frac < 1 || frac > 9)
			return -ADSYNC_EPARSE;
	}
	if (pos + 1 != len || s[pos] != 'Z')
		return -ADSYNC_EPARSE;
	*out = obj_time_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}
