/*
 * A single timer thread that calls a function at a deadline. The HTTP layer
 * uses it to resume suspended MHD connections after injected latency or a
 * stall, so no worker thread ever sleeps. emu_timer_add() is called from MHD
 * worker threads; callbacks run on the timer thread with no lock held.
 */
#ifndef EMU_TIMER_H
#define EMU_TIMER_H

#include <stdint.h>

#include "attributes.h"

typedef void emu_timer_fn(void *arg);

struct emu_timer;

/* Starts the thread. NULL on failure. */
struct emu_timer *emu_timer_new(void);

/* Calls fn(arg) at monotonic time `due_ms` (emu_now_ms()). 0 or -ENOMEM. */
int emu_timer_add(struct emu_timer *t, int64_t due_ms, emu_timer_fn *fn,
    void *arg) ATTR_NODISCARD;

/* Calls every pending callback now, in deadline order (shutdown). The timer
 * keeps running. */
void emu_timer_flush(struct emu_timer *t);

/* Flushes, stops the thread and frees; accepts NULL. */
void emu_timer_free(struct emu_timer *t);

#endif
