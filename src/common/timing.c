/*
 * Elapsed and CPU time in seconds (timing.h). Any thread.
 */
#include <time.h>

#include "timing.h"

static double
timing_clock(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

double
timing_now(void)
{
	return timing_clock(CLOCK_MONOTONIC);
}

double
timing_since(double t0)
{
	return timing_now() - t0;
}

double
timing_cpu(void)
{
	return timing_clock(CLOCK_PROCESS_CPUTIME_ID);
}
