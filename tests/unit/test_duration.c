/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <string.h>

#include "duration.h"
#include "suites.h"

static uint64_t
parse_ok(const char *s)
{
	uint64_t ms = 12345;
	const char *why = NULL;

	ck_assert_msg(duration_parse(s, &ms, &why) == 0, "'%s' rejected: %s", s, why ? why : "?");
	return ms;
}

static void
parse_bad(const char *s)
{
	uint64_t ms = 0;
	const char *why = NULL;

	ck_assert_msg(duration_parse(s, &ms, &why) == -1, "'%s' accepted as %llu ms", s,
	    (unsigned long long)ms);
	ck_assert_msg(why && *why, "'%s': no reason given", s);
}

START_TEST(units)
{
	ck_assert_uint_eq(parse_ok("250ms"), 250);
	ck_assert_uint_eq(parse_ok("5s"), 5000);
	ck_assert_uint_eq(parse_ok("5sec"), 5000);
	ck_assert_uint_eq(parse_ok("10min"), 600000);
	ck_assert_uint_eq(parse_ok("2h"), 7200000);
	ck_assert_uint_eq(parse_ok("1d"), 86400000);
	ck_assert_uint_eq(parse_ok("0ms"), 0);
	ck_assert_uint_eq(parse_ok("0"), 0);
}
END_TEST

START_TEST(bare_number_is_seconds)
{
	ck_assert_uint_eq(parse_ok("7"), 7000);
	ck_assert_uint_eq(parse_ok("100"), 100000);
}
END_TEST

START_TEST(decimals)
{
	ck_assert_uint_eq(parse_ok("1.5s"), 1500);
	ck_assert_uint_eq(parse_ok("0.5"), 500);
	ck_assert_uint_eq(parse_ok("1.25min"), 75000);
	ck_assert_uint_eq(parse_ok("0.001s"), 1);
	ck_assert_uint_eq(parse_ok("2.5ms"), 2);
	ck_assert_uint_eq(parse_ok("0.5d"), 43200000);
}
END_TEST

START_TEST(whitespace)
{
	ck_assert_uint_eq(parse_ok(" 5s"), 5000);
	ck_assert_uint_eq(parse_ok("5s  "), 5000);
	ck_assert_uint_eq(parse_ok("5 s"), 5000);
	ck_assert_uint_eq(parse_ok("\t3\tms\t"), 3);
	ck_assert_uint_eq(parse_ok("  42  "), 42000);
}
END_TEST

START_TEST(errors)
{
	parse_bad("");
	parse_bad("   ");
	parse_bad("5 parsecs");
	parse_bad("abc");
	parse_bad("s");
	parse_bad("-1s");
	parse_bad("+1s");
	parse_bad("5m");	/* minutes or milliseconds? */
	parse_bad("5M");
	parse_bad("5S");
	parse_bad("1.s");
	parse_bad(".5s");
	parse_bad("5s 3");
	parse_bad("5 s x");
	parse_bad("1,5s");
	parse_bad("5mss");
}
END_TEST

START_TEST(overflow)
{
	parse_bad("99999999999999999999999999");
	parse_bad("99999999999999999999999999ms");
	parse_bad("999999999999999d");
	/* UINT64_MAX ms is 213503982334.6 days. */
	ck_assert_uint_eq(parse_ok("213503982334d"), 213503982334ULL * 86400000ULL);
}
END_TEST

/* The digit-count guard lets whole * unit wrap just above the limit. */
START_TEST(overflow_at_the_limit)
{
	parse_bad("213503982335d");
	parse_bad("213503982339d");
	parse_bad("5124095576030432h");
}
END_TEST

START_TEST(format)
{
	char buf[32];

	duration_format(0, buf, sizeof buf);
	ck_assert_str_eq(buf, "0s");
	duration_format(250, buf, sizeof buf);
	ck_assert_str_eq(buf, "250ms");
	duration_format(5000, buf, sizeof buf);
	ck_assert_str_eq(buf, "5s");
	duration_format(600000, buf, sizeof buf);
	ck_assert_str_eq(buf, "10min");
	duration_format(7200000, buf, sizeof buf);
	ck_assert_str_eq(buf, "2h");
}
END_TEST

START_TEST(format_round_trip)
{
	static const uint64_t v[] = {
		0, 1, 50, 999, 1000, 1500, 59999, 60000, 61000, 90000, 3600000, 3660000,
		86400000, 90061001, 7 * 86400000ULL, 1000000000000ULL,
	};
	char buf[64];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		duration_format(v[i], buf, sizeof buf);
		ck_assert_msg(parse_ok(buf) == v[i], "%llu -> '%s' -> %llu",
		    (unsigned long long)v[i], buf, (unsigned long long)parse_ok(buf));
	}
}
END_TEST

START_TEST(format_truncates)
{
	char buf[4];

	memset(buf, 'x', sizeof buf);
	duration_format(123456, buf, sizeof buf);
	ck_assert_uint_eq(strlen(buf), 3);
}
END_TEST

Suite *
duration_suite(void)
{
	Suite *s = suite_create("duration");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, units);
	tcase_add_test(tc, bare_number_is_seconds);
	tcase_add_test(tc, decimals);
	tcase_add_test(tc, whitespace);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, overflow);
	tcase_add_test(tc, overflow_at_the_limit);
	tcase_add_test(tc, format);
	tcase_add_test(tc, format_round_trip);
	tcase_add_test(tc, format_truncates);
	suite_add_tcase(s, tc);
	return s;
}
