/*
 * JSON decoding helpers of the API client (jansson). Reads are nested and
 * inconsistent (rackspace-api.md §5.1): unset values come as null or "",
 * booleans as JSON booleans, sizes as numbers, contactInfo as a nested
 * object, forwarding addresses as an array. rs_json_flatten() turns such an
 * object into a flat record whose names are the write names. Pure; any
 * thread. Input is untrusted and already bounded by RS_BODY_MAX; record
 * limits (RS_RECORD_MAX_FIELDS, RS_FIELD_VALUE_MAX) are enforced by
 * rs_record_set() before anything is allocated for a field.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "target_internal.h"

json_t *
rs_json_parse_object(const char *body, size_t len)
{
	json_error_t jerr;
	json_t *o;

	if (body == NULL || len == 0)
		return NULL;
	o = json_loadb(body, len, 0, &jerr);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

bool
rs_json_write_answer_ok(const char *body, size_t len, const char *ctype)
{
	json_error_t jerr;
	json_t *o;
	size_t i;

	for (i = 0; body != NULL && i < len; i++)
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' &&
		    body[i] != '\n')
			break;
	/* Most writes answer with nothing at all (and IIS may still name a
	 * content type for it): nothing to contradict. */
	if (body == NULL || i == len)
		return true;
	/* A page is never the API's, whatever it holds. */
	if (ctype != NULL && strcasestr(ctype, "html") != NULL)
		return false;
	if ((o = json_loadb(body, len, JSON_DECODE_ANY, &jerr)) == NULL)
		return false;
	json_decref(o);
	return true;
}

int
rs_json_scalar(const json_t *v, struct buf *b)
{
	char num[64];
	int r;

	switch (json_typeof(v)) {
	case JSON_NULL:
		return 1;
	case JSON_STRING:
		r = buf_add(b, json_string_value(v), json_string_length(v));
		return r < 0 ? r : 1;
	case JSON_TRUE:
		r = buf_addstr(b, "true");
		return r < 0 ? r : 1;
	case JSON_FALSE:
		r = buf_addstr(b, "false");
		return r < 0 ? r : 1;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		r = buf_addstr(b, num);
		return r < 0 ? r : 1;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		r = buf_addstr(b, num);
		return r < 0 ? r : 1;
	default:
		return 0;
	}
}

static const char *
rs_json_renamed(const struct rs_json_rename *ren, const char *key)
{
	for (; ren != NULL && ren->from != NULL; ren++)
		if (strcmp(ren->from, key) == 0)
			return ren->to;
	return key;
}

static bool
rs_json_lifted(const char *const *lift, const char *key)
{
	for (; lift != NULL && *lift != NULL; lift++)
		if (strcmp(*lift, key) == 0)
			return true;
	return false;
}

/* An array of scalars as "a,b,c"; 1 done, 0 not such an array, or < 0. */
static int
rs_json_csv(const json_t *a, struct buf *b)
{
	const json_t *v;
	size_t i;
	int r;

	json_array_foreach(a, i, v) {
		if (json_is_object(v) || json_is_array(v) || json_is_null(v))
			return 0;
		if (i > 0 && (r = buf_addc(b, ',')) < 0)
			return r;
		if ((r = rs_json_scalar(v, b)) < 0)
			return r;
	}
	return 1;
}

static int
rs_json_flatten1(json_t *o, const char *const *lift,
    const struct rs_json_rename *ren, struct rs_record *r, int depth)
{
	const char *key;
	json_t *v;
	struct buf b;
	int rc = 0, k;

	json_object_foreach(o, key, v) {
		if (json_is_object(v)) {
			if (depth == 0 && rs_json_lifted(lift, key) &&
			    (rc = rs_json_flatten1(v, lift, ren, r, 1)) < 0)
				return rc;
			continue;
		}
		if (!http_field_name_ok(rs_json_renamed(ren, key)))
			continue;	/* a name we could never write back */
		buf_init(&b, RS_FIELD_VALUE_MAX);
		if (json_is_array(v))
			k = rs_json_csv(v, &b);
		else
			k = rs_json_scalar(v, &b);
		if (k < 0) {
			rc = k;
		} else if (k > 0) {
			rc = rs_record_set(r, rs_json_renamed(ren, key),
			    buf_str(&b));
		}
		buf_fini(&b);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
rs_json_flatten(json_t *o, const char *const *lift,
    const struct rs_json_rename *ren, struct rs_record *r)
{
	if (!json_is_object(o))
		return -ADSYNC_EPROTO;
	return rs_json_flatten1(o, lift, ren, r, 0);
}
