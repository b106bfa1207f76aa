/*
 * Helpers shared by the files of the model module and its unit tests; not
 * part of the module's API. Pure; any thread.
 */
#ifndef ADSYNC_OBJ_INTERNAL_H
#define ADSYNC_OBJ_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses `len` bytes of `s` as an LDAP Integer (RFC 4517 3.3.16: optional
 * '-', no leading zeros, no "-0", nothing else) in [min, max].
 * 0 or -ADSYNC_EPARSE; *out is written only on success.
 */
int obj_num_parse(const char *s, size_t len, int64_t min, int64_t max,
    int64_t *out /* OUT */);

/* The value of one hex digit (either case), or -1. */
int obj_hex_value(unsigned char c);
/*
 * Decodes exactly 2 * outlen hex digits from `s` (`len` bytes) into `out`.
 * 0 or -ADSYNC_EPARSE (wrong length or a non-hex byte); `out` may be
 * partly written on failure.
 */
int obj_hex_decode(const char *s, size_t len, uint8_t *out, size_t outlen);

#endif
