/*
 * Printing a plan: for people (aligned lines: op, service/kind, address,
 * reason, then the changes or values; the held removals; the alerts; a
 * summary), and as JSON lines (one object per op, per alert, then the
 * summary) for scripts and the web console. Pure apart from writing to
 * the FILE the caller gives; the caller's thread. Values come from AD:
 * control characters are escaped in text, and invalid UTF-8 (which the
 * model refuses, but the state is read back too) is replaced in JSON.
 * SECURITY: a plan holds no password (plan_op_field refuses one), so
 * nothing printed here can carry one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "plan_internal.h"

#define PLAN_FMT_VALUE_MAX 40	/* bytes of a value shown in a change */
#define PLAN_FMT_CHANGES_MAX 160 /* bytes of changes on one line */
#define PLAN_FMT_ADDR_MAX 48	/* widest address column */
#define PLAN_FMT_LINE_MAX (64 * 1024)

/* ---- text -------------------------------------------------------------- */

/* Appends `s` with control characters escaped, at most `max` bytes of it
 * (cut on a UTF-8 boundary, then "..."). */
static int
plan_fmt_esc(struct buf *b, const char *s, size_t max)
{
	size_t len = strlen(s), i, cut = len;
	unsigned char c;
	int r = 0;

	if (len > max) {
		cut = max;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
	}
	for (i = 0; i < cut && r == 0; i++) {
		c = (unsigned char)s[i];
		if (c == '\n')
			r = buf_addstr(b, "\\n");
		else if (c == '\r')
			r = buf_addstr(b, "\\r");
		else if (c == '\t')
			r = buf_addstr(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			r = buf_printf(b, "\\x%02x", c);
		else
			r = buf_addc(b, (char)c);
	}
	if (r == 0 && cut < len)
		r = buf_addstr(b, "...");
	return r;
}

/* The address column: name@domain; contacts show their external address
 * and the domain they live in. */
static int
plan_fmt_address(struct buf *b, const struct plan_op *op)
{
	if (op->kind == PLAN_K_CONTACT && op->external != NULL)
		return buf_printf(b, "%s (in %s)", op->external, op->domain);
	return buf_printf(b, "%s@%s", op->name, op->domain);
}

/* "field: 'old' -> 'new', ..." or "+ a, + b" / "- a", bounded. */
static int
plan_fmt_detail(struct buf *b, const struct plan_op *op)
{
	const char *sign = (op->op == PLAN_OP_ADDRESS_REMOVE ||
	    op->op == PLAN_OP_MEMBERS_REMOVE) ? "- " : "+ ";
	size_t start = b->len, i, n;
	int r = 0;

	n = op->values.n > 0 ? op->values.n : op->nchanges;
	for (i = 0; i < n && r == 0; i++) {
		if (b->len - start > PLAN_FMT_CHANGES_MAX) {
			r = buf_printf(b, ", ... (%zu more)", n - i);
			break;
		}
		if (i > 0)
			r = buf_addstr(b, ", ");
		if (r < 0)
			break;
		if (op->values.n > 0) {
			if ((r = buf_addstr(b, sign)) == 0)
				r = plan_fmt_esc(b, op->values.v[i],
				    PLAN_FMT_VALUE_MAX * 2);
			continue;
		}
		if ((r = buf_printf(b, "%s: '", op->changes[i].field)) < 0 ||
		    (r = plan_fmt_esc(b, op->changes[i].old,
		    PLAN_FMT_VALUE_MAX)) < 0 ||
		    (r = buf_addstr(b, "' -> '")) < 0 ||
		    (r = plan_fmt_esc(b, op->changes[i].new,
		    PLAN_FMT_VALUE_MAX)) < 0)
			break;
		r = buf_addc(b, '\'');
	}
	return r;
}

static size_t
plan_fmt_addr_width(const struct plan_op *ops, size_t n, size_t w)
{
	struct buf b;
	size_t i;

	for (i = 0; i < n; i++) {
		buf_init(&b, PLAN_FMT_LINE_MAX);
		if (plan_fmt_address(&b, &ops[i]) == 0 && b.len > w)
			w = b.len;
		buf_fini(&b);
	}
	return w > PLAN_FMT_ADDR_MAX ? PLAN_FMT_ADDR_MAX : w;
}

static void
plan_fmt_op_line(const struct plan_op *op, size_t aw, FILE *fp)
{
	struct buf b, a;
	size_t pad;
	int r;

	buf_init(&b, PLAN_FMT_LINE_MAX);
	buf_init(&a, PLAN_FMT_LINE_MAX);
	if ((r = plan_fmt_address(&a, op)) < 0)
		goto out;
	pad = a.len < aw ? aw - a.len : 0;
	r = buf_printf(&b, "%-14s %s/%-7s ", plan_opkind_name(op->op),
	    plan_service_name(op->service), plan_kind_name(op->kind));
	if (r == 0)
		r = plan_fmt_esc(&b, buf_str(&a), PLAN_FMT_LINE_MAX);
	if (r == 0)
		r = buf_printf(&b, "%*s  ", (int)pad, "");
	if (r == 0)
		r = plan_fmt_esc(&b, op->reason != NULL ? op->reason : "",
		    PLAN_FMT_LINE_MAX);
	if (r == 0 && (op->nchanges > 0 || op->values.n > 0)) {
		if ((r = buf_addstr(&b, " | ")) == 0)
			r = plan_fmt_detail(&b, op);
	}
out:
	/* A line too long for the buffer is still a line: say so. */
	fprintf(fp, "%s\n", r == 0 ? buf_str(&b) : "(op too long to show)");
	buf_fini(&a);
	buf_fini(&b);
}

const char *
plan_level_name(enum plan_level l)
{
	switch (l) {
	case PLAN_ALERT_ERROR:
		return "error";
	case PLAN_ALERT_WARNING:
		return "warning";
	default:
		return "held";
	}
}

static void
plan_fmt_alert_line(const struct plan_alert *a, FILE *fp)
{
	struct buf b;
	int r;

	buf_init(&b, PLAN_FMT_LINE_MAX);
	r = buf_printf(&b, "%-7s %-2s ", plan_level_name(a->level),
	    a->service < PLAN_SVC_COUNT ? plan_service_name(a->service) :
	    "--");
	if (r == 0 && a->dn[0] != '\0' &&
	    (r = plan_fmt_esc(&b, a->dn, PLAN_FMT_LINE_MAX)) == 0)
		r = buf_addstr(&b, ": ");
	if (r == 0)
		r = plan_fmt_esc(&b, a->message, PLAN_FMT_LINE_MAX);
	fprintf(fp, "%s\n", r == 0 ? buf_str(&b) : "(alert too long to show)");
	buf_fini(&b);
}

void
plan_fmt_text(const struct plan *p, FILE *fp)
{
	char sum[512];
	size_t aw, i;

	aw = plan_fmt_addr_width(p->ops, p->nops, 0);
	aw = plan_fmt_addr_width(p->held_ops, p->nheld, aw);
	for (i = 0; i < p->nops; i++)
		plan_fmt_op_line(&p->ops[i], aw, fp);
	if (p->nheld > 0) {
		fprintf(fp, "held back by the guard (not applied without "
		    "--allow-deletes):\n");
		for (i = 0; i < p->nheld; i++)
			plan_fmt_op_line(&p->held_ops[i], aw, fp);
	}
	for (i = 0; i < p->nalerts; i++)
		plan_fmt_alert_line(&p->alerts[i], fp);
	plan_fmt_summary(p, sum, sizeof(sum));
	fprintf(fp, "%s\n", sum);
}

static const char *
plan_fmt_plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void
plan_fmt_summary(const struct plan *p, char *out, size_t outlen)
{
	const size_t *op = p->counts.op;
	size_t addr = op[PLAN_OP_ADDRESS_ADD] + op[PLAN_OP_ADDRESS_REMOVE];
	size_t members = 0, i;
	size_t err = p->counts.alerts[PLAN_ALERT_ERROR];
	size_t warn = p->counts.alerts[PLAN_ALERT_WARNING];
	int n;

	for (i = 0; i < p->nops; i++)
		if (p->ops[i].op == PLAN_OP_MEMBERS_ADD ||
		    p->ops[i].op == PLAN_OP_MEMBERS_REMOVE)
			members += p->ops[i].values.n;
	n = snprintf(out, outlen, "%zu to create, %zu to adopt, %zu to "
	    "update, %zu to enable, %zu to disable, %zu to delete, %zu "
	    "address %s, %zu membership %s; %zu %s, %zu %s",
	    op[PLAN_OP_CREATE], op[PLAN_OP_ADOPT], op[PLAN_OP_UPDATE],
	    op[PLAN_OP_ENABLE], op[PLAN_OP_DISABLE], op[PLAN_OP_DELETE],
	    addr, plan_fmt_plural(addr, "change", "changes"), members,
	    plan_fmt_plural(members, "change", "changes"), err,
	    plan_fmt_plural(err, "error", "errors"), warn,
	    plan_fmt_plural(warn, "warning", "warnings"));
	if (p->counts.held > 0 && n >= 0 && (size_t)n < outlen)
		snprintf(out + n, outlen - (size_t)n, "; %zu held",
		    p->counts.held);
}

/* ---- JSON lines ---------------------------------------------------- */

/* A JSON string of `s`; bytes that are not valid UTF-8 become '?'. */
static json_t *
plan_fmt_jstr(const char *s)
{
	json_t *j;
	char *copy;
	size_t i;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	if ((copy = strdup(s)) == NULL)
		return NULL;
	for (i = 0; copy[i] != '\0'; i++)
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *
plan_fmt_janchor(const struct obj_guid *g)
{
	char text[OBJ_GUID_TEXT];

	if (obj_guid_is_zero(g))
		return json_null();
	obj_guid_format(g, text);
	return json_string(text);
}

static void
plan_fmt_jline(json_t *j, FILE *fp)
{
	if (j == NULL) {
		fprintf(fp, "{\"error\":\"out of memory\"}\n");
		return;
	}
	json_dumpf(j, fp, JSON_COMPACT);
	fputc('\n', fp);
	json_decref(j);
}

json_t *
plan_op_json(const struct plan_op *op, bool held)
{
	json_t *j = json_object(), *changes = json_array(), *values =
	    json_array(), *ch;
	char *addr = NULL;
	size_t i, len;

	if (j == NULL || changes == NULL || values == NULL)
		goto fail;
	len = strlen(op->name) + strlen(op->domain) + 2;
	if ((addr = malloc(len)) == NULL)
		goto fail;
	snprintf(addr, len, "%s@%s", op->name, op->domain);
	json_object_set_new(j, "op", json_string(plan_opkind_name(op->op)));
	json_object_set_new(j, "service",
	    json_string(plan_service_name(op->service)));
	json_object_set_new(j, "kind", json_string(plan_kind_name(op->kind)));
	json_object_set_new(j, "address", plan_fmt_jstr(addr));
	if (op->kind == PLAN_K_CONTACT)
		json_object_set_new(j, "external", plan_fmt_jstr(op->external));
	json_object_set_new(j, "anchor", plan_fmt_janchor(&op->anchor));
	json_object_set_new(j, "dn", plan_fmt_jstr(op->dn));
	for (i = 0; i < op->nchanges; i++) {
		if ((ch = json_object()) == NULL)
			goto fail;
		json_object_set_new(ch, "field",
		    plan_fmt_jstr(op->changes[i].field));
		json_object_set_new(ch, "old",
		    plan_fmt_jstr(op->changes[i].old));
		json_object_set_new(ch, "new",
		    plan_fmt_jstr(op->changes[i].new));
		json_array_append_new(changes, ch);
	}
	json_object_set_new(j, "changes", changes);
	changes = NULL;
	for (i = 0; i < op->values.n; i++)
		json_array_append_new(values, plan_fmt_jstr(op->values.v[i]));
	json_object_set_new(j, "values", values);
	values = NULL;
	json_object_set_new(j, "reason", plan_fmt_jstr(op->reason));
	json_object_set_new(j, "phase", json_integer(op->phase));
	if (op->op == PLAN_OP_DISABLE)
		json_object_set_new(j, "leaves_scope",
		    json_boolean(op->leaves_scope));
	if (held)
		json_object_set_new(j, "held", json_true());
	free(addr);
	return j;
fail:
	free(addr);
	json_decref(changes);
	json_decref(values);
	json_decref(j);
	return NULL;
}

static json_t *
plan_fmt_jalert(const struct plan_alert *a)
{
	json_t *j = json_object();

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "alert", json_string(plan_level_name(a->level)));
	json_object_set_new(j, "service", a->service < PLAN_SVC_COUNT ?
	    json_string(plan_service_name(a->service)) : json_null());
	json_object_set_new(j, "anchor", plan_fmt_janchor(&a->anchor));
	json_object_set_new(j, "dn", a->dn[0] != '\0' ? plan_fmt_jstr(a->dn) :
	    json_null());
	json_object_set_new(j, "message", plan_fmt_jstr(a->message));
	return j;
}

static json_t *
plan_fmt_jsummary(const struct plan *p)
{
	json_t *j = json_object(), *s = json_object(), *scope = json_object();
	json_t *svc;
	size_t i, k;

	if (j == NULL || s == NULL || scope == NULL) {
		json_decref(j);
		json_decref(s);
		json_decref(scope);
		return NULL;
	}
	for (i = 0; i < PLAN_OP_COUNT; i++)
		json_object_set_new(s, plan_opkind_name(i),
		    json_integer((json_int_t)p->counts.op[i]));
	json_object_set_new(s, "errors",
	    json_integer((json_int_t)p->counts.alerts[PLAN_ALERT_ERROR]));
	json_object_set_new(s, "warnings",
	    json_integer((json_int_t)p->counts.alerts[PLAN_ALERT_WARNING]));
	json_object_set_new(s, "held",
	    json_integer((json_int_t)p->counts.held));
	json_object_set_new(s, "synced",
	    json_integer((json_int_t)p->counts.synced));
	for (i = 0; i < PLAN_SVC_COUNT; i++) {
		if ((svc = json_object()) == NULL)
			break;
		for (k = 0; k < PLAN_K_COUNT; k++)
			json_object_set_new(svc, plan_kind_name(k),
			    json_integer((json_int_t)p->counts.in_scope[i][k]));
		json_object_set_new(scope, plan_service_name(i), svc);
	}
	json_object_set_new(s, "in_scope", scope);
	json_object_set_new(j, "summary", s);
	return j;
}

void
plan_fmt_json(const struct plan *p, FILE *fp)
{
	size_t i;

	for (i = 0; i < p->nops; i++)
		plan_fmt_jline(plan_op_json(&p->ops[i], false), fp);
	for (i = 0; i < p->nheld; i++)
		plan_fmt_jline(plan_op_json(&p->held_ops[i], true), fp);
	for (i = 0; i < p->nalerts; i++)
		plan_fmt_jline(plan_fmt_jalert(&p->alerts[i]), fp);
	plan_fmt_jline(plan_fmt_jsummary(p), fp);
}
