/*
 * Rate limiting per API user key in fixed windows (docs/rackspace-api.md §3):
 * GET 60, PUT/POST/DELETE 30, domain writes 2, alternate-domain POST/DELETE 2
 * per 60 s by default. Every correctly signed call is counted, including
 * failed and rejected ones, as the real service does.
 *
 * The window arithmetic (emu_throttle_window_hit) and the SPEC parser are
 * pure and take `now` from the caller. The table (struct emu_throttle) is
 * shared by the MHD worker threads and guarded by its own mutex, which is
 * never held while another lock is taken.
 */
#ifndef EMU_THROTTLE_H
#define EMU_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attributes.h"

enum emu_bucket {
	EMU_B_GET = 0,		/* GET (and HEAD) */
	EMU_B_WRITE,		/* PUT, POST, DELETE */
	EMU_B_DOMAIN,		/* writes on /domains/{dom} itself */
	EMU_B_ALTDOMAIN,	/* POST/DELETE on alternate domains */
	EMU_B_COUNT
};

#define EMU_THROTTLE_LIMIT_MAX 10000000u
#define EMU_THROTTLE_WINDOW_MAX 86400u
#define EMU_THROTTLE_SPEC_MAX 256

struct emu_throttle_limits {
	bool off;			/* nothing is limited */
	unsigned limit[EMU_B_COUNT];	/* 0 = that bucket is not limited */
	unsigned window_s;		/* window length, seconds (>= 1) */
};

/* One fixed window of one bucket of one user. */
struct emu_window {
	int64_t start_ms;	/* start of the current window */
	uint32_t count;		/* calls counted in it */
};

/* The real service's limits: 60/30/2/2 per 60 s. */
void emu_throttle_defaults(struct emu_throttle_limits *out /* OUT */);

/*
 * Parses a SPEC: "rackspace" (the defaults), "off", or a comma-separated
 * subset of get=N, write=N, domain=N, altdomain=N, window=SECONDS applied
 * over the defaults; N may be "off" to lift one bucket. Returns 0 and *out,
 * or -ADSYNC_EPARSE / -ADSYNC_ERANGE with a sentence in `why`.
 */
int emu_throttle_spec_parse(const char *spec,
    struct emu_throttle_limits *out /* OUT */, char *why, size_t whylen)
    ATTR_NODISCARD;

/* Formats limits as a SPEC that parses back to the same limits. */
void emu_throttle_spec_format(const struct emu_throttle_limits *l,
    char *out /* OUT */, size_t outlen);

/*
 * Counts one call in window `w` at `now_ms` and says whether it is within
 * `limit`. A window that has run its `window_ms` is restarted at `now_ms`
 * (fixed windows that begin with the first call after the last one ended).
 * limit 0 means unlimited (the call is still counted). Pure.
 */
bool emu_throttle_window_hit(struct emu_window *w, unsigned limit,
    int64_t window_ms, int64_t now_ms);

struct emu_throttle;

/* A table for `nusers` users (indexes 0..nusers-1); NULL on ENOMEM. */
struct emu_throttle *emu_throttle_new(size_t nusers,
    const struct emu_throttle_limits *l);
void emu_throttle_free(struct emu_throttle *t);

/*
 * Counts a call of user `user` in every bucket set in `mask` (bit 1 <<
 * enum emu_bucket). Returns true if the call is allowed, false if any of its
 * buckets is over its limit. Thread-safe.
 */
bool emu_throttle_check(struct emu_throttle *t, size_t user, unsigned mask,
    int64_t now_ms);

/* Replaces the limits and clears every window. Thread-safe. */
void emu_throttle_set_limits(struct emu_throttle *t,
    const struct emu_throttle_limits *l);
/* Copies the limits. Thread-safe. */
void emu_throttle_get_limits(struct emu_throttle *t,
    struct emu_throttle_limits *out /* OUT */);
/* Clears every window (admin reset). Thread-safe. */
void emu_throttle_clear(struct emu_throttle *t);

#endif
