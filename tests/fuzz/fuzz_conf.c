/*
 * Fuzz harness: conf_parse_buffer(), the adsync.conf parser, on arbitrary
 * bytes (the file is written by people and by configuration management, so
 * anything may be in it). A refusal must say why. A configuration that
 * parses must survive its own canonical form: conf_dump() of it parses
 * again, and dumps to the same bytes (conf.h: "parses again to an equal
 * configuration"), which is what `adsync check --dump` and the goldens rely
 * on. Single thread; the input is untrusted and capped at 64 KiB.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "diag.h"

#define FUZZ_CONF_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The dump of `conf` as an owned buffer of *len bytes (free() it). */
static char *
fuzz_conf_dump(const struct conf *conf, size_t *len)
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *conf = NULL, *again = NULL;
	struct diag d;
	char *dump1, *dump2;
	size_t len1, len2;

	if (size > FUZZ_CONF_MAX)
		return 0;
	diag_init(&d);
	/* The bytes as they were read: no terminating NUL. */
	if (conf_parse_buffer((const char *)data, size, "fuzz.conf", &conf,
	    &d) != 0) {
		if (d.n == 0 || conf != NULL)
			abort();
		diag_fini(&d);
		return 0;
	}
	diag_fini(&d);

	dump1 = fuzz_conf_dump(conf, &len1);
	diag_init(&d);
	if (conf_parse_buffer(dump1, len1, "dump", &again, &d) != 0) {
		fprintf(stderr, "the dump of a valid configuration does not "
		    "parse:\n%.*s\n", (int)len1, dump1);
		diag_print(&d, stderr);
		abort();
	}
	diag_fini(&d);
	dump2 = fuzz_conf_dump(again, &len2);
	if (len1 != len2 || memcmp(dump1, dump2, len1) != 0) {
		fprintf(stderr, "dump changed after a round trip:\n%.*s\n"
		    "---\n%.*s\n", (int)len1, dump1, (int)len2, dump2);
		abort();
	}
	free(dump1);
	free(dump2);
	conf_free(again);
	conf_free(conf);
	return 0;
}
