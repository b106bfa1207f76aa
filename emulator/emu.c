/*
 * The emulator's clocks (see emu.h). Any thread.
 */
#include <time.h>

#include "emu.h"
#include "emu_config.h"

time_t
emu_now(const struct emu *e)
{
	/* --clock-offset simulates a server whose clock is off. */
	return time(NULL) + (time_t)e->cfg->clock_offset;
}

int64_t
emu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
