/*
 * The emulator as a whole: the context every listener and handler shares.
 * main (rsemu.c) builds it before any thread starts and tears it down after
 * the listeners stopped. Its members are either read-only after start-up
 * (cfg) or carry their own lock (state, throttle, faults, reqlog, timer);
 * no code holds two of those locks at once.
 */
#ifndef EMU_H
#define EMU_H

#include <stdint.h>
#include <time.h>

struct emu_config;
struct emu_state;
struct emu_throttle;
struct emu_faults;
struct emu_reqlog;
struct emu_timer;

struct emu {
	struct emu_config *cfg;		/* read-only after start-up */
	struct emu_state *state;	/* its own mutex */
	struct emu_throttle *throttle;	/* its own mutex */
	struct emu_faults *faults;	/* its own mutex */
	struct emu_reqlog *reqlog;	/* its own mutex (log and stats) */
	struct emu_timer *timer;	/* its own mutex */
};

/* The server's clock: UTC shifted by --clock-offset. Any thread. */
time_t emu_now(const struct emu *e);
/* Monotonic milliseconds, for throttle windows and timers. Any thread. */
int64_t emu_now_ms(void);

#endif
