/*
 * Strict decoder for application/x-www-form-urlencoded text, used for request
 * bodies of the form-encoded resources and for every query string. It takes
 * untrusted bytes straight from the network: limits are checked before any
 * allocation, bad percent escapes, NUL bytes, invalid UTF-8, empty names and
 * duplicate names are errors. Pure; any thread.
 */
#ifndef EMU_FORM_H
#define EMU_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "attributes.h"

#define EMU_FORM_MAX_FIELDS 256		/* fields in one body or query */
#define EMU_FORM_NAME_MAX 64		/* bytes of a decoded name */
#define EMU_FORM_VALUE_MAX (256 * 1024)	/* bytes of a decoded value */

struct emu_form_field {
	char *name;	/* owned, decoded, NUL-terminated */
	char *value;	/* owned, decoded, NUL-terminated */
	bool used;	/* set by callers that check for unknown fields */
};

struct emu_form {
	struct emu_form_field *v;	/* owned array of n fields */
	size_t n;
};

/*
 * Decodes `len` bytes at `s` (no NUL needed) into `out`: '+' is a space,
 * %XX a byte; empty segments ("a=1&&b=2", a trailing '&') are skipped; a
 * segment without '=' is an error. Returns 0 and fills *out (release it with
 * emu_form_fini()), or -ADSYNC_EPARSE / -ADSYNC_ETOOBIG with a sentence in
 * `why`. *out is written only on success.
 */
int emu_form_parse(const char *s, size_t len, struct emu_form *out /* OUT */,
    char *why, size_t whylen) ATTR_NODISCARD;

/* Releases the fields; the form is empty afterwards. Accepts an empty form. */
void emu_form_fini(struct emu_form *f);

/* The value of field `name` (exact, case-sensitive) or NULL; marks it used.
 * Borrowed, valid until emu_form_fini(). */
const char *emu_form_get(struct emu_form *f, const char *name);

/* The first field not marked used, or NULL. Borrowed. */
const struct emu_form_field *emu_form_unused(const struct emu_form *f);

/*
 * Percent-decodes one path segment of `len` bytes into `out` (size
 * `outlen`, NUL-terminated). '+' is kept. Returns 0 or -ADSYNC_EPARSE (bad
 * escape, NUL, invalid UTF-8) or -ADSYNC_ETOOBIG.
 */
int emu_form_unescape_path(const char *s, size_t len, char *out /* OUT */,
    size_t outlen) ATTR_NODISCARD;

/* True if the `len` bytes at `s` are valid UTF-8 (no overlongs, no
 * surrogates). */
bool emu_form_utf8_valid(const char *s, size_t len);

#endif
