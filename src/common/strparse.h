/*
 * Strict number and boolean parsing (OpenBSD strtonum). The whole string must
 * be the number: no leading space, no trailing bytes, no empty string. Also
 * word lists, hex digits and percent-decoding (forms and URLs, for the web
 * console and rsemu). Pure; any thread.
 */
#ifndef ADSYNC_STRPARSE_H
#define ADSYNC_STRPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Parses a decimal integer in [min, max] into *out. Returns 0, or
 * -ADSYNC_EPARSE / -ADSYNC_ERANGE with *errstr (static text) set to
 * "invalid", "too small" or "too large". *out is written only on success.
 */
int strparse_num(const char *s, long long min, long long max,
    long long *out /* OUT */, const char **errstr /* OUT */);

/* Like strparse_num for a decimal fraction such as "0.05" or "1e-3". */
int strparse_double(const char *s, double min, double max,
    double *out /* OUT */, const char **errstr /* OUT */);

/* "true"/"false"/"yes"/"no"/"on"/"off"/"1"/"0", case-insensitively. */
int strparse_bool(const char *s, bool *out /* OUT */);

/*
 * Walks a list of words separated by blanks (spaces and tabs), as in
 * "uri = ldaps://a ldaps://b" or "domains = a.com b.net": skips blanks
 * from *p, points *word at the next word (not NUL-terminated) and *len at
 * its length, and moves *p past it. Returns false at the end of the list.
 *   for (p = list; strparse_word(&p, &w, &len);) ...
 */
bool strparse_word(const char **p, const char **word /* OUT */,
    size_t *len /* OUT */);

/* The value of the hex digit `c` (0-9, a-f, A-F), or -1. */
int strparse_hexdigit(unsigned char c);

/*
 * Percent-decodes the `len` bytes of `s` (URL and form encoding) into
 * `out`, which has room for len + 1 bytes (the decoded text is never
 * longer) and is NUL-terminated; with `plus`, '+' is a space (forms), else
 * it stays '+' (paths). Returns the decoded length, or -1 when a '%' is not
 * followed by two hex digits; `out` is then wiped, since it may hold part
 * of a password. A NUL byte, raw or "%00", is decoded like any other: the
 * caller refuses it (its text check) or not.
 */
ssize_t strparse_pct_decode(const char *s, size_t len, char *out /* OUT */,
    bool plus);

#endif
