/*
 * Fuzz harness: the X-Api-Signature parser and the timestamp parser, which
 * rsemu runs on every request before anything else. A parsed header must
 * round-trip: its parts rebuild exactly the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_auth_parts p;
	char *s, again[RS_AUTH_HEADER_MAX + 1];
	time_t t;

	if (size > 4096)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (rs_auth_parse(s, &p) == 0) {
		snprintf(again, sizeof(again), "%s:%s:%s", p.user_key,
		    p.timestamp, p.hash);
		if (strcmp(again, s) != 0)
			abort();
		(void)rs_auth_timestamp_parse(p.timestamp, &t);
	}
	(void)rs_auth_timestamp_parse(s, &t);
	free(s);
	return 0;
}
