/*
 * The attribute map: which AD attribute feeds which API write field of
 * each service and kind, in one table (the seed's "Synchronized user
 * attributes" list, rackspace-api.md §9.8, with the field names of §5.1,
 * §5.3 and §5.4 and of rsemu's emu_fields.c). plan_map_fields() turns an
 * object into the write fields it should have. Pure; any thread; the
 * values come from AD and are copied as they are (plan_diff.c checks
 * their length and characters before they become form fields).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "plan_internal.h"

/*
 * One row per synced attribute. NULL: not synced to that service/kind.
 *
 * - mail is the identity of mailboxes and lists (URL name and domain, not
 *   a field); for contacts it is the external address.
 * - "RS only" in the seed (generationQualifier, initials, o,
 *   otherFacsimileTelephoneNumber, employeeID, employeeType) and "Exchange
 *   only" (company, department) are the columns left NULL here.
 * - Contacts: the seed names only displayName and mail; the API documents
 *   displayName and externalEmail (§5.4). rsemu's contact model accepts
 *   the Exchange mailbox's contact fields, so contacts get the same
 *   columns as Exchange mailboxes. [INFERRED]
 * - physicalDeliveryOfficeName (Office, "Exchange only" in the seed) has
 *   no documented Exchange field (§5.3 "Gaps"): the row is kept, with
 *   NULL everywhere, so the gap is visible here and in docs/plan.md
 *   rather than guessed into an unknown form field the API might refuse.
 * - userAccountControl feeds "enabled" (plan_diff.c), proxyAddresses the
 *   alternate addresses (plan_diff.c): neither is a plain field.
 * - o and otherFacsimileTelephoneNumber are multi-valued in AD; the first
 *   value is synced (the API fields hold one value).
 */
const struct plan_map_entry plan_map[] = {
	/* attribute, then Rackspace Email mailbox, Exchange mailbox and
	 * Exchange contact fields */
	{ OBJ_A_MAIL, NULL, NULL, "externalEmail" },
	{ OBJ_A_DISPLAY_NAME, "displayName", "displayName", "displayName" },
	{ OBJ_A_SN, "lastName", "lastName", "lastName" },
	{ OBJ_A_GIVEN_NAME, "firstName", "firstName", "firstName" },
	{ OBJ_A_GENERATION_QUALIFIER, "generationQualifier", NULL, NULL },
	{ OBJ_A_INITIALS, "initials", NULL, NULL },
	{ OBJ_A_O, "organizationUnit", NULL, NULL },
	{ OBJ_A_TELEPHONE_NUMBER, "businessNumber", "businessNumber",
	    "businessNumber" },
	{ OBJ_A_PAGER, "pagerNumber", "pagerNumber", "pagerNumber" },
	{ OBJ_A_HOME_PHONE, "homeNumber", "homeNumber", "homeNumber" },
	{ OBJ_A_MOBILE, "mobileNumber", "mobileNumber", "mobileNumber" },
	{ OBJ_A_FACSIMILE_TELEPHONE_NUMBER, "faxNumber", "faxNumber",
	    "faxNumber" },
	{ OBJ_A_OTHER_FACSIMILE_TELEPHONE_NUMBER, "homeFaxNumber", NULL,
	    NULL },
	{ OBJ_A_STREET_ADDRESS, "businessStreet", "addressLine1",
	    "addressLine1" },
	{ OBJ_A_L, "businessCity", "city", "city" },
	{ OBJ_A_ST, "businessState", "state", "state" },
	{ OBJ_A_POSTAL_CODE, "businessPostalCode", "zip", "zip" },
	{ OBJ_A_CO, "businessCountry", "country", "country" },
	{ OBJ_A_TITLE, "title", "jobTitle", "jobTitle" },
	{ OBJ_A_EMPLOYEE_ID, "userID", NULL, NULL },
	{ OBJ_A_EMPLOYEE_TYPE, "employeeType", NULL, NULL },
	{ OBJ_A_COMPANY, NULL, "company", "company" },
	{ OBJ_A_DEPARTMENT, NULL, "department", "department" },
	/* Office: no documented Exchange field (rackspace-api.md §5.3). */
	{ OBJ_A_PHYSICAL_DELIVERY_OFFICE_NAME, NULL, NULL, NULL },
};
const size_t plan_map_n = sizeof(plan_map) / sizeof(plan_map[0]);

const char *
plan_map_column(const struct plan_map_entry *e, enum plan_service s,
    enum plan_kind k)
{
	if (s == PLAN_SVC_RS && k == PLAN_K_MAILBOX)
		return e->rs_mailbox;
	if (s == PLAN_SVC_EX && k == PLAN_K_MAILBOX)
		return e->ex_mailbox;
	if (s == PLAN_SVC_EX && k == PLAN_K_CONTACT)
		return e->ex_contact;
	return NULL;
}

static const char *
plan_map_value(const struct obj *o, enum obj_attr a)
{
	const char *v = obj_value(o, a);

	return v != NULL ? v : "";
}

/*
 * Hosted Exchange refuses an object without a display name (§5.3 Add:
 * displayName is required; rsemu checks it is not empty), while AD
 * leaves displayName unset for many objects. Fall back to what a person
 * would call the object: cn (always set in AD), then "givenName sn", then
 * the local part of mail.
 */
static int
plan_map_display_fallback(const struct obj *o, struct rs_record *out)
{
	const char *gn = plan_map_value(o, OBJ_A_GIVEN_NAME);
	const char *sn = plan_map_value(o, OBJ_A_SN);
	const char *mail = plan_map_value(o, OBJ_A_MAIL);
	const char *at;
	char *s;
	size_t len;
	int r;

	if (plan_map_value(o, OBJ_A_CN)[0] != '\0')
		return rs_record_set(out, "displayName",
		    plan_map_value(o, OBJ_A_CN));
	if (gn[0] != '\0' || sn[0] != '\0') {
		len = strlen(gn) + strlen(sn) + 2;
		if ((s = malloc(len)) == NULL)
			return -ENOMEM;
		snprintf(s, len, "%s%s%s", gn, gn[0] != '\0' &&
		    sn[0] != '\0' ? " " : "", sn);
		r = rs_record_set(out, "displayName", s);
		free(s);
		return r;
	}
	at = strchr(mail, '@');
	len = at != NULL ? (size_t)(at - mail) : strlen(mail);
	if ((s = strndup(mail, len)) == NULL)
		return -ENOMEM;
	r = rs_record_set(out, "displayName", s);
	free(s);
	return r;
}

int
plan_map_fields(const struct obj *o, enum plan_service s, enum plan_kind k,
    struct rs_record *out)
{
	struct rs_record rec;
	const char *col;
	size_t i;
	int r = 0;

	if (o == NULL || out == NULL || (unsigned)s >= PLAN_SVC_COUNT ||
	    (unsigned)k >= PLAN_K_COUNT ||
	    (s == PLAN_SVC_RS && k != PLAN_K_MAILBOX))
		return -EINVAL;
	rs_record_init(&rec);
	if (k == PLAN_K_DL) {
		/* A list carries only its display name (§5.5 edit takes
		 * displayName and description; AD has no description we
		 * sync). */
		r = rs_record_set(&rec, "displayName",
		    plan_map_value(o, OBJ_A_DISPLAY_NAME));
	} else {
		for (i = 0; i < plan_map_n && r == 0; i++) {
			if ((col = plan_map_column(&plan_map[i], s, k)) == NULL)
				continue;
			r = rs_record_set(&rec, col,
			    plan_map_value(o, plan_map[i].attr));
		}
	}
	if (r == 0 && s == PLAN_SVC_EX &&
	    rs_record_get(&rec, "displayName")[0] == '\0')
		r = plan_map_display_fallback(o, &rec);
	if (r < 0) {
		rs_record_fini(&rec);
		return r;
	}
	*out = rec;
	return 0;
}

const char *
plan_map_attr_of(enum plan_service s, enum plan_kind k, const char *field)
{
	const char *col;
	size_t i;

	if (k == PLAN_K_DL && strcmp(field, "displayName") == 0)
		return "displayName";
	for (i = 0; i < plan_map_n; i++) {
		col = plan_map_column(&plan_map[i], s, k);
		if (col != NULL && strcmp(col, field) == 0)
			return obj_attr_desc(plan_map[i].attr)->ldap;
	}
	return field;
}
