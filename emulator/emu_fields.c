/*
 * Field tables and their use (see emu_fields.h). The Show names and nesting
 * follow the captured v1 JSON of §5.1 (C4 z.py) and the wiki's Exchange
 * example (§5.3). Sizes: [UNKNOWN] in the sources; the bounds here are ours
 * (documented in rsemu.1). Pure; any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_fields.h"
#include "emu_valid.h"
#include "err.h"
#include "strparse.h"

#define S(n, fl, mx) { n, NULL, EMU_FT_STR, fl, EMU_D_NULL, mx }
#define NS(n) { n, NULL, EMU_FT_STR, EMU_F_NESTED, EMU_D_NULL, 256 }
#define B(n, d) { n, NULL, EMU_FT_BOOL, 0, d, 0 }
#define BRO(n, d) { n, NULL, EMU_FT_BOOL, EMU_F_READONLY, d, 0 }
#define SIZE_MB 1048576u	/* 1 TiB in MB: far above any real plan */

const struct emu_field emu_fields_rs_mbx[] = {
	S("displayName", 0, 256),
	{ "size", NULL, EMU_FT_INT, EMU_F_REQUIRED, EMU_D_ZERO, SIZE_MB },
	B("enabled", EMU_D_TRUE),
	B("enableVacationMessage", EMU_D_FALSE),
	S("vacationMessage", 0, 4096),
	{ "emailForwardingAddresses", "emailForwardingAddressList",
	    EMU_FT_LIST, 0, EMU_D_LIST, 15 },
	B("saveForwardedEmail", EMU_D_TRUE),
	B("visibleInExchangeGAL", EMU_D_TRUE),
	B("visibleInRackspaceEmailCompanyDirectory", EMU_D_TRUE),
	NS("firstName"), NS("lastName"), NS("initials"),
	NS("generationQualifier"), NS("organizationUnit"),
	NS("organizationalStatus"), NS("title"), NS("userID"),
	NS("employeeType"), NS("customID"),
	{ "notes", NULL, EMU_FT_STR, EMU_F_NESTED, EMU_D_NULL, 4096 },
	NS("businessStreet"), NS("businessCity"), NS("businessState"),
	NS("businessPostalCode"), NS("businessCountry"),
	NS("homeStreet"), NS("homeCity"), NS("homeState"),
	NS("homePostalCode"), NS("homeCountry"),
	NS("businessNumber"), NS("homeNumber"), NS("mobileNumber"),
	NS("faxNumber"), NS("homeFaxNumber"), NS("pagerNumber"),
	{ NULL, NULL, EMU_FT_STR, 0, EMU_D_NULL, 0 }
};

const struct emu_field emu_fields_ex_mbx[] = {
	S("displayName", EMU_F_REQUIRED | EMU_F_NONEMPTY, 256),
	{ "size", NULL, EMU_FT_INT, EMU_F_REQUIRED, EMU_D_ZERO, SIZE_MB },
	B("isHidden", EMU_D_FALSE),
	B("isPublicFolderAdmin", EMU_D_FALSE),
	B("enabled", EMU_D_TRUE),
	{ "emailForwardingAddress", NULL, EMU_FT_ADDR, 0, EMU_D_NULL, 0 },
	BRO("hasBlackBerryMobileService", EMU_D_FALSE),
	BRO("hasActiveSyncMobileService", EMU_D_FALSE),
	S("samAccountName", EMU_F_READONLY, 64),
	B("visibleInRackspaceEmailCompanyDirectory", EMU_D_TRUE),
	NS("firstName"), NS("lastName"), NS("jobTitle"), NS("company"),
	NS("department"), NS("businessNumber"), NS("homeNumber"),
	NS("mobileNumber"), NS("faxNumber"), NS("pagerNumber"),
	NS("addressLine1"), NS("city"), NS("state"), NS("zip"),
	NS("country"),
	{ "notes", NULL, EMU_FT_STR, EMU_F_NESTED, EMU_D_NULL, 4096 },
	NS("customID"),
	{ NULL, NULL, EMU_FT_STR, 0, EMU_D_NULL, 0 }
};

/* [UNKNOWN] beyond displayName/externalEmail (§5.4): a flat model with the
 * Exchange mailbox's contact fields, our choice. */
const struct emu_field emu_fields_contact[] = {
	S("displayName", EMU_F_REQUIRED | EMU_F_NONEMPTY, 256),
	{ "externalEmail", NULL, EMU_FT_ADDR, EMU_F_REQUIRED | EMU_F_NONEMPTY,
	    EMU_D_NULL, 0 },
	S("firstName", 0, 256), S("lastName", 0, 256),
	S("jobTitle", 0, 256), S("company", 0, 256), S("department", 0, 256),
	S("businessNumber", 0, 256), S("homeNumber", 0, 256),
	S("mobileNumber", 0, 256), S("faxNumber", 0, 256),
	S("pagerNumber", 0, 256), S("addressLine1", 0, 256),
	S("city", 0, 256), S("state", 0, 256), S("zip", 0, 256),
	S("country", 0, 256), S("notes", 0, 4096), S("customID", 0, 256),
	B("isHidden", EMU_D_FALSE),
	{ NULL, NULL, EMU_FT_STR, 0, EMU_D_NULL, 0 }
};

const struct emu_field *
emu_fields_find(const struct emu_field *tab, const char *name)
{
	const struct emu_field *f;

	for (f = tab; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0 ||
		    (f->read != NULL && strcmp(f->read, name) == 0))
			return f;
	return NULL;
}

/* Splits a CSV of addresses (emu_valid_csv_next) into a JSON array. */
static int
emu_fields_list(const struct emu_field *f, const char *v, json_t **out,
    char *why, size_t whylen)
{
	char item[EMU_ADDRESS_MAX + 1];
	const char *p = v, *a = v;
	json_t *arr = json_array();
	size_t len = 0;

	while (emu_valid_csv_next(&p, &a, &len)) {
		if (len > EMU_ADDRESS_MAX)
			goto bad;
		memcpy(item, a, len);
		item[len] = '\0';
		if (!emu_valid_address(item))
			goto bad;
		if (json_array_size(arr) >= f->max) {
			snprintf(why, whylen, "%s: at most %u addresses.",
			    f->name, f->max);
			json_decref(arr);
			return -ADSYNC_EVALIDATION;
		}
		json_array_append_new(arr, json_string(item));
	}
	*out = arr;
	return 0;
bad:
	snprintf(why, whylen, "%s: \"%.*s\" is not a valid email address.",
	    f->name, (int)(len > 80 ? 80 : len), a);
	json_decref(arr);
	return -ADSYNC_EVALIDATION;
}

static int
emu_fields_parse(const struct emu_field *f, const char *v, json_t **out,
    char *why, size_t whylen)
{
	const char *errstr;
	long long n;
	bool b;

	if ((f->flags & EMU_F_NONEMPTY) && v[0] == '\0') {
		snprintf(why, whylen, "%s cannot be empty.", f->name);
		return -ADSYNC_EVALIDATION;
	}
	switch (f->type) {
	case EMU_FT_STR:
		if (strlen(v) > f->max) {
			snprintf(why, whylen, "%s is longer than %u "
			    "characters.", f->name, f->max);
			return -ADSYNC_EVALIDATION;
		}
		*out = json_string(v);
		return 0;
	case EMU_FT_ADDR:
		if (v[0] != '\0' && !emu_valid_address(v)) {
			snprintf(why, whylen, "%s: \"%.80s\" is not a valid "
			    "email address.", f->name, v);
			return -ADSYNC_EVALIDATION;
		}
		*out = json_string(v);
		return 0;
	case EMU_FT_BOOL:
		if (emu_valid_bool(v, &b) < 0) {
			snprintf(why, whylen, "%s must be true or false.",
			    f->name);
			return -ADSYNC_EVALIDATION;
		}
		*out = json_boolean(b);
		return 0;
	case EMU_FT_INT:
		if (strparse_num(v, 1, f->max, &n, &errstr) < 0) {
			snprintf(why, whylen, "%s must be a number from 1 to "
			    "%u.", f->name, f->max);
			return -ADSYNC_EVALIDATION;
		}
		*out = json_integer(n);
		return 0;
	case EMU_FT_LIST:
		return emu_fields_list(f, v, out, why, whylen);
	}
	return -ADSYNC_EPARSE;
}

int
emu_fields_apply(const struct emu_field *tab, struct emu_form *form,
    json_t *data, bool adding, char *why, size_t whylen)
{
	const struct emu_field *f;
	json_t *v;
	size_t i;
	int r;

	for (i = 0; i < form->n; i++) {
		if (form->v[i].used)
			continue;
		f = emu_fields_find(tab, form->v[i].name);
		/* Only form names are accepted on write, not Show names
		 * (emailForwardingAddressList is read-only, §5.1). */
		if (f == NULL || strcmp(f->name, form->v[i].name) != 0) {
			snprintf(why, whylen, "Unknown field: %.64s",
			    form->v[i].name);
			return -ADSYNC_EPARSE;
		}
		if (f->flags & EMU_F_READONLY) {
			snprintf(why, whylen, "Field %s cannot be set.",
			    f->name);
			return -ADSYNC_EPARSE;
		}
		if ((r = emu_fields_parse(f, form->v[i].value, &v, why,
		    whylen)) < 0)
			return r;
		json_object_set_new(data, f->name, v);
		form->v[i].used = true;
	}
	if (!adding)
		return 0;
	for (f = tab; f->name != NULL; f++) {
		if ((f->flags & EMU_F_REQUIRED) &&
		    json_object_get(data, f->name) == NULL) {
			snprintf(why, whylen, "Missing required field: %s",
			    f->name);
			return -ADSYNC_EPARSE;
		}
	}
	return 0;
}

json_t *
emu_fields_value(const struct emu_field *f, const json_t *data)
{
	json_t *v = json_object_get(data, f->name);

	if (v != NULL)
		return json_incref(v);
	switch (f->def) {
	case EMU_D_TRUE:
		return json_true();
	case EMU_D_FALSE:
		return json_false();
	case EMU_D_ZERO:
		return json_integer(0);
	case EMU_D_LIST:
		return json_array();
	case EMU_D_NULL:
		break;
	}
	return json_null();
}

void
emu_fields_show(const struct emu_field *tab, const json_t *data, json_t *out,
    json_t *nested)
{
	const struct emu_field *f;

	for (f = tab; f->name != NULL; f++)
		json_object_set_new((f->flags & EMU_F_NESTED) ? nested : out,
		    f->read != NULL ? f->read : f->name,
		    emu_fields_value(f, data));
}

const char *
emu_fields_str(const json_t *data, const char *name, const char *def)
{
	const json_t *v = json_object_get(data, name);

	return json_is_string(v) ? json_string_value(v) : def;
}

bool
emu_fields_bool(const json_t *data, const char *name, bool def)
{
	const json_t *v = json_object_get(data, name);

	return json_is_boolean(v) ? json_is_true(v) : def;
}
