/*
 * struct plan_row (the state's memory of one synced object) and the names
 * of the plan's enums. Pure; any thread.
 */
#include <stdlib.h>
#include <string.h>

#include "plan.h"

void
plan_row_init(struct plan_row *r)
{
	memset(r, 0, sizeof(*r));
	rs_record_init(&r->fields);
	rs_strlist_init(&r->members);
	rs_strlist_init(&r->addresses);
}

void
plan_row_fini(struct plan_row *r)
{
	if (r == NULL)
		return;
	free(r->dn);
	free(r->domain);
	free(r->name);
	rs_record_fini(&r->fields);
	rs_strlist_fini(&r->members);
	rs_strlist_fini(&r->addresses);
	plan_row_init(r);
}

const char *
plan_service_name(enum plan_service s)
{
	switch (s) {
	case PLAN_SVC_EX:
		return "ex";
	case PLAN_SVC_RS:
		return "rs";
	default:
		return "?";
	}
}

const char *
plan_kind_name(enum plan_kind k)
{
	switch (k) {
	case PLAN_K_MAILBOX:
		return "mailbox";
	case PLAN_K_CONTACT:
		return "contact";
	case PLAN_K_DL:
		return "dl";
	default:
		return "?";
	}
}

const char *
plan_opkind_name(enum plan_opkind k)
{
	static const char *const names[PLAN_OP_COUNT] = {
		[PLAN_OP_CREATE] = "create",
		[PLAN_OP_ADOPT] = "adopt",
		[PLAN_OP_UPDATE] = "update",
		[PLAN_OP_ENABLE] = "enable",
		[PLAN_OP_DISABLE] = "disable",
		[PLAN_OP_DELETE] = "delete",
		[PLAN_OP_ADDRESS_ADD] = "address-add",
		[PLAN_OP_ADDRESS_REMOVE] = "address-remove",
		[PLAN_OP_MEMBERS_ADD] = "members-add",
		[PLAN_OP_MEMBERS_REMOVE] = "members-remove",
	};

	if ((unsigned)k >= PLAN_OP_COUNT)
		return "?";
	return names[k];
}
