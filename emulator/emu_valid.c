/*
 * Validation rules (see emu_valid.h). Character classes are ASCII: a byte of
 * a multi-byte UTF-8 character counts as "other", which is what a .NET
 * service checking char.IsLetterOrDigit would not do for letters such as
 * "é" — an accepted imprecision, documented in rsemu.1. Pure; any thread.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "emu_valid.h"
#include "err.h"
#include "strparse.h"

int
emu_valid_password(const char *pw, const char **why)
{
	bool up = false, low = false, dig = false, oth = false;
	size_t len = strlen(pw), i;
	int classes;

	if (len < EMU_PASSWORD_MIN) {
		*why = "Password must be at least 8 characters long and "
		    "contain characters from at least 3 of: uppercase "
		    "letters, lowercase letters, digits, symbols.";
		return -ADSYNC_EVALIDATION;
	}
	if (len > EMU_PASSWORD_MAX) {
		*why = "Password must be at most 128 characters long.";
		return -ADSYNC_EVALIDATION;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pw[i];

		if (c >= 'A' && c <= 'Z')
			up = true;
		else if (c >= 'a' && c <= 'z')
			low = true;
		else if (c >= '0' && c <= '9')
			dig = true;
		else
			oth = true;
	}
	classes = up + low + dig + oth;
	if (classes < 3) {
		*why = "Password does not meet the complexity requirements: "
		    "it must contain characters from at least 3 of: "
		    "uppercase letters, lowercase letters, digits, symbols.";
		return -ADSYNC_EVALIDATION;
	}
	*why = NULL;
	return 0;
}

static bool
emu_valid_local(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > EMU_NAME_MAX || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isalnum(c) || c == '.' || c == '_' || c == '-' ||
		    c == '\'' || c == '+'))
			return false;
		if (c == '.' && i + 1 < len && s[i + 1] == '.')
			return false;
	}
	return true;
}

bool
emu_valid_name(const char *name)
{
	return emu_valid_local(name, strlen(name));
}

bool
emu_valid_address(const char *addr)
{
	const char *at = strchr(addr, '@'), *d, *p;
	size_t len = strlen(addr), lablen = 0;
	int labels = 0;

	if (len > EMU_ADDRESS_MAX || at == NULL || strchr(at + 1, '@') != NULL)
		return false;
	if (!emu_valid_local(addr, (size_t)(at - addr)))
		return false;
	d = at + 1;
	if (*d == '\0')
		return false;
	for (p = d;; p++) {
		if (*p == '.' || *p == '\0') {
			if (lablen == 0 || lablen > 63 || p[-1] == '-')
				return false;
			labels++;
			lablen = 0;
			if (*p == '\0')
				break;
			continue;
		}
		if (!(isalnum((unsigned char)*p) || *p == '-'))
			return false;
		if (lablen == 0 && *p == '-')
			return false;
		lablen++;
	}
	return labels >= 2;
}

bool
emu_valid_csv_next(const char **p, const char **item, size_t *len)
{
	const char *s, *comma, *a, *b;

	while ((s = *p) != NULL) {
		comma = strchr(s, ',');
		b = comma != NULL ? comma : s + strlen(s);
		for (a = s; a < b && *a == ' '; a++)
			;
		while (b > a && b[-1] == ' ')
			b--;
		*p = comma != NULL ? comma + 1 : NULL;
		if (b > a) {
			*item = a;
			*len = (size_t)(b - a);
			return true;
		}
	}
	return false;
}

int
emu_valid_bool(const char *s, bool *out)
{
	if (strcasecmp(s, "true") == 0) {
		*out = true;
		return 0;
	}
	if (strcasecmp(s, "false") == 0) {
		*out = false;
		return 0;
	}
	return -ADSYNC_EPARSE;
}

/* Builds a LIKE pattern with '\' as the escape character. */
static int
emu_valid_like(const char *s, bool lead, char *out, size_t outlen)
{
	size_t n = 0, len = strlen(s), i;

	if (len == 0 || len > EMU_FILTER_MAX || outlen < len * 2 + 3)
		return -ADSYNC_ERANGE;
	if (lead)
		out[n++] = '%';
	for (i = 0; i < len; i++) {
		if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
			out[n++] = '\\';
		out[n++] = s[i];
	}
	out[n++] = '%';
	out[n] = '\0';
	return 0;
}

static int
emu_valid_uint(const char *s, long long min, long long max, unsigned *out)
{
	const char *errstr;
	long long v;
	int r;

	if ((r = strparse_num(s, min, max, &v, &errstr)) < 0)
		return r;
	*out = (unsigned)v;
	return 0;
}

int
emu_valid_index_query(struct emu_form *q, bool allow_enabled,
    struct emu_index_q *out, char *why, size_t whylen)
{
	struct emu_index_q o;
	const char *size, *offset, *sw, *ct, *en;
	bool b;

	memset(&o, 0, sizeof(o));
	o.size = EMU_PAGE_DEFAULT;
	o.enabled = -1;
	size = emu_form_get(q, "size");
	offset = emu_form_get(q, "offset");
	sw = emu_form_get(q, "startswith");
	ct = emu_form_get(q, "contains");
	en = allow_enabled ? emu_form_get(q, "enabled") : NULL;
	o.fields = emu_form_get(q, "fields");
	if (size != NULL && emu_valid_uint(size, 1, EMU_PAGE_MAX,
	    &o.size) < 0) {
		snprintf(why, whylen, "Invalid size: must be a number from 1 "
		    "to %d.", EMU_PAGE_MAX);
		return -ADSYNC_EPARSE;
	}
	if (offset != NULL && emu_valid_uint(offset, 0, 1000000000,
	    &o.offset) < 0) {
		snprintf(why, whylen, "Invalid offset: must be a number of 0 "
		    "or more.");
		return -ADSYNC_EPARSE;
	}
	if (sw != NULL && ct != NULL) {
		snprintf(why, whylen, "Only one of startswith and contains may "
		    "be given.");
		return -ADSYNC_EPARSE;
	}
	if (sw != NULL && strcmp(sw, "0-9") == 0)
		o.digits = true;
	else if ((sw != NULL && emu_valid_like(sw, false, o.like,
	    sizeof(o.like)) < 0) || (ct != NULL && emu_valid_like(ct, true,
	    o.like, sizeof(o.like)) < 0)) {
		snprintf(why, whylen, "Invalid filter: startswith and contains "
		    "take 1 to %d characters.", EMU_FILTER_MAX);
		return -ADSYNC_EPARSE;
	}
	if (en != NULL) {
		if (emu_valid_bool(en, &b) < 0) {
			snprintf(why, whylen, "Invalid enabled: must be true "
			    "or false.");
			return -ADSYNC_EPARSE;
		}
		o.enabled = b;
	}
	*out = o;
	return 0;
}

int
emu_valid_dl_query(struct emu_form *q, struct emu_dl_q *out, char *why,
    size_t whylen)
{
	struct emu_dl_q o;
	const char *limit, *sort, *order, *search;

	memset(&o, 0, sizeof(o));
	o.limit = EMU_DL_LIMIT_DEFAULT;
	o.marker = emu_form_get(q, "marker");
	limit = emu_form_get(q, "limit");
	sort = emu_form_get(q, "sort");
	order = emu_form_get(q, "order");
	search = emu_form_get(q, "search");
	if (limit != NULL && emu_valid_uint(limit, 1, EMU_DL_LIMIT_MAX,
	    &o.limit) < 0) {
		snprintf(why, whylen, "Invalid limit: must be a number from 1 "
		    "to %d.", EMU_DL_LIMIT_MAX);
		return -ADSYNC_EPARSE;
	}
	if (sort != NULL) {
		if (strcasecmp(sort, "DisplayName") == 0)
			o.by_display = true;
		else if (strcasecmp(sort, "CN") != 0) {
			snprintf(why, whylen, "Invalid sort: must be CN or "
			    "DisplayName.");
			return -ADSYNC_EPARSE;
		}
	}
	if (order != NULL) {
		if (strcasecmp(order, "desc") == 0)
			o.desc = true;
		else if (strcasecmp(order, "asc") != 0) {
			snprintf(why, whylen, "Invalid order: must be asc or "
			    "desc.");
			return -ADSYNC_EPARSE;
		}
	}
	if (search != NULL && emu_valid_like(search, true, o.like,
	    sizeof(o.like)) < 0) {
		snprintf(why, whylen, "Invalid search: 1 to %d characters.",
		    EMU_FILTER_MAX);
		return -ADSYNC_EPARSE;
	}
	if (o.marker != NULL && (o.marker[0] == '\0' ||
	    strlen(o.marker) > EMU_NAME_MAX)) {
		snprintf(why, whylen, "Invalid marker.");
		return -ADSYNC_EPARSE;
	}
	*out = o;
	return 0;
}
