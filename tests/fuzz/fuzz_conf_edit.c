/*
 * Fuzz harness: conf_edit_buffer(), the in-place editor of adsync.conf, on
 * arbitrary bytes with a fixed set of edits (replace or insert, a new
 * section, removal). The file is written by people and the values come
 * from the web console, so the editor must never crash, and:
 *  - a refusal says why and leaves the out-parameters alone;
 *  - the result is NUL-terminated, and applying the same edits to it
 *    again changes nothing (an edit is a fixed point);
 *  - no edits is a copy;
 *  - when the input was a valid configuration, the result is too, and it
 *    is the same configuration except for the edited keys, which hold the
 *    edited values (compared through the canonical dump). This is what
 *    holds the editor's view of lines to the parser's.
 * Single thread; the input is untrusted and capped at 64 KiB.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "diag.h"
#include "err.h"

#define FUZZ_CONF_EDIT_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct conf_edit fuzz_edits[] = {
	{ "daemon", "web_listen", "127.0.0.1:9090" },
	{ "rackspace", "user_agent", "adsync-fuzz/1 (edit;x #y)" },
	{ "ad", "page_size", "500" },
	{ "ad", "notify", NULL },
	{ "rackspace", "max_in_flight", NULL },
};
#define FUZZ_NEDITS (sizeof(fuzz_edits) / sizeof(fuzz_edits[0]))

/* The dump of `conf` as an owned buffer of *len bytes (free() it). */
static char *
fuzz_dump(const struct conf *conf, size_t *len)
{
	char *s = NULL;
	FILE *fp;

	if ((fp = open_memstream(&s, len)) == NULL)
		abort();
	conf_dump(conf, fp);
	if (fclose(fp) != 0)
		abort();
	return s;
}

static char *
fuzz_strdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

/* Input parsed, output must parse to the input plus the edits. */
static void
fuzz_check_same(const char *in, size_t len, const char *out, size_t outlen)
{
	struct conf *a = NULL, *b = NULL;
	struct diag d;
	char *da, *db;
	size_t la, lb;

	diag_init(&d);
	if (conf_parse_buffer(in, len, "in", &a, &d) != 0) {
		diag_fini(&d);
		return;
	}
	diag_fini(&d);
	diag_init(&d);
	if (conf_parse_buffer(out, outlen, "out", &b, &d) != 0) {
		fprintf(stderr, "a valid configuration edited into an invalid "
		    "one:\n%.*s\n---\n%.*s\n", (int)len, in, (int)outlen, out);
		diag_print(&d, stderr);
		abort();
	}
	diag_fini(&d);
	free(a->daemon.web_listen);
	a->daemon.web_listen = fuzz_strdup(fuzz_edits[0].value);
	free(a->rackspace.user_agent);
	a->rackspace.user_agent = fuzz_strdup(fuzz_edits[1].value);
	a->ad.page_size = 500;
	a->ad.notify = true;		/* the default, once removed */
	a->rackspace.max_in_flight = 4;	/* same */
	da = fuzz_dump(a, &la);
	db = fuzz_dump(b, &lb);
	if (la != lb || memcmp(da, db, la) != 0) {
		fprintf(stderr, "the edit changed more than its keys:\n%.*s\n"
		    "---\n%.*s\n", (int)la, da, (int)lb, db);
		abort();
	}
	free(da);
	free(db);
	conf_free(a);
	conf_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char why[512], mark[] = "untouched", *out = mark, *again = NULL;
	size_t outlen = 0, againlen = 0;
	int r;

	if (size > FUZZ_CONF_EDIT_MAX)
		return 0;
	why[0] = '\0';
	r = conf_edit_buffer(in, size, fuzz_edits, FUZZ_NEDITS, &out, &outlen,
	    why, sizeof(why));
	if (r != 0) {
		/* A key set twice, or a line made too long by what the
		 * file keeps on it; nothing else may refuse these edits. */
		if (why[0] == '\0' || out != mark ||
		    (r != -ADSYNC_ECONFIG && r != -EINVAL)) {
			fprintf(stderr, "refused with %d: \"%s\"\n", r, why);
			abort();
		}
		return 0;
	}
	if (out == mark || out[outlen] != '\0')
		abort();
	if (conf_edit_buffer(out, outlen, fuzz_edits, FUZZ_NEDITS, &again,
	    &againlen, why, sizeof(why)) != 0 || againlen != outlen ||
	    memcmp(again, out, outlen) != 0) {
		fprintf(stderr, "the edits are not a fixed point:\n%.*s\n---\n"
		    "%s\n", (int)outlen, out, again != NULL ? again : why);
		abort();
	}
	free(again);
	fuzz_check_same(in, size, out, outlen);
	free(out);

	/* No edits: a copy. */
	if (conf_edit_buffer(in, size, NULL, 0, &out, &outlen, why,
	    sizeof(why)) != 0 || outlen != size || out[size] != '\0' ||
	    (size > 0 && memcmp(out, in, size) != 0))
		abort();
	free(out);
	return 0;
}
