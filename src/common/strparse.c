/*
 * Strict parsers. strtoll/strtod are used with end and range checks, which is
 * what the banned-function rule asks for. Pure; any thread; the input of the
 * hex and percent decoders is untrusted (forms, URLs, AD values).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "strparse.h"

int
strparse_num(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	char *end;
	long long v;

	*errstr = "invalid";
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -ADSYNC_EPARSE;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return -ADSYNC_EPARSE;
	if ((errno == ERANGE && v == LLONG_MIN) || v < min) {
		*errstr = "too small";
		return -ADSYNC_ERANGE;
	}
	if ((errno == ERANGE && v == LLONG_MAX) || v > max) {
		*errstr = "too large";
		return -ADSYNC_ERANGE;
	}
	*errstr = NULL;
	*out = v;
	return 0;
}

int
strparse_double(const char *s, double min, double max, double *out,
    const char **errstr)
{
	char *end;
	double v;

	*errstr = "invalid";
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -ADSYNC_EPARSE;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(v))
		return -ADSYNC_EPARSE;
	if (v < min) {
		*errstr = "too small";
		return -ADSYNC_ERANGE;
	}
	if (v > max) {
		*errstr = "too large";
		return -ADSYNC_ERANGE;
	}
	*errstr = NULL;
	*out = v;
	return 0;
}

int
strparse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	if (s == NULL)
		return -ADSYNC_EPARSE;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -ADSYNC_EPARSE;
}

bool
strparse_word(const char **p, const char **word, size_t *len)
{
	const char *s = *p, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0') {
		*p = s;
		return false;
	}
	for (e = s; *e != '\0' && *e != ' ' && *e != '\t'; e++)
		;
	*word = s;
	*len = (size_t)(e - s);
	*p = e;
	return true;
}

int
strparse_hexdigit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t
strparse_pct_decode(const char *s, size_t len, char *out, bool plus)
{
	size_t i, n = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (len - i < 3)
				goto bad;
			hi = strparse_hexdigit((unsigned char)s[i + 1]);
			lo = strparse_hexdigit((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			out[n++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '+' && plus)
			out[n++] = ' ';
		else
			out[n++] = s[i];
	}
	out[n] = '\0';
	return (ssize_t)n;
bad:
	explicit_bzero(out, n + 1);
	return -1;
}
