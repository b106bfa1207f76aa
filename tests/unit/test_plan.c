/*
 * Unit tests of the planner (src/plan, docs/plan.md):
 *  - goldens: tests/unit/golden/plan/NAME.in (an AD snapshot, state rows,
 *    the service's inventory and [sync] values, in plan_fixture.h's
 *    format) -> NAME.ok (plan_fmt_text) and NAME.json.ok (plan_fmt_json).
 *    Run with ADSYNC_UPDATE_GOLDENS=1 (or build update-goldens-plan) to
 *    rewrite them, then review the diff like code;
 *  - for every golden, the plan applied by the fake applier (which checks
 *    invariants: no password, no mailbox delete, no create of an existing
 *    name, ...) and planned again gives no op: plans converge;
 *  - the attribute table against a table written out here and against
 *    the fields rsemu accepts, and plan_map_fields' fallbacks;
 *  - names and addresses, source failures, the guard's boundaries, and
 *    that the plan does not depend on the order AD lists members in.
 * Runs under ASan/LeakSanitizer in the dev preset.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "emu_fields.h"
#include "err.h"
#include "plan.h"
#include "plan_fixture.h"
#include "plan_internal.h"

static const char *
srcdir(void)
{
	const char *d = getenv("ADSYNC_TEST_SRCDIR");

	return d != NULL ? d : ".";
}

static char *
read_all(const char *path, size_t *lenp)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (fp == NULL)
		return NULL;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = (len + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
		if (n == 0)
			break;
	}
	fclose(fp);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* plan_opts.resident_max of the builds below: test_goldens runs every
 * fixture with the default and with 1 (every object let go of and fetched
 * again at each step), which must give the same plans. */
static size_t resident_max;
/* ... and a third time streamed (plan_opts.sink): the ops handed to the
 * sink, put back with the removals the plan kept and sorted with
 * plan_op_order(), must be the same plan. */
static bool streamed;

struct spill {
	struct plan_op *v;
	size_t n;
};

static int
spill_sink(void *arg, struct plan_op *op)
{
	struct spill *sp = arg;

	sp->v = realloc(sp->v, (sp->n + 1) * sizeof(*sp->v));
	assert_non_null(sp->v);
	sp->v[sp->n++] = *op;	/* ownership moves here */
	return 0;
}

static int
spill_cmp(const void *a, const void *b)
{
	return plan_op_order(a, b);
}

/* Builds the plan of a loaded fixture. 0 and *p, or the code and `why`. */
static int
build(struct fixture *fx, struct plan **p, char *why, size_t whylen)
{
	struct plan_source src;
	struct plan_opts opts;
	struct spill sp = { NULL, 0 };
	size_t i;
	int r;

	fixture_source(fx, &src);
	fixture_opts(fx, &opts);
	opts.resident_max = resident_max;
	if (streamed) {
		opts.sink = spill_sink;
		opts.sink_arg = &sp;
	}
	*p = NULL;
	r = plan_build(&src, &opts, p, why, whylen);
	if (!streamed)
		return r;
	if (r < 0) {
		for (i = 0; i < sp.n; i++)
			plan_op_fini(&sp.v[i]);
		free(sp.v);
		return r;
	}
	/* The plan holds removals only; with the sink's ops it is whole. */
	for (i = 0; i < (*p)->nops; i++)
		assert_true((*p)->ops[i].removal);
	assert_int_equal((*p)->nspilled, sp.n);
	sp.v = realloc(sp.v, (sp.n + (*p)->nops + 1) * sizeof(*sp.v));
	assert_non_null(sp.v);
	if ((*p)->nops > 0)
		memcpy(sp.v + sp.n, (*p)->ops, (*p)->nops * sizeof(*sp.v));
	sp.n += (*p)->nops;
	qsort(sp.v, sp.n, sizeof(*sp.v), spill_cmp);
	free((*p)->ops);
	(*p)->ops = sp.v;
	(*p)->nops = (*p)->ops_cap = sp.n;
	(*p)->nspilled = 0;
	return r;
}

static void
load_or_fail(struct fixture *fx, const char *text, const char *name)
{
	char err[512];

	fixture_init(fx);
	if (fixture_load(fx, text, err, sizeof(err)) < 0)
		fail_msg("%s: %s", name, err);
}

/* Every field rsemu's tables accept on write for (s, k); DL: ours. */
static bool
emu_accepts(enum plan_service s, enum plan_kind k, const char *field)
{
	const struct emu_field *tab, *f;

	if (k == PLAN_K_DL)
		return strcmp(field, "displayName") == 0;
	tab = k == PLAN_K_CONTACT ? emu_fields_contact : s == PLAN_SVC_EX ?
	    emu_fields_ex_mbx : emu_fields_rs_mbx;
	f = emu_fields_find(tab, field);
	return f != NULL && strcmp(f->name, field) == 0 &&
	    (f->flags & EMU_F_READONLY) == 0;
}

/*
 * Checks that hold for every plan, then the convergence property: the
 * plan applied, then planned again, has no op left (held removals stay
 * held, and alerts stay: they need a person).
 */
static void
check_plan(struct fixture *fx, const struct plan *p, const char *name)
{
	struct plan *p2 = NULL;
	char err[2048], text[4096];
	size_t i, j;
	unsigned round;
	FILE *fp;
	char *buf = NULL;
	size_t len = 0;

	for (i = 0; i < p->nops; i++)
		for (j = 0; j < p->ops[i].fields.n; j++)
			if (!emu_accepts(p->ops[i].service, p->ops[i].kind,
			    p->ops[i].fields.v[j].name))
				fail_msg("%s: field %s of a %s/%s op is not "
				    "accepted by rsemu", name,
				    p->ops[i].fields.v[j].name,
				    plan_service_name(p->ops[i].service),
				    plan_kind_name(p->ops[i].kind));
	/* SECURITY: nothing printed may carry a password. */
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	plan_fmt_text(p, fp);
	plan_fmt_json(p, fp);
	fclose(fp);
	if (strstr(buf, "\"password\"") != NULL ||
	    strstr(buf, "password:") != NULL)
		fail_msg("%s: a password field in the printed plan", name);
	free(buf);
	if (fixture_apply(fx, p, err, sizeof(err)) < 0)
		fail_msg("%s: applying: %s", name, err);
	/* Some changes settle in two plans on purpose (an address is taken
	 * over only once its old mailbox is out of scope): [conf] rounds. */
	for (round = 1; round < fx->rounds; round++) {
		if (build(fx, &p2, text, sizeof(text)) < 0)
			fail_msg("%s: plan %u: %s", name, round + 1, text);
		if (fixture_apply(fx, p2, err, sizeof(err)) < 0)
			fail_msg("%s: applying plan %u: %s", name, round + 1,
			    err);
		plan_free(p2);
	}
	if (build(fx, &p2, text, sizeof(text)) < 0)
		fail_msg("%s: second plan: %s", name, text);
	if (p2->nops != 0) {
		buf = NULL;
		fp = open_memstream(&buf, &len);
		plan_fmt_text(p2, fp);
		fclose(fp);
		fail_msg("%s: the applied plan does not converge; second "
		    "plan:\n%s", name, buf);
	}
	assert_int_equal(p2->nheld, p->nheld);
	plan_free(p2);
}

/* The golden outputs (text, JSON lines) of one fixture. */
static void
golden_output(const char *text, const char *name, char **out_text,
    char **out_json)
{
	struct fixture fx;
	struct plan *p = NULL;
	char why[2048];
	FILE *ft, *fj;
	json_t *j;
	size_t lt = 0, lj = 0;
	int r;

	load_or_fail(&fx, text, name);
	*out_text = NULL;
	*out_json = NULL;
	ft = open_memstream(out_text, &lt);
	fj = open_memstream(out_json, &lj);
	assert_non_null(ft);
	assert_non_null(fj);
	fputs(fixture_log(&fx), ft);
	if ((r = build(&fx, &p, why, sizeof(why))) < 0) {
		assert_null(p);
		fprintf(ft, "error: %s: %s\n", adsync_strerror(r), why);
		j = json_pack("{s:s, s:s}", "error", adsync_strerror(r), "why",
		    why);
		assert_non_null(j);
		json_dumpf(j, fj, JSON_COMPACT);
		fputc('\n', fj);
		json_decref(j);
	} else {
		plan_fmt_text(p, ft);
		plan_fmt_json(p, fj);
	}
	fclose(ft);
	fclose(fj);
	if (p != NULL)
		check_plan(&fx, p, name);
	plan_free(p);
	fixture_fini(&fx);
}

static int
golden_compare(const char *path, const char *got, bool update)
{
	char *want;
	FILE *fp;
	int bad = 0;

	if (update) {
		fp = fopen(path, "w");
		assert_non_null(fp);
		fputs(got, fp);
		fclose(fp);
		print_message("updated %s\n", path);
		return 0;
	}
	if ((want = read_all(path, NULL)) == NULL) {
		print_error("%s: missing; run with ADSYNC_UPDATE_GOLDENS=1\n",
		    path);
		return 1;
	}
	if (strcmp(want, got) != 0) {
		print_error("%s differs; got:\n%s---\n", path, got);
		bad = 1;
	}
	free(want);
	return bad;
}

static void
test_goldens(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], *names[256];
	const char *upd = getenv("ADSYNC_UPDATE_GOLDENS");
	bool update = upd != NULL && strcmp(upd, "1") == 0;
	char *text, *got_text, *got_json;
	struct dirent *de;
	size_t n = 0, i, nl;
	DIR *dp;
	int bad = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tests/unit/golden/plan", srcdir());
	dp = opendir(dir);
	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL) {
		nl = strlen(de->d_name);
		if (nl > 3 && strcmp(de->d_name + nl - 3, ".in") == 0 &&
		    n < sizeof(names) / sizeof(names[0]))
			names[n++] = strdup(de->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n * 3; i++) {
		/* Three times: objects held; fetched again at every step;
		 * streamed (the same goldens; the update writes them once). */
		resident_max = i >= n && i < 2 * n ? 1 : 0;
		streamed = i >= 2 * n;
		if (i >= n && update)
			break;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i % n]);
		text = read_all(path, NULL);
		assert_non_null(text);
		golden_output(text, names[i % n], &got_text, &got_json);
		nl = strlen(names[i % n]) - 3;
		snprintf(path, sizeof(path), "%s/%.*s.ok", dir, (int)nl,
		    names[i % n]);
		bad += golden_compare(path, got_text, update);
		snprintf(path, sizeof(path), "%s/%.*s.json.ok", dir, (int)nl,
		    names[i % n]);
		bad += golden_compare(path, got_json, update);
		free(got_text);
		free(got_json);
		free(text);
	}
	resident_max = 0;
	streamed = false;
	for (i = 0; i < n; i++)
		free(names[i]);
	assert_int_equal(bad, 0);
	assert_true(n >= 20);
}

/* ---- focused plans (the daemon's change cycles) ---------------------- */

static int
guid_cmp(const void *a, const void *b)
{
	return memcmp(((const struct obj_guid *)a)->b,
	    ((const struct obj_guid *)b)->b, 16);
}

static bool
in_set(const struct obj_guid *g, const struct obj_guid *v, size_t n)
{
	return bsearch(g, v, n, sizeof(*v), guid_cmp) != NULL;
}

/* The ops (held ones marked) and alerts of `p` about objects of `v`, one
 * JSON text per line, sorted: comparable between two plans. */
static char *
focus_lines(const struct plan *p, const struct obj_guid *v, size_t n)
{
	char **lines = NULL, *s, *out;
	size_t nl = 0, i, len = 1;

	for (i = 0; i < p->nops + p->nheld; i++) {
		const struct plan_op *op = i < p->nops ? &p->ops[i] :
		    &p->held_ops[i - p->nops];
		json_t *j;

		if (!in_set(&op->anchor, v, n))
			continue;
		j = plan_op_json(op, i >= p->nops);
		lines = realloc(lines, (nl + 1) * sizeof(*lines));
		lines[nl++] = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(j);
	}
	for (i = 0; i < p->nalerts; i++) {
		if (!in_set(&p->alerts[i].anchor, v, n))
			continue;
		lines = realloc(lines, (nl + 1) * sizeof(*lines));
		lines[nl++] = strdup(p->alerts[i].message);
	}
	qsort(lines, nl, sizeof(*lines), name_cmp);
	for (i = 0; i < nl; i++)
		len += strlen(lines[i]) + 1;
	out = calloc(1, len);
	for (i = 0, s = out; i < nl; i++) {
		s = stpcpy(s, lines[i]);
		*s++ = '\n';
		free(lines[i]);
	}
	free(lines);
	return out;
}

/*
 * For every golden fixture whose changes after [apply] touch users and
 * contacts only (what a focused plan is for): the plan focused on the
 * changed objects has exactly the full plan's ops and alerts about them,
 * and nothing else; or it says "plan in full" (-ADSYNC_ERESYNC).
 */
static void
test_focus_equals_full(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], why[2048], *text;
	struct obj_guid focus[64];
	struct plan_source src;
	struct plan_opts opts;
	struct plan *full, *part;
	struct fixture fx;
	struct dirent *de;
	size_t nf, i, nl, compared = 0, fallbacks = 0;
	bool ok;
	DIR *dp;
	int r;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tests/unit/golden/plan", srcdir());
	assert_non_null(dp = opendir(dir));
	while ((de = readdir(dp)) != NULL) {
		nl = strlen(de->d_name);
		if (nl <= 3 || strcmp(de->d_name + nl - 3, ".in") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_non_null(text = read_all(path, NULL));
		load_or_fail(&fx, text, de->d_name);
		ok = fx.applied && !fx.added_late;
		nf = 0;
		for (i = 0; ok && i < fx.nobjs; i++) {
			if (!fx.objs[i].modified)
				continue;
			if (fx.objs[i].o->deleted || nf == 64 ||
			    (fx.objs[i].o->kind != OBJ_USER &&
			    fx.objs[i].o->kind != OBJ_CONTACT))
				ok = false;
			else
				focus[nf++] = fx.objs[i].o->guid;
		}
		if (!ok || nf == 0) {
			if (getenv("ADSYNC_FOCUS_DEBUG") != NULL)
				print_message("%s: not focused (applied %d, "
				    "late %d, nf %zu, ok %d)\n", de->d_name,
				    fx.applied, fx.added_late, nf, ok);
			fixture_fini(&fx);
			free(text);
			continue;
		}
		qsort(focus, nf, sizeof(focus[0]), guid_cmp);
		assert_int_equal(build(&fx, &full, why, sizeof(why)), 0);
		fixture_source(&fx, &src);
		fixture_opts(&fx, &opts);
		opts.focus = focus;
		opts.nfocus = nf;
		part = NULL;
		r = plan_build(&src, &opts, &part, why, sizeof(why));
		if (r == -ADSYNC_ERESYNC) {
			print_message("%s: in full: %s\n", de->d_name, why);
			fallbacks++;
		} else {
			char *a, *b;

			if (r != 0)
				fail_msg("%s: focused plan failed: %s",
				    de->d_name, why);
			a = focus_lines(full, focus, nf);
			b = focus_lines(part, focus, nf);
			if (strcmp(a, b) != 0)
				fail_msg("%s: the focused plan differs:\n"
				    "full:\n%s\nfocused:\n%s", de->d_name, a, b);
			/* Nothing about other objects. */
			for (i = 0; i < part->nops; i++)
				assert_true(in_set(&part->ops[i].anchor, focus,
				    nf));
			free(a);
			free(b);
			compared++;
		}
		plan_free(full);
		plan_free(part);
		fixture_fini(&fx);
		free(text);
	}
	closedir(dp);
	/* Enough of the goldens qualify for this to prove something. */
	print_message("focused: %zu compared, %zu planned in full\n",
	    compared, fallbacks);
	assert_true(compared >= 3);
}

/* ---- the attribute table ---------------------------------------------- */

/* The seed's list and rackspace-api.md §9.8, written out again so that a
 * change to plan_map.c has to be made twice on purpose. */
static const struct {
	const char *ad, *rs, *ex, *contact;
} map_expect[] = {
	{ "mail", NULL, NULL, "externalEmail" },
	{ "displayName", "displayName", "displayName", "displayName" },
	{ "sn", "lastName", "lastName", "lastName" },
	{ "givenName", "firstName", "firstName", "firstName" },
	{ "generationQualifier", "generationQualifier", NULL, NULL },
	{ "initials", "initials", NULL, NULL },
	{ "o", "organizationUnit", NULL, NULL },
	{ "telephoneNumber", "businessNumber", "businessNumber",
	    "businessNumber" },
	{ "pager", "pagerNumber", "pagerNumber", "pagerNumber" },
	{ "homePhone", "homeNumber", "homeNumber", "homeNumber" },
	{ "mobile", "mobileNumber", "mobileNumber", "mobileNumber" },
	{ "facsimileTelephoneNumber", "faxNumber", "faxNumber", "faxNumber" },
	{ "otherFacsimileTelephoneNumber", "homeFaxNumber", NULL, NULL },
	{ "streetAddress", "businessStreet", "addressLine1", "addressLine1" },
	{ "l", "businessCity", "city", "city" },
	{ "st", "businessState", "state", "state" },
	{ "postalCode", "businessPostalCode", "zip", "zip" },
	{ "co", "businessCountry", "country", "country" },
	{ "title", "title", "jobTitle", "jobTitle" },
	{ "employeeID", "userID", NULL, NULL },
	{ "employeeType", "employeeType", NULL, NULL },
	{ "company", NULL, "company", "company" },
	{ "department", NULL, "department", "department" },
	{ "physicalDeliveryOfficeName", NULL, NULL, NULL },
};

static struct obj *
mkobj(enum obj_kind k, ...)
{
	struct obj *o = obj_new();
	const char *name, *v;
	va_list ap;
	int a;

	o->kind = k;
	assert_int_equal(obj_dn_set(o, "CN=T,DC=example,DC=test", 23), 0);
	va_start(ap, k);
	while ((name = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		a = obj_attr_lookup(name, strlen(name));
		assert_true(a >= 0);
		assert_int_equal(obj_value_add(o, (enum obj_attr)a, v,
		    strlen(v)), 0);
	}
	va_end(ap);
	return o;
}

/* The field of `r` whose value is `v`, or NULL; fails on two. */
static const char *
field_with(const struct rs_record *r, const char *v)
{
	const char *found = NULL;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].value, v) == 0) {
			assert_null(found);
			found = r->v[i].name;
		}
	return found;
}

static void
check_column(const struct obj *o, enum plan_service s, enum plan_kind k,
    const char *value, const char *want)
{
	struct rs_record r;
	const char *got;

	rs_record_init(&r);
	assert_int_equal(plan_map_fields(o, s, k, &r), 0);
	got = field_with(&r, value);
	if (want == NULL && got != NULL)
		fail_msg("%s: mapped to %s for %s/%s, expected nothing", value,
		    got, plan_service_name(s), plan_kind_name(k));
	if (want != NULL && (got == NULL || strcmp(got, want) != 0))
		fail_msg("%s: mapped to %s for %s/%s, expected %s", value,
		    got != NULL ? got : "nothing", plan_service_name(s),
		    plan_kind_name(k), want);
	if (want != NULL)
		assert_true(emu_accepts(s, k, want));
	/* Never the write-only and special fields. */
	assert_null(rs_record_get(&r, "password"));
	assert_null(rs_record_get(&r, "enabled"));
	assert_null(rs_record_get(&r, "size"));
	rs_record_fini(&r);
}

static void
test_map_table(void **state)
{
	char value[128];
	struct obj *o;
	size_t i, n = sizeof(map_expect) / sizeof(map_expect[0]);

	(void)state;
	assert_int_equal(plan_map_n, n);
	for (i = 0; i < n; i++) {
		assert_string_equal(obj_attr_desc(plan_map[i].attr)->ldap,
		    map_expect[i].ad);
		/* A value that is an address, for mail's sake. */
		snprintf(value, sizeof(value), "v-%s@x.example",
		    map_expect[i].ad);
		o = mkobj(OBJ_USER, "cn", "Cn", map_expect[i].ad, value,
		    (const char *)NULL);
		check_column(o, PLAN_SVC_RS, PLAN_K_MAILBOX, value,
		    map_expect[i].rs);
		check_column(o, PLAN_SVC_EX, PLAN_K_MAILBOX, value,
		    map_expect[i].ex);
		o->kind = OBJ_CONTACT;
		check_column(o, PLAN_SVC_EX, PLAN_K_CONTACT, value,
		    map_expect[i].contact);
		obj_free(o);
	}
}

/* Every mapped field is set ("" when absent) so that clearing an
 * attribute in AD clears the field. */
static void
test_map_all_fields_present(void **state)
{
	struct rs_record r;
	struct obj *o = mkobj(OBJ_USER, "cn", "Cn", (const char *)NULL);
	size_t i;

	(void)state;
	rs_record_init(&r);
	assert_int_equal(plan_map_fields(o, PLAN_SVC_RS, PLAN_K_MAILBOX, &r),
	    0);
	for (i = 0; i < plan_map_n; i++)
		if (plan_map[i].rs_mailbox != NULL)
			assert_string_equal(rs_record_get(&r,
			    plan_map[i].rs_mailbox), "");
	/* Rackspace Email does not require a display name: no fallback. */
	assert_string_equal(rs_record_get(&r, "displayName"), "");
	rs_record_fini(&r);
	obj_free(o);
}

static void
check_display(struct obj *o, enum plan_service s, enum plan_kind k,
    const char *want)
{
	struct rs_record r;

	rs_record_init(&r);
	assert_int_equal(plan_map_fields(o, s, k, &r), 0);
	assert_string_equal(rs_record_get(&r, "displayName"), want);
	rs_record_fini(&r);
	obj_free(o);
}

static void
test_map_display_fallback(void **state)
{
	(void)state;
	check_display(mkobj(OBJ_USER, "displayName", "Alice A.", "cn", "alice",
	    (const char *)NULL), PLAN_SVC_EX, PLAN_K_MAILBOX, "Alice A.");
	check_display(mkobj(OBJ_USER, "cn", "Alice Smith", "givenName",
	    "Alice", (const char *)NULL), PLAN_SVC_EX, PLAN_K_MAILBOX,
	    "Alice Smith");
	check_display(mkobj(OBJ_USER, "givenName", "Alice", "sn", "Smith",
	    (const char *)NULL), PLAN_SVC_EX, PLAN_K_MAILBOX, "Alice Smith");
	check_display(mkobj(OBJ_USER, "sn", "Smith", (const char *)NULL),
	    PLAN_SVC_EX, PLAN_K_MAILBOX, "Smith");
	check_display(mkobj(OBJ_USER, "mail", "a.smith@example.com",
	    (const char *)NULL), PLAN_SVC_EX, PLAN_K_MAILBOX, "a.smith");
	check_display(mkobj(OBJ_CONTACT, "cn", "Partner",
	    (const char *)NULL), PLAN_SVC_EX, PLAN_K_CONTACT, "Partner");
	check_display(mkobj(OBJ_GROUP, "cn", "Sales", (const char *)NULL),
	    PLAN_SVC_EX, PLAN_K_DL, "Sales");
	check_display(mkobj(OBJ_USER, "cn", "Alice", (const char *)NULL),
	    PLAN_SVC_RS, PLAN_K_MAILBOX, "");
}

static void
test_map_dl_and_invalid(void **state)
{
	struct obj *o = mkobj(OBJ_GROUP, "displayName", "Sales Team", "mail",
	    "sales@example.com", "title", "x", (const char *)NULL);
	struct rs_record r;

	(void)state;
	rs_record_init(&r);
	assert_int_equal(plan_map_fields(o, PLAN_SVC_EX, PLAN_K_DL, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(rs_record_get(&r, "displayName"), "Sales Team");
	rs_record_fini(&r);
	assert_int_equal(plan_map_fields(o, PLAN_SVC_RS, PLAN_K_DL, &r),
	    -EINVAL);
	assert_int_equal(plan_map_fields(o, PLAN_SVC_RS, PLAN_K_CONTACT, &r),
	    -EINVAL);
	assert_int_equal(plan_map_fields(NULL, PLAN_SVC_EX, PLAN_K_MAILBOX,
	    &r), -EINVAL);
	assert_int_equal(r.n, 0);
	obj_free(o);
}

/* ---- names, helpers ----------------------------------------------------- */

static void
test_names(void **state)
{
	static const char *const ops[] = { "create", "adopt", "update",
	    "enable", "disable", "delete", "address-add", "address-remove",
	    "members-add", "members-remove" };
	size_t i;

	(void)state;
	for (i = 0; i < PLAN_OP_COUNT; i++)
		assert_string_equal(plan_opkind_name(i), ops[i]);
	assert_string_equal(plan_opkind_name(PLAN_OP_COUNT), "?");
	assert_string_equal(plan_service_name(PLAN_SVC_EX), "ex");
	assert_string_equal(plan_service_name(PLAN_SVC_RS), "rs");
	assert_string_equal(plan_kind_name(PLAN_K_DL), "dl");
	plan_free(NULL);
	plan_row_fini(NULL);
}

static void
test_addr(void **state)
{
	/* 64 and 65 characters */
#define L64 "x234567890123456789012345678901234567890123456789012345678901234"
	static const char *const good[] = { "a", "john.smith", "o'neil",
	    "a+b", "a_b-c", "A1", L64 };
	static const char *const bad[] = { "", ".a", "a.", "a..b", "a b",
	    "a@b", "é", "a/b", "a%b", L64 "5" };
#undef L64
	char *n = NULL, *d = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(plan_addr_name_ok(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(plan_addr_name_ok(bad[i], strlen(bad[i])));
	assert_int_equal(plan_addr_split("John.Smith@Example.COM", &n, &d), 1);
	assert_string_equal(n, "john.smith");
	assert_string_equal(d, "example.com");
	free(n);
	free(d);
	assert_int_equal(plan_addr_split("john", &n, &d), 0);
	assert_int_equal(plan_addr_split("john@", &n, &d), 0);
	assert_int_equal(plan_addr_split("@example.com", &n, &d), 0);
	assert_int_equal(plan_addr_split("a@b@example.com", &n, &d), 0);
	assert_int_equal(plan_addr_split("a@exa mple.com", &n, &d), 0);
	assert_true(plan_addr_external_ok("bob@partner.org"));
	assert_false(plan_addr_external_ok("bob"));
	assert_false(plan_addr_external_ok("bob@"));
	assert_false(plan_addr_external_ok("b ob@partner.org"));
	assert_false(plan_addr_external_ok("a@b@c"));
}

/* SECURITY: the plan refuses a password field at the one place fields
 * enter an op. */
static void
test_no_password_field(void **state)
{
	struct plan_op op;

	(void)state;
	memset(&op, 0, sizeof(op));
	rs_record_init(&op.fields);
	rs_strlist_init(&op.values);
	assert_int_equal(plan_op_field(&op, "password", "", "Secret1!"),
	    -EINVAL);
	assert_int_equal(op.fields.n, 0);
	assert_int_equal(plan_op_field(&op, "firstName", "", "A"), 0);
	assert_int_equal(op.nchanges, 1);
	plan_op_fini(&op);
}

/* ---- built fixtures ----------------------------------------------------- */

static const char small_org[] =
    "[conf]\n"
    "domains = example.com example.net\n"
    "[ad]\n"
    "dn: CN=Hosted Exchange Users,OU=Groups,DC=example,DC=test\n"
    "objectClass: group\n"
    "member: CN=Alice,OU=Users,DC=example,DC=test\n"
    "member: CN=Bob,OU=Users,DC=example,DC=test\n"
    "member: CN=Partner,OU=Contacts,DC=example,DC=test\n"
    "member: CN=Sales,OU=Groups,DC=example,DC=test\n"
    "\n"
    "dn: CN=Rackspace Email Users,OU=Groups,DC=example,DC=test\n"
    "objectClass: group\n"
    "member: CN=Carol,OU=Users,DC=example,DC=test\n"
    "\n"
    "dn: CN=Alice,OU=Users,DC=example,DC=test\n"
    "objectClass: user\n"
    "mail: alice@example.com\n"
    "\n"
    "dn: CN=Bob,OU=Users,DC=example,DC=test\n"
    "objectClass: user\n"
    "mail: bob@example.com\n"
    "\n"
    "dn: CN=Carol,OU=Users,DC=example,DC=test\n"
    "objectClass: user\n"
    "mail: carol@example.net\n"
    "\n"
    "dn: CN=Partner,OU=Contacts,DC=example,DC=test\n"
    "objectClass: contact\n"
    "mail: partner@partner.org\n"
    "otherMailbox: example.com\n"
    "\n"
    "dn: CN=Sales,OU=Groups,DC=example,DC=test\n"
    "objectClass: group\n"
    "mail: sales@example.com\n"
    "member: CN=Alice,OU=Users,DC=example,DC=test\n"
    "member: CN=Carol,OU=Users,DC=example,DC=test\n"
    "[target]\n"
    "ex example.com mailbox bob\n"
    "[state]\n"
    "object: CN=Alice,OU=Users,DC=example,DC=test\n"
    "service: ex\n"
    "kind: mailbox\n"
    "address: alice@example.com\n";

/* A failing callback fails the build with its code, a sentence, and no
 * plan. */
static void
test_source_errors(void **state)
{
	static const char *const cbs[] = { "find_dn", "get", "row_get",
	    "row_each", "target_find" };
	static struct plan sentinel;
	struct fixture fx;
	struct plan *p;
	char why[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cbs) / sizeof(cbs[0]); i++) {
		load_or_fail(&fx, small_org, "small_org");
		fx.fail_cb = cbs[i];
		fx.fail_code = -EIO;
		why[0] = '\0';
		p = &sentinel;	/* must stay untouched */
		{
			struct plan_source src;
			struct plan_opts opts;

			fixture_source(&fx, &src);
			fixture_opts(&fx, &opts);
			assert_int_equal(plan_build(&src, &opts, &p, why,
			    sizeof(why)), -EIO);
		}
		assert_ptr_equal(p, &sentinel);
		if (why[0] == '\0')
			fail_msg("%s: no sentence", cbs[i]);
		fixture_fini(&fx);
	}
}

/* Each AD object is read once, however many roles it has. */
static void
test_fetch_once(void **state)
{
	struct fixture fx;
	struct plan *p;
	char why[1024];

	(void)state;
	load_or_fail(&fx, small_org, "small_org");
	assert_int_equal(build(&fx, &p, why, sizeof(why)), 0);
	assert_true(fx.gets <= fx.nobjs);
	assert_int_equal(p->counts.in_scope[PLAN_SVC_EX][PLAN_K_MAILBOX], 2);
	assert_int_equal(p->counts.in_scope[PLAN_SVC_EX][PLAN_K_CONTACT], 1);
	assert_int_equal(p->counts.in_scope[PLAN_SVC_EX][PLAN_K_DL], 1);
	assert_int_equal(p->counts.in_scope[PLAN_SVC_RS][PLAN_K_MAILBOX], 1);
	assert_int_equal(p->counts.synced, 1);
	assert_int_equal(p->counts.op[PLAN_OP_ADOPT], 1);
	plan_free(p);
	fixture_fini(&fx);
}

static char *
plan_text(const struct plan *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	plan_fmt_text(p, fp);
	plan_fmt_json(p, fp);
	fclose(fp);
	return buf;
}

/* The plan does not depend on the order AD lists members in. */
static void
test_member_order(void **state)
{
	struct fixture fx;
	struct fx_obj *g;
	struct plan *p1, *p2;
	char why[1024], *t1, *t2, *tmp;
	size_t i, j;
	bool tmpb;

	(void)state;
	load_or_fail(&fx, small_org, "small_org");
	assert_int_equal(build(&fx, &p1, why, sizeof(why)), 0);
	for (i = 0; i < fx.nobjs; i++) {
		g = &fx.objs[i];
		for (j = 0; j < g->nmembers / 2; j++) {
			tmp = g->members[j];
			g->members[j] = g->members[g->nmembers - 1 - j];
			g->members[g->nmembers - 1 - j] = tmp;
			tmpb = g->noguid[j];
			g->noguid[j] = g->noguid[g->nmembers - 1 - j];
			g->noguid[g->nmembers - 1 - j] = tmpb;
		}
	}
	assert_int_equal(build(&fx, &p2, why, sizeof(why)), 0);
	t1 = plan_text(p1);
	t2 = plan_text(p2);
	assert_string_equal(t1, t2);
	free(t1);
	free(t2);
	plan_free(p1);
	plan_free(p2);
	fixture_fini(&fx);
}

/*
 * The guard's boundaries: N synced users of which R leave. Held exactly
 * when R > max_deletes or R * 100 > max_delete_percent * N.
 */
static void
guard_case(unsigned n, unsigned leave, unsigned max, unsigned pct,
    bool allow, bool held)
{
	struct fixture fx;
	struct plan *p;
	char why[1024], *text, line[256];
	size_t len = 0, i;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	fprintf(fp, "[conf]\nmax_deletes = %u\nmax_delete_percent = %u\n"
	    "allow_deletes = %s\n[ad]\n"
	    "dn: CN=Hosted Exchange Users,OU=Groups,DC=example,DC=test\n"
	    "objectClass: group\n", max, pct, allow ? "true" : "false");
	for (i = 0; i < n; i++)
		fprintf(fp, "member: CN=U%zu,DC=example,DC=test\n", i);
	fprintf(fp, "\ndn: CN=Rackspace Email Users,OU=Groups,DC=example,"
	    "DC=test\nobjectClass: group\n");
	for (i = 0; i < n; i++)
		fprintf(fp, "\ndn: CN=U%zu,DC=example,DC=test\nobjectClass: "
		    "user\nmail: u%zu@example.com\n", i, i);
	fprintf(fp, "[apply]\n[modify]\ndn: CN=Hosted Exchange Users,"
	    "OU=Groups,DC=example,DC=test\n");
	for (i = 0; i < leave; i++)
		fprintf(fp, "member-: CN=U%zu,DC=example,DC=test\n", i);
	fclose(fp);
	load_or_fail(&fx, text, "guard");
	assert_int_equal(build(&fx, &p, why, sizeof(why)), 0);
	snprintf(line, sizeof(line), "n=%u leave=%u max=%u pct=%u allow=%d",
	    n, leave, max, pct, allow);
	if (p->held != held)
		fail_msg("%s: held=%d", line, p->held);
	assert_int_equal(p->counts.op[PLAN_OP_DISABLE], held ? 0 : leave);
	assert_int_equal(p->nheld, held ? leave : 0);
	assert_int_equal(p->counts.held, held ? leave : 0);
	assert_int_equal(p->counts.alerts[PLAN_ALERT_HELD], held ? 1 : 0);
	plan_free(p);
	fixture_fini(&fx);
	free(text);
}

static void
test_guard_boundaries(void **state)
{
	(void)state;
	guard_case(20, 2, 2, 100, false, false);	/* = max_deletes */
	guard_case(20, 3, 2, 100, false, true);		/* > max_deletes */
	guard_case(20, 2, 500, 10, false, false);	/* 10% of 20 */
	guard_case(20, 3, 500, 10, false, true);	/* 15% > 10% */
	guard_case(20, 3, 2, 10, true, false);		/* --allow-deletes */
	guard_case(20, 1, 0, 100, false, true);		/* max_deletes 0 */
	guard_case(20, 1, 500, 0, false, true);		/* percent 0 */
	guard_case(20, 0, 0, 0, false, false);		/* nothing leaves */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_no_password_field),
		cmocka_unit_test(test_map_table),
		cmocka_unit_test(test_map_all_fields_present),
		cmocka_unit_test(test_map_display_fallback),
		cmocka_unit_test(test_map_dl_and_invalid),
		cmocka_unit_test(test_source_errors),
		cmocka_unit_test(test_fetch_once),
		cmocka_unit_test(test_member_order),
		cmocka_unit_test(test_guard_boundaries),
		cmocka_unit_test(test_goldens),
		cmocka_unit_test(test_focus_equals_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
