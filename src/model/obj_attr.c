/*
 * The attribute table: each kept attribute's LDAP display name, spelled as
 * AD's schema spells it (lDAPDisplayName), and whether it is multi-valued.
 * Lookup by the name a server returns. Static data; any thread; names to
 * look up come from the DC and are untrusted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obj.h"

/*
 * One row per enum obj_attr, in enum order. The list is written once and
 * expanded twice: into the table, and into position constants that the
 * _Static_asserts below compare with the enum, so a row out of order, a
 * missing row or a duplicate stops the build instead of silently mapping
 * one attribute onto another.
 *
 * Multi-valued in AD's schema (isSingleValued FALSE, MS-ADA1..3):
 * proxyAddresses, otherMailbox, otherFacsimileTelephoneNumber and o. The
 * others are single-valued in AD (sn, givenName, l, st, postalCode,
 * telephoneNumber...), unlike RFC 4519 where most of them are multi-valued;
 * obj_value_add() refuses a second value for them.
 */
#define OBJ_ATTR_ROWS(X)						\
	X(OBJ_A_MAIL, "mail", false)					\
	X(OBJ_A_DISPLAY_NAME, "displayName", false)			\
	X(OBJ_A_SN, "sn", false)					\
	X(OBJ_A_GIVEN_NAME, "givenName", false)				\
	X(OBJ_A_GENERATION_QUALIFIER, "generationQualifier", false)	\
	X(OBJ_A_INITIALS, "initials", false)				\
	X(OBJ_A_O, "o", true)						\
	X(OBJ_A_SAM_ACCOUNT_NAME, "sAMAccountName", false)		\
	X(OBJ_A_USER_PRINCIPAL_NAME, "userPrincipalName", false)	\
	X(OBJ_A_CN, "cn", false)					\
	X(OBJ_A_TELEPHONE_NUMBER, "telephoneNumber", false)		\
	X(OBJ_A_PAGER, "pager", false)					\
	X(OBJ_A_HOME_PHONE, "homePhone", false)				\
	X(OBJ_A_MOBILE, "mobile", false)				\
	X(OBJ_A_FACSIMILE_TELEPHONE_NUMBER,				\
	    "facsimileTelephoneNumber", false)				\
	X(OBJ_A_OTHER_FACSIMILE_TELEPHONE_NUMBER,			\
	    "otherFacsimileTelephoneNumber", true)			\
	X(OBJ_A_STREET_ADDRESS, "streetAddress", false)			\
	X(OBJ_A_L, "l", false)						\
	X(OBJ_A_ST, "st", false)					\
	X(OBJ_A_POSTAL_CODE, "postalCode", false)			\
	X(OBJ_A_CO, "co", false)					\
	X(OBJ_A_TITLE, "title", false)					\
	X(OBJ_A_EMPLOYEE_ID, "employeeID", false)			\
	X(OBJ_A_EMPLOYEE_TYPE, "employeeType", false)			\
	X(OBJ_A_COMPANY, "company", false)				\
	X(OBJ_A_DEPARTMENT, "department", false)			\
	X(OBJ_A_PHYSICAL_DELIVERY_OFFICE_NAME,				\
	    "physicalDeliveryOfficeName", false)			\
	X(OBJ_A_PROXY_ADDRESSES, "proxyAddresses", true)		\
	X(OBJ_A_OTHER_MAILBOX, "otherMailbox", true)			\
	X(OBJ_A_MAIL_NICKNAME, "mailNickname", false)			\
	X(OBJ_A_TARGET_ADDRESS, "targetAddress", false)

#define OBJ_ATTR_ROW(id, name, multi) { id, name, multi },
static const struct obj_attr_desc obj_attr_table[] = {
	OBJ_ATTR_ROWS(OBJ_ATTR_ROW)
};
#undef OBJ_ATTR_ROW

/* The position of each row in the list, to compare with the enum. */
#define OBJ_ATTR_POS(id, name, multi) OBJ_ATTR_POS_##id,
enum obj_attr_pos {
	OBJ_ATTR_ROWS(OBJ_ATTR_POS)
	OBJ_ATTR_POS_COUNT
};
#undef OBJ_ATTR_POS

#define OBJ_ATTR_CHECK(id, name, multi)					\
	_Static_assert((int)OBJ_ATTR_POS_##id == (int)id,		\
	    #id " is out of enum order in obj_attr_table");
OBJ_ATTR_ROWS(OBJ_ATTR_CHECK)
#undef OBJ_ATTR_CHECK
_Static_assert((int)OBJ_ATTR_POS_COUNT == (int)OBJ_A_COUNT,
    "obj_attr_table does not have one row per enum obj_attr");
_Static_assert(sizeof(obj_attr_table) / sizeof(obj_attr_table[0]) ==
    OBJ_A_COUNT, "obj_attr_table size");

/* Longest LDAP name in the table ("otherFacsimileTelephoneNumber"). */
#define OBJ_ATTR_NAME_MAX 64

const struct obj_attr_desc *
obj_attr_desc(enum obj_attr a)
{
	if ((unsigned)a >= OBJ_A_COUNT)
		return NULL;
	return &obj_attr_table[a];
}

/*
 * ASCII-only case folding. Attribute names are case-insensitive in LDAP
 * (RFC 4512 2.5); strncasecmp() would follow the locale, and in a Turkish
 * locale "I" does not fold to "i".
 */
static unsigned char
obj_attr_fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

int
obj_attr_lookup(const char *ldap_name, size_t len)
{
	const char *t;
	size_t i, k;

	if (ldap_name == NULL || len == 0 || len > OBJ_ATTR_NAME_MAX)
		return -1;
	for (i = 0; i < OBJ_A_COUNT; i++) {
		t = obj_attr_table[i].ldap;
		for (k = 0; k < len && t[k] != '\0'; k++)
			if (obj_attr_fold((unsigned char)ldap_name[k]) !=
			    obj_attr_fold((unsigned char)t[k]))
				break;
		if (k == len && t[k] == '\0')
			return (int)i;
	}
	return -1;
}
