#include <stdint.h>

#include "batch.h"
#include "suites.h"

START_TEST(empty_never_due)
{
	struct batch b;

	batch_init(&b, 50, 1000, 100);
	ck_assert_uint_eq(batch_due_in(&b, 1000, false), UINT64_MAX);
	ck_assert_uint_eq(batch_due_in(&b, UINT64_MAX / 2, false), UINT64_MAX);
}
END_TEST

START_TEST(due_after_settle)
{
	struct batch b;

	batch_init(&b, 50, 1000, 100);
	ck_assert(!batch_note(&b, 1000, 1));
	ck_assert_uint_eq(batch_due_in(&b, 1000, false), 50);
	ck_assert_uint_eq(batch_due_in(&b, 1049, false), 1);
	ck_assert_uint_eq(batch_due_in(&b, 1050, false), 0);
	ck_assert_uint_eq(batch_due_in(&b, 5000, false), 0);
	/* a change during the settle time pushes it back */
	ck_assert(!batch_note(&b, 1030, 2));
	ck_assert_uint_eq(batch_due_in(&b, 1030, false), 50);
	ck_assert_uint_eq(batch_due_in(&b, 1079, false), 1);
	ck_assert_uint_eq(batch_due_in(&b, 1080, false), 0);
}
END_TEST

/* A mirror free to push: the batch goes settle after its first change,
 * whatever comes meanwhile (that goes in the next push). */
START_TEST(free_mirror_does_not_wait_for_quiet)
{
	struct batch b;

	batch_init(&b, 50, 1000, 100);
	ck_assert(!batch_note(&b, 1000, 1));
	ck_assert_uint_eq(batch_due_in(&b, 1000, true), 50);
	ck_assert(!batch_note(&b, 1040, 2));
	ck_assert_uint_eq(batch_due_in(&b, 1040, true), 10);
	ck_assert_uint_eq(batch_due_in(&b, 1050, true), 0);
	/* the same batch with every mirror busy waits for quiet */
	ck_assert_uint_eq(batch_due_in(&b, 1050, false), 40);
	ck_assert_uint_eq(batch_due_in(&b, UINT64_MAX / 2, true), 0);
}
END_TEST

START_TEST(max_delay_caps_stream)
{
	struct batch b;
	uint64_t t;

	batch_init(&b, 50, 1000, 100000);
	for (t = 1000; t < 2000; t += 40) {
		ck_assert(!batch_note(&b, t, 1));
		uint64_t in = batch_due_in(&b, t, false);
		ck_assert_uint_gt(in, 0);
		ck_assert_uint_le(t + in, 2000);
		ck_assert_uint_eq(in, t + 50 <= 2000 ? 50 : 2000 - t);
	}
	batch_note(&b, 2000, 1);
	ck_assert_uint_eq(batch_due_in(&b, 2000, false), 0);
	ck_assert_uint_eq(batch_due_in(&b, 2001, false), 0);
}
END_TEST

START_TEST(max_files)
{
	struct batch b;

	batch_init(&b, 50, 1000, 3);
	ck_assert(!batch_note(&b, 10, 1));
	ck_assert(!batch_note(&b, 11, 2));
	ck_assert(batch_note(&b, 12, 3));
	ck_assert(batch_note(&b, 13, 7));
}
END_TEST

START_TEST(reset)
{
	struct batch b;

	batch_init(&b, 50, 1000, 100);
	batch_note(&b, 1000, 1);
	batch_note(&b, 1900, 1);
	ck_assert_uint_eq(batch_due_in(&b, 1900, false), 50);
	batch_reset(&b);
	ck_assert_uint_eq(b.first, 0);
	ck_assert_uint_eq(b.last, 0);
	ck_assert_uint_eq(batch_due_in(&b, 1950, false), UINT64_MAX);
	/* the next change starts a new batch with its own max_delay */
	batch_note(&b, 5000, 1);
	ck_assert_uint_eq(batch_due_in(&b, 5000, false), 50);
	ck_assert_uint_eq(b.first, 5000);
}
END_TEST

START_TEST(settle_longer_than_max_delay)
{
	struct batch b;

	batch_init(&b, 500, 100, 100);
	batch_note(&b, 1000, 1);
	ck_assert_uint_eq(batch_due_in(&b, 1000, false), 100);
}
END_TEST

Suite *
batch_suite(void)
{
	Suite *s = suite_create("batch");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, empty_never_due);
	tcase_add_test(tc, due_after_settle);
	tcase_add_test(tc, free_mirror_does_not_wait_for_quiet);
	tcase_add_test(tc, max_delay_caps_stream);
	tcase_add_test(tc, max_files);
	tcase_add_test(tc, reset);
	tcase_add_test(tc, settle_longer_than_max_delay);
	suite_add_tcase(s, tc);
	return s;
}
