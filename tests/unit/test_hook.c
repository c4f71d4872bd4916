/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "buf.h"
#include "hook.h"
#include "suites.h"

static void
line_is(const char *path, unsigned kind, const char *want)
{
	struct buf b = { 0 };
	struct hook_event ev = { .path = (char *)path, .kind = kind };

	hook_socket_line(&b, &ev);
	ck_assert_uint_eq(b.len, strlen(want));
	ck_assert_msg(!memcmp(b.p, want, b.len), "line for '%s' is '%.*s'", path, (int)b.len, b.p);
	buf_free(&b);
}

/* One line per change, whatever the name holds. */
START_TEST(socket_lines)
{
	line_is("a/b.txt", HK_UPDATE, "update\ta/b.txt\n");
	line_is("gone", HK_DELETE, "delete\tgone\n");
	line_is("d", HK_DIR, "dir\td\n");
	line_is("new\nline", HK_UPDATE, "update\tnew\\nline\n");
	line_is("tab\there", HK_UPDATE, "update\ttab\\there\n");
	line_is("back\\slash\\n", HK_UPDATE, "update\tback\\\\slash\\\\n\n");
	line_is("cr\r", HK_UPDATE, "update\tcr\\r\n");
	line_is("$(touch CANARY);x", HK_UPDATE, "update\t$(touch CANARY);x\n");
	line_is("\xff\xfe", HK_UPDATE, "update\t\xff\xfe\n");
	line_is("\n\n", HK_DELETE, "delete\t\\n\\n\n");
}
END_TEST

START_TEST(kind_names)
{
	ck_assert_str_eq(hook_kind_name(HK_UPDATE), "update");
	ck_assert_str_eq(hook_kind_name(HK_DELETE), "delete");
	ck_assert_str_eq(hook_kind_name(HK_DIR), "dir");
}
END_TEST

Suite *
hook_suite(void)
{
	Suite *s = suite_create("hook");
	TCase *tc = tcase_create("socket");

	tcase_add_test(tc, socket_lines);
	tcase_add_test(tc, kind_names);
	suite_add_tcase(s, tc);
	return s;
}
