/*
 * Allocation of small, fixed-size objects: failure is fatal. Sizes that come
 * from outside (network, directory, files) use plain malloc with an error
 * return and a limit checked first (docs/style §8). Any thread.
 */
#ifndef ADSYNC_XMALLOC_H
#define ADSYNC_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
