/*
 * Fuzz harness: the JSON record decoders of the API client, which turn Show
 * answers from the network into flat records (target.h: rs_mailbox_decode,
 * rs_alias_decode, ex_mailbox_decode, ex_contact_decode, ex_dl_decode). The
 * first byte picks the decoder, modulo 5 ('A' rs_mailbox, 'B' rs_alias,
 * 'C' ex_mailbox, 'D' ex_contact, 'E' ex_dl in the corpus); the rest is the
 * body, passed without a terminating NUL, as libcurl hands it over.
 *
 * A decoded record must keep the promises of target.h, checked here
 * independently of the code under test: only names we could write back
 * ([A-Za-z0-9_.-], 1..RS_FIELD_NAME_MAX), no name twice, at most
 * RS_RECORD_MAX_FIELDS fields, values within RS_FIELD_VALUE_MAX; and every
 * value, read as the comma-separated list the engine makes of members and
 * addresses, splits and joins back to the same list. Single thread; the
 * input is untrusted and capped at 64 KiB.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

#define FUZZ_TARGET_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int fuzz_decode_fn(const char *json, size_t len,
    struct rs_record *out);

static fuzz_decode_fn *const fuzz_decoders[] = {
	rs_mailbox_decode,
	rs_alias_decode,
	ex_mailbox_decode,
	ex_contact_decode,
	ex_dl_decode,
};
#define FUZZ_NDECODERS (sizeof(fuzz_decoders) / sizeof(fuzz_decoders[0]))

static int
fuzz_name_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > RS_FIELD_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

/* Split, join, split again: the same items (trimmed, none empty). */
static void
fuzz_csv_roundtrip(const char *value)
{
	struct rs_strlist a, b;
	char *joined;
	size_t i;

	rs_strlist_init(&a);
	rs_strlist_init(&b);
	if (rs_strlist_from_csv(&a, value) < 0)
		return;		/* a refusal leaves the list empty */
	if ((joined = rs_strlist_join(&a)) == NULL)
		abort();
	if (rs_strlist_from_csv(&b, joined) < 0 || a.n != b.n)
		abort();
	for (i = 0; i < a.n; i++) {
		if (a.v[i][0] == '\0' || a.v[i][0] == ' ' ||
		    a.v[i][0] == '\t' || strcmp(a.v[i], b.v[i]) != 0 ||
		    !rs_strlist_has(&b, a.v[i]))
			abort();
	}
	free(joined);
	rs_strlist_fini(&a);
	rs_strlist_fini(&b);
}

static void
fuzz_check_record(const struct rs_record *r)
{
	size_t i, j;

	if (r->n > RS_RECORD_MAX_FIELDS || r->n > r->cap)
		abort();
	for (i = 0; i < r->n; i++) {
		if (r->v[i].name == NULL || r->v[i].value == NULL ||
		    !fuzz_name_ok(r->v[i].name) ||
		    strlen(r->v[i].value) > RS_FIELD_VALUE_MAX)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(r->v[i].name, r->v[j].name) == 0)
				abort();
		if (rs_record_get(r, r->v[i].name) != r->v[i].value)
			abort();
		fuzz_csv_roundtrip(r->v[i].value);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_record r, copy;

	if (size < 1 || size > FUZZ_TARGET_MAX)
		return 0;
	rs_record_init(&r);
	if (fuzz_decoders[data[0] % FUZZ_NDECODERS]((const char *)data + 1,
	    size - 1, &r) == 0) {
		fuzz_check_record(&r);
		/* The engine copies what it read before diffing it. */
		rs_record_init(&copy);
		if (rs_record_copy(&copy, &r) != 0 || copy.n != r.n)
			abort();
		rs_record_fini(&copy);
	}
	rs_record_fini(&r);
	return 0;
}
