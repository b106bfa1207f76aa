/*
 * What the service already holds, per (service, domain): the names of its
 * mailboxes (and, for Exchange, contacts and distribution lists). The
 * planner asks only about objects not yet in the state (adoption, "already
 * exists in another service", name collisions), so a steady-state cycle
 * loads nothing; the first cycle pays one index per resource and domain
 * (250 names a page). Engine thread; the API's answers are untrusted and
 * were decoded by src/target.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "log.h"
#include "sync_internal.h"
#include "xmalloc.h"

void
sync_inv_init(struct sync_inv *inv)
{
	memset(inv, 0, sizeof(*inv));
}

static void
sync_inv_domain_fini(struct sync_inv_domain *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	free(d->domain);
}

void
sync_inv_fini(struct sync_inv *inv)
{
	size_t i;

	for (i = 0; i < inv->n; i++)
		sync_inv_domain_fini(&inv->v[i]);
	free(inv->v);
	sync_inv_init(inv);
}

static char *
sync_inv_lower(const char *s)
{
	char *l = xstrdup(s);
	char *p;

	for (p = l; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return l;
}

static int
sync_inv_cmp(const void *a, const void *b)
{
	const struct sync_inv_name *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Appends the "name" of every record with kind `k`. */
static void
sync_inv_add(struct sync_inv_domain *d, const struct rs_records *recs,
    enum plan_kind k)
{
	const char *name;
	size_t i;

	d->v = xreallocarray(d->v, d->n + recs->n + 1, sizeof(*d->v));
	for (i = 0; i < recs->n; i++) {
		if ((name = rs_record_get(&recs->v[i], "name")) == NULL ||
		    name[0] == '\0')
			continue;
		d->v[d->n].name = sync_inv_lower(name);
		d->v[d->n].kind = k;
		d->n++;
	}
}

/*
 * Lists one resource of the domain. A domain that does not exist for the
 * service (404) holds nothing there: the planner's own domain check and
 * the create's error say the rest.
 */
static int
sync_inv_list(struct sync_engine *e, struct sync_inv_domain *d,
    enum plan_kind k, char *why, size_t whylen)
{
	struct rs_error err;
	struct rs_records recs;
	char msg[600];
	int r;

	rs_records_init(&recs);
	rs_error_clear(&err);
	if (d->service == PLAN_SVC_RS)
		r = rs_mailbox_list(e->rs, d->domain, NULL, &recs, &err);
	else if (k == PLAN_K_MAILBOX)
		r = ex_mailbox_list(e->rs, d->domain, NULL, &recs, &err);
	else if (k == PLAN_K_CONTACT)
		r = ex_contact_list(e->rs, d->domain, &recs, &err);
	else
		r = ex_dl_list(e->rs, d->domain, &recs, &err);
	e->inv.calls += err.attempts > 0 ? err.attempts : 1;
	if (r == -ADSYNC_ENOTFOUND) {
		log_info("domain %s has no %s service on the account",
		    d->domain, plan_service_name(d->service));
		r = 0;
	} else if (r < 0) {
		/* The index, the request and the reason: this becomes the
		 * run's error (the planner only knows whose lookup needed
		 * the index). */
		snprintf(why, whylen, "cannot list the %s of %s in %s (GET "
		    "/customers/%s/domains/%s/%s/%s): %s", k == PLAN_K_MAILBOX ?
		    "mailboxes" : k == PLAN_K_CONTACT ? "contacts" :
		    "distribution lists", d->domain, d->service == PLAN_SVC_EX ?
		    "Hosted Exchange" : "Rackspace Email",
		    rs_client_customer(e->rs), d->domain,
		    plan_service_name(d->service), k == PLAN_K_MAILBOX ?
		    "mailboxes" : k == PLAN_K_CONTACT ? "contacts" :
		    "distributionlists", rs_error_format(&err, msg,
		    sizeof(msg)));
	} else {
		sync_inv_add(d, &recs, k);
	}
	rs_records_fini(&recs);
	return r;
}

static int
sync_inv_load(struct sync_engine *e, enum plan_service s, const char *domain,
    struct sync_inv_domain **out, char *why, size_t whylen)
{
	struct sync_inv *inv = &e->inv;
	struct sync_inv_domain *d;
	size_t i;
	int r;

	for (i = 0; i < inv->n; i++)
		if (inv->v[i].service == s &&
		    strcasecmp(inv->v[i].domain, domain) == 0) {
			*out = &inv->v[i];
			return 0;
		}
	if ((r = sync_engine_client(e, why, whylen)) < 0)
		return r;
	if (inv->n == inv->cap) {
		inv->cap = inv->cap == 0 ? 4 : inv->cap * 2;
		inv->v = xreallocarray(inv->v, inv->cap, sizeof(*inv->v));
	}
	d = &inv->v[inv->n];
	memset(d, 0, sizeof(*d));
	d->service = s;
	d->domain = sync_inv_lower(domain);
	if ((r = sync_inv_list(e, d, PLAN_K_MAILBOX, why, whylen)) < 0 ||
	    (s == PLAN_SVC_EX &&
	    ((r = sync_inv_list(e, d, PLAN_K_CONTACT, why, whylen)) < 0 ||
	    (r = sync_inv_list(e, d, PLAN_K_DL, why, whylen)) < 0))) {
		sync_inv_domain_fini(d);
		return r;
	}
	qsort(d->v, d->n, sizeof(*d->v), sync_inv_cmp);
	inv->n++;
	log_debug("inventory of %s %s: %zu names", plan_service_name(s),
	    d->domain, d->n);
	*out = d;
	return 0;
}

int
sync_inv_find(struct sync_engine *e, enum plan_service s, const char *domain,
    const char *name, enum plan_kind *kind, char *why, size_t whylen)
{
	struct sync_inv_domain *d;
	struct sync_inv_name key, *hit;
	int r;

	if ((r = sync_inv_load(e, s, domain, &d, why, whylen)) < 0)
		return r;
	key.name = sync_inv_lower(name);
	hit = bsearch(&key, d->v, d->n, sizeof(*d->v), sync_inv_cmp);
	free(key.name);
	if (hit == NULL)
		return 0;
	*kind = hit->kind;
	return 1;
}
