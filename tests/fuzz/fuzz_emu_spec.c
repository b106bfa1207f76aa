/*
 * Fuzz harness: rsemu's fault and throttle settings, which come from the
 * command line (--throttle SPEC, --faults SPEC, --latency-ms MIN-MAX) and
 * from the admin API (a JSON body for /faults): emu_throttle_spec_parse(),
 * emu_faults_spec_parse(), emu_faults_latency_parse() and
 * emu_faults_json_parse(). Every parser gets the whole input: as a C string
 * (the SPECs stop at a NUL, like argv) and as a JSON document.
 *
 * Checked: a refusal says why; accepted values are within their documented
 * bounds; a throttle SPEC formats back to a SPEC that parses to the same
 * limits; an accepted fault body, loaded into a struct emu_faults and
 * dumped with emu_faults_to_json() (less the "fired" counters, which are
 * state), parses back to the same settings; rules match and fire without
 * the dice. Single thread; the input is untrusted and capped at 64 KiB.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "emu_faults.h"
#include "emu_throttle.h"

#define FUZZ_SPEC_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_throttle(const char *s)
{
	struct emu_throttle_limits l, again;
	char why[256], fmt[256];
	size_t i;

	why[0] = '\0';
	if (emu_throttle_spec_parse(s, &l, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			abort();
		return;
	}
	if (l.window_s < 1 || l.window_s > EMU_THROTTLE_WINDOW_MAX)
		abort();
	for (i = 0; i < EMU_B_COUNT; i++)
		if (l.limit[i] > EMU_THROTTLE_LIMIT_MAX)
			abort();
	emu_throttle_spec_format(&l, fmt, sizeof(fmt));
	if (emu_throttle_spec_parse(fmt, &again, why, sizeof(why)) != 0) {
		fprintf(stderr, "formatted SPEC \"%s\" does not parse: %s\n",
		    fmt, why);
		abort();
	}
	if (again.off != l.off || (!l.off && (again.window_s != l.window_s ||
	    memcmp(again.limit, l.limit, sizeof(l.limit)) != 0)))
		abort();
}

static void
fuzz_faults_spec(const char *s)
{
	struct emu_faults_spec spec;
	unsigned lo, hi;
	char why[256];
	double sum = 0;
	size_t i;

	memset(&spec, 0, sizeof(spec));
	spec.latency_min = 7;
	spec.latency_max = 9;
	why[0] = '\0';
	if (emu_faults_spec_parse(s, &spec, why, sizeof(why)) == 0) {
		for (i = 0; i < EMU_FA_COUNT; i++) {
			if (!(spec.p[i] >= 0 && spec.p[i] <= 1))
				abort();
			sum += spec.p[i];
		}
		if (sum > 1.0 + 1e-6 || spec.stall_ms < 1 ||
		    spec.stall_ms > EMU_FAULTS_MS_MAX ||
		    spec.latency_min != 7 || spec.latency_max != 9)
			abort();
	} else if (why[0] == '\0')
		abort();
	why[0] = '\0';
	if (emu_faults_latency_parse(s, &lo, &hi, why, sizeof(why)) == 0) {
		if (lo > hi || hi > EMU_FAULTS_MS_MAX)
			abort();
	} else if (why[0] == '\0')
		abort();
}

static int
fuzz_rules_equal(const struct emu_fault_rule *a, size_t na,
    const struct emu_fault_rule *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i].method, b[i].method) != 0 ||
		    strcmp(a[i].path, b[i].path) != 0 ||
		    a[i].prefix != b[i].prefix ||
		    a[i].action != b[i].action || a[i].skip != b[i].skip ||
		    a[i].count != b[i].count || a[i].ms != b[i].ms)
			return 0;
	return 1;
}

static void
fuzz_faults_json(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "POST", "PUT",
	    "DELETE" };
	struct emu_faults_spec spec, spec2, calm;
	struct emu_fault_rule *rules = NULL, *rules2 = NULL, *copy;
	struct emu_fault_decision d;
	struct emu_faults *f;
	json_error_t jerr;
	json_t *j, *dump, *r;
	size_t n = 0, n2 = 0, i;
	char why[256];

	if ((j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL)
		return;
	why[0] = '\0';
	if (emu_faults_json_parse(j, &spec, &rules, &n, why,
	    sizeof(why)) != 0) {
		/* Out-parameters are written only on success. */
		if (why[0] == '\0' || rules != NULL || n != 0)
			abort();
		json_decref(j);
		return;
	}
	json_decref(j);
	if (n > EMU_FAULTS_RULES_MAX || (n > 0 && rules == NULL) ||
	    spec.latency_min > spec.latency_max ||
	    spec.latency_max > EMU_FAULTS_MS_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (rules[i].action <= EMU_FA_NONE ||
		    rules[i].action >= EMU_FA_COUNT ||
		    memchr(rules[i].method, '\0',
		    sizeof(rules[i].method)) == NULL ||
		    memchr(rules[i].path, '\0',
		    sizeof(rules[i].path)) == NULL ||
		    rules[i].ms > EMU_FAULTS_MS_MAX)
			abort();

	/* Through the live object and back. */
	if ((f = emu_faults_new(&spec)) == NULL)
		abort();
	if (n > 0) {
		if ((copy = malloc(n * sizeof(*copy))) == NULL)
			abort();
		memcpy(copy, rules, n * sizeof(*copy));
	} else
		copy = NULL;
	emu_faults_set(f, &spec, copy, n);
	dump = emu_faults_to_json(f);
	r = json_object_get(dump, "rules");
	for (i = 0; i < json_array_size(r); i++)
		json_object_del(json_array_get(r, i), "fired");
	why[0] = '\0';
	if (emu_faults_json_parse(dump, &spec2, &rules2, &n2, why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "the dump of accepted faults does not parse: "
		    "%s\n", why);
		abort();
	}
	if (memcmp(spec.p, spec2.p, sizeof(spec.p)) != 0 ||
	    spec.stall_ms != spec2.stall_ms ||
	    spec.latency_min != spec2.latency_min ||
	    spec.latency_max != spec2.latency_max ||
	    !fuzz_rules_equal(rules, n, rules2, n2))
		abort();
	json_decref(dump);
	free(rules2);

	/* The rules alone decide: no dice, no random latency. */
	calm = spec;
	memset(calm.p, 0, sizeof(calm.p));
	calm.latency_min = calm.latency_max = 0;
	emu_faults_set(f, &calm, rules, n);
	for (i = 0; i < 8; i++) {
		emu_faults_decide(f, methods[i % 4], i < 4 ?
		    "/v1/customers/me/domains/example.com/rs/mailboxes/bob" :
		    "/v1/customers/me/domains/example.com/ex/"
		    "distributionlists/staff/members", &d);
		if (d.action == EMU_FA_LATENCY || d.action >= EMU_FA_COUNT)
			abort();
	}
	emu_faults_free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > FUZZ_SPEC_MAX)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_throttle(s);
	fuzz_faults_spec(s);
	free(s);
	fuzz_faults_json(data, size);
	return 0;
}
