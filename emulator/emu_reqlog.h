/*
 * The request log and the counters behind GET /_emu/requests and
 * GET /_emu/stats. The log is a bounded ring of serialised JSON entries
 * (oldest dropped first), so memory stays bounded however long a benchmark
 * runs. Written by the API listener's worker threads, read by the admin
 * listener's: one mutex inside, never held with another lock.
 *
 * SECURITY: entries never hold the X-Api-Signature, and callers replace any
 * "password" value with "<redacted>" before adding (emu_reqlog_redact).
 */
#ifndef EMU_REQLOG_H
#define EMU_REQLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "emu_faults.h"

struct emu_reqlog;

/* A log keeping at most `max` entries (0 = keep none). NULL on ENOMEM. */
struct emu_reqlog *emu_reqlog_new(size_t max);
void emu_reqlog_free(struct emu_reqlog *l);

/*
 * Adds `entry` (reference taken), setting its "id". Returns the id. Does
 * nothing but count when max is 0. Thread-safe.
 */
uint64_t emu_reqlog_add(struct emu_reqlog *l, json_t *entry);

/*
 * The entries with id > since, oldest first, at most `limit`, as JSON text
 * {"requests":[...],"last_id":N,"dropped":N} (caller frees). NULL on ENOMEM.
 */
char *emu_reqlog_dump(struct emu_reqlog *l, uint64_t since, size_t limit);

/* Replaces every "password" member (at any depth) with "<redacted>". */
void emu_reqlog_redact(json_t *j);

enum emu_stat_flag {
	EMU_STAT_AUTHFAIL = 1,
	EMU_STAT_THROTTLED = 2
};

/* Counts one API request by method and status (0 = no reply), flags and
 * injected fault. Thread-safe. */
void emu_reqlog_count(struct emu_reqlog *l, const char *method,
    unsigned status, unsigned flags, enum emu_fault_action fault);

/* The counters as a new JSON object (caller owns). */
json_t *emu_reqlog_stats(struct emu_reqlog *l);

/* Empties the log and zeroes the counters; ids keep increasing. */
void emu_reqlog_clear(struct emu_reqlog *l);

#endif
