/*
 * Throttle windows and SPEC parsing (see emu_throttle.h). The table is an
 * array indexed by the user's position in the configuration: only correctly
 * signed calls are counted, and those always belong to a configured user, so
 * an unknown key can never grow it. Its mutex is taken by MHD worker threads
 * and the admin handlers, never together with another lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_throttle.h"
#include "err.h"
#include "strparse.h"

struct emu_throttle {
	pthread_mutex_t lock;
	struct emu_throttle_limits limits;
	size_t nusers;
	struct emu_window (*w)[EMU_B_COUNT];	/* nusers rows */
};

static const char *const emu_bucket_names[EMU_B_COUNT] = {
	[EMU_B_GET] = "get",
	[EMU_B_WRITE] = "write",
	[EMU_B_DOMAIN] = "domain",
	[EMU_B_ALTDOMAIN] = "altdomain",
};

void
emu_throttle_defaults(struct emu_throttle_limits *out)
{
	/* docs/rackspace-api.md §3.1, the 2015 S1 table. */
	memset(out, 0, sizeof(*out));
	out->limit[EMU_B_GET] = 60;
	out->limit[EMU_B_WRITE] = 30;
	out->limit[EMU_B_DOMAIN] = 2;
	out->limit[EMU_B_ALTDOMAIN] = 2;
	out->window_s = 60;
}

int
emu_throttle_spec_parse(const char *spec, struct emu_throttle_limits *out,
    char *why, size_t whylen)
{
	struct emu_throttle_limits l;
	char copy[EMU_THROTTLE_SPEC_MAX + 1], *item, *next, *eq;
	const char *errstr;
	long long v;
	size_t i, len;
	int r;

	why[0] = '\0';
	emu_throttle_defaults(&l);
	len = strlen(spec);
	if (len == 0 || len > EMU_THROTTLE_SPEC_MAX) {
		snprintf(why, whylen, "throttle SPEC must be 1 to %d "
		    "characters", EMU_THROTTLE_SPEC_MAX);
		return -ADSYNC_EPARSE;
	}
	if (strcmp(spec, "rackspace") == 0)
		goto done;
	if (strcmp(spec, "off") == 0) {
		l.off = true;
		goto done;
	}
	memcpy(copy, spec, len + 1);
	for (item = copy; item != NULL; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(item, '=')) == NULL || eq == item) {
			snprintf(why, whylen, "throttle SPEC item \"%.40s\" is "
			    "not NAME=VALUE (e.g. get=60,window=6)", item);
			return -ADSYNC_EPARSE;
		}
		*eq++ = '\0';
		if (strcmp(item, "window") == 0) {
			if ((r = strparse_num(eq, 1, EMU_THROTTLE_WINDOW_MAX,
			    &v, &errstr)) < 0) {
				snprintf(why, whylen, "throttle window=%.20s "
				    "is %s (1 to %u seconds)", eq, errstr,
				    EMU_THROTTLE_WINDOW_MAX);
				return r;
			}
			l.window_s = (unsigned)v;
			continue;
		}
		for (i = 0; i < EMU_B_COUNT; i++)
			if (strcmp(item, emu_bucket_names[i]) == 0)
				break;
		if (i == EMU_B_COUNT) {
			snprintf(why, whylen, "unknown throttle SPEC name "
			    "\"%.40s\" (use get, write, domain, altdomain, "
			    "window)", item);
			return -ADSYNC_EPARSE;
		}
		if (strcmp(eq, "off") == 0) {
			l.limit[i] = 0;
			continue;
		}
		if ((r = strparse_num(eq, 1, EMU_THROTTLE_LIMIT_MAX, &v,
		    &errstr)) < 0) {
			snprintf(why, whylen, "throttle %s=%.20s is %s (1 to "
			    "%u, or off)", item, eq, errstr,
			    EMU_THROTTLE_LIMIT_MAX);
			return r;
		}
		l.limit[i] = (unsigned)v;
	}
done:
	*out = l;
	return 0;
}

void
emu_throttle_spec_format(const struct emu_throttle_limits *l, char *out,
    size_t outlen)
{
	size_t i, n = 0;
	int r;

	if (l->off) {
		snprintf(out, outlen, "off");
		return;
	}
	out[0] = '\0';
	for (i = 0; i < EMU_B_COUNT && n < outlen; i++) {
		if (l->limit[i] == 0)
			r = snprintf(out + n, outlen - n, "%s=off,",
			    emu_bucket_names[i]);
		else
			r = snprintf(out + n, outlen - n, "%s=%u,",
			    emu_bucket_names[i], l->limit[i]);
		if (r < 0)
			return;
		n += (size_t)r;
	}
	if (n < outlen)
		snprintf(out + n, outlen - n, "window=%u", l->window_s);
}

bool
emu_throttle_window_hit(struct emu_window *w, unsigned limit,
    int64_t window_ms, int64_t now_ms)
{
	/*
	 * A clock that stepped back (now before start) also restarts the
	 * window, so a stuck window cannot throttle a user for ever.
	 */
	if (w->count == 0 || now_ms >= w->start_ms + window_ms ||
	    now_ms < w->start_ms) {
		w->start_ms = now_ms;
		w->count = 0;
	}
	/* Throttled calls count too (§3.1): hammering keeps you throttled. */
	if (w->count < UINT32_MAX)
		w->count++;
	return limit == 0 || w->count <= limit;
}

struct emu_throttle *
emu_throttle_new(size_t nusers, const struct emu_throttle_limits *l)
{
	struct emu_throttle *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if (nusers > 0 && (t->w = calloc(nusers, sizeof(*t->w))) == NULL) {
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->nusers = nusers;
	t->limits = *l;
	return t;
}

void
emu_throttle_free(struct emu_throttle *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->w);
	free(t);
}

bool
emu_throttle_check(struct emu_throttle *t, size_t user, unsigned mask,
    int64_t now_ms)
{
	bool ok = true;
	int64_t win;
	size_t b;

	if (user >= t->nusers)
		return true;
	pthread_mutex_lock(&t->lock);
	if (t->limits.off)
		goto out;
	win = (int64_t)t->limits.window_s * 1000;
	/* Every bucket of the call is counted even when an earlier one
	 * already refused it. */
	for (b = 0; b < EMU_B_COUNT; b++)
		if ((mask & (1u << b)) != 0 &&
		    !emu_throttle_window_hit(&t->w[user][b], t->limits.limit[b],
		    win, now_ms))
			ok = false;
out:
	pthread_mutex_unlock(&t->lock);
	return ok;
}

void
emu_throttle_set_limits(struct emu_throttle *t,
    const struct emu_throttle_limits *l)
{
	pthread_mutex_lock(&t->lock);
	t->limits = *l;
	if (t->nusers > 0)
		memset(t->w, 0, t->nusers * sizeof(*t->w));
	pthread_mutex_unlock(&t->lock);
}

void
emu_throttle_get_limits(struct emu_throttle *t,
    struct emu_throttle_limits *out)
{
	pthread_mutex_lock(&t->lock);
	*out = t->limits;
	pthread_mutex_unlock(&t->lock);
}

void
emu_throttle_clear(struct emu_throttle *t)
{
	pthread_mutex_lock(&t->lock);
	if (t->nusers > 0)
		memset(t->w, 0, t->nusers * sizeof(*t->w));
	pthread_mutex_unlock(&t->lock);
}
