/*
 * Unit tests of the client's pacing (token buckets whose tokens return one
 * window after the attempt finished) and backoff (exponential with equal
 * jitter). Pure arithmetic on times passed in; libsodium supplies jitter.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <sodium.h>

#include "target_internal.h"

/* N tokens per window, and not one more. */
static void
test_pace_n_per_window(void **state)
{
	struct pace_bucket b;
	int i, t;

	(void)state;
	assert_int_equal(pace_init(&b, 5, 2000), 0);
	for (i = 0; i < 5; i++) {
		t = pace_take(&b, 1000);
		assert_true(t >= 0);
		pace_release(&b, t, 1000);
	}
	assert_int_equal(pace_take(&b, 1000), -1);
	assert_int_equal(pace_ready_at(&b, 1000), 3000);
	assert_int_equal(pace_take(&b, 2999), -1);
	pace_fini(&b);
}

/* A token comes back exactly one window after release, not a ms later. */
static void
test_pace_window_edge(void **state)
{
	struct pace_bucket b;
	int t;

	(void)state;
	assert_int_equal(pace_init(&b, 1, 60000), 0);
	assert_int_equal(pace_ready_at(&b, 0), 0);
	t = pace_take(&b, 0);
	assert_int_equal(t, 0);
	pace_release(&b, t, 10);
	assert_int_equal(pace_take(&b, 60009), -1);
	assert_int_equal(pace_ready_at(&b, 60009), 60010);
	t = pace_take(&b, 60010);
	assert_int_equal(t, 0);
	pace_fini(&b);
}

/* Tokens of running attempts are not free until released. */
static void
test_pace_in_use(void **state)
{
	struct pace_bucket b;
	int t1, t2;

	(void)state;
	assert_int_equal(pace_init(&b, 2, 1000), 0);
	t1 = pace_take(&b, 0);
	t2 = pace_take(&b, 0);
	assert_true(t1 >= 0 && t2 >= 0 && t1 != t2);
	assert_int_equal(pace_ready_at(&b, 50000), PACE_IN_USE);
	assert_int_equal(pace_take(&b, 50000), -1);
	pace_release(&b, t2, 50000);
	assert_int_equal(pace_ready_at(&b, 50000), 51000);
	/* Refunded tokens (never sent) are free at once. */
	pace_refund(&b, t1);
	assert_int_equal(pace_ready_at(&b, 50000), 50000);
	pace_fini(&b);
}

/*
 * Whatever the schedule of takes, no interval of one window ever holds
 * more than N takes: the property that keeps a fixed-window server limit
 * of N from being exceeded.
 */
static void
test_pace_sliding_property(void **state)
{
	struct pace_bucket b;
	int64_t takes[4000], now = 0;
	size_t n = 0, i, j;
	int t;

	(void)state;
	assert_int_equal(pace_init(&b, 7, 1000), 0);
	while (n < sizeof(takes) / sizeof(takes[0]) && now < 200000) {
		t = pace_take(&b, now);
		if (t >= 0) {
			takes[n++] = now;
			/* Random latency 0..99 ms. */
			pace_release(&b, t, now + randombytes_uniform(100));
		}
		now += 1 + randombytes_uniform(40);
	}
	assert_true(n > 100);
	for (i = 0; i < n; i++) {
		for (j = i; j < n && takes[j] < takes[i] + 1000; j++)
			;
		assert_true(j - i <= 7);
	}
	pace_fini(&b);
}

/* The full rate is reached when latency is zero: N per window exactly. */
static void
test_pace_full_rate(void **state)
{
	struct pace_bucket b;
	int64_t now;
	int t, count = 0;

	(void)state;
	assert_int_equal(pace_init(&b, 30, 60000), 0);
	for (now = 0; now < 600000; now++) {
		while ((t = pace_take(&b, now)) >= 0) {
			pace_release(&b, t, now);
			count++;
		}
	}
	/* Ten windows of 60 s: 300 calls. */
	assert_int_equal(count, 300);
	pace_fini(&b);
}

static void
test_pace_init_bounds(void **state)
{
	struct pace_bucket b;

	(void)state;
	assert_int_equal(pace_init(&b, 0, 1000), -EINVAL);
	assert_int_equal(pace_init(&b, 1, 0), -EINVAL);
}

/* Above PACE_MAX_TOKENS the bucket does not pace (an emulator without
 * throttling), but a throttle answer still blocks it. */
static void
test_pace_unlimited(void **state)
{
	struct pace_bucket b;
	int i;

	(void)state;
	assert_int_equal(pace_init(&b, PACE_MAX_TOKENS + 1, 1000), 0);
	for (i = 0; i < 100000; i++)
		assert_true(pace_take(&b, 5) >= 0);
	assert_int_equal(pace_ready_at(&b, 5), 5);
	pace_release(&b, 0, 5);
	pace_refund(&b, 0);
	pace_throttled(&b, 10);
	assert_true(pace_ready_at(&b, 10) > 10);
	assert_int_equal(pace_take(&b, 10), -1);
	pace_unthrottled(&b);
	assert_true(pace_take(&b, 1000000) >= 0);
	pace_fini(&b);
}

static void
test_backoff_bounds(void **state)
{
	int64_t lo, hi;

	(void)state;
	pace_backoff_bounds(250, 8000, 0, &lo, &hi);
	assert_int_equal(lo, 125);
	assert_int_equal(hi, 250);
	pace_backoff_bounds(250, 8000, 1, &lo, &hi);
	assert_int_equal(hi, 500);
	pace_backoff_bounds(250, 8000, 5, &lo, &hi);
	assert_int_equal(hi, 8000);
	assert_int_equal(lo, 4000);
	/* Capped however large the attempt number: no overflow. */
	pace_backoff_bounds(250, 8000, 4000000000u, &lo, &hi);
	assert_int_equal(hi, 8000);
	assert_int_equal(lo, 4000);
	/* A cap below the base is raised to the base. */
	pace_backoff_bounds(1000, 10, 3, &lo, &hi);
	assert_int_equal(hi, 1000);
	pace_backoff_bounds(0, 0, 0, &lo, &hi);
	assert_int_equal(hi, 1);
}

/* Jitter stays in [d/2, d] and spreads over that range. */
static void
test_backoff_jitter(void **state)
{
	int64_t d, mn = INT64_MAX, mx = 0;
	unsigned attempt;
	int i;

	(void)state;
	for (attempt = 0; attempt < 8; attempt++) {
		int64_t lo, hi;

		pace_backoff_bounds(100, 10000, attempt, &lo, &hi);
		for (i = 0; i < 200; i++) {
			d = pace_backoff(100, 10000, attempt);
			assert_true(d >= lo && d <= hi);
		}
	}
	for (i = 0; i < 2000; i++) {
		d = pace_backoff(1000, 1000, 0);
		if (d < mn)
			mn = d;
		if (d > mx)
			mx = d;
	}
	assert_true(mn < 550);
	assert_true(mx > 950);
}

/* A throttled answer blocks the category with a growing backoff, and a
 * good answer ends the streak. */
static void
test_pace_throttled(void **state)
{
	struct pace_bucket b;
	int64_t first;

	(void)state;
	assert_int_equal(pace_init(&b, 10, 2000), 0);
	pace_throttled(&b, 1000);
	/* base max(250, 2000/4) = 500: delay in [250, 500]. */
	assert_true(b.blocked_until >= 1250 && b.blocked_until <= 1500);
	assert_int_equal(pace_take(&b, 1200), -1);
	assert_int_equal(pace_ready_at(&b, 1200), b.blocked_until);
	first = b.blocked_until;
	pace_throttled(&b, first);
	assert_true(b.blocked_until >= first + 500 &&
	    b.blocked_until <= first + 1000);
	assert_int_equal(b.streak, 2);
	for (int i = 0; i < 40; i++)
		pace_throttled(&b, 0);
	/* Never more than two windows ahead of `now`. */
	pace_unthrottled(&b);
	assert_int_equal(b.streak, 0);
	b.blocked_until = 0;
	for (int i = 0; i < 40; i++) {
		pace_throttled(&b, 100000);
		assert_true(b.blocked_until <= 100000 + 4000);
		b.blocked_until = 0;
	}
	pace_fini(&b);
}

/* An ordinary client leaves `keep` tokens; the next one is due when a
 * (keep+1)-th token is back. */
static void
test_pace_keep(void **state)
{
	struct pace_bucket b;
	int i, t;

	(void)state;
	assert_int_equal(pace_init(&b, 10, 1000), 0);
	assert_int_equal(pace_ready_at_keep(&b, 50, 2), 50);
	/* Spend 8 at times 100..800: two remain free. */
	for (i = 0; i < 8; i++) {
		t = pace_take(&b, 100 * (i + 1));
		pace_release(&b, t, 100 * (i + 1));
	}
	assert_int_equal(pace_ready_at(&b, 900), 900);
	/* Keeping 2, the next token is due when the first spent returns. */
	assert_int_equal(pace_ready_at_keep(&b, 900, 2), 1100);
	assert_int_equal(pace_ready_at_keep(&b, 900, 3), 1200);
	assert_int_equal(pace_ready_at_keep(&b, 900, 10), PACE_IN_USE);
	assert_int_equal(pace_ready_at_keep(&b, 900, 0), 900);
	pace_fini(&b);
}

/* Two clients on one pacer: the ordinary one stops at the reserve, the
 * priority one still gets a token at once. */
static void
test_pacer_reserve(void **state)
{
	struct conf_rackspace conf = { .reads_per_minute = 60,
	    .writes_per_minute = 30, .domain_writes_per_minute = 2,
	    .throttle_window = 60 };
	enum rs_category w[1] = { RS_CAT_WRITE };
	struct rs_pacer *p;
	int tok[2], i, taken = 0;

	(void)state;
	assert_int_equal(rs_pacer_new(&conf, true, &p), 0);
	/* Ordinary takes are spread: one per window/n (2 s here). */
	assert_true(rs_pacer_take(p, w, 1, false, 1000, tok));
	rs_pacer_release(p, w, 1, tok, 1000);
	assert_false(rs_pacer_take(p, w, 1, false, 2999, tok));
	assert_int_equal(rs_pacer_ready_at(p, w, 1, false, 1000), 3000);
	for (i = 1, taken = 1; i < 30; i++)
		if (rs_pacer_take(p, w, 1, false, 1000 + 2000 * i, tok)) {
			taken++;
			rs_pacer_release(p, w, 1, tok, 1000);
		}
	assert_int_equal(taken, 27);	/* 3 of 30 kept */
	assert_true(rs_pacer_ready_at(p, w, 1, false, 1000) >= 61000);
	assert_int_equal(rs_pacer_ready_at(p, w, 1, true, 1000), 1000);
	for (i = 0; i < 3; i++) {
		assert_true(rs_pacer_take(p, w, 1, true, 1000, tok));
		rs_pacer_release(p, w, 1, tok, 1000);
	}
	assert_false(rs_pacer_take(p, w, 1, true, 1000, tok));
	assert_int_equal(tok[0], -1);
	rs_pacer_unref(p);
	/* The reserve grows to what the priority client used in the last
	 * window, plus one. */
	assert_int_equal(rs_pacer_new(&conf, true, &p), 0);
	for (i = 0; i < 10; i++) {
		assert_true(rs_pacer_take(p, w, 1, true, 1000, tok));
		rs_pacer_release(p, w, 1, tok, 1000);
	}
	/* 20 free: ordinary clients must leave 11 of them. */
	for (i = 0, taken = 0; i < 30; i++)
		if (rs_pacer_take(p, w, 1, false, 2000 + 2000 * i, tok)) {
			taken++;
			rs_pacer_release(p, w, 1, tok, 2000);
		}
	assert_int_equal(taken, 9);
	/* A window later the priority use is forgotten: back to 3 kept. */
	assert_true(rs_pacer_take(p, w, 1, false, 62000, tok));
	rs_pacer_unref(p);
	/* Without a reserve, all 30. */
	assert_int_equal(rs_pacer_new(&conf, false, &p), 0);
	for (i = 0, taken = 0; i < 31; i++)
		if (rs_pacer_take(p, w, 1, false, 1000, tok)) {
			taken++;
			rs_pacer_release(p, w, 1, tok, 1000);
		}
	assert_int_equal(taken, 30);
	rs_pacer_unref(p);
}

/* While a priority request waits, ordinary clients take no token in its
 * category even where the reserve would let them. */
static void
test_pacer_demand(void **state)
{
	struct conf_rackspace conf = { .reads_per_minute = 60,
	    .writes_per_minute = 30, .domain_writes_per_minute = 2,
	    .throttle_window = 60 };
	enum rs_category w[1] = { RS_CAT_WRITE }, rd[1] = { RS_CAT_READ };
	struct rs_pacer *p;
	int tok[2];

	(void)state;
	assert_int_equal(rs_pacer_new(&conf, false, &p), 0);
	assert_true(rs_pacer_take(p, w, 1, false, 1000, tok));
	rs_pacer_release(p, w, 1, tok, 1000);
	rs_pacer_demand(p, w, 1, 1);
	assert_false(rs_pacer_take(p, w, 1, false, 1000, tok));
	assert_true(rs_pacer_ready_at(p, w, 1, false, 1000) > 1000);
	/* Other categories are not held back. */
	assert_true(rs_pacer_take(p, rd, 1, false, 1000, tok));
	rs_pacer_release(p, rd, 1, tok, 1000);
	/* The priority client itself goes on. */
	assert_true(rs_pacer_take(p, w, 1, true, 1000, tok));
	rs_pacer_release(p, w, 1, tok, 1000);
	rs_pacer_demand(p, w, 1, -1);
	assert_true(rs_pacer_take(p, w, 1, false, 1000, tok));
	rs_pacer_release(p, w, 1, tok, 1000);
	/* Never below zero. */
	rs_pacer_demand(p, w, 1, -1);
	assert_true(rs_pacer_take(p, w, 1, false, 1000, tok));
	rs_pacer_release(p, w, 1, tok, 1000);
	rs_pacer_unref(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pace_n_per_window),
		cmocka_unit_test(test_pace_window_edge),
		cmocka_unit_test(test_pace_in_use),
		cmocka_unit_test(test_pace_sliding_property),
		cmocka_unit_test(test_pace_full_rate),
		cmocka_unit_test(test_pace_init_bounds),
		cmocka_unit_test(test_pace_unlimited),
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_backoff_jitter),
		cmocka_unit_test(test_pace_throttled),
		cmocka_unit_test(test_pace_keep),
		cmocka_unit_test(test_pacer_reserve),
		cmocka_unit_test(test_pacer_demand),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
