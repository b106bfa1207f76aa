/*
 * Clocks: elapsed and CPU time as seconds in a double, for log lines,
 * summaries and benchmarks; integer milliseconds and absolute timespecs on
 * the monotonic clock for deadlines (timers, condition variables made
 * with CLOCK_MONOTONIC). Pure wrappers over clock_gettime(); any thread.
 */
#ifndef ADSYNC_TIMING_H
#define ADSYNC_TIMING_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on the monotonic clock (an arbitrary origin). */
int64_t timing_now_ms(void);
/* Unix milliseconds on the wall clock: for times other hosts compare with
 * (a hook's capture time) and that outlive the process. */
int64_t timing_wall_ms(void);
/* The monotonic time `ms` from now, for pthread_cond_timedwait() on a
 * condition variable whose clock is CLOCK_MONOTONIC. */
struct timespec timing_deadline(long ms);

/* Seconds on the monotonic clock (an arbitrary origin). */
double timing_now(void);
/* Seconds elapsed since `t0`, a timing_now() value. */
double timing_since(double t0);
/* CPU seconds (user + system) this process has used. */
double timing_cpu(void);

#endif
