/*
 * Secrets: API secret keys, bind passwords, TLS keys, captured passwords.
 * A struct secret keeps its bytes in pages that are locked where possible,
 * excluded from core dumps, and wiped on free. It has no format support:
 * secret_log_tag() is what a log line may show.
 *
 * A secret is owned by one thread at a time; pass it with `_take`.
 */
#ifndef ADSYNC_SECRET_H
#define ADSYNC_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "attributes.h"

struct secret;

/* Largest secret file we read (a TLS key chain fits). */
#define SECRET_FILE_MAX (64 * 1024)

/*
 * Loads `path`: a regular file (not a symlink), owned by root or the
 * effective user, with no group or other permission bits (0600 or 0400),
 * at most `max` bytes; one trailing newline is dropped. `tag` names the
 * secret in logs (e.g. "rackspace.secret_key_file") and is copied.
 * Returns 0 and *out (owned by the caller), or a negative code with a
 * sentence naming the file and the fix in `why` (may be NULL).
 */
int secret_load_file(const char *path, const char *tag, size_t max,
    struct secret **out /* OUT */, char *why, size_t whylen) ATTR_NODISCARD;

/*
 * Writes `len` bytes of `data` (1 to SECRET_FILE_MAX) as the file `path`,
 * mode 0600, atomically: a temporary file beside it (O_EXCL), write,
 * fsync, rename over `path`, fsync of the directory, so that a reader sees
 * the old secret or the new one, never a part. When running as root, an
 * existing file's owner and group are kept (the service user must still
 * read it); else the file belongs to the effective user. A symbolic link
 * at `path` is replaced, never written through. `data` stays the caller's
 * (borrowed, not copied; wipe it after); the content is never logged or
 * put in `why`. Returns 0, or a negative code (-errno, -EINVAL for no
 * data, -EISDIR, -ADSYNC_ETOOBIG) with a sentence naming the path and the
 * fix in `why` (may be NULL). Any thread.
 */
int secret_write_file(const char *path, const void *data, size_t len,
    char *why, size_t whylen) ATTR_NODISCARD;

/* Copies `len` bytes into a new secret; NULL on allocation failure. The
 * caller still owns and must wipe `data`. */
struct secret *secret_new(const void *data, size_t len, const char *tag);

/*
 * Replaces the value with `len` bytes of `data`, wiping the old bytes and
 * reusing the locked pages: for a value renewed often (the random password
 * of each new mailbox), where a mapping per value cost more than the work.
 * Returns 0, or -ENOSPC when `len` does not fit the pages (value unchanged).
 */
int secret_replace(struct secret *s, const void *data, size_t len);

/* Borrowed bytes, valid until secret_free(). Always NUL-terminated, so text
 * secrets can be passed to APIs that want a C string. */
const unsigned char *secret_bytes(const struct secret *s, size_t *len /* OUT */);

/* "<secret:TAG>", for logs and dumps. Borrowed, valid until secret_free(). */
const char *secret_log_tag(const struct secret *s);

/* Wipes and releases; accepts NULL. */
void secret_free(struct secret *s);

/*
 * A PEM file for a TLS server, NUL-terminated, into a malloc'd string
 * (owned; free() it, after sodium_memzero() for a key) and *len bytes: a
 * private key (`secret`) through secret_load_file() (mode, owner and
 * type checked; `tag` names it in errors) with a final newline added, a
 * public certificate as a plain file, at most SECRET_FILE_MAX bytes (a
 * failure to open it is "TAG: cannot open PATH: ...", no prefix for a
 * NULL tag). NULL and `why` on failure.
 */
char *secret_load_pem(const char *path, const char *tag, bool secret,
    size_t *len /* OUT */, char *why, size_t whylen);

#endif
