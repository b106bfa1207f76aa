/*
 * Fuzz harness: pw_hookfile_parse(), the hook file a DC reads (written by
 * `adsync hook enroll`, but copied around by people). A refusal must say
 * why and leave nothing allocated in the struct; an accepted file must
 * survive pw_hookfile_write() and parse again to the same values. Single
 * thread; inputs are capped at PW_HOOKFILE_MAX + 1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pwproto.h"
#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_secret_cmp(const struct secret *a, const struct secret *b)
{
	const unsigned char *x, *y;
	size_t xl, yl;

	x = secret_bytes(a, &xl);
	y = secret_bytes(b, &yl);
	return xl != yl || memcmp(x, y, xl) != 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_hookfile hf, back;
	char why[256] = "";
	struct buf b;

	if (size > PW_HOOKFILE_MAX + 1)
		size = PW_HOOKFILE_MAX + 1;
	if (pw_hookfile_parse((const char *)data, size, &hf, why,
	    sizeof(why)) != 0) {
		if (why[0] == '\0' || hf.receiver != NULL ||
		    hf.key_der != NULL || hf.ca_der != NULL)
			abort();
		pw_hookfile_fini(&hf);
		return 0;
	}
	buf_init(&b, PW_HOOKFILE_MAX * 2);
	if (pw_hookfile_write(&hf, &b) != 0)
		abort();
	if (pw_hookfile_parse(b.data, b.len, &back, why, sizeof(why)) != 0) {
		/* The canonical form drops comments and blanks, so it is
		 * never longer in lines; only the total may pass the cap. */
		if (b.len <= PW_HOOKFILE_MAX)
			abort();
		goto out;
	}
	if (strcmp(hf.dc, back.dc) != 0 ||
	    strcmp(hf.receiver, back.receiver) != 0 ||
	    hf.ca_len != back.ca_len ||
	    memcmp(hf.ca_der, back.ca_der, hf.ca_len) != 0 ||
	    hf.cert_len != back.cert_len ||
	    memcmp(hf.cert_der, back.cert_der, hf.cert_len) != 0 ||
	    fuzz_secret_cmp(hf.key_der, back.key_der) ||
	    fuzz_secret_cmp(hf.p12, back.p12))
		abort();
out:
	pw_hookfile_fini(&back);
	buf_fini(&b);
	pw_hookfile_fini(&hf);
	return 0;
}
