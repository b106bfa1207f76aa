/*
 * Elapsed and CPU time as seconds in a double, for log lines, summaries and
 * benchmarks (never for deadlines: those stay in integer ms, see
 * src/target). Pure wrappers over clock_gettime(); any thread.
 */
#ifndef ADSYNC_TIMING_H
#define ADSYNC_TIMING_H

/* Seconds on the monotonic clock (an arbitrary origin). */
double timing_now(void);
/* Seconds elapsed since `t0`, a timing_now() value. */
double timing_since(double t0);
/* CPU seconds (user + system) this process has used. */
double timing_cpu(void);

#endif
