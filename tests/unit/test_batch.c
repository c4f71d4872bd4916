/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stddef.h>
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

START_TEST(sealed_starts_empty)
{
	struct batch b;

	batch_init(&b, 50, 1000, 100);
	batch_note(&b, 1000, 1);
	batch_note(&b, 1900, 1);
	ck_assert_uint_eq(batch_due_in(&b, 1900, false), 50);
	batch_sealed(&b, 1950);
	ck_assert_uint_eq(b.first, 0);
	ck_assert_uint_eq(b.last, 0);
	ck_assert_uint_eq(batch_due_in(&b, 1950, false), UINT64_MAX);
	/* a flush with nothing gathered is no batch */
	batch_sealed(&b, 3000);
	ck_assert_uint_eq(b.prev_seal, 1950);
	/* the next change starts a new batch with its own max_delay */
	batch_note(&b, 5000, 1);
	ck_assert_uint_eq(batch_due_in(&b, 5000, false), 50);
	ck_assert_uint_eq(b.first, 5000);
}
END_TEST

/* `per` changes every `step` ms from `from` to `to` with a mirror always
 * free; the batch is sealed as soon as it is due.  Fills seals[] with the
 * seal times and returns how many there were. */
static size_t
stream_of(struct batch *b, uint64_t from, uint64_t to, uint64_t step, unsigned per,
    uint64_t *seals, size_t max)
{
	size_t n = 0;

	for (uint64_t t = from; t <= to + 5000; t++) {
		if (t <= to && (t - from) % step == 0)
			for (unsigned i = 0; i < per; i++)
				batch_note(b, t, 1);
		if (batch_due_in(b, t, true) == 0) {
			ck_assert_uint_lt(n, max);
			seals[n++] = t;
			batch_sealed(b, t);
		}
	}
	return n;
}

/* A dense stream: 100 changes every `step` ms. */
static size_t
stream(struct batch *b, uint64_t from, uint64_t to, uint64_t step, uint64_t *seals, size_t max)
{
	return stream_of(b, from, to, step, 100, seals, max);
}

/* The seal times are exactly want[]. */
static void
assert_seals(const uint64_t *seals, size_t n, const uint64_t *want, size_t nwant)
{
	ck_assert_uint_eq(n, nwant);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(seals[i], want[i]);
}

/* A stream of changes: the first batches go settle after their first
 * change; then each goes twice as long after the one before as that one
 * did, up to max_delay; the last goes settle after the stream ends. */
START_TEST(stream_rests_grow)
{
	struct batch b;
	uint64_t seals[64];
	static const uint64_t want[] = { 1050, 1105, 1160, 1215, 1315, 1515, 1915, 2715, 3715, 4050 };

	batch_init(&b, 50, 1000, 100000);
	size_t n = stream(&b, 1000, 4000, 5, seals, 64);
	assert_seals(seals, n, want, sizeof want / sizeof want[0]);
}
END_TEST

/* Changes further apart than settle never make a stream: each goes settle
 * after it is seen. */
START_TEST(trickle_keeps_settle)
{
	struct batch b;
	uint64_t seals[64];

	batch_init(&b, 10, 1000, 100000);
	size_t n = stream(&b, 1000, 1000 + 49 * 50, 50, seals, 64);
	ck_assert_uint_eq(n, 50);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(seals[i], 1000 + i * 50 + 10);
}
END_TEST

/* A stream of few changes (50 big files, one every 10 ms) is never spaced:
 * a rest would only idle the mirror and leave the last batch more to carry. */
START_TEST(short_stream_not_spaced)
{
	struct batch b;
	uint64_t seals[64];

	batch_init(&b, 20, 1000, 100000);
	size_t n = stream_of(&b, 1000, 1490, 10, 1, seals, 64);
	ck_assert_uint_gt(b.streak, 3);
	ck_assert_uint_eq(batch_rest(&b), 20);
	/* each batch goes settle after its first change, the change after a
	 * seal coming 10 ms later: 1020, 1050, 1080, ... 1500 */
	ck_assert_uint_eq(n, 17);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(seals[i], 1020 + 30 * i);
}
END_TEST

/* A stream that brings its 256th change only in its eighth batch starts
 * spacing where its batch count puts it (settle << (7 - 3) after the
 * seventh), not at 2 x settle: a medium stream costs a few runs, not a
 * ramp of them. */
START_TEST(late_grace_starts_further)
{
	struct batch b;
	uint64_t seals[64];
	static const uint64_t want[] = { 1010, 1021, 1032, 1043, 1054, 1065, 1076, 1236, 1556,
		2196, 3010 };

	batch_init(&b, 10, 100000, 100000);
	/* 3 changes every 1 ms: 33 a batch, 231 after the seventh */
	size_t n = stream_of(&b, 1000, 3000, 1, 3, seals, 64);
	assert_seals(seals, n, want, sizeof want / sizeof want[0]);
}
END_TEST

/* A hiccup shorter than the rest does not end a stream; a pause as long as
 * the rest does. */
START_TEST(pause_ends_stream)
{
	struct batch b;
	uint64_t seals[64];

	batch_init(&b, 50, 1000, 100000);
	size_t n = stream(&b, 1000, 1400, 5, seals, 64);
	ck_assert_uint_eq(n, 6);		/* 1050, 1105, 1160, 1215, 1315, 1450 (quiet) */
	ck_assert_uint_eq(b.streak, 5);
	ck_assert_uint_eq(batch_rest(&b), 200);
	/* 100 ms after the last change: still the same stream */
	batch_note(&b, 1500, 1);
	ck_assert_uint_eq(batch_due_in(&b, 1500, true), 50);	/* quiet wins */
	batch_note(&b, 1510, 1);
	ck_assert_uint_eq(batch_due_in(&b, 1510, true), 50);
	ck_assert_uint_eq(batch_due_in(&b, 1555, true), 5);
	batch_note(&b, 1555, 1);
	ck_assert_uint_eq(batch_due_in(&b, 1555, true), 50);
	batch_sealed(&b, 1605);
	ck_assert_uint_eq(b.streak, 5);
	/* 250 ms of quiet, longer than the rest: a new stream, back to settle */
	batch_note(&b, 1805, 1);
	ck_assert_uint_eq(b.streak, 0);
	ck_assert_uint_eq(batch_due_in(&b, 1810, true), 45);
}
END_TEST

/* The rest counts from the previous seal: a push that took longer than it
 * (big files) is followed at once, settle after the batch's first change. */
START_TEST(long_push_adds_no_rest)
{
	struct batch b;
	uint64_t seals[64];

	batch_init(&b, 50, 1000, 100000);
	stream(&b, 1000, 1400, 5, seals, 64);	/* the last seal: 1450 */
	ck_assert_uint_eq(b.streak, 5);
	for (uint64_t t = 1455; t <= 1800; t += 5)
		batch_note(&b, t, 1);
	ck_assert_uint_eq(batch_due_in(&b, 1800, false), 50);	/* busy: quiet */
	ck_assert_uint_eq(batch_due_in(&b, 1800, true), 0);	/* 1450 + 200 passed */
	batch_sealed(&b, 1800);
	ck_assert_uint_eq(b.streak, 6);
	for (uint64_t t = 1805; t <= 2190; t += 5)
		batch_note(&b, t, 1);
	ck_assert_uint_eq(batch_due_in(&b, 2190, true), 10);	/* 1800 + 400 */
}
END_TEST

/* A busy mirror: the batch waits for quiet (the push in flight gathers the
 * stream anyway), and a seal by quiet does not lengthen the next rest. */
START_TEST(busy_mirror_waits_for_quiet)
{
	struct batch b;

	batch_init(&b, 50, 1000, 100000);
	for (uint64_t t = 1000; t <= 1300; t += 10) {
		batch_note(&b, t, 1);
		ck_assert_uint_eq(batch_due_in(&b, t, false), 50);
	}
	ck_assert_uint_eq(batch_due_in(&b, 1300, true), 0);	/* freed: due */
	batch_sealed(&b, 1350);			/* by quiet */
	ck_assert_uint_eq(b.streak, 0);
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
	tcase_add_test(tc, sealed_starts_empty);
	tcase_add_test(tc, stream_rests_grow);
	tcase_add_test(tc, trickle_keeps_settle);
	tcase_add_test(tc, short_stream_not_spaced);
	tcase_add_test(tc, late_grace_starts_further);
	tcase_add_test(tc, pause_ends_stream);
	tcase_add_test(tc, long_push_adds_no_rest);
	tcase_add_test(tc, busy_mirror_waits_for_quiet);
	tcase_add_test(tc, settle_longer_than_max_delay);
	suite_add_tcase(s, tc);
	return s;
}
