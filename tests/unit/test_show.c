/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syncctl's side of status: the supervisor's answer read back, instance
 * files found, JSON written. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "instance.h"
#include "show.h"
#include "strv.h"
#include "suites.h"
#include "test_util.h"

START_TEST(parse_answer)
{
	char *reply = strdup("ok 42\n"
	    "bbs\tbackoff\t0\t0\t3\texited with status 1\t\t/a.ini:2: bad\t/etc/bbs.ini\tyes\t1500\n"
	    "www\trunning\t77\t65000\t0\t\twatching 3 dirs\t\t/etc/www.ini\tno\t0\n");
	struct status st;

	ck_assert_int_eq(status_parse(reply, &st), 0);
	ck_assert_int_eq(st.supervisor, 42);
	ck_assert_uint_eq(st.n, 2);
	struct row *b = status_find(&st, "bbs"), *w = status_find(&st, "www");
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_null(status_find(&st, "blog"));
	ck_assert_str_eq(b->state, "backoff");
	ck_assert_int_eq(b->pid, 0);
	ck_assert_uint_eq(b->restarts, 3);
	ck_assert_str_eq(b->last_exit, "exited with status 1");
	ck_assert_str_eq(b->status, "");
	ck_assert_str_eq(b->error, "/a.ini:2: bad");
	ck_assert(b->autostart);
	ck_assert_uint_eq(b->next_ms, 1500);
	ck_assert_int_eq(w->pid, 77);
	ck_assert_uint_eq(w->uptime_ms, 65000);
	ck_assert_str_eq(w->status, "watching 3 dirs");
	ck_assert_str_eq(w->file, "/etc/www.ini");
	ck_assert(!w->autostart);

	/* JSON: only what was named; no worker socket answers: null */
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	char *names[] = { "bbs", NULL };
	show_json(&st, names, "/nonexistent", f);
	fclose(f);
	ck_assert_str_eq(out, "{\"supervisor\":{\"running\":true,\"pid\":42},\"instances\":[{\"name\":\"bbs\","
	    "\"state\":\"backoff\",\"pid\":0,\"outside\":false,\"uptime_s\":0.000,\"restarts\":3,\"autostart\":true,"
	    "\"restart_in_s\":1.500,\"last_exit\":\"exited with status 1\",\"status\":\"\","
	    "\"error\":\"/a.ini:2: bad\",\"file\":\"/etc/bbs.ini\",\"worker\":null}]}\n");
	free(out);
	status_free(&st);

	reply = strdup("error: unknown command\n");
	ck_assert_int_eq(status_parse(reply, &st), -1);
	status_free(&st);
}
END_TEST

START_TEST(scan_dir)
{
	char dir[256], path[512];
	static const char *const files[] = { "www.ini", "bbs.ini", "bad name.ini", "notes.txt", ".x.ini", "a@b.ini" };

	tu_mkdtemp(dir, sizeof dir);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		tu_write(path, "", 0644);
	}
	fflush(stderr);
	int saved = dup(2), fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	close(fd);
	char **names = instance_scan(dir);
	snprintf(path, sizeof path, "%s/none", dir);
	char **none = instance_scan(path);
	dup2(saved, 2);
	close(saved);
	tu_rmtree(dir);
	ck_assert_ptr_nonnull(names);
	ck_assert_str_eq(names[0], "a@b");
	ck_assert_str_eq(names[1], "bbs");
	ck_assert_str_eq(names[2], "www");
	ck_assert_ptr_null(names[3]);
	ck_assert_ptr_nonnull(none);
	ck_assert_ptr_null(none[0]);
	strv_free(names);
	strv_free(none);
}
END_TEST

Suite *
show_suite(void)
{
	Suite *s = suite_create("show");
	TCase *tc = tcase_create("status");

	tcase_add_test(tc, parse_answer);
	tcase_add_test(tc, scan_dir);
	suite_add_tcase(s, tc);
	return s;
}
