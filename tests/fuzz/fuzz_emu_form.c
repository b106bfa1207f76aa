/*
 * Fuzz harness: rsemu's form decoding (emu_form.h) and what the request
 * handlers do with a decoded form: the Index and distribution-list query
 * checks (emu_valid_index_query, emu_valid_dl_query), the field tables of
 * the form-encoded resources (emu_fields_apply, adding and editing) and the
 * value rules (names, addresses, address lists, booleans, passwords). The
 * whole input is one body or query string, passed without a terminating
 * NUL as MHD hands it over; it is also decoded as one path segment.
 *
 * Checked against emu_form.h: a refusal says why; a decoded form has at
 * most EMU_FORM_MAX_FIELDS fields with distinct, non-empty names and values
 * within their limits, valid UTF-8 and free of NUL bytes. Single thread;
 * the input is untrusted and capped at 64 KiB.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "emu_fields.h"
#include "emu_form.h"
#include "emu_route.h"
#include "emu_valid.h"

#define FUZZ_FORM_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_form_unuse(struct emu_form *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		f->v[i].used = false;
}

static void
fuzz_form_check(struct emu_form *f)
{
	size_t i, j, nlen, vlen;

	if (f->n > EMU_FORM_MAX_FIELDS)
		abort();
	for (i = 0; i < f->n; i++) {
		nlen = strlen(f->v[i].name);
		vlen = strlen(f->v[i].value);
		if (nlen == 0 || nlen > EMU_FORM_NAME_MAX ||
		    vlen > EMU_FORM_VALUE_MAX ||
		    !emu_form_utf8_valid(f->v[i].name, nlen) ||
		    !emu_form_utf8_valid(f->v[i].value, vlen))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(f->v[i].name, f->v[j].name) == 0)
				abort();
		if (emu_form_get(f, f->v[i].name) != f->v[i].value)
			abort();
	}
	if (emu_form_unused(f) != NULL)
		abort();
}

/* The value rules, on every decoded value. */
static void
fuzz_values(const struct emu_form *f)
{
	const char *p, *item, *why;
	size_t i, len;
	bool b;

	for (i = 0; i < f->n; i++) {
		(void)emu_valid_name(f->v[i].value);
		(void)emu_valid_address(f->v[i].value);
		(void)emu_valid_bool(f->v[i].value, &b);
		why = NULL;
		if (emu_valid_password(f->v[i].value, &why) < 0 && why == NULL)
			abort();
		p = f->v[i].value;
		while (emu_valid_csv_next(&p, &item, &len)) {
			if (len == 0 || item[0] == ' ' ||
			    item[len - 1] == ' ' || memchr(item, ',', len) != NULL)
				abort();
		}
	}
}

static void
fuzz_fields(const struct emu_field *tab, struct emu_form *f, bool adding)
{
	char why[256];
	json_t *data;

	if ((data = json_object()) == NULL)
		abort();
	fuzz_form_unuse(f);
	why[0] = '\0';
	if (emu_fields_apply(tab, f, data, adding, why, sizeof(why)) < 0 &&
	    why[0] == '\0')
		abort();
	json_decref(data);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct emu_field *const tabs[] = { emu_fields_rs_mbx,
	    emu_fields_ex_mbx, emu_fields_contact };
	const char *s = (const char *)data;
	struct emu_index_q iq;
	struct emu_dl_q dq;
	struct emu_form f;
	char why[256], seg[EMU_ROUTE_SEG_MAX];
	size_t i;

	if (size > FUZZ_FORM_MAX)
		return 0;
	if (emu_form_unescape_path(s, size, seg, sizeof(seg)) == 0) {
		if (strlen(seg) >= sizeof(seg) ||
		    !emu_form_utf8_valid(seg, strlen(seg)))
			abort();
	}
	why[0] = '\0';
	if (emu_form_parse(s, size, &f, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			abort();
		return 0;
	}
	fuzz_form_check(&f);
	fuzz_values(&f);

	fuzz_form_unuse(&f);
	why[0] = '\0';
	if (emu_valid_index_query(&f, true, &iq, why, sizeof(why)) == 0) {
		if (iq.size < 1 || iq.size > EMU_PAGE_MAX ||
		    iq.enabled < -1 || iq.enabled > 1 ||
		    strlen(iq.like) >= sizeof(iq.like))
			abort();
	} else if (why[0] == '\0')
		abort();
	fuzz_form_unuse(&f);
	why[0] = '\0';
	if (emu_valid_dl_query(&f, &dq, why, sizeof(why)) == 0) {
		if (dq.limit < 1 || dq.limit > EMU_DL_LIMIT_MAX ||
		    strlen(dq.like) >= sizeof(dq.like) ||
		    (dq.marker != NULL && (dq.marker[0] == '\0' ||
		    strlen(dq.marker) > EMU_NAME_MAX)))
			abort();
	} else if (why[0] == '\0')
		abort();

	for (i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		fuzz_fields(tabs[i], &f, true);
		fuzz_fields(tabs[i], &f, false);
	}
	emu_form_fini(&f);
	return 0;
}
