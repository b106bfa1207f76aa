/*
 * An in-memory world for the planner's tests: AD objects, state rows and
 * the service's inventory, read from a small text format, behind a
 * struct plan_source; and a fake applier that does to the state and the
 * inventory what src/sync does after each successful API call, checking
 * the plan's invariants as it goes (no password, no mailbox delete, no
 * create of something that exists, ...). Test code only; one thread.
 *
 * Format (tests/unit/golden/plan/NAME.in), processed top to bottom:
 *
 *   # comment                       blank lines end a block
 *   [conf]   key = value            exchange_group, rackspace_email_group,
 *                                   domains, sync_proxy_addresses,
 *                                   exchange_mailbox_size,
 *                                   rackspace_email_mailbox_size,
 *                                   max_deletes, max_delete_percent,
 *                                   allow_deletes, target (online|offline),
 *                                   rounds (plans a changed AD may need
 *                                   to settle; default 1)
 *   [ad]     blocks of "attr: value": dn (first), objectGUID (canonical
 *            text, or a short hex number: "a1" is ...-0000000000a1),
 *            objectClass (user, contact, group, computer), userAccount-
 *            Control, isDeleted (TRUE), member (resolved to a GUID at
 *            read time), member-noguid (a reference without GUID), and
 *            any attribute of obj_attr.c; "held: ATTR REASON" (utf8,
 *            nul, long, many, single) holds ATTR as the reader does for
 *            a value it cannot take (its values stay: the mirror's last
 *            good ones), and a value given for ATTR later ends the hold.
 *            A block for a DN that exists replaces that object (its
 *            GUID stays unless given).
 *   [modify] blocks: dn, then "attr: value" (replaces the attribute; the
 *            first line of an attribute clears the old values), "attr:"
 *            (clears), "member+: DN", "member-: DN", "newdn: DN".
 *   [delete] one DN per line: deleted in AD (and dropped from every
 *            group's member list, as AD does); "DN | tombstone" keeps a
 *            tombstone that get() returns with isDeleted.
 *   [state]  blocks: anchor (GUID) or object (DN of an AD object),
 *            service (ex|rs), kind (mailbox|contact|dl), dn, address
 *            (name@domain), enabled, in_scope (default true), "field:
 *            name=value", "member: address", "alternate: address".
 *   [target] lines "SERVICE DOMAIN KIND NAME"; NAME "@DN" is the GUID text
 *            of that AD object (contact names).
 *   [apply]  builds the plan from what is known so far and applies it.
 */
#ifndef ADSYNC_PLAN_FIXTURE_H
#define ADSYNC_PLAN_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "plan.h"

struct fx_obj {
	struct obj *o;		/* owned; member refs are in `members` */
	char **members;		/* owned DNs */
	bool *noguid;		/* member given without GUID */
	size_t nmembers;
	bool modified;		/* changed by [modify] or [delete] */
};

struct fx_target {
	enum plan_service svc;
	enum plan_kind kind;
	char *domain;		/* owned */
	char *name;		/* owned */
};

struct fixture {
	struct fx_obj *objs;
	size_t nobjs;
	struct plan_row *rows;
	size_t nrows;
	struct fx_target *targets;
	size_t ntargets;
	struct conf_sync conf;	/* strings owned */
	bool allow_deletes;
	/* [conf] approve / reject = DN|SERVICE|OP (ex|rs, disable|delete):
	 * the administrator's decisions, resolved to GUIDs at plan time. */
	char *decided_spec[16];
	bool decided_reject[16];
	size_t ndecided;
	struct plan_opkey approved[16], rejected[16];
	bool offline;
	unsigned rounds;	/* see [conf] rounds */
	bool applied;		/* an [apply] section ran */
	bool added_late;	/* an object came or went after [apply] */
	unsigned next_guid;
	FILE *log;		/* "# applied: ..." lines (memstream) */
	char *logbuf;
	size_t loglen;
	/* fault injection for direct tests: a source callback returns
	 * `fail_code` when its name is `fail_cb` ("get", "find_dn",
	 * "row_get", "row_each", "target_find"). */
	const char *fail_cb;
	int fail_code;
	unsigned gets;		/* get() calls, for tests */
};

void fixture_init(struct fixture *fx);
void fixture_fini(struct fixture *fx);

/* Processes `text` (the format above). 0, or -1 with a message in err
 * (a broken fixture, a failed [apply]: the test fails). */
int fixture_load(struct fixture *fx, const char *text, char *err,
    size_t errlen);

/* The source over the fixture (borrowed; valid while fx lives). */
void fixture_source(struct fixture *fx, struct plan_source *src);
void fixture_opts(struct fixture *fx, struct plan_opts *opts);

/* Applies the ops of `p` (not the held ones) as the engine would after
 * each successful call. 0, or -1 with the broken invariant in err. */
int fixture_apply(struct fixture *fx, const struct plan *p, char *err,
    size_t errlen);

/* Applied-plan log lines so far ("" when none); borrowed. */
const char *fixture_log(struct fixture *fx);

#endif
