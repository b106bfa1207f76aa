/*
 * Base64 for the hook file (docs/pwsync.md: standard alphabet, with padding,
 * one line), over libsodium's constant-time codec, so decoding a key does
 * not leak its bytes through timing. Pure; any thread; the input is
 * untrusted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pw_internal.h"

int
pw_b64_decode(const char *s, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *bin;
	size_t max, got = 0;

	/* Padding is required, so a valid text is a multiple of 4 long; this
	 * also makes the size computation below exact. */
	if (len == 0 || len % 4 != 0)
		return -EINVAL;
	max = len / 4 * 3;
	if ((bin = malloc(max)) == NULL)
		return -ENOMEM;
	/* No `ignore` characters and no end pointer: anything but base64 up
	 * to `len` (blanks, a second line, non-zero padding bits) fails. */
	if (sodium_base642bin(bin, max, s, len, NULL, &got, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || got == 0) {
		sodium_memzero(bin, max);
		free(bin);
		return -EINVAL;
	}
	*out = bin;
	*outlen = got;
	return 0;
}

int
pw_b64_add(struct buf *b, const void *bin, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_ORIGINAL);
	char *txt;
	int r;

	if ((txt = malloc(n)) == NULL)
		return -ENOMEM;
	sodium_bin2base64(txt, n, bin, len, sodium_base64_VARIANT_ORIGINAL);
	r = buf_add(b, txt, strlen(txt));
	sodium_memzero(txt, n);
	free(txt);
	return r;
}
