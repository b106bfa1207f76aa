/*
 * Lists of strings: members of aliases and distribution lists, alternate
 * addresses, and the comma-separated values the API uses for them
 * (aliasEmails, emailForwardingAddresses). Owned by one thread; input may
 * come from the API and is bounded (RS_FIELD_VALUE_MAX per item, at most
 * RS_RECORDS_MAX items).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "target_internal.h"

void
rs_strlist_init(struct rs_strlist *l)
{
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

void
rs_strlist_fini(struct rs_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	rs_strlist_init(l);
}

static int
rs_strlist_addn(struct rs_strlist *l, const char *s, size_t len)
{
	char **nv;
	size_t ncap;

	if (len > RS_FIELD_VALUE_MAX || l->n >= RS_RECORDS_MAX)
		return -ADSYNC_ETOOBIG;
	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 8;
		if ((nv = reallocarray(l->v, ncap, sizeof(*nv))) == NULL)
			return -ENOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	if ((l->v[l->n] = strndup(s, len)) == NULL)
		return -ENOMEM;
	l->n++;
	return 0;
}

int
rs_strlist_add(struct rs_strlist *l, const char *s)
{
	return rs_strlist_addn(l, s, strlen(s));
}

bool
rs_strlist_has(const struct rs_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return true;
	return false;
}

int
rs_strlist_add_new(struct rs_strlist *l, const char *s)
{
	if (rs_strlist_has(l, s))
		return 0;
	return rs_strlist_add(l, s);
}

/*
 * A set of borrowed strings compared without regard to case, for the
 * many-at-once operations below: checking each of 3,000 members against
 * a 3,000-member list one by one is 4.5 million comparisons.
 */
struct rs_strset {
	const char **slot;	/* NULL = empty; open addressing */
	size_t mask;
};

static size_t
rs_strset_hash(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
		h *= 1099511628211ULL;
	}
	return h;
}

static int
rs_strset_init(struct rs_strset *set, size_t n)
{
	size_t cap = 16;

	while (cap < n * 2)
		cap *= 2;
	if ((set->slot = calloc(cap, sizeof(*set->slot))) == NULL)
		return -ENOMEM;
	set->mask = cap - 1;
	return 0;
}

/* Adds `s` (borrowed); false when it was there already. */
static bool
rs_strset_add(struct rs_strset *set, const char *s)
{
	size_t i = rs_strset_hash(s) & set->mask;

	for (; set->slot[i] != NULL; i = (i + 1) & set->mask)
		if (strcasecmp(set->slot[i], s) == 0)
			return false;
	set->slot[i] = s;
	return true;
}

static bool
rs_strset_has(const struct rs_strset *set, const char *s)
{
	size_t i = rs_strset_hash(s) & set->mask;

	for (; set->slot[i] != NULL; i = (i + 1) & set->mask)
		if (strcasecmp(set->slot[i], s) == 0)
			return true;
	return false;
}

int
rs_strlist_add_all_new(struct rs_strlist *l, const struct rs_strlist *add)
{
	struct rs_strset set;
	size_t i, n0 = l->n;
	int r = 0;

	if ((r = rs_strset_init(&set, l->n + add->n)) < 0)
		return r;
	for (i = 0; i < n0; i++)
		(void)rs_strset_add(&set, l->v[i]);
	for (i = 0; i < add->n && r == 0; i++)
		/* The set borrows add's string: l's copy may move. */
		if (rs_strset_add(&set, add->v[i]))
			r = rs_strlist_add(l, add->v[i]);
	free(set.slot);
	return r;
}

int
rs_strlist_remove_all(struct rs_strlist *l, const struct rs_strlist *rm)
{
	struct rs_strset set;
	size_t i, j;
	int r;

	if ((r = rs_strset_init(&set, rm->n)) < 0)
		return r;
	for (i = 0; i < rm->n; i++)
		(void)rs_strset_add(&set, rm->v[i]);
	for (i = j = 0; i < l->n; i++) {
		if (rs_strset_has(&set, l->v[i])) {
			free(l->v[i]);
			continue;
		}
		l->v[j++] = l->v[i];
	}
	l->n = j;
	free(set.slot);
	return 0;
}

void
rs_strlist_remove(struct rs_strlist *l, const char *s)
{
	size_t i, j;

	for (i = j = 0; i < l->n; i++) {
		if (strcasecmp(l->v[i], s) == 0) {
			free(l->v[i]);
			continue;
		}
		l->v[j++] = l->v[i];
	}
	l->n = j;
}

int
rs_strlist_from_csv(struct rs_strlist *l, const char *csv)
{
	const char *p = csv, *end, *a, *b;
	int r;

	while (*p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		for (a = p; a < end && (*a == ' ' || *a == '\t'); a++)
			;
		for (b = end; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--)
			;
		if (b > a && (r = rs_strlist_addn(l, a, (size_t)(b - a))) < 0) {
			rs_strlist_fini(l);
			return r;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

char *
rs_strlist_join(const struct rs_strlist *l)
{
	struct buf b;
	size_t i;

	buf_init(&b, (size_t)RS_RECORDS_MAX * 64);
	for (i = 0; i < l->n; i++) {
		if ((i > 0 && buf_addc(&b, ',') < 0) ||
		    buf_addstr(&b, l->v[i]) < 0)
			return NULL;
	}
	return buf_take(&b);
}
