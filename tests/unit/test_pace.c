/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>

#include "pace.h"
#include "suites.h"

START_TEST(first_n_start_at_once)
{
	struct pace p;

	pace_init(&p, 2, 4);
	ck_assert_uint_eq(pace_wait(&p, 1000), 0);
	pace_note(&p, 1000);
	ck_assert_uint_eq(pace_wait(&p, 1000), 0);
	pace_note(&p, 1000);
	/* the third waits for the first's window to end */
	ck_assert_uint_eq(pace_wait(&p, 1000), 4);
	ck_assert_uint_eq(pace_wait(&p, 1003), 1);
	ck_assert_uint_eq(pace_wait(&p, 1004), 0);
	pace_note(&p, 1004);
	/* the second's window ends at 1004 too */
	ck_assert_uint_eq(pace_wait(&p, 1004), 0);
	pace_note(&p, 1004);
	ck_assert_uint_eq(pace_wait(&p, 1005), 3);
}
END_TEST

/* Fifty runs at two per 4 ms: the last starts 96 ms after the first. */
START_TEST(fifty_runs_two_cpus)
{
	struct pace p;
	uint64_t t = 5000;

	pace_init(&p, 2, PACE_WINDOW_MS);
	for (int i = 0; i < 50; i++) {
		t += pace_wait(&p, t);
		pace_note(&p, t);
	}
	ck_assert_uint_eq(t - 5000, 96);
}
END_TEST

/* Starts spread out never wait. */
START_TEST(spread_starts_never_wait)
{
	struct pace p;

	pace_init(&p, 1, 4);
	for (uint64_t t = 100; t < 200; t += 4) {
		ck_assert_uint_eq(pace_wait(&p, t), 0);
		pace_note(&p, t);
	}
}
END_TEST

START_TEST(n_clamped)
{
	struct pace p;

	pace_init(&p, 0, 4);
	ck_assert_uint_eq(p.n, 1);
	pace_init(&p, PACE_MAX + 10, 4);
	ck_assert_uint_eq(p.n, PACE_MAX);
	ck_assert_uint_ge(pace_cpus(), 1);
	ck_assert_uint_le(pace_cpus(), PACE_MAX);
}
END_TEST

Suite *
pace_suite(void)
{
	Suite *s = suite_create("pace");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, first_n_start_at_once);
	tcase_add_test(tc, fifty_runs_two_cpus);
	tcase_add_test(tc, spread_starts_never_wait);
	tcase_add_test(tc, n_clamped);
	suite_add_tcase(s, tc);
	return s;
}
