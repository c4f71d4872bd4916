/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lane.h"
#include "suites.h"

static struct changeset busy, src, dst;

static void
setup(void)
{
	changeset_init(&busy);
	changeset_init(&src);
	changeset_init(&dst);
}

static void
teardown(void)
{
	changeset_clear(&busy);
	changeset_clear(&src);
	changeset_clear(&dst);
}

static void
add(struct changeset *cs, const char *path, unsigned kind)
{
	ck_assert_int_eq(changeset_add(cs, path, kind, 100), 0);
}

static unsigned
flags(const struct changeset *cs, const char *path)
{
	const struct pnode *n = ptree_lookup(&cs->tree, path);

	return n ? n->flags : 0;
}

/* The entry count matches the tree, and no node is left empty. */
static void
consistent(const struct changeset *cs)
{
	size_t n = 0;

	for (const struct pnode *p = cs->tree.root.child; p; p = ptree_next(p, &cs->tree.root)) {
		ck_assert(p->flags || p->child);
		n += p->flags != 0;
	}
	ck_assert_uint_eq(n, changeset_count(cs));
}

START_TEST(overlap_is_ancestry)
{
	add(&busy, "www/big.iso", CH_PATH);
	add(&busy, "old", CH_PATH | CH_GONE);
	add(&busy, "new", CH_DIR);
	ck_assert(lane_overlaps(&busy, "www/big.iso"));		/* itself */
	ck_assert(lane_overlaps(&busy, "www"));			/* a directory above it */
	ck_assert(lane_overlaps(&busy, ""));			/* the root is above all */
	ck_assert(lane_overlaps(&busy, "www/big.iso/x"));	/* below it */
	ck_assert(lane_overlaps(&busy, "old/a/b"));		/* below a deletion */
	ck_assert(lane_overlaps(&busy, "new/f"));		/* a child of a dir entry */
	ck_assert(!lane_overlaps(&busy, "www/index.html"));	/* a sibling */
	ck_assert(!lane_overlaps(&busy, "www/big.iso.sig"));	/* a name that only starts alike */
	ck_assert(!lane_overlaps(&busy, "older"));
	ck_assert(!lane_overlaps(&busy, "img/logo.png"));
}
END_TEST

START_TEST(overlap_empty_busy)
{
	ck_assert(!lane_overlaps(&busy, ""));
	ck_assert(!lane_overlaps(&busy, "a/b"));
}
END_TEST

/* The pages written during a long upload go; the upload's directory and
 * what is below a deletion or a "dir/" entry in flight wait. */
START_TEST(take_leaves_overlaps)
{
	add(&busy, "www/big.iso", CH_PATH);
	add(&busy, "old", CH_PATH | CH_GONE);
	add(&busy, "new", CH_DIR);
	add(&src, "www/index.html", CH_PATH);
	add(&src, "www", CH_PATH);			/* its mode changed: waits */
	add(&src, "www/big.iso", CH_PATH);		/* written again: waits */
	add(&src, "old/a", CH_DIR);			/* made again below the deletion */
	add(&src, "new/sub/f", CH_PATH);
	add(&src, "img/logo.png", CH_PATH);
	add(&src, "gone", CH_PATH | CH_GONE);
	ck_assert_int_eq(lane_take(&src, &busy, &dst, 100, 0), 3);
	ck_assert_uint_eq(flags(&dst, "www/index.html"), CH_PATH);
	ck_assert_uint_eq(flags(&dst, "img/logo.png"), CH_PATH);
	ck_assert_uint_eq(flags(&dst, "gone"), CH_PATH | CH_GONE);
	ck_assert_uint_eq(changeset_count(&src), 4);
	ck_assert_uint_eq(flags(&src, "www"), CH_PATH);
	ck_assert_uint_eq(flags(&src, "www/big.iso"), CH_PATH);
	ck_assert_uint_eq(flags(&src, "old/a"), CH_DIR);
	ck_assert_uint_eq(flags(&src, "new/sub/f"), CH_PATH);
	ck_assert_uint_eq(flags(&src, "www/index.html"), 0);
	consistent(&src);
	consistent(&dst);
}
END_TEST

/* Kinds a lane may not take stay, like overlapping ones. */
START_TEST(take_skips_kinds)
{
	add(&src, "a/gone", CH_PATH | CH_GONE);
	add(&src, "a/new", CH_PATH);
	add(&src, "d", CH_DIR);
	ck_assert_int_eq(lane_take(&src, &busy, &dst, 100, CH_GONE), 2);
	ck_assert_uint_eq(flags(&src, "a/gone"), CH_PATH | CH_GONE);
	ck_assert_uint_eq(flags(&dst, "a/new"), CH_PATH);
	ck_assert_uint_eq(flags(&dst, "d"), CH_DIR);
	consistent(&src);
	consistent(&dst);
}
END_TEST

/* A "dir/" entry and the entries below it that it does not cover (its
 * subdirectories) go together, parents first, and keep their age. */
START_TEST(take_keeps_kinds_and_age)
{
	ck_assert_int_eq(changeset_add(&src, "d", CH_DIR, 50), 0);
	ck_assert_int_eq(changeset_add(&src, "d/sub", CH_DIR, 70), 0);
	ck_assert_int_eq(changeset_add(&src, "d/f", CH_PATH, 80), 0);	/* covered by d/ */
	ck_assert_int_eq(lane_take(&src, &busy, &dst, 100, 0), 2);
	ck_assert_uint_eq(flags(&dst, "d"), CH_DIR);
	ck_assert_uint_eq(flags(&dst, "d/sub"), CH_DIR);
	ck_assert_uint_eq(changeset_oldest(&dst), 50);
	ck_assert_uint_eq(changeset_count(&src), 0);
	ck_assert_ptr_null(src.tree.root.child);
}
END_TEST

START_TEST(take_at_most_max)
{
	char p[32];

	for (int i = 0; i < 10; i++) {
		snprintf(p, sizeof p, "f%d", i);
		add(&src, p, CH_PATH);
	}
	ck_assert_int_eq(lane_take(&src, &busy, &dst, 4, 0), 4);
	ck_assert_uint_eq(changeset_count(&src), 6);
	consistent(&src);
}
END_TEST

/* A "dir/" entry in flight: nothing below it goes. */
START_TEST(take_nothing_below_dir)
{
	add(&busy, "top", CH_DIR);
	add(&src, "top/x", CH_PATH);
	add(&src, "top/y/z", CH_PATH);
	ck_assert_int_eq(lane_take(&src, &busy, &dst, 100, 0), 0);
	ck_assert_uint_eq(changeset_count(&src), 2);
	ck_assert_uint_eq(changeset_count(&dst), 0);
}
END_TEST

/* Whatever the sets, nothing taken overlaps busy, and src and dst together
 * hold what src held. */
START_TEST(take_random)
{
	static const char *names[] = { "a", "b", "a/b", "a/c", "b/a", "a/b/c", "a/b/d", "c/d/e",
		"a/c/x", "b/b" };
	static const unsigned kinds[] = { CH_PATH, CH_DIR, CH_PATH | CH_GONE };
	unsigned seed = 1;
	char path[64];

	for (int round = 0; round < 300; round++) {
		changeset_clear(&busy);
		changeset_clear(&src);
		changeset_clear(&dst);
		for (int i = 0; i < 4; i++) {
			seed = seed * 1103515245 + 12345;
			add(&busy, names[(seed >> 8) % 10], kinds[(seed >> 16) % 3]);
		}
		for (int i = 0; i < 6; i++) {
			seed = seed * 1103515245 + 12345;
			add(&src, names[(seed >> 8) % 10], kinds[(seed >> 16) % 3]);
		}
		size_t before = changeset_count(&src);
		long took = lane_take(&src, &busy, &dst, 100, 0);
		ck_assert_int_ge(took, 0);
		ck_assert_uint_eq(changeset_count(&src) + (size_t)took, before);
		for (const struct pnode *n = dst.tree.root.child; n; n = ptree_next(n, &dst.tree.root)) {
			if (!n->flags)
				continue;
			ck_assert_int_ge(ptree_path(n, path, sizeof path), 0);
			ck_assert_msg(!lane_overlaps(&busy, path), "round %d: %s overlaps", round, path);
		}
		/* and what stayed overlaps, or nothing could be taken */
		for (const struct pnode *n = src.tree.root.child; n; n = ptree_next(n, &src.tree.root)) {
			if (!n->flags)
				continue;
			ck_assert_int_ge(ptree_path(n, path, sizeof path), 0);
			ck_assert_msg(lane_overlaps(&busy, path), "round %d: %s left", round, path);
		}
		consistent(&src);
		consistent(&dst);
	}
}
END_TEST

Suite *
lane_suite(void)
{
	Suite *s = suite_create("lane");
	TCase *tc = tcase_create("rule");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, overlap_is_ancestry);
	tcase_add_test(tc, overlap_empty_busy);
	tcase_add_test(tc, take_leaves_overlaps);
	tcase_add_test(tc, take_skips_kinds);
	tcase_add_test(tc, take_keeps_kinds_and_age);
	tcase_add_test(tc, take_at_most_max);
	tcase_add_test(tc, take_nothing_below_dir);
	tcase_add_test(tc, take_random);
	suite_add_tcase(s, tc);
	return s;
}
