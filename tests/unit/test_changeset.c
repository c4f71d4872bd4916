/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "changeset.h"
#include "suites.h"

static struct changeset a, b;

static void
setup(void)
{
	changeset_init(&a);
	changeset_init(&b);
}

static void
teardown(void)
{
	changeset_clear(&a);
	changeset_clear(&b);
}

/* The flags of path's entry; 0 if it is not one. */
static unsigned
flags(const struct changeset *cs, const char *path)
{
	const struct pnode *n = ptree_lookup(&cs->tree, path);

	return n ? n->flags : 0;
}

/* Walks the tree: the number of nodes with flags must match entries. */
static size_t
walk_count(const struct changeset *cs)
{
	size_t n = 0;

	for (const struct pnode *p = cs->tree.root.child; p; p = ptree_next(p, &cs->tree.root))
		if (p->flags)
			n++;
	ck_assert_uint_eq(n, changeset_count(cs));
	ck_assert_uint_eq(cs->tree.root.flags, 0);
	return n;
}

static void
add(struct changeset *cs, const char *path, unsigned kind, uint64_t t)
{
	ck_assert_int_eq(changeset_add(cs, path, kind, t), 0);
}

START_TEST(coalesce)
{
	for (int i = 0; i < 10; i++)
		add(&a, "dir/file", CH_PATH, 100 + (uint64_t)i);
	ck_assert_uint_eq(changeset_count(&a), 1);
	ck_assert_uint_eq(flags(&a, "dir/file"), CH_PATH);
	ck_assert_uint_eq(flags(&a, "dir"), 0);	/* only holds the child */
	ck_assert_uint_eq(changeset_oldest(&a), 100);
	walk_count(&a);
}
END_TEST

START_TEST(gone_drops_descendants)
{
	add(&a, "d/x", CH_PATH, 1);
	add(&a, "d/y/z", CH_PATH, 2);
	add(&a, "d/y", CH_DIR, 3);
	add(&a, "other", CH_PATH, 4);
	/* d/y absorbed d/y/z */
	ck_assert_uint_eq(changeset_count(&a), 3);
	ck_assert_uint_eq(flags(&a, "d/y/z"), 0);
	add(&a, "d", CH_PATH | CH_GONE, 5);
	ck_assert_uint_eq(changeset_count(&a), 2);
	ck_assert_uint_eq(flags(&a, "d"), CH_PATH | CH_GONE);
	ck_assert_ptr_null(ptree_lookup(&a.tree, "d/x"));
	ck_assert_ptr_null(ptree_lookup(&a.tree, "d/y"));
	ck_assert_ptr_null(ptree_lookup(&a.tree, "d/y/z"));
	ck_assert_uint_eq(flags(&a, "other"), CH_PATH);
	walk_count(&a);
}
END_TEST

START_TEST(gone_then_back)
{
	add(&a, "f", CH_PATH | CH_GONE, 1);
	add(&a, "f", CH_PATH, 2);
	ck_assert_uint_eq(flags(&a, "f"), CH_PATH);
	add(&a, "f", CH_PATH | CH_GONE, 3);
	ck_assert_uint_eq(flags(&a, "f"), CH_PATH | CH_GONE);
	add(&a, "f", CH_DIR, 4);
	ck_assert_uint_eq(flags(&a, "f"), CH_DIR);
	ck_assert_uint_eq(changeset_count(&a), 1);
	/* a dir that was gone and came back: entries below it count again */
	add(&a, "f/sub/x", CH_PATH, 5);
	ck_assert_uint_eq(changeset_count(&a), 2);
	walk_count(&a);
}
END_TEST

START_TEST(dir_absorbs_children)
{
	add(&a, "d/f", CH_PATH, 10);
	add(&a, "d/g", CH_PATH | CH_GONE, 11);
	add(&a, "d/s/g", CH_PATH, 12);		/* a grandchild */
	add(&a, "d/s", CH_PATH, 13);		/* a child with entries below */
	ck_assert_uint_eq(changeset_count(&a), 4);
	add(&a, "d", CH_DIR, 20);
	/* d/f, d/g and d/s's own entry are covered by d; d/s/g is not */
	ck_assert_uint_eq(flags(&a, "d"), CH_DIR);
	ck_assert_uint_eq(flags(&a, "d/f"), 0);
	ck_assert_uint_eq(flags(&a, "d/g"), 0);
	ck_assert_uint_eq(flags(&a, "d/s"), 0);
	ck_assert_uint_eq(flags(&a, "d/s/g"), CH_PATH);
	ck_assert_ptr_null(ptree_lookup(&a.tree, "d/f"));
	ck_assert_uint_eq(changeset_count(&a), 2);
	/* d covers its children's changes, so it is as old as the oldest */
	ck_assert_uint_eq(changeset_oldest(&a), 10);

	/* later children are absorbed too, grandchildren are not */
	add(&a, "d/h", CH_PATH, 30);
	ck_assert_ptr_null(ptree_lookup(&a.tree, "d/h"));
	ck_assert_uint_eq(changeset_count(&a), 2);
	add(&a, "d/s/k", CH_PATH, 31);
	ck_assert_uint_eq(flags(&a, "d/s/k"), CH_PATH);
	ck_assert_uint_eq(changeset_count(&a), 3);
	/* a PATH change of the dir itself leaves it a DIR */
	add(&a, "d", CH_PATH, 32);
	ck_assert_uint_eq(flags(&a, "d"), CH_DIR);
	ck_assert_uint_eq(changeset_count(&a), 3);
	walk_count(&a);
}
END_TEST

START_TEST(path_under_dir_not_added)
{
	add(&a, "top", CH_DIR, 1);
	add(&a, "top/x", CH_PATH, 2);
	add(&a, "top/y", CH_PATH, 3);
	ck_assert_uint_eq(changeset_count(&a), 1);
	ck_assert_ptr_null(ptree_lookup(&a.tree, "top/x"));
	/* root-level entries: the root is never a DIR entry */
	add(&a, "r", CH_PATH, 4);
	ck_assert_uint_eq(changeset_count(&a), 2);
	walk_count(&a);
}
END_TEST

START_TEST(merge_union)
{
	add(&a, "p", CH_PATH, 10);
	add(&a, "d", CH_DIR, 11);
	add(&a, "keep/x", CH_PATH, 12);
	add(&b, "q", CH_PATH, 5);
	add(&b, "p", CH_DIR, 6);
	add(&b, "d/x", CH_PATH, 7);
	add(&b, "d/sub/y", CH_PATH, 8);
	add(&b, "e/f", CH_PATH | CH_GONE, 9);
	add(&b, "keep/x", CH_PATH, 13);

	ck_assert_int_eq(changeset_merge(&a, &b), 0);
	ck_assert_uint_eq(changeset_count(&b), 0);
	ck_assert_ptr_null(b.tree.root.child);
	ck_assert_uint_eq(flags(&a, "p"), CH_DIR);
	ck_assert_uint_eq(flags(&a, "q"), CH_PATH);
	ck_assert_uint_eq(flags(&a, "d"), CH_DIR);
	ck_assert_ptr_null(ptree_lookup(&a.tree, "d/x"));	/* covered by d */
	ck_assert_uint_eq(flags(&a, "d/sub/y"), CH_PATH);
	ck_assert_uint_eq(flags(&a, "e/f"), CH_PATH | CH_GONE);
	ck_assert_uint_eq(flags(&a, "keep/x"), CH_PATH);
	ck_assert_uint_eq(changeset_count(&a), 6);
	ck_assert_uint_eq(changeset_oldest(&a), 5);
	walk_count(&a);
}
END_TEST

START_TEST(merge_dir_wins)
{
	add(&a, "x", CH_DIR, 1);
	add(&a, "y", CH_PATH, 1);
	add(&a, "y/c", CH_PATH, 1);
	add(&b, "x", CH_PATH, 2);
	add(&b, "y", CH_DIR, 2);
	ck_assert_int_eq(changeset_merge(&a, &b), 0);
	ck_assert_uint_eq(flags(&a, "x"), CH_DIR);
	ck_assert_uint_eq(flags(&a, "y"), CH_DIR);
	ck_assert_ptr_null(ptree_lookup(&a.tree, "y/c"));	/* the new DIR absorbs it */
	ck_assert_uint_eq(changeset_count(&a), 2);
	walk_count(&a);
}
END_TEST

START_TEST(merge_into_empty_swaps)
{
	add(&b, "a/b", CH_PATH, 7);
	add(&b, "c", CH_PATH, 8);
	add(&b, "d", CH_DIR, 9);
	ck_assert_int_eq(changeset_merge(&a, &b), 0);
	ck_assert_uint_eq(changeset_count(&a), 3);
	ck_assert_uint_eq(changeset_count(&b), 0);
	/* lookups through the hash work in the new home */
	ck_assert_uint_eq(flags(&a, "a/b"), CH_PATH);
	ck_assert_uint_eq(flags(&a, "c"), CH_PATH);
	ck_assert_uint_eq(flags(&a, "d"), CH_DIR);
	ck_assert_ptr_nonnull(ptree_child(&a.tree, &a.tree.root, "c", 1));
	ck_assert_ptr_eq(ptree_lookup(&a.tree, "a/b")->parent->parent, &a.tree.root);
	/* coalescing still finds the existing entries */
	add(&a, "c", CH_PATH, 10);
	add(&a, "a/b", CH_PATH, 10);
	add(&a, "d/in", CH_PATH, 10);
	ck_assert_uint_eq(changeset_count(&a), 3);
	ck_assert_uint_eq(changeset_oldest(&a), 7);
	walk_count(&a);
	/* and removal through the hash */
	add(&a, "a", CH_PATH | CH_GONE, 11);
	ck_assert_uint_eq(changeset_count(&a), 3);
	ck_assert_ptr_null(ptree_lookup(&a.tree, "a/b"));
	walk_count(&a);
	/* the emptied source is usable */
	add(&b, "c", CH_PATH, 1);
	add(&b, "c", CH_PATH, 2);
	ck_assert_uint_eq(changeset_count(&b), 1);
	ck_assert_uint_eq(flags(&b, "c"), CH_PATH);
	walk_count(&b);
}
END_TEST

START_TEST(merge_empty_src)
{
	add(&a, "x", CH_PATH, 1);
	ck_assert_int_eq(changeset_merge(&a, &b), 0);
	ck_assert_uint_eq(changeset_count(&a), 1);
	ck_assert_uint_eq(flags(&a, "x"), CH_PATH);
}
END_TEST

START_TEST(merge_into_empty_then_back)
{
	/* The swap path twice, as remote.c does with pending/inflight. */
	add(&a, "one/two", CH_PATH, 1);
	ck_assert_int_eq(changeset_merge(&b, &a), 0);
	ck_assert_int_eq(changeset_merge(&a, &b), 0);
	ck_assert_uint_eq(flags(&a, "one/two"), CH_PATH);
	add(&a, "one/two", CH_PATH, 2);
	add(&a, "one", CH_PATH | CH_GONE, 3);
	ck_assert_uint_eq(changeset_count(&a), 1);
	ck_assert_ptr_null(ptree_lookup(&a.tree, "one/two"));
	walk_count(&a);
}
END_TEST

START_TEST(copy_leaves_src)
{
	add(&a, "x/y", CH_PATH, 3);
	add(&a, "d", CH_DIR, 4);
	add(&a, "g", CH_PATH | CH_GONE, 5);
	ck_assert_int_eq(changeset_copy(&b, &a), 0);
	ck_assert_uint_eq(changeset_count(&a), 3);
	ck_assert_uint_eq(changeset_count(&b), 3);
	ck_assert_uint_eq(flags(&b, "x/y"), CH_PATH);
	ck_assert_uint_eq(flags(&b, "d"), CH_DIR);
	ck_assert_uint_eq(flags(&b, "g"), CH_PATH | CH_GONE);
	ck_assert_uint_eq(changeset_oldest(&b), 3);
	/* independent copies */
	add(&b, "x", CH_PATH | CH_GONE, 6);
	ck_assert_uint_eq(flags(&a, "x/y"), CH_PATH);
	changeset_clear(&b);
	ck_assert_uint_eq(flags(&a, "d"), CH_DIR);
	walk_count(&a);
}
END_TEST

/* A mix of nesting: dirs with entries below them, gone paths, plain files. */
static size_t
fill(struct changeset *cs)
{
	char p[64];

	for (int i = 0; i < 20; i++) {
		snprintf(p, sizeof p, "f%02d", i);
		add(cs, p, CH_PATH, 1000 + (uint64_t)i);
		snprintf(p, sizeof p, "d%d", i % 4);
		add(cs, p, CH_DIR, 2000 + (uint64_t)i);
		snprintf(p, sizeof p, "d%d/s%d/x%d", i % 4, i % 3, i);
		add(cs, p, CH_PATH, 3000 + (uint64_t)i);
		snprintf(p, sizeof p, "p%d/q/r%d", i % 5, i);
		add(cs, p, CH_PATH | CH_GONE, 4000 + (uint64_t)i);
	}
	add(cs, "p0", CH_PATH, 5000);
	add(cs, "p0/q", CH_PATH, 5001);
	return walk_count(cs);
}

struct snap {
	char path[64];
	unsigned flags;
	uint64_t t;
};

static size_t
snapshot(const struct changeset *cs, struct snap *s, size_t max)
{
	size_t n = 0;
	char buf[64];

	for (const struct pnode *p = cs->tree.root.child; p; p = ptree_next(p, &cs->tree.root)) {
		if (!p->flags)
			continue;
		ck_assert_uint_lt(n, max);
		ck_assert_int_ge(ptree_path(p, buf, sizeof buf), 0);
		snprintf(s[n].path, sizeof s[n].path, "%s", buf);
		s[n].flags = p->flags;
		s[n].t = p->uval;
		n++;
	}
	return n;
}

/* No entry of dst may have an ancestor that is still an entry in src. */
static void
check_parents_first(const struct changeset *src, const struct changeset *dst)
{
	char buf[64];

	for (const struct pnode *p = dst->tree.root.child; p; p = ptree_next(p, &dst->tree.root)) {
		if (!p->flags)
			continue;
		ck_assert_int_ge(ptree_path(p, buf, sizeof buf), 0);
		for (char *slash = strrchr(buf, '/'); slash; slash = strrchr(buf, '/')) {
			*slash = '\0';
			ck_assert_msg(!flags(src, buf), "%s taken before its parent %s", buf, buf);
		}
	}
}

START_TEST(take_partial)
{
	struct snap before[200];
	size_t total = fill(&a), n = snapshot(&a, before, 200), taken = 0;

	ck_assert_uint_eq(n, total);
	ck_assert_uint_gt(total, 30);
	ck_assert_int_eq(changeset_take(&a, &b, 7), 0);
	ck_assert_uint_eq(changeset_count(&b), 7);
	ck_assert_uint_eq(changeset_count(&a), total - 7);
	walk_count(&a);
	walk_count(&b);
	check_parents_first(&a, &b);
	/* every entry is in exactly one of them, unchanged */
	for (size_t i = 0; i < n; i++) {
		unsigned fa = flags(&a, before[i].path), fb = flags(&b, before[i].path);
		ck_assert_msg(!fa != !fb, "%s: in src %u, in dst %u", before[i].path, fa, fb);
		ck_assert_uint_eq(fa | fb, before[i].flags);
		const struct pnode *p = ptree_lookup(fa ? &a.tree : &b.tree, before[i].path);
		ck_assert_uint_eq(p->uval, before[i].t);
	}

	/* take the rest in small batches: everything comes out once */
	struct changeset all;
	changeset_init(&all);
	taken = changeset_count(&b);
	ck_assert_int_eq(changeset_merge(&all, &b), 0);
	while (changeset_count(&a)) {
		size_t left = changeset_count(&a);
		ck_assert_int_eq(changeset_take(&a, &b, 5), 0);
		ck_assert_uint_eq(changeset_count(&b), left < 5 ? left : 5);
		check_parents_first(&a, &b);
		taken += changeset_count(&b);
		/* all has only older (earlier-taken) entries: merge keeps them */
		ck_assert_int_eq(changeset_merge(&all, &b), 0);
	}
	ck_assert_uint_eq(taken, total);
	ck_assert_ptr_null(a.tree.root.child);	/* pruned down to nothing */
	ck_assert_uint_eq(a.tree.count, 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(flags(&all, before[i].path), before[i].flags);
	changeset_clear(&all);
}
END_TEST

START_TEST(take_all_when_max_is_large)
{
	size_t total = fill(&a);

	ck_assert_int_eq(changeset_take(&a, &b, total), 0);
	ck_assert_uint_eq(changeset_count(&b), total);
	ck_assert_uint_eq(changeset_count(&a), 0);
	walk_count(&b);
	ck_assert_uint_eq(flags(&b, "f03"), CH_PATH);
	ck_assert_uint_eq(flags(&b, "d1"), CH_DIR);
}
END_TEST

START_TEST(take_one_at_a_time)
{
	add(&a, "d", CH_DIR, 1);
	add(&a, "d/s/x", CH_PATH, 2);
	add(&a, "d/s", CH_PATH, 3);		/* covered by d */
	ck_assert_uint_eq(changeset_count(&a), 2);
	ck_assert_int_eq(changeset_take(&a, &b, 1), 0);
	ck_assert_uint_eq(flags(&b, "d"), CH_DIR);
	ck_assert_uint_eq(changeset_count(&b), 1);
	ck_assert_uint_eq(changeset_count(&a), 1);
	ck_assert_uint_eq(flags(&a, "d/s/x"), CH_PATH);
	/* d went out: a change below it is an entry of its own again */
	add(&a, "d/new", CH_PATH, 4);
	ck_assert_uint_eq(flags(&a, "d/new"), CH_PATH);
	ck_assert_uint_eq(changeset_count(&a), 2);
	changeset_clear(&b);
	ck_assert_int_eq(changeset_take(&a, &b, 1), 0);
	ck_assert_uint_eq(changeset_count(&b), 1);
	check_parents_first(&a, &b);
	walk_count(&a);
}
END_TEST

START_TEST(oldest)
{
	ck_assert_uint_eq(changeset_oldest(&a), 0);
	add(&a, "x", CH_PATH, 50);
	add(&a, "y/z", CH_PATH, 20);
	add(&a, "w", CH_DIR, 70);
	add(&a, "x", CH_PATH, 10);	/* an entry keeps its earliest date */
	ck_assert_uint_eq(changeset_oldest(&a), 10);
	add(&a, "y", CH_PATH | CH_GONE, 90);	/* drops y/z (20) */
	ck_assert_uint_eq(changeset_oldest(&a), 10);
	changeset_clear(&a);
	ck_assert_uint_eq(changeset_oldest(&a), 0);
	add(&a, "p/q", CH_PATH, 30);
	add(&a, "r", CH_PATH, 40);
	add(&a, "p", CH_PATH | CH_GONE, 45);
	ck_assert_uint_eq(changeset_oldest(&a), 40);
}
END_TEST

/* Taking a parent leaves its node (holding children) in src with the old
 * date; when that path changes again its new entry must not inherit the date
 * of a change that already left the set. */
START_TEST(oldest_after_take_and_readd)
{
	add(&a, "a", CH_PATH, 1);
	add(&a, "a/b", CH_PATH, 2);
	ck_assert_int_eq(changeset_take(&a, &b, 1), 0);
	ck_assert_uint_eq(flags(&b, "a"), CH_PATH);
	ck_assert_uint_eq(changeset_oldest(&a), 2);
	add(&a, "a", CH_PATH, 100);
	ck_assert_uint_eq(changeset_oldest(&a), 2);
}
END_TEST

/* A directory the mirror got by other means leaves the set with all it holds. */
START_TEST(drop_subtree)
{
	add(&a, "old", CH_PATH | CH_GONE, 1);
	add(&a, "new", CH_DIR, 2);
	add(&a, "new/sub", CH_DIR, 3);
	add(&a, "new/sub/f", CH_PATH, 4);
	add(&a, "newer", CH_PATH, 5);
	add(&a, "x/y/new", CH_DIR, 6);
	ck_assert_uint_eq(changeset_count(&a), 5);	/* new/sub covers new/sub/f */
	changeset_drop(&a, "new");
	ck_assert_uint_eq(changeset_count(&a), 3);
	ck_assert_uint_eq(flags(&a, "new"), 0);
	ck_assert_uint_eq(flags(&a, "new/sub"), 0);
	ck_assert_uint_eq(flags(&a, "newer"), CH_PATH);
	ck_assert_uint_eq(flags(&a, "old"), CH_PATH | CH_GONE);
	ck_assert_uint_eq(changeset_oldest(&a), 1);
	changeset_drop(&a, "x/y/new");
	ck_assert_uint_eq(changeset_count(&a), 2);
	ck_assert_ptr_null(ptree_lookup(&a.tree, "x"));	/* no empty parents left */
	changeset_drop(&a, "absent");
	changeset_drop(&a, "");
	ck_assert_uint_eq(changeset_count(&a), 2);
}
END_TEST

START_TEST(clear_frees_all)
{
	char p[64];

	for (int i = 0; i < 2000; i++) {
		snprintf(p, sizeof p, "x%d/y%d/z", i % 17, i);
		add(&a, p, i % 3 ? CH_PATH : CH_DIR, (uint64_t)i + 1);
	}
	ck_assert_uint_gt(changeset_count(&a), 1000);
	changeset_clear(&a);
	ck_assert_uint_eq(changeset_count(&a), 0);
	ck_assert_uint_eq(a.tree.count, 0);
	ck_assert_ptr_null(a.tree.root.child);
	add(&a, "again", CH_PATH, 1);
	ck_assert_uint_eq(changeset_count(&a), 1);
}
END_TEST

Suite *
changeset_suite(void)
{
	Suite *s = suite_create("changeset");
	TCase *tc = tcase_create("add");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, coalesce);
	tcase_add_test(tc, gone_drops_descendants);
	tcase_add_test(tc, gone_then_back);
	tcase_add_test(tc, dir_absorbs_children);
	tcase_add_test(tc, path_under_dir_not_added);
	tcase_add_test(tc, oldest);
	tcase_add_test(tc, oldest_after_take_and_readd);
	tcase_add_test(tc, clear_frees_all);
	suite_add_tcase(s, tc);

	tc = tcase_create("merge");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, merge_union);
	tcase_add_test(tc, merge_dir_wins);
	tcase_add_test(tc, merge_into_empty_swaps);
	tcase_add_test(tc, merge_empty_src);
	tcase_add_test(tc, merge_into_empty_then_back);
	tcase_add_test(tc, copy_leaves_src);
	tcase_add_test(tc, take_partial);
	tcase_add_test(tc, take_all_when_max_is_large);
	tcase_add_test(tc, take_one_at_a_time);
	tcase_add_test(tc, drop_subtree);
	suite_add_tcase(s, tc);
	return s;
}
