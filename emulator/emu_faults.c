/*
 * Fault injection (see emu_faults.h). Rules are checked before the dice so a
 * test can make exactly the N-th matching request fail. Any thread; the
 * admin JSON and the SPEC come from tests and are checked like any input.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "emu_faults.h"
#include "err.h"
#include "strparse.h"

struct emu_faults {
	pthread_mutex_t lock;
	struct emu_faults_spec spec;
	struct emu_fault_rule *rules;	/* owned */
	size_t nrules;
};

static const char *const emu_fa_names[EMU_FA_COUNT] = {
	[EMU_FA_NONE] = "none",
	[EMU_FA_ERROR500] = "error500",
	[EMU_FA_DROP] = "drop",
	[EMU_FA_DROP_AFTER] = "drop_after",
	[EMU_FA_STALL] = "stall",
	[EMU_FA_THROTTLE] = "throttle",
	[EMU_FA_LATENCY] = "latency",
	[EMU_FA_REPLY] = "reply",
	[EMU_FA_HTML_ERROR] = "html_error",
	[EMU_FA_GARBAGE] = "garbage",
	[EMU_FA_HUGE_BODY] = "huge_body",
	[EMU_FA_TRUNCATE] = "truncate",
	[EMU_FA_WRONG_TYPE] = "wrong_type",
	[EMU_FA_DRIP] = "drip",
};

#define EMU_FA_ACTIONS "error500, drop, drop_after, stall, throttle, " \
    "latency, reply, html_error, garbage, huge_body, truncate, " \
    "wrong_type, drip"

const char *
emu_faults_action_name(enum emu_fault_action a)
{
	if ((unsigned)a >= EMU_FA_COUNT)
		return NULL;
	return emu_fa_names[a];
}

static enum emu_fault_action
emu_faults_action_lookup(const char *name)
{
	int i;

	for (i = 1; i < EMU_FA_COUNT; i++)
		if (strcmp(name, emu_fa_names[i]) == 0)
			return (enum emu_fault_action)i;
	return EMU_FA_NONE;
}

/* The actions that may carry a probability. */
static bool
emu_faults_is_random(enum emu_fault_action a)
{
	return a == EMU_FA_ERROR500 || a == EMU_FA_DROP ||
	    a == EMU_FA_DROP_AFTER || a == EMU_FA_STALL;
}

static int
emu_faults_check_sum(const struct emu_faults_spec *s, char *why,
    size_t whylen)
{
	double sum = 0;
	int i;

	for (i = 0; i < EMU_FA_COUNT; i++)
		sum += s->p[i];
	if (sum > 1.0 + 1e-9) {
		snprintf(why, whylen, "fault probabilities add up to %.4f, "
		    "more than 1", sum);
		return -ADSYNC_ERANGE;
	}
	return 0;
}

int
emu_faults_spec_parse(const char *spec, struct emu_faults_spec *out,
    char *why, size_t whylen)
{
	struct emu_faults_spec s = *out;
	char copy[EMU_FAULTS_SPEC_MAX + 1], *item, *next, *eq;
	enum emu_fault_action a;
	const char *errstr;
	long long ms;
	double p;
	size_t len;
	int r;

	why[0] = '\0';
	memset(s.p, 0, sizeof(s.p));
	s.stall_ms = EMU_FAULTS_STALL_DEFAULT;
	len = strlen(spec);
	if (len == 0 || len > EMU_FAULTS_SPEC_MAX) {
		snprintf(why, whylen, "faults SPEC must be 1 to %d characters",
		    EMU_FAULTS_SPEC_MAX);
		return -ADSYNC_EPARSE;
	}
	if (strcmp(spec, "none") == 0)
		goto done;
	memcpy(copy, spec, len + 1);
	for (item = copy; item != NULL; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(item, '=')) == NULL || eq == item) {
			snprintf(why, whylen, "faults SPEC item \"%.40s\" is "
			    "not NAME=VALUE (e.g. error500=0.05,drop=0.01)",
			    item);
			return -ADSYNC_EPARSE;
		}
		*eq++ = '\0';
		if (strcmp(item, "stall_ms") == 0) {
			if ((r = strparse_num(eq, 1, EMU_FAULTS_MS_MAX, &ms,
			    &errstr)) < 0) {
				snprintf(why, whylen, "faults stall_ms=%.20s "
				    "is %s (1 to %u)", eq, errstr,
				    EMU_FAULTS_MS_MAX);
				return r;
			}
			s.stall_ms = (unsigned)ms;
			continue;
		}
		a = emu_faults_action_lookup(item);
		if (!emu_faults_is_random(a)) {
			snprintf(why, whylen, "unknown faults SPEC name "
			    "\"%.40s\" (use error500, drop, drop_after, "
			    "stall, stall_ms)", item);
			return -ADSYNC_EPARSE;
		}
		if ((r = strparse_double(eq, 0.0, 1.0, &p, &errstr)) < 0) {
			snprintf(why, whylen, "faults %s=%.20s is %s (a "
			    "probability from 0 to 1)", item, eq, errstr);
			return r;
		}
		s.p[a] = p;
	}
	if ((r = emu_faults_check_sum(&s, why, whylen)) < 0)
		return r;
done:
	*out = s;
	return 0;
}

int
emu_faults_latency_parse(const char *s, unsigned *min, unsigned *max,
    char *why, size_t whylen)
{
	char a[32], *dash;
	const char *errstr;
	long long lo, hi;
	size_t len = strlen(s);
	int r;

	why[0] = '\0';
	if (len == 0 || len >= sizeof(a)) {
		snprintf(why, whylen, "latency must be MIN-MAX in "
		    "milliseconds (e.g. 5-50)");
		return -ADSYNC_EPARSE;
	}
	memcpy(a, s, len + 1);
	if ((dash = strchr(a, '-')) != NULL)
		*dash++ = '\0';
	if ((r = strparse_num(a, 0, EMU_FAULTS_MS_MAX, &lo, &errstr)) < 0 ||
	    (r = strparse_num(dash != NULL ? dash : a, 0, EMU_FAULTS_MS_MAX,
	    &hi, &errstr)) < 0) {
		snprintf(why, whylen, "latency \"%.20s\" is %s (MIN-MAX, "
		    "0 to %u ms)", s, errstr, EMU_FAULTS_MS_MAX);
		return r;
	}
	if (lo > hi) {
		snprintf(why, whylen, "latency \"%.20s\": MIN is larger than "
		    "MAX", s);
		return -ADSYNC_ERANGE;
	}
	*min = (unsigned)lo;
	*max = (unsigned)hi;
	return 0;
}

enum emu_fault_action
emu_faults_pick(const struct emu_faults_spec *s, double u)
{
	static const enum emu_fault_action order[] = { EMU_FA_ERROR500,
	    EMU_FA_DROP, EMU_FA_DROP_AFTER, EMU_FA_STALL };
	double acc = 0;
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (s->p[order[i]] <= 0)
			continue;
		acc += s->p[order[i]];
		if (u < acc)
			return order[i];
	}
	return EMU_FA_NONE;
}

bool
emu_faults_rule_match(const struct emu_fault_rule *rule, const char *method,
    const char *path)
{
	if (rule->method[0] != '\0' && strcasecmp(rule->method, method) != 0)
		return false;
	if (rule->path[0] == '\0')
		return true;
	if (rule->prefix)
		return strncmp(path, rule->path, strlen(rule->path)) == 0;
	return strstr(path, rule->path) != NULL;
}

static int
emu_faults_json_uint(const json_t *j, const char *key, unsigned max,
    unsigned *out, char *why, size_t whylen)
{
	const json_t *v = json_object_get(j, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)max) {
		snprintf(why, whylen, "\"%s\" must be an integer from 0 to %u",
		    key, max);
		return -ADSYNC_EPARSE;
	}
	*out = (unsigned)json_integer_value(v);
	return 0;
}

/* The hostile-reply keys of a rule: status, bytes, content_type, body,
 * each only where its action uses it. */
static int
emu_faults_json_hostile(const json_t *j, struct emu_fault_rule *rule,
    char *why, size_t whylen)
{
	enum emu_fault_action a = rule->action;
	const char *name = emu_faults_action_name(a);
	unsigned long long max = 0;
	const json_t *v;
	json_int_t n;

	if ((v = json_object_get(j, "status")) != NULL) {
		if (a != EMU_FA_REPLY && a != EMU_FA_HTML_ERROR &&
		    a != EMU_FA_GARBAGE) {
			snprintf(why, whylen, "rule \"status\" is for reply, "
			    "html_error and garbage, not %s", name);
			return -ADSYNC_EPARSE;
		}
		if (!json_is_integer(v) || json_integer_value(v) < 100 ||
		    json_integer_value(v) > 599) {
			snprintf(why, whylen, "rule \"status\" must be an "
			    "HTTP status from 100 to 599");
			return -ADSYNC_EPARSE;
		}
		rule->status = (unsigned)json_integer_value(v);
	}
	switch (a) {
	case EMU_FA_TRUNCATE:
	case EMU_FA_HUGE_BODY:
		max = EMU_FAULTS_BYTES_MAX;
		break;
	case EMU_FA_GARBAGE:
		max = 1024 * 1024;	/* allocated whole */
		break;
	case EMU_FA_DRIP:
		max = 65536;
		break;
	default:
		break;
	}
	if ((v = json_object_get(j, "bytes")) != NULL) {
		n = json_is_integer(v) ? json_integer_value(v) : -1;
		if (max == 0) {
			snprintf(why, whylen, "rule \"bytes\" is for truncate, "
			    "huge_body, garbage and drip, not %s", name);
			return -ADSYNC_EPARSE;
		}
		if (n < 0 || (unsigned long long)n > max ||
		    (n == 0 && (a == EMU_FA_HUGE_BODY ||
		    a == EMU_FA_GARBAGE))) {
			snprintf(why, whylen, "rule \"bytes\" must be an "
			    "integer from %d to %llu for %s",
			    a == EMU_FA_HUGE_BODY || a == EMU_FA_GARBAGE,
			    max, name);
			return -ADSYNC_EPARSE;
		}
		rule->bytes = (unsigned long long)n;
	}
	if (a == EMU_FA_HUGE_BODY && rule->bytes == 0)
		rule->bytes = EMU_FAULTS_HUGE_DEFAULT;
	if (a == EMU_FA_GARBAGE && rule->bytes == 0)
		rule->bytes = EMU_FAULTS_GARBAGE_DEFAULT;
	if (a == EMU_FA_DRIP && rule->bytes == 0)
		rule->bytes = 1;
	if (a == EMU_FA_DRIP && rule->ms == 0)
		rule->ms = EMU_FAULTS_DRIP_DEFAULT_MS;
	if ((v = json_object_get(j, "content_type")) != NULL) {
		if (a != EMU_FA_REPLY || !json_is_string(v) ||
		    json_string_length(v) >= sizeof(rule->ctype) ||
		    strpbrk(json_string_value(v), "\r\n") != NULL ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			snprintf(why, whylen, "rule \"content_type\" is a "
			    "one-line string of at most %d bytes, for reply "
			    "only", EMU_FAULTS_CTYPE_MAX - 1);
			return -ADSYNC_EPARSE;
		}
		memcpy(rule->ctype, json_string_value(v),
		    json_string_length(v) + 1);
	}
	if ((v = json_object_get(j, "body")) != NULL) {
		if (a != EMU_FA_REPLY || !json_is_string(v) ||
		    json_string_length(v) > sizeof(rule->body)) {
			snprintf(why, whylen, "rule \"body\" is a string of "
			    "at most %d bytes, for reply only",
			    EMU_FAULTS_BODY_MAX);
			return -ADSYNC_EPARSE;
		}
		rule->body_len = json_string_length(v);
		memcpy(rule->body, json_string_value(v), rule->body_len);
	}
	return 0;
}

static int
emu_faults_json_rule(const json_t *j, struct emu_fault_rule *rule, char *why,
    size_t whylen)
{
	const char *key, *s;
	json_t *v;
	int r;

	memset(rule, 0, sizeof(*rule));
	rule->count = 1;
	if (!json_is_object(j)) {
		snprintf(why, whylen, "each rule must be a JSON object");
		return -ADSYNC_EPARSE;
	}
	json_object_foreach((json_t *)(uintptr_t)j, key, v) {
		if (strcmp(key, "method") != 0 && strcmp(key, "path") != 0 &&
		    strcmp(key, "match") != 0 && strcmp(key, "action") != 0 &&
		    strcmp(key, "count") != 0 && strcmp(key, "skip") != 0 &&
		    strcmp(key, "ms") != 0 && strcmp(key, "status") != 0 &&
		    strcmp(key, "bytes") != 0 &&
		    strcmp(key, "content_type") != 0 &&
		    strcmp(key, "body") != 0) {
			snprintf(why, whylen, "unknown rule key \"%.40s\" "
			    "(method, path, match, action, count, skip, ms, "
			    "status, bytes, content_type, body)", key);
			return -ADSYNC_EPARSE;
		}
	}
	if ((v = json_object_get(j, "method")) != NULL) {
		if (!json_is_string(v) || json_string_length(v) >=
		    sizeof(rule->method)) {
			snprintf(why, whylen, "rule \"method\" must be a short "
			    "string");
			return -ADSYNC_EPARSE;
		}
		s = json_string_value(v);
		if (strcmp(s, "*") != 0)
			memcpy(rule->method, s, strlen(s) + 1);
	}
	if ((v = json_object_get(j, "path")) != NULL) {
		if (!json_is_string(v) || json_string_length(v) >=
		    sizeof(rule->path)) {
			snprintf(why, whylen, "rule \"path\" must be a string "
			    "shorter than %d bytes", EMU_FAULTS_PATH_MAX);
			return -ADSYNC_EPARSE;
		}
		memcpy(rule->path, json_string_value(v),
		    json_string_length(v) + 1);
	}
	if ((v = json_object_get(j, "match")) != NULL) {
		s = json_is_string(v) ? json_string_value(v) : "";
		if (strcmp(s, "prefix") == 0)
			rule->prefix = true;
		else if (strcmp(s, "substring") != 0) {
			snprintf(why, whylen, "rule \"match\" must be "
			    "\"prefix\" or \"substring\"");
			return -ADSYNC_EPARSE;
		}
	}
	v = json_object_get(j, "action");
	if (!json_is_string(v) || (rule->action =
	    emu_faults_action_lookup(json_string_value(v))) == EMU_FA_NONE) {
		snprintf(why, whylen, "rule \"action\" must be one of "
		    EMU_FA_ACTIONS);
		return -ADSYNC_EPARSE;
	}
	if ((r = emu_faults_json_uint(j, "count", 1000000000u, &rule->count,
	    why, whylen)) < 0 ||
	    (r = emu_faults_json_uint(j, "skip", 1000000000u, &rule->skip,
	    why, whylen)) < 0 ||
	    (r = emu_faults_json_uint(j, "ms", rule->action == EMU_FA_DRIP ?
	    EMU_FAULTS_DRIP_MS_MAX : EMU_FAULTS_MS_MAX, &rule->ms, why,
	    whylen)) < 0)
		return r;
	return emu_faults_json_hostile(j, rule, why, whylen);
}

int
emu_faults_json_parse(const json_t *j, struct emu_faults_spec *spec,
    struct emu_fault_rule **rules, size_t *nrules, char *why, size_t whylen)
{
	struct emu_faults_spec s;
	struct emu_fault_rule *rv = NULL;
	enum emu_fault_action a;
	const json_t *arr, *v;
	const char *key;
	size_t i, n = 0;
	int r = 0;

	why[0] = '\0';
	memset(&s, 0, sizeof(s));
	s.stall_ms = EMU_FAULTS_STALL_DEFAULT;
	if (!json_is_object(j)) {
		snprintf(why, whylen, "the body must be a JSON object");
		r = -ADSYNC_EPARSE;
		goto fail;
	}
	json_object_foreach((json_t *)(uintptr_t)j, key, v) {
		a = emu_faults_action_lookup(key);
		if (emu_faults_is_random(a)) {
			if (!json_is_number(v) || json_number_value(v) < 0 ||
			    json_number_value(v) > 1) {
				snprintf(why, whylen, "\"%s\" must be a "
				    "probability from 0 to 1", key);
				r = -ADSYNC_EPARSE;
				goto fail;
			}
			s.p[a] = json_number_value(v);
		} else if (strcmp(key, "latency_ms") == 0) {
			if (!json_is_string(v) ||
			    (r = emu_faults_latency_parse(json_string_value(v),
			    &s.latency_min, &s.latency_max, why, whylen)) < 0) {
				if (why[0] == '\0')
					snprintf(why, whylen, "\"latency_ms\" "
					    "must be a string \"MIN-MAX\"");
				r = r < 0 ? r : -ADSYNC_EPARSE;
				goto fail;
			}
		} else if (strcmp(key, "stall_ms") != 0 &&
		    strcmp(key, "rules") != 0) {
			snprintf(why, whylen, "unknown key \"%.40s\"", key);
			r = -ADSYNC_EPARSE;
			goto fail;
		}
	}
	if ((r = emu_faults_json_uint(j, "stall_ms", EMU_FAULTS_MS_MAX,
	    &s.stall_ms, why, whylen)) < 0)
		goto fail;
	if (s.stall_ms == 0)
		s.stall_ms = EMU_FAULTS_STALL_DEFAULT;
	if ((r = emu_faults_check_sum(&s, why, whylen)) < 0)
		goto fail;
	arr = json_object_get(j, "rules");
	if (arr != NULL) {
		if (!json_is_array(arr) ||
		    json_array_size(arr) > EMU_FAULTS_RULES_MAX) {
			snprintf(why, whylen, "\"rules\" must be an array "
			    "of at most %d rules", EMU_FAULTS_RULES_MAX);
			r = -ADSYNC_EPARSE;
			goto fail;
		}
		n = json_array_size(arr);
		if (n > 0 && (rv = calloc(n, sizeof(*rv))) == NULL) {
			r = -ENOMEM;
			goto fail;
		}
		for (i = 0; i < n; i++)
			if ((r = emu_faults_json_rule(json_array_get(arr, i),
			    &rv[i], why, whylen)) < 0)
				goto fail;
	}
	*spec = s;
	*rules = rv;
	*nrules = n;
	return 0;
fail:
	free(rv);
	return r;
}

struct emu_faults *
emu_faults_new(const struct emu_faults_spec *spec)
{
	struct emu_faults *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	f->spec = *spec;
	return f;
}

void
emu_faults_free(struct emu_faults *f)
{
	if (f == NULL)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f->rules);
	free(f);
}

void
emu_faults_set(struct emu_faults *f, const struct emu_faults_spec *spec,
    struct emu_fault_rule *rules, size_t nrules)
{
	struct emu_fault_rule *old;

	pthread_mutex_lock(&f->lock);
	f->spec = *spec;
	old = f->rules;
	f->rules = rules;
	f->nrules = nrules;
	pthread_mutex_unlock(&f->lock);
	free(old);
}

static double
emu_faults_uniform(void)
{
	uint64_t x;

	/* 53 random bits: a uniform double in [0, 1). */
	randombytes_buf(&x, sizeof(x));
	return (double)(x >> 11) / 9007199254740992.0;
}

void
emu_faults_decide(struct emu_faults *f, const char *method, const char *path,
    struct emu_fault_decision *out)
{
	struct emu_fault_rule *rule;
	bool any;
	size_t i;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->nrules; i++) {
		rule = &f->rules[i];
		if (rule->count != 0 && rule->fired >= rule->count)
			continue;
		if (!emu_faults_rule_match(rule, method, path))
			continue;
		if (rule->skip > 0) {
			rule->skip--;
			continue;
		}
		rule->fired++;
		if (rule->action == EMU_FA_LATENCY) {
			out->latency_ms += rule->ms;
			continue;
		}
		out->action = rule->action;
		out->stall_ms = rule->ms != 0 ? rule->ms : f->spec.stall_ms;
		out->status = rule->status;
		out->bytes = rule->bytes;
		memcpy(out->ctype, rule->ctype, sizeof(out->ctype));
		memcpy(out->body, rule->body, rule->body_len);
		out->body_len = rule->body_len;
		break;
	}
	any = f->spec.p[EMU_FA_ERROR500] > 0 || f->spec.p[EMU_FA_DROP] > 0 ||
	    f->spec.p[EMU_FA_DROP_AFTER] > 0 || f->spec.p[EMU_FA_STALL] > 0;
	if (out->action == EMU_FA_NONE && any) {
		out->action = emu_faults_pick(&f->spec, emu_faults_uniform());
		out->stall_ms = f->spec.stall_ms;
	}
	if (f->spec.latency_max > 0)
		out->latency_ms += f->spec.latency_min +
		    randombytes_uniform(f->spec.latency_max -
		    f->spec.latency_min + 1);
	pthread_mutex_unlock(&f->lock);
}

json_t *
emu_faults_to_json(struct emu_faults *f)
{
	json_t *o, *arr, *r;
	char lat[48];
	size_t i;

	o = json_object();
	arr = json_array();
	pthread_mutex_lock(&f->lock);
	json_object_set_new(o, "error500",
	    json_real(f->spec.p[EMU_FA_ERROR500]));
	json_object_set_new(o, "drop", json_real(f->spec.p[EMU_FA_DROP]));
	json_object_set_new(o, "drop_after",
	    json_real(f->spec.p[EMU_FA_DROP_AFTER]));
	json_object_set_new(o, "stall", json_real(f->spec.p[EMU_FA_STALL]));
	json_object_set_new(o, "stall_ms", json_integer(f->spec.stall_ms));
	snprintf(lat, sizeof(lat), "%u-%u", f->spec.latency_min,
	    f->spec.latency_max);
	json_object_set_new(o, "latency_ms", json_string(lat));
	for (i = 0; i < f->nrules; i++) {
		r = json_object();
		json_object_set_new(r, "method", json_string(
		    f->rules[i].method[0] ? f->rules[i].method : "*"));
		json_object_set_new(r, "path", json_string(f->rules[i].path));
		json_object_set_new(r, "match", json_string(
		    f->rules[i].prefix ? "prefix" : "substring"));
		json_object_set_new(r, "action", json_string(
		    emu_faults_action_name(f->rules[i].action)));
		json_object_set_new(r, "count", json_integer(
		    f->rules[i].count));
		json_object_set_new(r, "skip", json_integer(f->rules[i].skip));
		json_object_set_new(r, "ms", json_integer(f->rules[i].ms));
		json_object_set_new(r, "fired", json_integer(
		    f->rules[i].fired));
		if (f->rules[i].status != 0)
			json_object_set_new(r, "status", json_integer(
			    f->rules[i].status));
		if (f->rules[i].bytes != 0)
			json_object_set_new(r, "bytes", json_integer(
			    (json_int_t)f->rules[i].bytes));
		if (f->rules[i].action == EMU_FA_REPLY) {
			json_object_set_new(r, "content_type", json_string(
			    f->rules[i].ctype));
			json_object_set_new(r, "body", json_stringn(
			    f->rules[i].body, f->rules[i].body_len));
		}
		json_array_append_new(arr, r);
	}
	pthread_mutex_unlock(&f->lock);
	json_object_set_new(o, "rules", arr);
	return o;
}

json_t *
emu_faults_wrong_type(const json_t *j)
{
	const char *key;
	json_t *o, *v;
	size_t i;
	char k[24];

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		o = json_object();
		json_object_foreach((json_t *)(uintptr_t)j, key, v)
			json_object_set_new(o, key, emu_faults_wrong_type(v));
		return o;
	case JSON_ARRAY:
		/* An object where a list was: "0", "1", ... */
		o = json_object();
		for (i = 0; i < json_array_size(j); i++) {
			snprintf(k, sizeof(k), "%zu", i);
			json_object_set_new(o, k, emu_faults_wrong_type(
			    json_array_get(j, i)));
		}
		return o;
	case JSON_STRING:
		return json_integer(7);
	case JSON_INTEGER:
	case JSON_REAL:
		return json_string("7");
	case JSON_TRUE:
		return json_string("true");
	case JSON_FALSE:
		return json_string("false");
	case JSON_NULL:
	default:
		return json_array();
	}
}

void
emu_faults_garbage(unsigned char *out, size_t len)
{
	uint32_t x = 2463534242u;
	size_t i;

	for (i = 0; i < len; i++) {
		/* xorshift32: the same noise every time, for reproducible
		 * client errors. */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		out[i] = (unsigned char)x;
	}
	/* Never valid UTF-8 (0xff), never mistaken for JSON, and with the
	 * bytes a C string handler trips on. */
	if (len > 0)
		out[0] = 0xff;
	if (len > 1)
		out[1] = 0x00;
	if (len > 2)
		out[2] = 0x1b;
}

char
emu_faults_huge_byte(unsigned long long pos)
{
	static const char head[] = "{\"rsMailboxes\":[{\"name\":\"";

	if (pos < sizeof(head) - 1)
		return head[pos];
	return 'x';
}
