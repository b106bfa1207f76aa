/*
 * Fuzz harness for what the LDAP source decodes from a domain controller:
 * an entry (DN and attribute values) through ad_decode.c, and a stored
 * watermark through ad_watermark_decode().
 *
 * Input: byte 0 selects DirSync decoding (bit 0); the rest is split at
 * '\n' into records: the first is the entry DN, each next one is an
 * attribute "DESC\tVALUE\tVALUE...". The whole input is also decoded as a
 * watermark. Nothing is printed; any result is fine as long as nothing
 * crashes, leaks or overruns, and the object holds only what the model
 * allows (held attributes empty, values valid).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ad_internal.h"

#define FUZZ_VALUES_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berval bv[FUZZ_VALUES_MAX];
	struct ad_watermark wm;
	struct ad_decode d;
	struct obj *o;
	char *buf, *line, *end, *tab, *desc;
	size_t n, len;
	bool first = true;
	int r = 0;

	r |= ad_watermark_decode((const char *)data, size, &wm);
	if (size < 1)
		return 0;
	if ((buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	o = obj_new();
	ad_decode_init(&d, (data[0] & 1) != 0);
	for (line = buf; line < buf + size - 1; line = end + 1) {
		end = memchr(line, '\n', (size_t)(buf + size - 1 - line));
		if (end == NULL)
			end = buf + size - 1;
		*end = '\0';
		len = (size_t)(end - line);
		if (first) {
			first = false;
			r |= ad_decode_dn(&d, o, line, len);
			continue;
		}
		desc = line;
		n = 0;
		tab = memchr(line, '\t', len);
		if (tab != NULL)
			*tab = '\0';
		while (tab != NULL && n < FUZZ_VALUES_MAX) {
			char *v = tab + 1, *next;

			next = memchr(v, '\t', (size_t)(end - v));
			bv[n].bv_val = v;
			bv[n].bv_len = next != NULL ? (size_t)(next - v) :
			    (size_t)(end - v);
			n++;
			tab = next;
		}
		r |= ad_decode_attr(&d, o, desc, bv, n);
	}
	r |= ad_decode_finish(&d, o);
	(void)r;	/* any result is fine */
	/* But what the object holds is what the model allows: values of
	 * kept attributes are bounded UTF-8 without NUL, and a held
	 * attribute has neither values nor its present bit. */
	for (n = 0; n < OBJ_A_COUNT; n++) {
		size_t i;

		if ((o->held & (uint64_t)1 << n) != 0 &&
		    (o->attrs[n].n != 0 || (o->present & (uint64_t)1 << n) ||
		    o->held_why[n] == OBJ_BAD_NONE ||
		    o->held_why[n] >= OBJ_BAD_COUNT))
			abort();
		for (i = 0; i < o->attrs[n].n; i++)
			if (obj_value_check(o->attrs[n].v[i],
			    strlen(o->attrs[n].v[i])) != OBJ_BAD_NONE)
				abort();
	}
	obj_free(o);
	free(buf);
	return 0;
}
