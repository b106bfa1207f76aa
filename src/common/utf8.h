/*
 * Strict UTF-8 decoding (RFC 3629, the Unicode standard's table 3-7): the
 * one decoder behind the text checks of the hook payloads (pwproto), the
 * web console's forms and rsemu's forms. Each caller adds its own rules
 * (NUL, control characters) on the code points. Pure; any thread; the
 * input is untrusted and bounded by the caller's length.
 */
#ifndef ADSYNC_UTF8_H
#define ADSYNC_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the character at the start of the `len` bytes of `s`. Returns
 * its length in bytes (1 to 4) and *cp, or 0 (*cp untouched) when `len` is
 * 0 or the bytes there are not a whole, valid sequence: a stray or
 * truncated one, an overlong form (C0, C1, E0 80..9F, F0 80..8F), a UTF-16
 * surrogate (U+D800..U+DFFF) or a value above U+10FFFF. NUL is U+0000.
 */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp /* OUT */);

/* True when the `len` bytes of `s` are a sequence of characters that
 * utf8_decode() accepts (NUL bytes included). */
bool utf8_valid(const char *s, size_t len);

#endif
