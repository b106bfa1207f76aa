/*
 * Records: an API object as (name, value) string pairs in insertion order,
 * and arrays of records for index results. Small (a mailbox has about 40
 * fields), so lookups are linear. Owned by one thread. Names and values
 * come from the API or the engine; limits are checked before allocating.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "target_internal.h"

void
rs_record_init(struct rs_record *r)
{
	r->v = NULL;
	r->n = 0;
	r->cap = 0;
}

void
rs_record_fini(struct rs_record *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].value);
	}
	free(r->v);
	rs_record_init(r);
}

static struct rs_field *
rs_record_find(const struct rs_record *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0)
			return &r->v[i];
	return NULL;
}

int
rs_record_set(struct rs_record *r, const char *name, const char *value)
{
	struct rs_field *f, *nv;
	char *dup;
	size_t vlen, ncap;

	if (value == NULL)
		value = "";
	if (!http_field_name_ok(name))
		return -ADSYNC_EPARSE;
	vlen = strlen(value);
	if (vlen > RS_FIELD_VALUE_MAX)
		return -ADSYNC_ETOOBIG;
	if ((dup = strdup(value)) == NULL)
		return -ENOMEM;
	if ((f = rs_record_find(r, name)) != NULL) {
		free(f->value);
		f->value = dup;
		return 0;
	}
	if (r->n >= RS_RECORD_MAX_FIELDS) {
		free(dup);
		return -ADSYNC_ETOOBIG;
	}
	if (r->n == r->cap) {
		ncap = r->cap ? r->cap * 2 : 16;
		nv = reallocarray(r->v, ncap, sizeof(*nv));
		if (nv == NULL) {
			free(dup);
			return -ENOMEM;
		}
		r->v = nv;
		r->cap = ncap;
	}
	if ((r->v[r->n].name = strdup(name)) == NULL) {
		free(dup);
		return -ENOMEM;
	}
	r->v[r->n].value = dup;
	r->n++;
	return 0;
}

const char *
rs_record_get(const struct rs_record *r, const char *name)
{
	const struct rs_field *f = rs_record_find(r, name);

	return f != NULL ? f->value : NULL;
}

void
rs_record_del(struct rs_record *r, const char *name)
{
	struct rs_field *f = rs_record_find(r, name);
	size_t i;

	if (f == NULL)
		return;
	i = (size_t)(f - r->v);
	free(f->name);
	free(f->value);
	memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof(*r->v));
	r->n--;
}

int
rs_record_copy(struct rs_record *dst, const struct rs_record *src)
{
	size_t i;
	int rc;

	for (i = 0; i < src->n; i++) {
		if ((rc = rs_record_set(dst, src->v[i].name,
		    src->v[i].value)) < 0) {
			rs_record_fini(dst);
			return rc;
		}
	}
	return 0;
}

void
rs_records_init(struct rs_records *rs)
{
	rs->v = NULL;
	rs->n = 0;
	rs->cap = 0;
}

void
rs_records_fini(struct rs_records *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		rs_record_fini(&rs->v[i]);
	free(rs->v);
	rs_records_init(rs);
}

struct rs_record *
rs_records_add(struct rs_records *rs, int *errp)
{
	struct rs_record *nv;
	size_t ncap;

	if (rs->n >= RS_RECORDS_MAX) {
		if (errp != NULL)
			*errp = -ADSYNC_ETOOBIG;
		return NULL;
	}
	if (rs->n == rs->cap) {
		ncap = rs->cap ? rs->cap * 2 : 64;
		nv = reallocarray(rs->v, ncap, sizeof(*nv));
		if (nv == NULL) {
			if (errp != NULL)
				*errp = -ENOMEM;
			return NULL;
		}
		rs->v = nv;
		rs->cap = ncap;
	}
	rs_record_init(&rs->v[rs->n]);
	return &rs->v[rs->n++];
}
