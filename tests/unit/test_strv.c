/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "suites.h"

static size_t
len(char **v)
{
	size_t n = 0;

	while (v[n])
		n++;
	return n;
}

START_TEST(split_spaces_tabs)
{
	char **v = strv_split("  -a\t--b  c\t\t d ");

	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len(v), 4);
	ck_assert_str_eq(v[0], "-a");
	ck_assert_str_eq(v[1], "--b");
	ck_assert_str_eq(v[2], "c");
	ck_assert_str_eq(v[3], "d");
	ck_assert_ptr_null(v[4]);
	strv_free(v);
}
END_TEST

START_TEST(split_empty)
{
	char **v = strv_split("");

	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_null(v[0]);
	strv_free(v);
	v = strv_split(" \t  ");
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_null(v[0]);
	strv_free(v);
}
END_TEST

START_TEST(split_single)
{
	char **v = strv_split("one");

	ck_assert_uint_eq(len(v), 1);
	ck_assert_str_eq(v[0], "one");
	strv_free(v);
}
END_TEST

START_TEST(add_addf_steal)
{
	struct strv s = { 0 };
	char **v;

	strv_add(&s, "rsync");
	strv_addf(&s, "--timeout=%u", 30u);
	strv_addf(&s, "%s/", "/src");
	ck_assert_uint_eq(s.n, 3);
	ck_assert_ptr_null(s.v[3]);
	v = strv_steal(&s);
	ck_assert_ptr_null(s.v);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(len(v), 3);
	ck_assert_str_eq(v[0], "rsync");
	ck_assert_str_eq(v[1], "--timeout=30");
	ck_assert_str_eq(v[2], "/src/");
	strv_free(v);
}
END_TEST

START_TEST(steal_empty)
{
	struct strv s = { 0 };
	char **v = strv_steal(&s);

	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_null(v[0]);
	strv_free(v);
	strv_free(NULL);
}
END_TEST

START_TEST(add_copies)
{
	struct strv s = { 0 };
	char buf[8] = "abc";

	strv_add(&s, buf);
	buf[0] = 'X';
	ck_assert_str_eq(s.v[0], "abc");
	strv_free(strv_steal(&s));
}
END_TEST

START_TEST(grows)
{
	struct strv s = { 0 };
	char **v;

	for (int i = 0; i < 1000; i++)
		strv_addf(&s, "%d", i);
	v = strv_steal(&s);
	ck_assert_uint_eq(len(v), 1000);
	ck_assert_str_eq(v[999], "999");
	ck_assert_str_eq(v[17], "17");
	strv_free(v);
}
END_TEST

START_TEST(addv_and_dup)
{
	char *src[] = { "a", "b b", "", NULL };
	struct strv s = { 0 };
	char **v, **d;

	strv_add(&s, "first");
	strv_addv(&s, src);
	strv_addv(&s, NULL);
	v = strv_steal(&s);
	ck_assert_uint_eq(len(v), 4);
	ck_assert_str_eq(v[2], "b b");
	ck_assert_str_eq(v[3], "");
	d = strv_dup(v);
	ck_assert_uint_eq(len(d), 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(d[i], v[i]);
		ck_assert_ptr_ne(d[i], v[i]);
	}
	strv_free(v);
	strv_free(d);
	d = strv_dup(NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_null(d[0]);
	strv_free(d);
}
END_TEST

START_TEST(null_add_marks_oom)
{
	struct strv s = { 0 };

	strv_add(&s, "a");
	strv_add(&s, NULL);
	ck_assert_int_ne(s.oom, 0);
	strv_add(&s, "b");	/* ignored: the vector is incomplete anyway */
	ck_assert_ptr_null(strv_steal(&s));
	/* steal reset it: usable again */
	ck_assert_int_eq(s.oom, 0);
	strv_add(&s, "c");
	char **v = strv_steal(&s);
	ck_assert_uint_eq(len(v), 1);
	ck_assert_str_eq(v[0], "c");
	strv_free(v);
}
END_TEST

Suite *
strv_suite(void)
{
	Suite *s = suite_create("strv");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, split_spaces_tabs);
	tcase_add_test(tc, split_empty);
	tcase_add_test(tc, split_single);
	tcase_add_test(tc, add_addf_steal);
	tcase_add_test(tc, steal_empty);
	tcase_add_test(tc, add_copies);
	tcase_add_test(tc, grows);
	tcase_add_test(tc, addv_and_dup);
	tcase_add_test(tc, null_add_marks_oom);
	suite_add_tcase(s, tc);
	return s;
}
