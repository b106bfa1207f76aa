/*
 * Applying a plan: for each operation in the plan's order, journal it as
 * pending (durably), make the API call, then record the result and the new
 * state row in one transaction. A crash between the journal and the call
 * leaves a pending op that sync_recover.c reconciles; a crash after the
 * call but before the commit the same. Engine thread.
 *
 * Idempotence: the service may already be in the wanted state (a retry
 * after a crash, a change made by hand): a delete of something absent, an
 * address already there, a member already gone all count as success.
 * An object the service no longer has (deleted in the Control Panel) is
 * forgotten by the state, so the next cycle creates it again while the
 * user is in scope.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "secret.h"
#include "sync_internal.h"
#include "timing.h"
#include "xmalloc.h"

/* Length of the random password of a new mailbox. */
#define SYNC_NEW_PASSWORD_LEN 24

/* The seed's verbs ("Performed action 'Create' for user ..."). */
static const char *
sync_apply_verb(enum plan_opkind k)
{
	static const char *const verbs[PLAN_OP_COUNT] = {
		[PLAN_OP_CREATE] = "Create",
		[PLAN_OP_ADOPT] = "Adopt",
		[PLAN_OP_UPDATE] = "Update",
		[PLAN_OP_ENABLE] = "Enable",
		[PLAN_OP_DISABLE] = "Disable",
		[PLAN_OP_DELETE] = "Delete",
		[PLAN_OP_ADDRESS_ADD] = "Add alternate address",
		[PLAN_OP_ADDRESS_REMOVE] = "Remove alternate address",
		[PLAN_OP_MEMBERS_ADD] = "Add members",
		[PLAN_OP_MEMBERS_REMOVE] = "Remove members",
	};

	return (unsigned)k < PLAN_OP_COUNT ? verbs[k] : "?";
}

static const char *
sync_apply_noun(enum plan_kind k)
{
	return k == PLAN_K_MAILBOX ? "user" : k == PLAN_K_CONTACT ?
	    "contact" : "group";
}

static void
sync_report_add(struct sync_report *rep, enum plan_level level,
    const struct plan_op *op, const char *msg)
{
	struct plan_alert *a;

	rep->errors = xreallocarray(rep->errors, rep->nerrors + 1,
	    sizeof(*rep->errors));
	a = &rep->errors[rep->nerrors++];
	memset(a, 0, sizeof(*a));
	a->level = level;
	a->service = op->service;
	a->anchor = op->anchor;
	a->dn = xstrdup(op->dn != NULL ? op->dn : "");
	a->message = xstrdup(msg);
}

static void ATTR_PRINTF(4, 0)
sync_report_vadd(struct sync_report *rep, enum plan_level level,
    const struct plan_op *op, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	sync_report_add(rep, level, op, msg);
}

void
sync_report_error(struct sync_report *rep, const struct plan_op *op,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sync_report_vadd(rep, PLAN_ALERT_ERROR, op, fmt, ap);
	va_end(ap);
}

/* A warning about an op that was applied: not counted as an error. */
static void ATTR_PRINTF(3, 4)
sync_report_warning(struct sync_report *rep, const struct plan_op *op,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sync_report_vadd(rep, PLAN_ALERT_WARNING, op, fmt, ap);
	va_end(ap);
}

/* Mailbox ops, for either service. */
static int
sync_apply_mailbox(struct sync_engine *e, const struct plan_op *op,
    struct rs_error *err)
{
	bool ex = op->service == PLAN_SVC_EX;
	struct secret *pw;
	int r;

	switch (op->op) {
	case PLAN_OP_CREATE:
		/* SECURITY: the password exists only in this secret and in
		 * the request body, both wiped once the request is done. */
		if ((pw = sync_password_new(SYNC_NEW_PASSWORD_LEN)) == NULL)
			return -ENOMEM;
		r = ex ? ex_mailbox_add(e->rs, op->domain, op->name,
		    &op->fields, pw, err) : rs_mailbox_add(e->rs, op->domain,
		    op->name, &op->fields, pw, err);
		secret_free(pw);
		return r;
	case PLAN_OP_ADOPT:
	case PLAN_OP_UPDATE:
	case PLAN_OP_ENABLE:
	case PLAN_OP_DISABLE:
		if (op->fields.n == 0)
			return 0;
		return ex ? ex_mailbox_edit(e->rs, op->domain, op->name,
		    &op->fields, err) : rs_mailbox_edit(e->rs, op->domain,
		    op->name, &op->fields, err);
	case PLAN_OP_ADDRESS_ADD:
	case PLAN_OP_ADDRESS_REMOVE:
		if (!ex || op->values.n != 1)
			return -EINVAL;
		if (op->op == PLAN_OP_ADDRESS_ADD) {
			r = ex_mailbox_address_add(e->rs, op->domain,
			    op->name, op->values.v[0], err);
			/* Already there: what we wanted. */
			return r == -ADSYNC_ECONFLICT ? 0 : r;
		}
		r = ex_mailbox_address_remove(e->rs, op->domain, op->name,
		    op->values.v[0], err);
		return r == -ADSYNC_ENOTFOUND ? 0 : r;
	default:
		/* SECURITY: a mailbox is never deleted by adsync. */
		return -EINVAL;
	}
}

int
sync_members_rest(const struct rs_strlist *values,
    const struct rs_strlist *have, bool add, struct rs_strlist *out)
{
	size_t i;
	int r;

	for (i = 0; i < values->n; i++)
		if (rs_strlist_has(have, values->v[i]) != add &&
		    (r = rs_strlist_add(out, values->v[i])) < 0)
			return r;
	return 0;
}

static int
sync_members_cmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

int
sync_members_present(const struct rs_strlist *values, char *const *absent,
    size_t nabsent, struct rs_strlist *out)
{
	size_t i;
	int r;

	for (i = 0; i < values->n; i++)
		if ((nabsent == 0 || bsearch(&values->v[i], absent, nabsent,
		    sizeof(*absent), sync_members_cmp) == NULL) &&
		    (r = rs_strlist_add(out, values->v[i])) < 0)
			return r;
	return 0;
}

/*
 * A members-add or -remove of a list that the service refused whole
 * (`code`, described in `err`): rsemu, and [INFERRED] the service, refuse
 * a Remove of a non-member and the whole request with it. Part of it may
 * be done already: a run killed after the service made the change and
 * before adsync recorded it plans it again (the journal recovers member
 * ops as "planned again", sync_recover.c), batched with newer members;
 * or a member was removed by hand. So the list is read again, and only
 * what is still to do is sent, once: nothing left -> done; everything
 * left -> the refusal was about something else and stands. Returns 0 or
 * a negative code with `err`.
 */
static int
sync_apply_members_settle(struct sync_engine *e, const struct plan_op *op,
    int code, struct rs_error *err)
{
	bool add = op->op == PLAN_OP_MEMBERS_ADD;
	struct rs_strlist have, rest;
	struct rs_record rec;
	struct rs_error lerr;
	const char *m;
	char msg[600];
	int r;

	rs_record_init(&rec);
	rs_strlist_init(&have);
	rs_strlist_init(&rest);
	if ((r = ex_dl_show(e->rs, op->domain, op->name, &rec, &lerr)) < 0) {
		log_warnx("list %s@%s: cannot read its members after the "
		    "refusal: %s", op->name, op->domain,
		    rs_error_format(&lerr, msg, sizeof(msg)));
		r = code;
		goto out;
	}
	m = rs_record_get(&rec, "members");
	if ((r = rs_strlist_from_csv(&have, m != NULL ? m : "")) < 0 ||
	    (r = sync_members_rest(&op->values, &have, add, &rest)) < 0) {
		rs_error_clear(err);
		err->code = r;
		snprintf(err->message, sizeof(err->message), "%s",
		    adsync_strerror(r));
		goto out;
	}
	if (rest.n == 0) {
		log_info("list %s@%s: the members-%s was refused, but the list "
		    "already %s all %zu: done", op->name, op->domain,
		    add ? "add" : "remove", add ? "holds" : "holds none of",
		    op->values.n);
		rs_error_clear(err);
		r = 0;
		goto out;
	}
	if (rest.n == op->values.n) {
		r = code;
		goto out;
	}
	log_info("list %s@%s: the members-%s was refused; %zu of its %zu "
	    "members are done already, sending the other %zu", op->name,
	    op->domain, add ? "add" : "remove", op->values.n - rest.n,
	    op->values.n, rest.n);
	r = add ? ex_dl_members_add(e->rs, op->domain, op->name, &rest,
	    err) : ex_dl_members_remove(e->rs, op->domain, op->name, &rest,
	    err);
out:
	rs_strlist_fini(&rest);
	rs_strlist_fini(&have);
	rs_record_fini(&rec);
	return r;
}

/* A refusal of a members op that re-reading the list may settle. */
static bool
sync_apply_members_refused(const struct plan_op *op, int code)
{
	return op->kind == PLAN_K_DL && (op->op == PLAN_OP_MEMBERS_ADD ||
	    op->op == PLAN_OP_MEMBERS_REMOVE) && op->values.n > 0 &&
	    (code == -ADSYNC_EVALIDATION || code == -ADSYNC_ECONFLICT);
}

bool
sync_apply_settle_later(const struct sync_slot *sl)
{
	return (sl->code == -ADSYNC_EUNKNOWN &&
	    sl->op->op == PLAN_OP_CREATE) ||
	    sync_apply_members_refused(sl->op, sl->code);
}

static int
sync_apply_contact_dl(struct sync_engine *e, const struct plan_op *op,
    struct rs_error *err)
{
	bool dl = op->kind == PLAN_K_DL;
	int r;

	switch (op->op) {
	case PLAN_OP_CREATE:
		return dl ? ex_dl_create(e->rs, op->domain, op->name,
		    &op->fields, NULL, err) : ex_contact_add(e->rs, op->domain,
		    op->name, &op->fields, err);
	case PLAN_OP_ADOPT:
	case PLAN_OP_UPDATE:
		if (op->fields.n == 0)
			return 0;
		return dl ? ex_dl_edit(e->rs, op->domain, op->name,
		    &op->fields, err) : ex_contact_edit(e->rs, op->domain,
		    op->name, &op->fields, err);
	case PLAN_OP_DELETE:
		r = dl ? ex_dl_delete(e->rs, op->domain, op->name, err) :
		    ex_contact_delete(e->rs, op->domain, op->name, err);
		return r == -ADSYNC_ENOTFOUND ? 0 : r;
	case PLAN_OP_MEMBERS_ADD:
		return dl ? ex_dl_members_add(e->rs, op->domain, op->name,
		    &op->values, err) : -EINVAL;
	case PLAN_OP_MEMBERS_REMOVE:
		if (!dl)
			return -EINVAL;
		r = ex_dl_members_remove(e->rs, op->domain, op->name,
		    &op->values, err);
		/* Some already gone (removed by hand, or by a run that was
		 * killed before it recorded it): remove the rest. */
		if (sync_apply_members_refused(op, r))
			r = sync_apply_members_settle(e, op, r, err);
		return r;
	default:
		return -EINVAL;
	}
}

int
sync_apply_call(struct sync_engine *e, const struct plan_op *op,
    struct rs_error *err)
{
	rs_error_clear(err);
	if (op->kind == PLAN_K_MAILBOX)
		return sync_apply_mailbox(e, op, err);
	if (op->service != PLAN_SVC_EX)
		return -EINVAL;
	return sync_apply_contact_dl(e, op, err);
}

int
sync_apply_exists(struct sync_engine *e, enum plan_service s,
    enum plan_kind k, const char *domain, const char *name,
    struct rs_error *err)
{
	struct rs_record rec;
	int r;

	rs_record_init(&rec);
	if (k == PLAN_K_MAILBOX)
		r = s == PLAN_SVC_EX ? ex_mailbox_show(e->rs, domain, name,
		    &rec, err) : rs_mailbox_show(e->rs, domain, name, &rec,
		    err);
	else if (k == PLAN_K_CONTACT)
		r = ex_contact_show(e->rs, domain, name, &rec, err);
	else
		r = ex_dl_show(e->rs, domain, name, &rec, err);
	rs_record_fini(&rec);
	if (r == -ADSYNC_ENOTFOUND)
		return 0;
	return r < 0 ? r : 1;
}

/* Merges the op's fields into the row; "enabled" and "size" are not
 * kept as fields ("enabled" has its own column, "size" is create-only). */
static int
sync_apply_merge(struct plan_row *row, const struct plan_op *op)
{
	const struct rs_field *f;
	size_t i;
	int r;

	for (i = 0; i < op->fields.n; i++) {
		f = &op->fields.v[i];
		if (strcmp(f->name, "enabled") == 0) {
			row->enabled = strcmp(f->value, "true") == 0;
			continue;
		}
		if (strcmp(f->name, "size") == 0)
			continue;
		if ((r = rs_record_set(&row->fields, f->name, f->value)) < 0)
			return r;
	}
	return 0;
}

/* sync_apply_row(): what to do with the state row. */
#define SYNC_ROW_DELETE 0
#define SYNC_ROW_WRITE 1
#define SYNC_ROW_KEEP 2

bool
sync_row_names(const struct plan_row *row, const char *domain,
    const char *name)
{
	return row->domain != NULL && row->name != NULL &&
	    strcasecmp(row->domain, domain) == 0 &&
	    strcasecmp(row->name, name) == 0;
}

/*
 * The state row after `op` succeeded, from the stored one (if any).
 * Returns SYNC_ROW_WRITE, SYNC_ROW_DELETE or SYNC_ROW_KEEP, or a negative
 * code. A delete removes the row only when the row still names the deleted
 * object: the old half of a contact moved to another domain is deleted
 * after the new half was created and took the row over.
 */
static int
sync_apply_row(struct sync_engine *e, const struct plan_op *op,
    struct plan_row *row)
{
	int r;

	/* A create or adopt writes a new row whatever was stored: no read
	 * (a first sync makes thousands). */
	r = op->op == PLAN_OP_CREATE || op->op == PLAN_OP_ADOPT ?
	    -ADSYNC_ENOTFOUND : store_row_get(e->st, &op->anchor,
	    op->service, row);
	if (r < 0 && r != -ADSYNC_ENOTFOUND)
		return r;
	if (op->op == PLAN_OP_DELETE)
		return r == 0 && sync_row_names(row, op->domain, op->name) ?
		    SYNC_ROW_DELETE : SYNC_ROW_KEEP;
	if (op->op == PLAN_OP_CREATE || op->op == PLAN_OP_ADOPT ||
	    r == -ADSYNC_ENOTFOUND) {
		plan_row_fini(row);
		row->anchor = op->anchor;
		row->service = op->service;
		row->kind = op->kind;
		row->domain = xstrdup(op->domain);
		row->name = xstrdup(op->name);
		row->enabled = true;
		row->in_scope = true;
	}
	free(row->dn);
	row->dn = xstrdup(op->dn != NULL ? op->dn : "");
	if ((r = sync_apply_merge(row, op)) < 0)
		return r;
	switch (op->op) {
	case PLAN_OP_CREATE:
	case PLAN_OP_ADOPT:
	case PLAN_OP_UPDATE:
	case PLAN_OP_ENABLE:
		row->in_scope = true;
		break;
	case PLAN_OP_DISABLE:
		row->enabled = false;
		/* Disabled in AD (userAccountControl) is still in scope. */
		row->in_scope = !op->leaves_scope;
		break;
	case PLAN_OP_ADDRESS_ADD:
	case PLAN_OP_MEMBERS_ADD:
		if ((r = rs_strlist_add_all_new(op->op ==
		    PLAN_OP_ADDRESS_ADD ? &row->addresses : &row->members,
		    &op->values)) < 0)
			return r;
		break;
	case PLAN_OP_ADDRESS_REMOVE:
	case PLAN_OP_MEMBERS_REMOVE:
		if ((r = rs_strlist_remove_all(op->op ==
		    PLAN_OP_ADDRESS_REMOVE ? &row->addresses :
		    &row->members, &op->values)) < 0)
			return r;
		break;
	default:
		break;
	}
	return SYNC_ROW_WRITE;
}

/* Records success: the new row (or its removal) and the op's end. The
 * caller holds a transaction. */
static int
sync_apply_record(struct sync_engine *e, const struct plan_op *op,
    int64_t op_id)
{
	struct plan_row row;
	int r, w;

	plan_row_init(&row);
	if ((w = sync_apply_row(e, op, &row)) < 0) {
		r = w;
		goto out;
	}
	r = 0;
	if (w == SYNC_ROW_WRITE)
		r = store_row_put(e->st, &row);
	else if (w == SYNC_ROW_DELETE)
		r = store_row_delete(e->st, &op->anchor, op->service);
	if (r == 0)
		r = store_op_end(e->st, op_id, STORE_OP_DONE, "",
		    (int64_t)time(NULL));
out:
	plan_row_fini(&row);
	return r;
}

static void
sync_apply_count(struct store_run_counts *c, enum plan_opkind k)
{
	switch (k) {
	case PLAN_OP_CREATE:
		c->created++;
		break;
	case PLAN_OP_ENABLE:
		c->enabled++;
		break;
	case PLAN_OP_DISABLE:
		c->disabled++;
		break;
	case PLAN_OP_DELETE:
		c->deleted++;
		break;
	default:
		c->updated++;
		break;
	}
}

static bool
sync_apply_has_failed(const struct sync_apply_failed *f,
    const struct plan_op *op)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->s[i] == op->service &&
		    obj_guid_equal(&f->g[i], &op->anchor))
			return true;
	return false;
}

/* The object of `op` (a create or adopt) is not on the service after this
 * run's try, or waits (backoff): list members-adds leave it out. */
static void
sync_apply_add_absent(struct sync_apply_failed *f, const struct plan_op *op)
{
	size_t lo = 0, hi = f->naddr, mid;
	size_t len;
	char *a;
	int c;

	if (op->op != PLAN_OP_CREATE && op->op != PLAN_OP_ADOPT)
		return;
	len = strlen(op->name) + strlen(op->domain) + 2;
	a = xmalloc(len);
	snprintf(a, len, "%s@%s", op->name, op->domain);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcasecmp(a, f->addr[mid])) == 0) {
			free(a);
			return;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (f->naddr == f->capaddr) {
		f->capaddr = f->capaddr ? f->capaddr * 2 : 16;
		f->addr = xreallocarray(f->addr, f->capaddr,
		    sizeof(*f->addr));
	}
	memmove(f->addr + lo + 1, f->addr + lo,
	    (f->naddr - lo) * sizeof(*f->addr));
	f->addr[lo] = a;
	f->naddr++;
}

static void
sync_apply_add_failed(struct sync_apply_failed *f, const struct plan_op *op)
{
	f->g = xreallocarray(f->g, f->n + 1, sizeof(*f->g));
	f->s = xreallocarray(f->s, f->n + 1, sizeof(*f->s));
	f->g[f->n] = op->anchor;
	f->s[f->n] = op->service;
	f->n++;
	sync_apply_add_absent(f, op);
}

/*
 * Leaves out of the members-add of `sl` the members this run could not
 * create (or did not try: backoff). The service refuses a whole
 * members-add that names an object it does not have ("Unknown member"),
 * so one failed mailbox would keep every other new member out of every
 * list holding it. The state records the members sent, so the next run
 * plans the others again, and adds them once they exist.
 */
static int
sync_apply_filter_members(const struct sync_apply_failed *f,
    struct sync_slot *sl)
{
	const struct plan_op *op = sl->op;
	int r;

	if (op->op != PLAN_OP_MEMBERS_ADD || f->naddr == 0 || sl->skipped)
		return 0;
	rs_strlist_init(&sl->vals);
	if ((r = sync_members_present(&op->values, f->addr, f->naddr,
	    &sl->vals)) < 0)
		return r;
	if (sl->vals.n == op->values.n) {
		rs_strlist_fini(&sl->vals);
		return 0;
	}
	log_info("list %s@%s: %zu of %zu new members left out of its "
	    "members-add (their create failed or waits in this run); the "
	    "next run adds them once they exist", op->name, op->domain,
	    op->values.n - sl->vals.n, op->values.n);
	/* Shallow: the plan owns every pointer but vals. */
	sl->opv = *op;
	sl->opv.values = sl->vals;
	sl->op = &sl->opv;
	if (sl->vals.n == 0)
		sl->skipped = sl->moot = true;
	return 0;
}

static unsigned long
sync_apply_calls(const struct rs_client *c)
{
	struct rs_client_stats s;
	unsigned long n = 0;
	size_t i;

	rs_client_stats(c, &s);
	for (i = 0; i < RS_CAT_COUNT; i++)
		n += s.sent[i];
	return n;
}

/* The client's counters since it was made: new connections (TLS
 * handshakes) against calls say whether connections are reused, and the
 * queue wait whether pacing or the in-flight cap held the calls back. */
static void
sync_apply_log_client(const struct rs_client *c)
{
	struct rs_client_stats s;

	rs_client_stats(c, &s);
	log_debug("api client: %lu calls, %lu connections opened, %lu ms "
	    "queued in all, %lu retried, %lu throttled", sync_apply_calls(c),
	    s.connects, s.waited_ms, s.retried, s.throttled);
}

/*
 * Records the outcome of `sl` (the caller holds a transaction): success
 * moves the state row; failure is counted, reported in the seed's words
 * and journaled. 0 or a store failure (with rep->why).
 */
static int
sync_apply_outcome(struct sync_engine *e, struct sync_slot *sl,
    struct sync_report *rep, struct sync_apply_failed *failed)
{
	const struct plan_op *op = sl->op;
	char msg[600], addr[400];
	int r;

	snprintf(addr, sizeof(addr), "%s@%s", op->name, op->domain);
	if (sl->moot)
		return 0;
	if (sl->backoff) {
		char when[32];
		time_t t = (time_t)sl->retry_at;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		rep->counts.errors++;
		sync_apply_add_absent(failed, op);
		sync_report_error(rep, op, "Performed action '%s' for %s %s "
		    "(%s): failed %u times in a row (last: %s); adsync tries "
		    "again after %s, or at once with `adsync sync --now "
		    "--full`", sync_apply_verb(op->op),
		    sync_apply_noun(op->kind), op->dn, addr, sl->failures,
		    sl->err.message[0] != '\0' ? sl->err.message : "see "
		    "`adsync explain`", when);
		return 0;
	}
	if (sl->skipped) {
		rep->counts.errors++;
		sync_report_error(rep, op, "Skipped action '%s' for %s %s "
		    "(%s): its mailbox, contact or list could not be created "
		    "or adopted in this run", sync_apply_verb(op->op),
		    sync_apply_noun(op->kind), op->dn, addr);
		return 0;
	}
	if (sl->code == 0) {
		if (sl->pw_token != 0 && e->pwsource != NULL)
			e->pwsource->used(e->pwsource->arg, sl->pw_token);
		if ((r = sync_apply_record(e, op, sl->op_id)) < 0) {
			snprintf(rep->why, sizeof(rep->why), "cannot record "
			    "the result for %s: %s", addr, adsync_strerror(r));
			return r;
		}
		sync_apply_count(&rep->counts, op->op);
		log_debug("%s %s %s %s: done", plan_opkind_name(op->op),
		    plan_service_name(op->service), plan_kind_name(op->kind),
		    addr);
		return 0;
	}
	if (sl->err.code == 0) {
		sl->err.code = sl->code;
		snprintf(sl->err.message, sizeof(sl->err.message), "%s",
		    adsync_strerror(sl->code));
	}
	rs_error_format(&sl->err, msg, sizeof(msg));
	rep->counts.errors++;
	if (op->op == PLAN_OP_CREATE || op->op == PLAN_OP_ADOPT)
		sync_apply_add_failed(failed, op);
	if (sl->code == -ADSYNC_ENOTFOUND && op->op != PLAN_OP_CREATE &&
	    op->op != PLAN_OP_DELETE) {
		/* Deleted outside adsync (the Control Panel): forget it,
		 * so the next cycle creates it again while in scope. */
		if ((r = store_row_delete(e->st, &op->anchor,
		    op->service)) < 0) {
			snprintf(rep->why, sizeof(rep->why), "cannot forget "
			    "%s: %s", addr, adsync_strerror(r));
			return r;
		}
		sync_report_error(rep, op, "Performed action '%s' for %s %s "
		    "(%s): it no longer exists in the service (deleted "
		    "outside adsync); the state forgets it and the next run "
		    "creates it again while it is in scope",
		    sync_apply_verb(op->op), sync_apply_noun(op->kind),
		    op->dn, addr);
	} else {
		sync_report_error(rep, op, "Performed action '%s' for %s %s "
		    "(%s): %s", sync_apply_verb(op->op),
		    sync_apply_noun(op->kind), op->dn, addr,
		    sl->err.message);
	}
	log_warnx("%s %s %s %s: %s", plan_opkind_name(op->op),
	    plan_service_name(op->service), plan_kind_name(op->kind), addr,
	    msg);
	if ((r = store_op_end(e->st, sl->op_id, STORE_OP_FAILED, msg,
	    (int64_t)time(NULL))) < 0) {
		snprintf(rep->why, sizeof(rep->why), "cannot record the "
		    "failure for %s: %s", addr, adsync_strerror(r));
		return r;
	}
	return 0;
}

/*
 * Journals the ops of `v` as pending in one durable transaction: after
 * this returns, a crash finds them (sync_recover.c). Skipped slots are not
 * journaled.
 */
int
sync_apply_journal(struct sync_engine *e, struct sync_slot *v, size_t n,
    struct sync_report *rep)
{
	int64_t now = (int64_t)time(NULL);
	size_t i;
	int r;

	if ((r = store_begin(e->st)) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		sync_bulk_yield(e, i);
		if (!v[i].skipped && (r = store_op_begin(e->st, rep->run_id,
		    v[i].op, now, &v[i].op_id)) < 0) {
			store_rollback(e->st);
			goto fail;
		}
	}
	if ((r = store_commit(e->st)) < 0)
		goto fail;
	return 0;
fail:
	snprintf(rep->why, sizeof(rep->why), "cannot journal %zu "
	    "operations: %s", n, adsync_strerror(r));
	return r;
}

/* Records in one transaction the outcomes of v[idx[0..n)] (of v[0..n)
 * when `idx` is NULL) not recorded yet. */
int
sync_apply_outcomes(struct sync_engine *e, struct sync_slot *v,
    const size_t *idx, size_t n, struct sync_report *rep,
    struct sync_apply_failed *failed)
{
	struct sync_slot *sl;
	size_t i;
	int r;

	if ((r = store_begin(e->st)) < 0) {
		snprintf(rep->why, sizeof(rep->why), "cannot record results: "
		    "%s", adsync_strerror(r));
		return r;
	}
	for (i = 0; i < n; i++) {
		sl = &v[idx != NULL ? idx[i] : i];
		sync_bulk_yield(e, i);
		if (sl->recorded)
			continue;
		if ((r = sync_apply_outcome(e, sl, rep, failed)) < 0) {
			store_rollback(e->st);
			return r;
		}
	}
	if ((r = store_commit(e->st)) < 0) {
		snprintf(rep->why, sizeof(rep->why), "cannot commit results: "
		    "%s", adsync_strerror(r));
		return r;
	}
	for (i = 0; i < n; i++)
		v[idx != NULL ? idx[i] : i].recorded = true;
	return 0;
}

/*
 * Ops sent in bulk through the asynchronous core: the single-request
 * writes of mailboxes and contacts, the bulk of a first sync. The others
 * (addresses, lists, deletes) go one by one through the typed calls.
 */
bool
sync_apply_bulkable(const struct plan_op *op)
{
	/* Lists: creates and member adds are one request each; a member
	 * removal may need a Show afterwards (sync_apply_members_gone). */
	if (op->kind == PLAN_K_DL)
		return op->op == PLAN_OP_CREATE ||
		    (op->op == PLAN_OP_MEMBERS_ADD && op->values.n > 0);
	switch (op->op) {
	case PLAN_OP_CREATE:
	case PLAN_OP_ADOPT:
	case PLAN_OP_UPDATE:
		return true;
	case PLAN_OP_ENABLE:
	case PLAN_OP_DISABLE:
		return op->kind == PLAN_K_MAILBOX;
	default:
		return false;
	}
}

/* rs_done_fn of a bulk write. */
static void
sync_apply_done_cb(void *arg, struct rs_response *resp,
    const struct rs_error *err)
{
	struct sync_slot *sl = arg;

	(void)resp;
	if (err == NULL) {
		sl->code = 0;
		rs_error_clear(&sl->err);
	} else {
		sl->code = err->code;
		sl->err = *err;
	}
	if (sl->bulk != NULL)
		sync_bulk_done(sl);
}

/* Submits one bulk op: true when its callback will run, false on a local
 * failure (the slot is filled, no callback). */
bool
sync_apply_submit(struct sync_engine *e, struct sync_slot *sl)
{
	const struct plan_op *op = sl->op;
	const char *svc = op->service == PLAN_SVC_EX ? "ex" : "rs";
	const char *coll = op->kind == PLAN_K_MAILBOX ? "mailboxes" :
	    "contacts";
	struct rs_request *req = NULL;
	struct secret *pw = NULL;
	int r;

	if (op->kind == PLAN_K_DL) {
		r = op->op == PLAN_OP_CREATE ? ex_dl_prepare_create(e->rs,
		    op->domain, op->name, &op->fields, NULL, &req, &sl->err) :
		    ex_dl_prepare_members(e->rs, op->domain, op->name,
		    &op->values, true, &req, &sl->err);
		if (r < 0) {
			sl->code = r;
			return false;
		}
		sl->code = -ADSYNC_ECANCELED;	/* until the callback says */
		return rs_client_submit(e->rs, req, sync_apply_done_cb,
		    sl) == 0;
	}
	if (op->op == PLAN_OP_CREATE && op->kind == PLAN_K_MAILBOX &&
	    sl->pw != NULL) {
		pw = sl->pw;
	} else if (op->op == PLAN_OP_CREATE && op->kind == PLAN_K_MAILBOX) {
		if (e->newpw == NULL)
			e->newpw = sync_password_new(SYNC_NEW_PASSWORD_LEN);
		if (e->newpw == NULL || sync_password_renew(e->newpw,
		    SYNC_NEW_PASSWORD_LEN) < 0) {
			sl->code = -ENOMEM;
			return false;
		}
		pw = e->newpw;
	}
	/* SECURITY: the new password's only other copy is the encoded body,
	 * wiped when the request is freed after sending; the scratch secret
	 * is overwritten by the next one and wiped when the engine ends. */
	r = rs_write_prepare(e->rs, op->op == PLAN_OP_CREATE ? RS_POST :
	    RS_PUT, op->domain, svc, coll, op->name, &op->fields, pw, &req,
	    &sl->err);
	if (pw != NULL && pw == sl->pw) {
		secret_free(sl->pw);
		sl->pw = NULL;
	} else if (pw != NULL) {
		(void)secret_replace(pw, "", 0);
	}
	if (r < 0) {
		sl->code = r;
		return false;
	}
	sl->code = -ADSYNC_ECANCELED;	/* until the callback says */
	return rs_client_submit(e->rs, req, sync_apply_done_cb, sl) == 0;
}

/* The captured passwords waiting for the mailboxes this batch creates
 * (e->pwsource; one query when there are none). */
static void
sync_apply_held_passwords(struct sync_engine *e, struct sync_slot *v,
    size_t n)
{
	char g[OBJ_GUID_TEXT];
	size_t i;

	if (e->pwsource == NULL || !e->pwsource->any(e->pwsource->arg))
		return;
	for (i = 0; i < n; i++) {
		if (v[i].skipped || v[i].op->op != PLAN_OP_CREATE ||
		    v[i].op->kind != PLAN_K_MAILBOX)
			continue;
		obj_guid_format(&v[i].op->anchor, g);
		if (e->pwsource->take(e->pwsource->arg, g, &v[i].pw,
		    &v[i].pw_token) != 1) {
			v[i].pw = NULL;
			v[i].pw_token = 0;
		}
	}
}

/*
 * A bulk create whose reply was lost (or was not the API's): looked up,
 * and sent again only while certainly absent, within the client's budget
 * of 1 + max_retries POSTs in all, the pipeline's included
 * (rs_create_settle). The re-send is a new request: a new random
 * password for a mailbox (a captured one stays queued for the password
 * sync, which sets it once the mailbox exists).
 */
static void
sync_apply_settle_create(struct sync_engine *e, struct sync_slot *sl,
    struct sync_report *rep)
{
	const struct plan_op *op = sl->op;
	const char *svc = op->service == PLAN_SVC_EX ? "ex" : "rs";
	const char *coll = op->kind == PLAN_K_MAILBOX ? "mailboxes" :
	    op->kind == PLAN_K_CONTACT ? "contacts" : "distributionlists";
	struct rs_request *req = NULL;
	struct secret *pw = NULL;
	char first[sizeof(sl->err.message)];
	int cause = sl->err.cause, r;
	long status = sl->err.http_status;

	snprintf(first, sizeof(first), "%s", rs_error_cause_message(&sl->err));
	log_warnx("Performed action 'Create' for %s %s (%s@%s): outcome "
	    "unknown (%s); looking it up", sync_apply_noun(op->kind), op->dn,
	    op->name, op->domain, first);
	if (op->kind == PLAN_K_DL) {
		r = ex_dl_prepare_create(e->rs, op->domain, op->name,
		    &op->fields, NULL, &req, &sl->err);
	} else {
		if (op->kind == PLAN_K_MAILBOX && (pw = sync_password_new(
		    SYNC_NEW_PASSWORD_LEN)) == NULL) {
			sl->code = -ENOMEM;
			return;
		}
		/* SECURITY: as sync_apply_submit: the password lives in
		 * `pw` and the request body, both wiped when freed. */
		r = rs_write_prepare(e->rs, RS_POST, op->domain, svc, coll,
		    op->name, &op->fields, pw, &req, &sl->err);
		secret_free(pw);
	}
	if (r < 0) {
		sl->code = r;
		return;
	}
	sl->pw_token = 0;
	sl->code = rs_create_settle(e->rs, req, 1, op->domain, svc, coll,
	    op->name, &sl->err);
	/* Made, but the first answer came from something posing as the
	 * API: the administrator should know what stands in between. */
	if (sl->code == 0 && cause == -ADSYNC_EPROTO)
		sync_report_warning(rep, op, "Performed action 'Create' for "
		    "%s %s (%s@%s): unexpected reply (HTTP %ld): %s; adsync "
		    "looked it up, and it exists now. Something between "
		    "adsync and the API answers in its place (a proxy or a "
		    "captive portal): check the network path to "
		    "rackspace.api_url", sync_apply_noun(op->kind), op->dn,
		    op->name, op->domain, status, first);
}

/*
 * Applies a batch: the bulk pipeline journals every op and sends the bulk
 * ops concurrently (up to max_in_flight in flight, paced) while it records
 * their outcomes; then the others go one by one, the creates whose reply
 * was lost are settled (looked up, and sent again only when certainly
 * absent: never a duplicate), and their outcomes are recorded.
 */
static int
sync_apply_batch(struct sync_engine *e, struct sync_slot *v, size_t n,
    struct sync_report *rep, struct sync_apply_failed *failed)
{
	double t0 = timing_now(), tb, to;
	size_t i;
	int r;

	sync_apply_held_passwords(e, v, n);
	r = sync_bulk_run(e, v, n, rep, failed);
	for (i = 0; i < n; i++) {
		/* Not sent (skipped, stopped): the capture stays queued. */
		secret_free(v[i].pw);
		v[i].pw = NULL;
	}
	if (r < 0)
		return r;
	tb = timing_now();
	/* The rest one by one, through the typed calls (lists, addresses,
	 * deletes: few, and some take several requests). */
	for (i = 0; i < n; i++)
		if (!v[i].skipped && !sync_apply_bulkable(v[i].op))
			v[i].code = sync_apply_call(e, v[i].op, &v[i].err);
	/* The bulk ops whose outcome the pipeline left to settle. */
	for (i = 0; i < n; i++) {
		if (v[i].skipped || !sync_apply_bulkable(v[i].op) ||
		    !sync_apply_settle_later(&v[i]))
			continue;
		if (v[i].op->op == PLAN_OP_CREATE)
			sync_apply_settle_create(e, &v[i], rep);
		else
			v[i].code = sync_apply_members_settle(e, v[i].op,
			    v[i].code, &v[i].err);
	}
	to = timing_now();
	r = sync_apply_outcomes(e, v, NULL, n, rep, failed);
	/* Where a batch's time goes (docs/sync.md). */
	log_debug("batch of %zu: bulk pipeline %.3f s, one by one %.3f s, "
	    "the rest's outcomes %.3f s", n, tb - t0, to - tb,
	    timing_since(to));
	return r;
}

/* Failures in a row before an op waits between tries, and the first and
 * longest waits: a refused op (a mailbox limit, a bad value) is not sent
 * again every few seconds by a daemon woken by every change. */
#define SYNC_RETRY_FREE 3
#define SYNC_RETRY_FIRST_S 60
#define SYNC_RETRY_MAX_S 86400

/* Marks `sl` as waiting when its op failed too often lately. */
static void
sync_apply_backoff(struct sync_engine *e, struct sync_slot *sl, int64_t now)
{
	const struct plan_op *op = sl->op;
	unsigned count, i;
	int64_t last, delay;

	if (store_op_failures(e->st, &op->anchor, op->service, op->op, &count,
	    &last, sl->err.message, sizeof(sl->err.message)) < 0 ||
	    count < SYNC_RETRY_FREE) {
		sl->err.message[0] = '\0';
		return;
	}
	/* 1 min after the third failure, doubling, a day at most. */
	delay = SYNC_RETRY_FIRST_S;
	for (i = SYNC_RETRY_FREE; i < count && delay < SYNC_RETRY_MAX_S; i++)
		delay *= 2;
	if (delay > SYNC_RETRY_MAX_S)
		delay = SYNC_RETRY_MAX_S;
	if (now >= last + delay) {
		sl->err.message[0] = '\0';
		return;
	}
	sl->skipped = sl->backoff = true;
	sl->failures = count;
	sl->retry_at = last + delay;
}

/*
 * Ops journaled and sent together (one durable commit each): about two
 * rate windows' worth of writes, within [SYNC_BATCH_MIN, SYNC_BATCH_MAX].
 * A batch is what a crash leaves pending, and every pending create costs
 * a lookup (a read) at the next start: against the real API (30 writes a
 * minute) batches stay small; against an unthrottled emulator they grow so
 * that the network does not idle at every batch boundary.
 */
#define SYNC_BATCH_MIN 64
#define SYNC_BATCH_MAX 4096

static size_t
sync_apply_batch_size(const struct sync_engine *e)
{
	unsigned long w = e->conf->rackspace.writes_per_minute;

	w = w > SYNC_BATCH_MAX / 2 ? SYNC_BATCH_MAX : w * 2;
	return w < SYNC_BATCH_MIN ? SYNC_BATCH_MIN : (size_t)w;
}

/*
 * The plan's ops in apply order: the removals the plan holds (p->ops,
 * sorted) merged with the ops it streamed into the store's spill
 * (docs/plan.md "Memory"), read back a buffer at a time. An op taken
 * from the spill is owned by whoever took it; a removal stays the plan's.
 */
struct sync_ops {
	const struct plan *p;
	struct store *st;
	size_t ri;		/* next removal of p->ops */
	size_t sread, stotal;	/* spilled ops read so far, in all */
	struct plan_op *buf;	/* decoded spilled ops (owned until taken) */
	size_t nbuf, bi, cap;
};

/* The next op (borrowed until taken), NULL at the end or on a read
 * failure (*err then). */
static const struct plan_op *
sync_ops_peek(struct sync_ops *c, int *err)
{
	const struct plan_op *rm, *sp;
	size_t n = 0;

	*err = 0;
	/* Refilled only when every buffered op was taken: nothing taken
	 * points into it. */
	if (c->bi == c->nbuf && c->sread < c->stotal) {
		if ((*err = store_spill_read(c->st, c->sread, c->cap, c->buf,
		    &n)) < 0)
			return NULL;
		if (n == 0) {
			*err = -ADSYNC_EPROTO;	/* fewer than were kept */
			return NULL;
		}
		c->nbuf = n;
		c->bi = 0;
		c->sread += n;
	}
	rm = c->ri < c->p->nops ? &c->p->ops[c->ri] : NULL;
	sp = c->bi < c->nbuf ? &c->buf[c->bi] : NULL;
	if (rm != NULL && sp != NULL)
		return plan_op_order(rm, sp) <= 0 ? rm : sp;
	return rm != NULL ? rm : sp;
}

/* Takes the op sync_ops_peek() returned into *dst; true when *dst owns
 * it (a spilled op), false for a removal of the plan (a shallow copy). */
static bool
sync_ops_take(struct sync_ops *c, const struct plan_op *peeked,
    struct plan_op *dst)
{
	if (c->ri < c->p->nops && peeked == &c->p->ops[c->ri]) {
		*dst = c->p->ops[c->ri++];
		return false;
	}
	*dst = c->buf[c->bi++];
	return true;
}

static void
sync_ops_fini(struct sync_ops *c)
{
	while (c->bi < c->nbuf)
		plan_op_fini(&c->buf[c->bi++]);
	free(c->buf);
}

int
sync_apply(struct sync_engine *e, const struct plan *p,
    struct sync_report *rep)
{
	struct sync_apply_failed failed = { NULL, NULL, 0, NULL, 0, 0 };
	struct sync_slot *v = NULL;
	struct sync_ops c;
	struct plan_op *ops = NULL;
	const struct plan_op *next;
	bool *owned = NULL;
	unsigned long calls0;
	int64_t now = (int64_t)time(NULL);
	size_t i, j, n, done = 0, total = plan_nops_all(p),
	    batch = sync_apply_batch_size(e);
	int r = 0;

	if (total == 0)
		return 0;
	if ((r = sync_engine_client(e, rep->why, sizeof(rep->why))) < 0)
		return r;
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.st = e->st;
	c.stotal = p->nspilled;
	c.cap = batch;
	c.buf = xcalloc(batch, sizeof(*c.buf));
	calls0 = sync_apply_calls(e->rs);
	v = xcalloc(batch, sizeof(*v));
	ops = xcalloc(batch, sizeof(*ops));
	owned = xcalloc(batch, sizeof(*owned));
	for (i = 0; done < total && r == 0; done += n) {
		if (sync_stopping(e)) {
			r = -ADSYNC_ECANCELED;
			snprintf(rep->why, sizeof(rep->why), "stopped before "
			    "%zu of %zu operations: adsync is shutting down; "
			    "the next cycle plans them again", total - done,
			    total);
			break;
		}
		/* A batch: ops of one phase (the ops of one object are in
		 * different phases, so a batch never holds two that depend
		 * on each other). */
		n = 0;
		while (n < batch && (next = sync_ops_peek(&c, &r)) != NULL &&
		    (n == 0 || next->phase == ops[0].phase)) {
			owned[n] = sync_ops_take(&c, next, &ops[n]);
			n++;
		}
		if (r < 0 || n == 0) {
			if (r == 0)
				r = -ADSYNC_EPROTO;
			snprintf(rep->why, sizeof(rep->why), "reading the "
			    "plan's operations back failed after %zu of %zu: "
			    "%s", done, total, store_errmsg(e->st));
		}
		memset(v, 0, n * sizeof(*v));
		for (j = 0; j < n && r == 0; j++) {
			v[j].op = &ops[j];
			v[j].skipped = sync_apply_has_failed(&failed,
			    v[j].op);
			/* A full cycle (the daily one, sync --now --full)
			 * tries everything again. */
			if (!v[j].skipped && !rep->full_read)
				sync_apply_backoff(e, &v[j], now);
			if ((r = sync_apply_filter_members(&failed,
			    &v[j])) < 0)
				snprintf(rep->why, sizeof(rep->why), "cannot "
				    "filter the members of %s@%s: %s",
				    v[j].op->name, v[j].op->domain,
				    adsync_strerror(r));
		}
		if (r == 0)
			r = sync_apply_batch(e, v, n, rep, &failed);
		for (j = 0; j < n; j++) {
			rs_strlist_fini(&v[j].vals);
			if (owned[j])
				plan_op_fini(&ops[j]);
		}
		sync_progress_done(e, n);
		i += n;
	}
	rep->counts.api_calls += sync_apply_calls(e->rs) - calls0 +
	    e->inv.calls;
	sync_apply_log_client(e->rs);
	sync_ops_fini(&c);
	free(v);
	free(ops);
	free(owned);
	free(failed.g);
	free(failed.s);
	for (i = 0; i < failed.naddr; i++)
		free(failed.addr[i]);
	free(failed.addr);
	return r;
}
