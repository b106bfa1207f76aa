/*
 * Diagnostics collected by parsers and validators: `file:line: message`,
 * several per run, so that one `adsync check` reports every problem.
 * Parsers fill a diag and return an error; they never print or exit.
 * A struct diag is owned by one thread.
 */
#ifndef ADSYNC_DIAG_H
#define ADSYNC_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include "attributes.h"

#define DIAG_MAX_ENTRIES 200

struct diag_entry {
	char *file;	/* owned; may be NULL */
	unsigned line;	/* 0: no line */
	char *msg;	/* owned */
};

struct diag {
	struct diag_entry *v;	/* owned array */
	size_t n;
	size_t dropped;		/* entries past DIAG_MAX_ENTRIES */
};

void diag_init(struct diag *d);
void diag_fini(struct diag *d);
/* Adds an entry; `file` is copied. Allocation failure is fatal (small). */
void diag_add(struct diag *d, const char *file, unsigned line,
    const char *fmt, ...) ATTR_PRINTF(4, 5);
/* Prints "file:line: message" lines. */
void diag_print(const struct diag *d, FILE *fp);

#endif
