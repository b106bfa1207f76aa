/*
 * rsemu fault injection: SPEC and latency parsing, the dice mapping, rule
 * matching, the admin JSON and deterministic rule decisions, and the
 * hostile replies (reply, html_error, garbage, huge_body, truncate,
 * wrong_type, drip): their keys, defaults and refusals, and the pure body
 * transformations. Single thread (the table's lock is exercised without
 * contention).
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

/* Parses a rules body; returns the rules (n of them) or NULL on error. */
static struct emu_fault_rule *
rules_of(const char *text, size_t *n, char *why, size_t whylen)
{
	struct emu_faults_spec spec;
	struct emu_fault_rule *rules = NULL;
	json_error_t jerr;
	json_t *j;
	int r;

	j = json_loads(text, 0, &jerr);
	assert_non_null(j);
	r = emu_faults_json_parse(j, &spec, &rules, n, why, whylen);
	json_decref(j);
	return r == 0 ? rules : NULL;
}

static void
test_hostile_json(void **st)
{
	struct emu_fault_rule *rules;
	char why[256];
	size_t n, i;
	static const struct {
		const char *json;
		const char *why;	/* a fragment of the refusal */
	} bad[] = {
		{ "{\"rules\":[{\"action\":\"error500\",\"bytes\":5}]}",
		    "\"bytes\" is for truncate" },
		{ "{\"rules\":[{\"action\":\"truncate\",\"status\":200}]}",
		    "\"status\" is for reply" },
		{ "{\"rules\":[{\"action\":\"reply\",\"status\":99}]}",
		    "from 100 to 599" },
		{ "{\"rules\":[{\"action\":\"reply\",\"status\":\"200\"}]}",
		    "from 100 to 599" },
		{ "{\"rules\":[{\"action\":\"huge_body\",\"bytes\":0}]}",
		    "from 1 to" },
		{ "{\"rules\":[{\"action\":\"huge_body\","
		    "\"bytes\":2000000000}]}", "from 1 to" },
		{ "{\"rules\":[{\"action\":\"garbage\",\"bytes\":-1}]}",
		    "from 1 to" },
		{ "{\"rules\":[{\"action\":\"drip\",\"ms\":60000}]}",
		    "from 0 to 10000" },
		{ "{\"rules\":[{\"action\":\"drip\",\"bytes\":100000}]}",
		    "from 0 to 65536" },
		{ "{\"rules\":[{\"action\":\"html_error\",\"body\":\"x\"}]}",
		    "for reply only" },
		{ "{\"rules\":[{\"action\":\"reply\",\"content_type\":"
		    "\"text/html\\r\\nX-Evil: 1\"}]}", "one-line string" },
		{ "{\"rules\":[{\"action\":\"reply\",\"body\":7}]}",
		    "for reply only" },
		{ "{\"rules\":[{\"action\":\"reply\",\"colour\":7}]}",
		    "unknown rule key" },
		{ "{\"rules\":[{\"action\":\"explode\"}]}",
		    "wrong_type, drip" },
	};

	(void)st;
	rules = rules_of("{\"rules\":["
	    "{\"action\":\"reply\",\"status\":200,\"content_type\":"
	    "\"text/plain\",\"body\":\"a\\tb\"},"
	    "{\"action\":\"html_error\"},"
	    "{\"action\":\"garbage\"},"
	    "{\"action\":\"huge_body\"},"
	    "{\"action\":\"truncate\",\"bytes\":10},"
	    "{\"action\":\"wrong_type\"},"
	    "{\"action\":\"drip\",\"bytes\":4,\"ms\":20},"
	    "{\"action\":\"drip\"},"
	    "{\"action\":\"garbage\",\"status\":500,\"bytes\":9}]}", &n, why,
	    sizeof(why));
	if (rules == NULL)
		fail_msg("%s", why);
	assert_int_equal(n, 9);
	assert_int_equal(rules[0].action, EMU_FA_REPLY);
	assert_int_equal(rules[0].status, 200);
	assert_string_equal(rules[0].ctype, "text/plain");
	assert_int_equal(rules[0].body_len, 3);
	assert_memory_equal(rules[0].body, "a\tb", 3);
	assert_int_equal(rules[1].action, EMU_FA_HTML_ERROR);
	assert_int_equal(rules[1].status, 0);	/* the action's default */
	assert_int_equal(rules[2].bytes, EMU_FAULTS_GARBAGE_DEFAULT);
	assert_int_equal(rules[3].bytes, EMU_FAULTS_HUGE_DEFAULT);
	assert_int_equal(rules[4].bytes, 10);
	assert_int_equal(rules[5].action, EMU_FA_WRONG_TYPE);
	assert_int_equal(rules[6].bytes, 4);
	assert_int_equal(rules[6].ms, 20);
	assert_int_equal(rules[7].bytes, 1);
	assert_int_equal(rules[7].ms, EMU_FAULTS_DRIP_DEFAULT_MS);
	assert_int_equal(rules[8].status, 500);
	assert_int_equal(rules[8].bytes, 9);
	free(rules);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rules = rules_of(bad[i].json, &n, why, sizeof(why));
		if (rules != NULL || strstr(why, bad[i].why) == NULL)
			fail_msg("%s: wanted a refusal with \"%s\", got "
			    "\"%s\"", bad[i].json, bad[i].why, why);
	}
}

static void
test_hostile_decide(void **st)
{
	struct emu_faults_spec spec;
	struct emu_fault_rule *rules;
	struct emu_fault_decision d;
	struct emu_faults *f;
	char why[256];
	size_t n;
	json_t *j, *r;

	(void)st;
	rules = rules_of("{\"rules\":[{\"method\":\"GET\",\"path\":"
	    "\"/ex/mailboxes\",\"action\":\"reply\",\"status\":502,"
	    "\"content_type\":\"text/html\",\"body\":\"<html>\"},"
	    "{\"path\":\"/rs/\",\"action\":\"drip\",\"bytes\":3,\"ms\":15,"
	    "\"count\":0}]}", &n, why, sizeof(why));
	assert_non_null(rules);
	memset(&spec, 0, sizeof(spec));
	f = emu_faults_new(&spec);
	emu_faults_set(f, &spec, rules, n);
	emu_faults_decide(f, "GET", "/v1/customers/me/domains/a.com/ex/"
	    "mailboxes", &d);
	assert_int_equal(d.action, EMU_FA_REPLY);
	assert_int_equal(d.status, 502);
	assert_string_equal(d.ctype, "text/html");
	assert_int_equal(d.body_len, 6);
	assert_memory_equal(d.body, "<html>", 6);
	/* count 1: the second request is answered normally. */
	emu_faults_decide(f, "GET", "/v1/customers/me/domains/a.com/ex/"
	    "mailboxes", &d);
	assert_int_equal(d.action, EMU_FA_NONE);
	assert_int_equal(d.body_len, 0);
	emu_faults_decide(f, "PUT", "/v1/x/rs/mailboxes/bob", &d);
	assert_int_equal(d.action, EMU_FA_DRIP);
	assert_int_equal(d.bytes, 3);
	assert_int_equal(d.stall_ms, 15);
	j = emu_faults_to_json(f);
	r = json_array_get(json_object_get(j, "rules"), 0);
	assert_string_equal(json_string_value(json_object_get(r, "action")),
	    "reply");
	assert_int_equal(json_integer_value(json_object_get(r, "status")),
	    502);
	assert_string_equal(json_string_value(json_object_get(r, "body")),
	    "<html>");
	r = json_array_get(json_object_get(j, "rules"), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "bytes")), 3);
	json_decref(j);
	emu_faults_free(f);
}

static void
test_wrong_type(void **st)
{
	json_error_t jerr;
	json_t *in, *out;
	char *s;

	(void)st;
	in = json_loads("{\"rsMailboxes\":[{\"name\":\"bob\",\"enabled\":"
	    "true,\"size\":25600,\"x\":null}],\"offset\":0,\"size\":50,"
	    "\"total\":1,\"ok\":false,\"r\":1.5}", 0, &jerr);
	assert_non_null(in);
	out = emu_faults_wrong_type(in);
	s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"offset\":\"7\",\"ok\":\"false\",\"r\":"
	    "\"7\",\"rsMailboxes\":{\"0\":{\"enabled\":\"true\",\"name\":7,"
	    "\"size\":\"7\",\"x\":[]}},\"size\":\"7\",\"total\":\"7\"}");
	free(s);
	json_decref(out);
	json_decref(in);
	/* A top-level array becomes an object too. */
	in = json_loads("[\"a\"]", 0, &jerr);
	out = emu_faults_wrong_type(in);
	assert_true(json_is_object(out));
	assert_true(json_is_integer(json_object_get(out, "0")));
	json_decref(out);
	json_decref(in);
}

static void
test_garbage_and_huge(void **st)
{
	unsigned char a[64], b[64];
	json_error_t jerr;
	char head[40];
	size_t i;

	(void)st;
	emu_faults_garbage(a, sizeof(a));
	emu_faults_garbage(b, sizeof(b));
	assert_memory_equal(a, b, sizeof(a));	/* reproducible */
	assert_int_equal(a[0], 0xff);
	assert_int_equal(a[1], 0x00);
	assert_null(json_loadb((const char *)a, sizeof(a), 0, &jerr));
	emu_faults_garbage(a, 1);	/* short sizes are fine */
	for (i = 0; i < sizeof(head) - 1; i++)
		head[i] = emu_faults_huge_byte(i);
	head[sizeof(head) - 1] = '\0';
	assert_string_equal(head,
	    "{\"rsMailboxes\":[{\"name\":\"xxxxxxxxxxxxxx");
	assert_int_equal(emu_faults_huge_byte(16ull * 1024 * 1024 - 1), 'x');
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
		cmocka_unit_test(test_hostile_json),
		cmocka_unit_test(test_hostile_decide),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_garbage_and_huge),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
