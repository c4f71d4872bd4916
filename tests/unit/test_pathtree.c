/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pathtree.h"
#include "suites.h"

static struct ptree t;

static void
setup(void)
{
	ptree_init(&t);
}

static void
teardown(void)
{
	ptree_clear(&t);
}

static const char *
path_of(const struct pnode *n)
{
	static char buf[4096];

	ck_assert_int_ge(ptree_path(n, buf, sizeof buf), 0);
	return buf;
}

START_TEST(add_lookup_make)
{
	struct pnode *c = ptree_make(&t, "a/b/c");

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->name, "c");
	ck_assert_uint_eq(c->namelen, 1);
	ck_assert_uint_eq(t.count, 3);
	ck_assert_ptr_eq(ptree_lookup(&t, "a/b/c"), c);
	ck_assert_ptr_eq(ptree_make(&t, "a/b/c"), c);
	ck_assert_uint_eq(t.count, 3);
	ck_assert_ptr_eq(ptree_lookup(&t, "a/b"), c->parent);
	ck_assert_ptr_eq(ptree_lookup(&t, "a")->parent, &t.root);
	ck_assert_ptr_eq(ptree_lookup(&t, ""), &t.root);
	ck_assert_ptr_null(ptree_lookup(&t, "a/x"));
	ck_assert_ptr_null(ptree_lookup(&t, "a/b/c/d"));
	ck_assert_ptr_null(ptree_lookup(&t, "b"));
	/* empty components are skipped */
	ck_assert_ptr_eq(ptree_lookup(&t, "a//b/c/"), c);
	ck_assert_uint_eq(t.count, 3);

	struct pnode *a = ptree_lookup(&t, "a");
	ck_assert_ptr_eq(ptree_child(&t, a, "b", 1), c->parent);
	ck_assert_ptr_eq(ptree_child(&t, a, "bx", 1), c->parent);	/* len counts */
	ck_assert_ptr_null(ptree_child(&t, a, "c", 1));
	struct pnode *x = ptree_add_child(&t, a, "xyz", 2);
	ck_assert_str_eq(x->name, "xy");
	ck_assert_ptr_eq(ptree_lookup(&t, "a/xy"), x);
	ck_assert_ptr_eq(ptree_add_child(&t, a, "xy", 2), x);
	ck_assert_uint_eq(t.count, 4);
}
END_TEST

START_TEST(empty_tree)
{
	ck_assert_ptr_null(ptree_lookup(&t, "a"));
	ck_assert_ptr_null(ptree_child(&t, &t.root, "a", 1));
	ck_assert_ptr_null(ptree_next(&t.root, &t.root));
	ck_assert_str_eq(path_of(&t.root), "");
}
END_TEST

START_TEST(path_strings)
{
	char buf[16];

	ck_assert_str_eq(path_of(ptree_make(&t, "a")), "a");
	ck_assert_str_eq(path_of(ptree_make(&t, "dir/sub/file.txt")), "dir/sub/file.txt");
	ck_assert_int_eq(ptree_path(ptree_lookup(&t, "dir/sub"), buf, sizeof buf), 7);
	ck_assert_str_eq(buf, "dir/sub");
	ck_assert_int_eq(ptree_path(&t.root, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
	/* 16 bytes of path do not fit a 16-byte buffer */
	ck_assert_int_eq(ptree_path(ptree_lookup(&t, "dir/sub/file.txt"), buf, sizeof buf), -1);
	char big[17];
	ck_assert_int_eq(ptree_path(ptree_lookup(&t, "dir/sub/file.txt"), big, sizeof big), 16);
	ck_assert_str_eq(big, "dir/sub/file.txt");
}
END_TEST

START_TEST(append_names)
{
	char buf[8] = "dir";

	/* below the root: no slash */
	ck_assert_int_eq(path_append(buf, 0, sizeof buf, "a"), 1);
	ck_assert_str_eq(buf, "a");
	strcpy(buf, "dir");
	ck_assert_int_eq(path_append(buf, 3, sizeof buf, "abc"), 7);
	ck_assert_str_eq(buf, "dir/abc");
	/* "dir/abcd" needs 9 bytes: refused, buf untouched */
	strcpy(buf, "dir");
	ck_assert_int_eq(path_append(buf, 3, sizeof buf, "abcd"), -1);
	ck_assert_str_eq(buf, "dir");
	/* appending after a shorter prefix overwrites what followed it */
	strcpy(buf, "d/xyz");
	ck_assert_int_eq(path_append(buf, 1, sizeof buf, "b"), 3);
	ck_assert_str_eq(buf, "d/b");
}
END_TEST

static void
visit_count(struct pnode *n, void *ctx)
{
	(void)n;
	(*(int *)ctx)++;
}

START_TEST(remove_subtree)
{
	int visited = 0;

	ptree_make(&t, "a/b/c");
	ptree_make(&t, "a/b/d/e");
	ptree_make(&t, "a/f");
	ptree_make(&t, "g");
	ck_assert_uint_eq(t.count, 7);
	ptree_remove(&t, ptree_lookup(&t, "a/b"), visit_count, &visited);
	ck_assert_int_eq(visited, 4);
	ck_assert_uint_eq(t.count, 3);
	ck_assert_ptr_null(ptree_lookup(&t, "a/b"));
	ck_assert_ptr_null(ptree_lookup(&t, "a/b/c"));
	ck_assert_ptr_nonnull(ptree_lookup(&t, "a/f"));
	ck_assert_ptr_nonnull(ptree_lookup(&t, "g"));
	/* re-adding works */
	ck_assert_ptr_nonnull(ptree_make(&t, "a/b/c"));
	ck_assert_uint_eq(t.count, 5);

	/* removing the root empties the tree */
	visited = 0;
	t.root.flags = 5;
	ptree_remove(&t, &t.root, visit_count, &visited);
	ck_assert_int_eq(visited, 6);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(t.root.child);
	ck_assert_uint_eq(t.root.flags, 0);
	ck_assert_ptr_null(ptree_lookup(&t, "g"));
	ck_assert_ptr_nonnull(ptree_make(&t, "g/h"));
	ck_assert_uint_eq(t.count, 2);
}
END_TEST

START_TEST(remove_leaf_among_siblings)
{
	for (int i = 0; i < 5; i++) {
		char p[16];
		snprintf(p, sizeof p, "d/%d", i);
		ptree_make(&t, p);
	}
	ptree_remove(&t, ptree_lookup(&t, "d/2"), NULL, NULL);
	ptree_remove(&t, ptree_lookup(&t, "d/0"), NULL, NULL);
	ptree_remove(&t, ptree_lookup(&t, "d/4"), NULL, NULL);
	ck_assert_uint_eq(t.count, 3);
	ck_assert_ptr_nonnull(ptree_lookup(&t, "d/1"));
	ck_assert_ptr_nonnull(ptree_lookup(&t, "d/3"));
	int n = 0;
	for (struct pnode *c = ptree_lookup(&t, "d")->child; c; c = c->next)
		n++;
	ck_assert_int_eq(n, 2);
}
END_TEST

START_TEST(prune)
{
	struct pnode *c = ptree_make(&t, "a/b/c");

	ptree_make(&t, "a/x");
	ptree_lookup(&t, "a/b")->flags = 1;
	ptree_prune(&t, c);
	ck_assert_ptr_null(ptree_lookup(&t, "a/b/c"));
	ck_assert_ptr_nonnull(ptree_lookup(&t, "a/b"));
	ck_assert_uint_eq(t.count, 3);
	ptree_lookup(&t, "a/b")->flags = 0;
	ptree_prune(&t, ptree_lookup(&t, "a/b"));
	ck_assert_ptr_null(ptree_lookup(&t, "a/b"));
	ck_assert_ptr_nonnull(ptree_lookup(&t, "a"));	/* still holds x */
	ptree_prune(&t, ptree_lookup(&t, "a/x"));
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(t.root.child);
	ptree_prune(&t, &t.root);	/* never freed */
	ck_assert_ptr_nonnull(ptree_make(&t, "z"));
}
END_TEST

START_TEST(move_reparent)
{
	struct pnode *b = ptree_make(&t, "a/b");
	struct pnode *c = ptree_make(&t, "a/b/c");
	struct pnode *e = ptree_make(&t, "a/b/d/e");
	struct pnode *x = ptree_make(&t, "x");
	size_t count = t.count;

	ck_assert_int_eq(ptree_move(&t, b, x, "y", 1), 0);
	ck_assert_uint_eq(t.count, count);
	ck_assert_ptr_null(ptree_lookup(&t, "a/b"));
	ck_assert_ptr_null(ptree_lookup(&t, "a/b/c"));
	ck_assert_ptr_null(ptree_lookup(&t, "a/b/d/e"));
	ck_assert_ptr_eq(ptree_lookup(&t, "x/y"), b);
	ck_assert_ptr_eq(ptree_lookup(&t, "x/y/c"), c);
	ck_assert_ptr_eq(ptree_lookup(&t, "x/y/d/e"), e);
	ck_assert_str_eq(path_of(e), "x/y/d/e");
	ck_assert_str_eq(b->name, "y");
	ck_assert_ptr_null(ptree_lookup(&t, "a")->child);
	/* the children can still get new siblings, found by lookup */
	ck_assert_ptr_nonnull(ptree_make(&t, "x/y/d/f"));
	ck_assert_ptr_eq(ptree_lookup(&t, "x/y/d/e"), e);

	/* to the root, as a new name */
	ck_assert_int_eq(ptree_move(&t, b, &t.root, "top", 3), 0);
	ck_assert_ptr_eq(ptree_lookup(&t, "top/d/e"), e);
	ck_assert_ptr_null(ptree_lookup(&t, "x/y"));
	ck_assert_str_eq(path_of(c), "top/c");
}
END_TEST

START_TEST(move_rename_in_place)
{
	struct pnode *b = ptree_make(&t, "a/b");
	struct pnode *c = ptree_make(&t, "a/b/c");

	ck_assert_int_eq(ptree_move(&t, b, b->parent, "renamed-long-name", 17), 0);
	ck_assert_ptr_null(ptree_lookup(&t, "a/b"));
	ck_assert_ptr_eq(ptree_lookup(&t, "a/renamed-long-name/c"), c);
	ck_assert_uint_eq(t.count, 3);
}
END_TEST

START_TEST(move_onto_existing_fails)
{
	struct pnode *b = ptree_make(&t, "a/b");
	struct pnode *c = ptree_make(&t, "a/c");

	ck_assert_int_eq(ptree_move(&t, b, c->parent, "c", 1), -1);
	ck_assert_ptr_eq(ptree_lookup(&t, "a/b"), b);
	ck_assert_ptr_eq(ptree_lookup(&t, "a/c"), c);
}
END_TEST

START_TEST(preorder_walk)
{
	static const char *const paths[] = {
		"a/b/c", "a/b/d", "a/e", "f", "g/h/i/j", "g/k", "a/b/c/l", "m/n",
	};
	int order = 0, visited = 0;

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		ptree_make(&t, paths[i]);
	for (struct pnode *n = &t.root; n; n = ptree_next(n, &t.root)) {
		ck_assert_int_eq(n->ival, 0);		/* once */
		n->ival = ++order;
		if (n->parent)
			ck_assert_int_lt(n->parent->ival, n->ival);
		visited++;
	}
	ck_assert_int_eq(visited, (int)t.count + 1);

	/* a subtree walk stays inside it */
	struct pnode *g = ptree_lookup(&t, "g");
	visited = 0;
	for (struct pnode *n = g; n; n = ptree_next(n, g)) {
		const char *p = path_of(n);
		ck_assert_msg(p[0] == 'g', "walk of g left it: %s", p);
		visited++;
	}
	ck_assert_int_eq(visited, 5);
	/* a leaf's walk is the leaf */
	struct pnode *f = ptree_lookup(&t, "f");
	ck_assert_ptr_null(ptree_next(f, f));
}
END_TEST

START_TEST(odd_names)
{
	const char *p = "new\nline/\xff\xfe bytes/tab\there";
	struct pnode *n = ptree_make(&t, p);

	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_eq(ptree_lookup(&t, p), n);
	ck_assert_str_eq(path_of(n), p);
	ck_assert_str_eq(n->name, "tab\there");
	ck_assert_ptr_null(ptree_lookup(&t, "new\nline/\xff"));
	ck_assert_ptr_nonnull(ptree_lookup(&t, "new\nline/\xff\xfe bytes"));
}
END_TEST

START_TEST(thousands)
{
	char p[64];

	for (int i = 0; i < 3000; i++) {
		snprintf(p, sizeof p, "f%d", i);
		ck_assert_ptr_nonnull(ptree_make(&t, p));
		snprintf(p, sizeof p, "d%d/sub/%d", i % 50, i);
		ck_assert_ptr_nonnull(ptree_make(&t, p));
	}
	ck_assert_uint_eq(t.count, 3000 + 50 * 2 + 3000);
	ck_assert_uint_ge(t.nbuckets, t.count);
	for (int i = 0; i < 3000; i++) {
		snprintf(p, sizeof p, "f%d", i);
		struct pnode *n = ptree_lookup(&t, p);
		ck_assert_ptr_nonnull(n);
		ck_assert_str_eq(path_of(n), p);
		snprintf(p, sizeof p, "d%d/sub/%d", i % 50, i);
		n = ptree_lookup(&t, p);
		ck_assert_ptr_nonnull(n);
		ck_assert_str_eq(path_of(n), p);
	}
	ck_assert_ptr_null(ptree_lookup(&t, "f3000"));
	ck_assert_ptr_null(ptree_lookup(&t, "d0/sub/1"));

	/* remove half, the rest is still found */
	for (int i = 0; i < 3000; i += 2) {
		snprintf(p, sizeof p, "f%d", i);
		ptree_remove(&t, ptree_lookup(&t, p), NULL, NULL);
	}
	for (int i = 0; i < 3000; i++) {
		snprintf(p, sizeof p, "f%d", i);
		if (i % 2)
			ck_assert_ptr_nonnull(ptree_lookup(&t, p));
		else
			ck_assert_ptr_null(ptree_lookup(&t, p));
	}
}
END_TEST

START_TEST(deep)
{
	/* deeper than a recursive free would like */
	static char p[200001];
	size_t n = 0;

	for (int i = 0; i < 50000; i++) {
		p[n++] = 'x';
		p[n++] = '/';
	}
	p[n - 1] = '\0';
	ck_assert_ptr_nonnull(ptree_make(&t, p));
	ck_assert_uint_eq(t.count, 50000);
	ptree_remove(&t, t.root.child, NULL, NULL);
	ck_assert_uint_eq(t.count, 0);
}
END_TEST

Suite *
pathtree_suite(void)
{
	Suite *s = suite_create("pathtree");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, add_lookup_make);
	tcase_add_test(tc, empty_tree);
	tcase_add_test(tc, path_strings);
	tcase_add_test(tc, append_names);
	tcase_add_test(tc, remove_subtree);
	tcase_add_test(tc, remove_leaf_among_siblings);
	tcase_add_test(tc, prune);
	tcase_add_test(tc, move_reparent);
	tcase_add_test(tc, move_rename_in_place);
	tcase_add_test(tc, move_onto_existing_fails);
	tcase_add_test(tc, preorder_walk);
	tcase_add_test(tc, odd_names);
	tcase_add_test(tc, thousands);
	tcase_add_test(tc, deep);
	suite_add_tcase(s, tc);
	return s;
}
