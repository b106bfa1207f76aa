/*
 * Fuzz harness for what the LDAP source decodes from a domain controller:
 * an entry (DN and attribute values) through ad_decode.c, and a stored
 * watermark through ad_watermark_decode().
 *
 * Input: byte 0 selects DirSync decoding (bit 0); the rest is split at
 * '\n' into records: the first is the entry DN, each next one is an
 * attribute "DESC\tVALUE\tVALUE...". The whole input is also decoded as a
 * watermark. Nothing is printed; any result is fine as long as nothing
 * crashes, leaks or overruns.
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
	obj_free(o);
	free(buf);
	return 0;
}
