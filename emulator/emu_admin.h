/*
 * The admin API on --admin-listen (loopback only, plain HTTP, no
 * authentication, JSON): state dump, reset, password check, request log,
 * stats, faults and throttle control for tests. Runs on the admin
 * listener's MHD worker threads. Bodies come from tests on the same host
 * but are still parsed strictly and bounded.
 *
 * SECURITY: the state dump never contains password hashes or secrets; the
 * request log has passwords redacted before it is stored.
 */
#ifndef EMU_ADMIN_H
#define EMU_ADMIN_H

#include <stddef.h>

#include "emu.h"
#include "emu_resp.h"

/* Handles one admin request; `r` is initialised by the caller. */
void emu_admin_process(struct emu *e, const char *method, const char *target,
    const char *body, size_t body_len, struct emu_resp *r);

/* Restores the start-up state: accounts and domains of the configuration,
 * no objects, empty log and stats, start-up throttle and faults. 0 or
 * negative. */
int emu_admin_reset(struct emu *e);

#endif
