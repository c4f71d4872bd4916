/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "mounts.h"
#include "suites.h"

START_TEST(unescape)
{
	char a[] = "/srv/with\\040space/tab\\011and\\012newline\\134back";
	char b[] = "/plain/path";
	char c[] = "/not\\8an\\04escape\\";

	mounts_unescape(a);
	ck_assert_str_eq(a, "/srv/with space/tab\tand\nnewline\\back");
	mounts_unescape(b);
	ck_assert_str_eq(b, "/plain/path");
	mounts_unescape(c);
	ck_assert_str_eq(c, "/not\\8an\\04escape\\");
}
END_TEST

Suite *
mounts_suite(void)
{
	Suite *s = suite_create("mounts");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, unescape);
	suite_add_tcase(s, tc);
	return s;
}
