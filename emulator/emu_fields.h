/*
 * The field tables of the form-encoded resources (docs/rackspace-api.md
 * §5.1, §5.3, §5.4): for each field its form name, its Show name, type,
 * whether it is nested in "contactInfo" on read, required on add, read-only,
 * and its value when never set. Show output, Add/Edit parsing, the unset
 * rule and `?fields=` all follow these tables, so a field is added in one
 * place. Pure; any thread; form values are untrusted.
 *
 * The unset rule (documented in rsemu.1): a string field never written
 * reads as null; written as "" it reads as "". Booleans and numbers always
 * have a value (their default until written).
 */
#ifndef EMU_FIELDS_H
#define EMU_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "attributes.h"
#include "emu_form.h"

enum emu_ftype {
	EMU_FT_STR,	/* text, up to `max` bytes */
	EMU_FT_ADDR,	/* "" or an e-mail address */
	EMU_FT_BOOL,	/* true/false, case-insensitive */
	EMU_FT_INT,	/* decimal, 1..`max` */
	EMU_FT_LIST	/* comma-separated addresses (write), array (read) */
};

#define EMU_F_NESTED 0x1	/* read inside "contactInfo" */
#define EMU_F_REQUIRED 0x2	/* required on add */
#define EMU_F_READONLY 0x4	/* never accepted on write */
#define EMU_F_NONEMPTY 0x8	/* may not be set to "" */

enum emu_fdef {
	EMU_D_NULL,	/* null */
	EMU_D_TRUE,
	EMU_D_FALSE,
	EMU_D_ZERO,
	EMU_D_LIST	/* [] */
};

struct emu_field {
	const char *name;	/* form name, and stored key */
	const char *read;	/* Show name; NULL = same as name */
	enum emu_ftype type;
	unsigned flags;
	enum emu_fdef def;
	unsigned max;		/* bytes (STR), value (INT), items (LIST) */
};

/* Tables end with a NULL name. */
extern const struct emu_field emu_fields_rs_mbx[];
extern const struct emu_field emu_fields_ex_mbx[];
extern const struct emu_field emu_fields_contact[];

/* The field named `name` (form name or Show name), or NULL. */
const struct emu_field *emu_fields_find(const struct emu_field *tab,
    const char *name);

/*
 * Applies every not-yet-used field of `form` to `data` (a JSON object of
 * stored values). With `adding`, every EMU_F_REQUIRED field must be present.
 * Returns 0, or -ADSYNC_EPARSE (unknown/read-only field: *status 400
 * badRequestFault) / -ADSYNC_EVALIDATION (bad value, missing field) with
 * the message in `why`. `data` may be partly changed on failure (callers
 * roll back).
 */
int emu_fields_apply(const struct emu_field *tab, struct emu_form *form,
    json_t *data, bool adding, char *why, size_t whylen) ATTR_NODISCARD;

/* The stored or default value of `f` in `data` (new reference). */
json_t *emu_fields_value(const struct emu_field *f, const json_t *data);

/*
 * Adds every field of `tab` to `out` in table order: top-level ones into
 * `out`, EMU_F_NESTED ones into `nested` (both borrowed).
 */
void emu_fields_show(const struct emu_field *tab, const json_t *data,
    json_t *out, json_t *nested);

/* The string value of `name` in `data`, or `def`. Borrowed. */
const char *emu_fields_str(const json_t *data, const char *name,
    const char *def);
/* The boolean value of `name` in `data`, or `def`. */
bool emu_fields_bool(const json_t *data, const char *name, bool def);

#endif
