/*
 * rsemu fault injection: SPEC and latency parsing, the dice mapping, rule
 * matching, the admin JSON and deterministic rule decisions. Single
 * thread (the table's lock is exercised without contention).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "emu_faults.h"
#include "err.h"

static void
test_spec(void **st)
{
	struct emu_faults_spec s;
	char why[256];
	static const char *const bad[] = {
		"", "error500", "error500=", "error500=2", "error500=-0.1",
		"boom=0.1", "error500=0.6,drop=0.6", "stall_ms=0",
		"stall_ms=999999999", "throttle=0.1", "latency=0.1",
		"drop=abc",
	};
	size_t i;

	(void)st;
	memset(&s, 0, sizeof(s));
	s.latency_min = 5;
	s.latency_max = 9;
	assert_int_equal(emu_faults_spec_parse("error500=0.05,drop=0.01,"
	    "drop_after=0.02,stall=0.001,stall_ms=100", &s, why,
	    sizeof(why)), 0);
	assert_true(s.p[EMU_FA_ERROR500] == 0.05);
	assert_true(s.p[EMU_FA_DROP] == 0.01);
	assert_true(s.p[EMU_FA_DROP_AFTER] == 0.02);
	assert_true(s.p[EMU_FA_STALL] == 0.001);
	assert_int_equal(s.stall_ms, 100);
	assert_int_equal(s.latency_min, 5);	/* kept */
	assert_int_equal(emu_faults_spec_parse("none", &s, why, sizeof(why)),
	    0);
	assert_true(s.p[EMU_FA_ERROR500] == 0);
	assert_int_equal(s.stall_ms, EMU_FAULTS_STALL_DEFAULT);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(emu_faults_spec_parse(bad[i], &s, why,
		    sizeof(why)) < 0);
}

static void
test_latency(void **st)
{
	unsigned lo = 1, hi = 1;
	char why[128];

	(void)st;
	assert_int_equal(emu_faults_latency_parse("5-50", &lo, &hi, why,
	    sizeof(why)), 0);
	assert_int_equal(lo, 5);
	assert_int_equal(hi, 50);
	assert_int_equal(emu_faults_latency_parse("7", &lo, &hi, why,
	    sizeof(why)), 0);
	assert_int_equal(lo, 7);
	assert_int_equal(hi, 7);
	assert_true(emu_faults_latency_parse("50-5", &lo, &hi, why,
	    sizeof(why)) < 0);
	assert_true(emu_faults_latency_parse("-5", &lo, &hi, why,
	    sizeof(why)) < 0);
	assert_true(emu_faults_latency_parse("a-b", &lo, &hi, why,
	    sizeof(why)) < 0);
	assert_true(emu_faults_latency_parse("", &lo, &hi, why,
	    sizeof(why)) < 0);
	assert_true(emu_faults_latency_parse("1-9999999", &lo, &hi, why,
	    sizeof(why)) < 0);
}

static void
test_pick(void **st)
{
	struct emu_faults_spec s;

	(void)st;
	memset(&s, 0, sizeof(s));
	assert_int_equal(emu_faults_pick(&s, 0.0), EMU_FA_NONE);
	s.p[EMU_FA_ERROR500] = 0.25;
	s.p[EMU_FA_STALL] = 0.25;
	assert_int_equal(emu_faults_pick(&s, 0.0), EMU_FA_ERROR500);
	assert_int_equal(emu_faults_pick(&s, 0.2499), EMU_FA_ERROR500);
	assert_int_equal(emu_faults_pick(&s, 0.25), EMU_FA_STALL);
	assert_int_equal(emu_faults_pick(&s, 0.4999), EMU_FA_STALL);
	assert_int_equal(emu_faults_pick(&s, 0.5), EMU_FA_NONE);
	assert_int_equal(emu_faults_pick(&s, 0.9999), EMU_FA_NONE);
}

static void
test_rule_match(void **st)
{
	struct emu_fault_rule r;

	(void)st;
	memset(&r, 0, sizeof(r));
	assert_true(emu_faults_rule_match(&r, "GET", "/v1/x"));
	snprintf(r.method, sizeof(r.method), "POST");
	snprintf(r.path, sizeof(r.path), "/rs/mailboxes/");
	assert_true(emu_faults_rule_match(&r, "post",
	    "/v1/customers/me/domains/a.com/rs/mailboxes/bob"));
	assert_false(emu_faults_rule_match(&r, "GET",
	    "/v1/customers/me/domains/a.com/rs/mailboxes/bob"));
	r.prefix = true;
	assert_false(emu_faults_rule_match(&r, "POST",
	    "/v1/customers/me/domains/a.com/rs/mailboxes/bob"));
	snprintf(r.path, sizeof(r.path), "/v1/customers/me/");
	assert_true(emu_faults_rule_match(&r, "POST",
	    "/v1/customers/me/domains"));
}

static void
test_json_and_decide(void **st)
{
	struct emu_faults_spec spec;
	struct emu_fault_rule *rules = NULL;
	struct emu_fault_decision d;
	struct emu_faults *f;
	json_error_t jerr;
	char why[256];
	size_t n = 0;
	json_t *j;
	int i;

	(void)st;
	j = json_loads("{\"rules\":[{\"method\":\"POST\",\"path\":"
	    "\"/rs/mailboxes/\",\"action\":\"drop_after\",\"count\":1,"
	    "\"skip\":1},{\"path\":\"/ex/\",\"action\":\"latency\","
	    "\"ms\":20,\"count\":0},{\"method\":\"*\",\"path\":\"/ex/\","
	    "\"action\":\"stall\",\"ms\":5,\"count\":2}],\"latency_ms\":"
	    "\"0-0\"}", 0, &jerr);
	assert_non_null(j);
	assert_int_equal(emu_faults_json_parse(j, &spec, &rules, &n, why,
	    sizeof(why)), 0);
	json_decref(j);
	assert_int_equal(n, 3);
	assert_int_equal(rules[0].action, EMU_FA_DROP_AFTER);
	assert_int_equal(rules[0].skip, 1);
	f = emu_faults_new(&spec);
	emu_faults_set(f, &spec, rules, n);
	/* The first matching POST passes (skip), the second is hit, the
	 * third passes again (count 1). */
	emu_faults_decide(f, "POST", "/v1/x/rs/mailboxes/a", &d);
	assert_int_equal(d.action, EMU_FA_NONE);
	emu_faults_decide(f, "POST", "/v1/x/rs/mailboxes/a", &d);
	assert_int_equal(d.action, EMU_FA_DROP_AFTER);
	emu_faults_decide(f, "POST", "/v1/x/rs/mailboxes/a", &d);
	assert_int_equal(d.action, EMU_FA_NONE);
	/* Latency rules add up and let the next rule decide. */
	for (i = 0; i < 2; i++) {
		emu_faults_decide(f, "GET", "/v1/x/ex/mailboxes", &d);
		assert_int_equal(d.action, EMU_FA_STALL);
		assert_int_equal(d.stall_ms, 5);
		assert_int_equal(d.latency_ms, 20);
	}
	emu_faults_decide(f, "GET", "/v1/x/ex/mailboxes", &d);
	assert_int_equal(d.action, EMU_FA_NONE);
	assert_int_equal(d.latency_ms, 20);
	j = emu_faults_to_json(f);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(j, "rules"), 0), "fired")), 1);
	json_decref(j);
	emu_faults_free(f);

	j = json_loads("{\"rules\":[{\"action\":\"explode\"}]}", 0, &jerr);
	assert_true(emu_faults_json_parse(j, &spec, &rules, &n, why,
	    sizeof(why)) < 0);
	json_decref(j);
	j = json_loads("{\"error500\":0.7,\"drop\":0.7}", 0, &jerr);
	assert_true(emu_faults_json_parse(j, &spec, &rules, &n, why,
	    sizeof(why)) < 0);
	json_decref(j);
	j = json_loads("{\"surprise\":1}", 0, &jerr);
	assert_true(emu_faults_json_parse(j, &spec, &rules, &n, why,
	    sizeof(why)) < 0);
	json_decref(j);
}

static void
test_dice(void **st)
{
	struct emu_faults_spec spec;
	struct emu_fault_decision d;
	struct emu_faults *f;
	int i, hits = 0;

	(void)st;
	memset(&spec, 0, sizeof(spec));
	spec.p[EMU_FA_ERROR500] = 1.0;
	spec.latency_min = 3;
	spec.latency_max = 4;
	f = emu_faults_new(&spec);
	for (i = 0; i < 50; i++) {
		emu_faults_decide(f, "GET", "/", &d);
		hits += d.action == EMU_FA_ERROR500;
		assert_true(d.latency_ms >= 3 && d.latency_ms <= 4);
	}
	assert_int_equal(hits, 50);
	emu_faults_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_rule_match),
		cmocka_unit_test(test_json_and_decide),
		cmocka_unit_test(test_dice),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
