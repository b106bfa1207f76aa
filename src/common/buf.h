/*
 * Bounded dynamic buffers (curl's dynbuf). The limit is fixed at buf_init();
 * an append that would pass it fails with -ADSYNC_ETOOBIG and frees the
 * buffer, so a caller cannot go on with half a value by mistake. The data is
 * always NUL-terminated. A struct buf is owned by one thread.
 */
#ifndef ADSYNC_BUF_H
#define ADSYNC_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "attributes.h"

struct buf {
	char *data;	/* owned; NULL until the first append */
	size_t len;	/* bytes used, excluding the NUL */
	size_t cap;	/* bytes allocated */
	size_t max;	/* limit on len */
};

/* Initialises an empty buffer that may hold up to `max` bytes. */
void buf_init(struct buf *b, size_t max);
/* Releases the data; the buffer can be reused after buf_init(). */
void buf_fini(struct buf *b);
/* Empties the buffer and wipes what it held (secrets may pass through). */
void buf_reset(struct buf *b);

/* Appends; 0, or -ADSYNC_ETOOBIG (buffer freed) or -ENOMEM. */
int buf_add(struct buf *b, const void *data, size_t len) ATTR_NODISCARD;
int buf_addstr(struct buf *b, const char *s) ATTR_NODISCARD;
int buf_addc(struct buf *b, char c) ATTR_NODISCARD;
int buf_printf(struct buf *b, const char *fmt, ...)
    ATTR_PRINTF(2, 3) ATTR_NODISCARD;

/* Borrowed NUL-terminated view, valid until the next change; "" if empty. */
const char *buf_str(const struct buf *b);

/* Transfers the data to the caller (free() it); the buffer becomes empty.
 * Returns an allocated "" for an empty buffer, NULL on allocation failure. */
char *buf_take(struct buf *b);

#endif
