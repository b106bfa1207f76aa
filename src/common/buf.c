/*
 * Bounded buffers. Growth doubles up to the limit; the limit is checked
 * before any allocation. Any thread (each buffer has one owner).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_fini(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->cap);
		b->data[0] = '\0';
	}
	b->len = 0;
}

static int
buf_grow(struct buf *b, size_t need)
{
	size_t ncap;
	char *n;

	if (need > b->max || need + 1 < need) {
		buf_fini(b);
		return -ADSYNC_ETOOBIG;
	}
	if (need + 1 <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need + 1)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	n = realloc(b->data, ncap);
	if (n == NULL) {
		buf_fini(b);
		return -ENOMEM;
	}
	b->data = n;
	b->cap = ncap;
	return 0;
}

int
buf_add(struct buf *b, const void *data, size_t len)
{
	int r;

	if ((r = buf_grow(b, b->len + len)) < 0)
		return r;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((r = buf_grow(b, b->len + (size_t)n)) < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *
buf_str(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

char *
buf_take(struct buf *b)
{
	char *p = b->data;

	if (p == NULL)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
