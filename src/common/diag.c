/* Diagnostics list. Any thread (one owner per list). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "xmalloc.h"

void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
diag_fini(struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void
diag_add(struct diag *d, const char *file, unsigned line, const char *fmt,
    ...)
{
	struct diag_entry *e;
	va_list ap;
	char msg[1024];

	if (d->n >= DIAG_MAX_ENTRIES) {
		d->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->v = xreallocarray(d->v, d->n + 1, sizeof(*d->v));
	e = &d->v[d->n++];
	e->file = file ? xstrdup(file) : NULL;
	e->line = line;
	e->msg = xstrdup(msg);
}

void
diag_print(const struct diag *d, FILE *fp)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->v[i].file && d->v[i].line)
			fprintf(fp, "%s:%u: %s\n", d->v[i].file, d->v[i].line,
			    d->v[i].msg);
		else if (d->v[i].file)
			fprintf(fp, "%s: %s\n", d->v[i].file, d->v[i].msg);
		else
			fprintf(fp, "%s\n", d->v[i].msg);
	}
	if (d->dropped)
		fprintf(fp, "(%zu more problems not shown)\n", d->dropped);
}
