/*
 * Form and query-string decoding (see emu_form.h). Two passes per segment:
 * the decoded length is never larger than the encoded one, so the limits are
 * checked on the encoded length first and the exact allocation follows.
 * Pure; any thread; every byte is untrusted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_form.h"
#include "err.h"
#include "strparse.h"
#include "utf8.h"

bool
emu_form_utf8_valid(const char *s, size_t len)
{
	return utf8_valid(s, len);
}

/*
 * Decodes s[0..len) into out (which has room for len + 1 bytes). `plus`
 * turns '+' into a space (forms) or keeps it (paths). Returns the decoded
 * length or -1 on a bad escape or a NUL byte (raw or "%00").
 */
static long
emu_form_decode(const char *s, size_t len, char *out, bool plus)
{
	ssize_t n = strparse_pct_decode(s, len, out, plus);

	if (n < 0 || memchr(out, '\0', (size_t)n) != NULL)
		return -1;
	return (long)n;
}

static char *
emu_form_dup_decoded(const char *s, size_t len, size_t max, const char *what,
    int *err, char *why, size_t whylen)
{
	char *out;
	long n;

	/* The encoded form is at most three times the decoded one. */
	if (len > max * 3) {
		snprintf(why, whylen, "form %s longer than %zu bytes", what,
		    max);
		*err = -ADSYNC_ETOOBIG;
		return NULL;
	}
	if ((out = malloc(len + 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		*err = -ENOMEM;
		return NULL;
	}
	n = emu_form_decode(s, len, out, true);
	if (n < 0) {
		snprintf(why, whylen, "malformed percent-encoding in form %s",
		    what);
		*err = -ADSYNC_EPARSE;
		goto fail;
	}
	if ((size_t)n > max) {
		snprintf(why, whylen, "form %s longer than %zu bytes", what,
		    max);
		*err = -ADSYNC_ETOOBIG;
		goto fail;
	}
	if (!emu_form_utf8_valid(out, (size_t)n)) {
		snprintf(why, whylen, "form %s is not valid UTF-8", what);
		*err = -ADSYNC_EPARSE;
		goto fail;
	}
	return out;
fail:
	free(out);
	return NULL;
}

void
emu_form_fini(struct emu_form *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

int
emu_form_parse(const char *s, size_t len, struct emu_form *out, char *why,
    size_t whylen)
{
	struct emu_form f = { NULL, 0 };
	const char *seg, *end = s + len, *amp, *eq;
	size_t nseg = 0, i;
	char *name = NULL, *value = NULL;
	int r = 0;

	why[0] = '\0';
	/* Count segments first so the array is allocated once, bounded. */
	for (seg = s; seg < end; seg = amp + 1) {
		amp = memchr(seg, '&', (size_t)(end - seg));
		if (amp == NULL)
			amp = end;
		if (amp > seg)
			nseg++;
	}
	if (nseg > EMU_FORM_MAX_FIELDS) {
		snprintf(why, whylen, "more than %d form fields",
		    EMU_FORM_MAX_FIELDS);
		r = -ADSYNC_ETOOBIG;
		goto fail;
	}
	if (nseg > 0 && (f.v = calloc(nseg, sizeof(*f.v))) == NULL) {
		snprintf(why, whylen, "out of memory");
		r = -ENOMEM;
		goto fail;
	}
	for (seg = s; seg < end; seg = amp + 1) {
		amp = memchr(seg, '&', (size_t)(end - seg));
		if (amp == NULL)
			amp = end;
		if (amp == seg)
			continue;
		eq = memchr(seg, '=', (size_t)(amp - seg));
		if (eq == NULL || eq == seg) {
			snprintf(why, whylen, "malformed form field (expected "
			    "name=value)");
			r = -ADSYNC_EPARSE;
			goto fail;
		}
		name = emu_form_dup_decoded(seg, (size_t)(eq - seg),
		    EMU_FORM_NAME_MAX, "field name", &r, why, whylen);
		if (name == NULL)
			goto fail;
		value = emu_form_dup_decoded(eq + 1, (size_t)(amp - eq - 1),
		    EMU_FORM_VALUE_MAX, "value", &r, why, whylen);
		if (value == NULL)
			goto fail;
		if (name[0] == '\0') {
			snprintf(why, whylen, "empty form field name");
			r = -ADSYNC_EPARSE;
			goto fail;
		}
		/* A repeated name is ambiguous (first? last? joined?), so it
		 * is refused rather than guessed. */
		for (i = 0; i < f.n; i++) {
			if (strcmp(f.v[i].name, name) == 0) {
				snprintf(why, whylen, "duplicate form field: "
				    "%.64s", name);
				r = -ADSYNC_EPARSE;
				goto fail;
			}
		}
		f.v[f.n].name = name;
		f.v[f.n].value = value;
		f.n++;
		name = value = NULL;
	}
	*out = f;
	return 0;
fail:
	free(name);
	free(value);
	emu_form_fini(&f);
	return r;
}

const char *
emu_form_get(struct emu_form *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].name, name) == 0) {
			f->v[i].used = true;
			return f->v[i].value;
		}
	}
	return NULL;
}

const struct emu_form_field *
emu_form_unused(const struct emu_form *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!f->v[i].used)
			return &f->v[i];
	return NULL;
}

int
emu_form_unescape_path(const char *s, size_t len, char *out, size_t outlen)
{
	char *tmp;
	long n;
	int r = 0;

	if (len >= outlen * 3)
		return -ADSYNC_ETOOBIG;
	if ((tmp = malloc(len + 1)) == NULL)
		return -ENOMEM;
	n = emu_form_decode(s, len, tmp, false);
	if (n < 0 || !emu_form_utf8_valid(tmp, (size_t)n)) {
		r = -ADSYNC_EPARSE;
		goto out;
	}
	if ((size_t)n >= outlen) {
		r = -ADSYNC_ETOOBIG;
		goto out;
	}
	memcpy(out, tmp, (size_t)n + 1);
out:
	free(tmp);
	return r;
}
