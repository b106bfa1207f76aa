/*
 * Validation rules of the emulated service: the password rule, object names,
 * e-mail addresses, booleans, and the paging/filter query parameters of the
 * Index operations. Pure; any thread; every input is untrusted.
 */
#ifndef EMU_VALID_H
#define EMU_VALID_H

#include <stdbool.h>
#include <stddef.h>

#include "attributes.h"
#include "emu_form.h"

#define EMU_PASSWORD_MIN 8
#define EMU_PASSWORD_MAX 128	/* [UNKNOWN] upper bound, our choice */
#define EMU_NAME_MAX 64		/* mailbox, alias, contact, list names */
#define EMU_ADDRESS_MAX 254	/* RFC 5321 path limit */
#define EMU_PAGE_DEFAULT 50
#define EMU_PAGE_MAX 250
#define EMU_DL_LIMIT_DEFAULT 100
#define EMU_DL_LIMIT_MAX 100
#define EMU_FILTER_MAX 64

/*
 * The current rule (docs/rackspace-api.md §7): at least 8 characters and
 * characters from at least 3 of 4 classes (upper, lower, digit, other).
 * Returns 0, or -ADSYNC_EVALIDATION with *why (static text) set.
 */
int emu_valid_password(const char *pw, const char **why /* OUT */);

/* A mailbox/alias/contact/list name: 1..EMU_NAME_MAX of [A-Za-z0-9._'+-],
 * not starting or ending with '.', no "..". */
bool emu_valid_name(const char *name);

/* local@domain with a valid name-like local part (up to 64) and a domain of
 * dot-separated labels; at most EMU_ADDRESS_MAX bytes. */
bool emu_valid_address(const char *addr);

/*
 * The next item of a comma-separated address list (emailForwardingAddresses,
 * aliasEmails) at *p, which moves past it: spaces around an item are
 * dropped and empty items skipped. Sets *item (not NUL-terminated, borrowed
 * from the list) and *len; false at the end of the list.
 */
bool emu_valid_csv_next(const char **p, const char **item /* OUT */,
    size_t *len /* OUT */);

/* "true"/"false", case-insensitively (C5 posts Python's "True"). */
int emu_valid_bool(const char *s, bool *out /* OUT */);

/* Offset-paged Index parameters (docs/rackspace-api.md §4.2). */
struct emu_index_q {
	unsigned size;		/* 1..250, default 50 */
	unsigned offset;	/* default 0 */
	char like[3 * EMU_FILTER_MAX + 4];	/* LIKE pattern or "" */
	bool digits;		/* startswith=0-9 */
	int enabled;		/* -1 = any, 0, 1 */
	const char *fields;	/* borrowed from the form, or NULL */
};

/*
 * Reads size, offset, startswith, contains, enabled (only if
 * `allow_enabled`) and fields from `q` (marks them used). Returns 0, or
 * -ADSYNC_EPARSE with a sentence in `why` (size outside 1..250, both
 * startswith and contains, ...).
 */
int emu_valid_index_query(struct emu_form *q, bool allow_enabled,
    struct emu_index_q *out /* OUT */, char *why, size_t whylen)
    ATTR_NODISCARD;

/* Marker-paged distribution list Index parameters (§4.3). */
struct emu_dl_q {
	const char *marker;	/* borrowed, or NULL */
	unsigned limit;		/* 1..100, default 100 */
	bool by_display;	/* sort=DisplayName */
	bool desc;		/* order=desc */
	char like[3 * EMU_FILTER_MAX + 4];	/* "%search%" or "" */
};

int emu_valid_dl_query(struct emu_form *q, struct emu_dl_q *out /* OUT */,
    char *why, size_t whylen) ATTR_NODISCARD;

#endif
