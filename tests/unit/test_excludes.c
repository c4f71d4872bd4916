/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "excludes.h"
#include "strv.h"
#include "suites.h"
#include "test_util.h"

static char tmp[256], src[300];
static struct config c;
static struct excludes e;

static void
setup(void)
{
	tu_mkdtemp(tmp, sizeof tmp);
	snprintf(src, sizeof src, "%s/src", tmp);
	tu_mkdir(src);
	memset(&c, 0, sizeof c);
	memset(&e, 0, sizeof e);
	c.source = src;
	c.filter = filter_new();
}

static void
teardown(void)
{
	excludes_free(&e);
	filter_free(c.filter);
	tu_rmtree(tmp);
}

static void
mk(const char *rel, bool dir)
{
	char p[1024];

	snprintf(p, sizeof p, "%s/%s", src, rel);
	if (dir)
		tu_mkdir(p);
	else
		tu_write(p, "x", 0644);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rules, sorted (readdir order is arbitrary), joined with '|'. */
static char *
rules(void)
{
	struct strv s = { 0 };
	size_t total = 1;

	ck_assert(!e.rules.oom);
	ck_assert_msg(e.rules.len == 0 || e.rules.p[e.rules.len - 1] == '\0', "last rule not NUL-terminated");
	for (size_t o = 0; o < e.rules.len; o += strlen(e.rules.p + o) + 1) {
		strv_add(&s, e.rules.p + o);
		total += strlen(e.rules.p + o) + 1;
	}
	char **v = strv_steal(&s), *out = calloc(1, total);
	size_t n = 0;
	while (v[n])
		n++;
	qsort(v, n, sizeof *v, cmp);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, "|");
		strcat(out, v[i]);
	}
	strv_free(v);
	return out;
}

#define RULES_EQ(want) do { \
	char *got_ = rules(); \
	ck_assert_str_eq(got_, want); \
	free(got_); \
} while (0)

START_TEST(init_globs)
{
	ck_assert_int_eq(filter_add_glob(c.filter, "*.tmp"), 0);
	ck_assert_int_eq(filter_add_glob(c.filter, "/cache/"), 0);
	ck_assert_int_eq(filter_add_glob(c.filter, "a b\\c"), 0);
	excludes_init(&e, &c);
	static const char want[] = "- *.tmp\0- /cache/\0- a b\\c";
	ck_assert_uint_eq(e.rules.len, sizeof want);
	ck_assert_int_eq(memcmp(e.rules.p, want, sizeof want), 0);
}
END_TEST

START_TEST(init_empty)
{
	excludes_init(&e, &c);
	ck_assert_uint_eq(e.rules.len, 0);
	ck_assert(!e.rules.oom);
}
END_TEST

static void
tree(void)
{
	char err[128];

	ck_assert_int_eq(filter_add_regex(c.filter, "\\.bak$", err, sizeof err), 0);
	mk("top.bak", false);
	mk("keep.txt", false);
	mk("we*ird.bak", false);
	mk("back\\slash.bak", false);
	mk("a[b\\c.bak", false);
	mk("q?.bak", false);
	mk("dir.bak", true);
	mk("dir.bak/inner.bak", false);
	mk("sub", true);
	mk("sub/x.bak", false);
	mk("sub/x.bak.not", false);
	mk("sub/deep", true);
	mk("sub/deep/y.bak", false);
	mk("sub/deep/ok", false);
}

START_TEST(scan_flat)
{
	tree();
	excludes_init(&e, &c);
	excludes_scan(&e, &c, "", false);
	RULES_EQ("- /a\\[b\\\\c.bak|- /back\\slash.bak|- /dir.bak|- /q\\?.bak|- /top.bak|"
	    "- /we\\*ird.bak");
}
END_TEST

START_TEST(scan_recursive)
{
	tree();
	excludes_init(&e, &c);
	excludes_scan(&e, &c, "", true);
	/* nothing below the excluded dir.bak */
	RULES_EQ("- /a\\[b\\\\c.bak|- /back\\slash.bak|- /dir.bak|- /q\\?.bak|- /sub/deep/y.bak|"
	    "- /sub/x.bak|- /top.bak|- /we\\*ird.bak");
}
END_TEST

START_TEST(scan_subdir)
{
	tree();
	excludes_init(&e, &c);
	excludes_scan(&e, &c, "sub", false);
	RULES_EQ("- /sub/x.bak");
	excludes_free(&e);
	excludes_init(&e, &c);
	excludes_scan(&e, &c, "sub", true);
	RULES_EQ("- /sub/deep/y.bak|- /sub/x.bak");
	excludes_free(&e);
	excludes_init(&e, &c);
	excludes_scan(&e, &c, "sub/deep", false);
	RULES_EQ("- /sub/deep/y.bak");
}
END_TEST

START_TEST(scan_missing_dir)
{
	tree();
	excludes_init(&e, &c);
	excludes_scan(&e, &c, "nope", true);
	excludes_scan(&e, &c, "keep.txt", true);	/* not a directory */
	ck_assert_uint_eq(e.rules.len, 0);
	ck_assert(!e.rules.oom);
}
END_TEST

START_TEST(globs_then_exact)
{
	tree();
	ck_assert_int_eq(filter_add_glob(c.filter, "*.txt"), 0);
	excludes_init(&e, &c);
	excludes_scan(&e, &c, "sub/deep", false);
	ck_assert_str_eq(e.rules.p, "- *.txt");	/* the configured rules come first */
	RULES_EQ("- *.txt|- /sub/deep/y.bak");
}
END_TEST

/* The rules of a deletion's prune: its name in, the rest of its parent
 * out; wildcards in a name escaped only where the rule has a wildcard. */
START_TEST(anchored_rules)
{
	excludes_init(&e, &c);
	excludes_add_anchored(&e, '+', "a/b\\c", "");
	excludes_add_anchored(&e, '+', "a/x*", "");
	excludes_add_anchored(&e, '-', "a", "/*");
	excludes_add_anchored(&e, '-', "[p]\\q", "/*");
	excludes_add_anchored(&e, '-', "", "/*");
	excludes_add_exact(&e, "e*");
	static const char want[] = "+ /a/b\\c\0+ /a/x\\*\0- /a/*\0- /\\[p]\\\\q/*\0- /*\0- /e\\*";
	ck_assert_uint_eq(e.rules.len, sizeof want);
	ck_assert_int_eq(memcmp(e.rules.p, want, sizeof want), 0);
}
END_TEST

START_TEST(write_file)
{
	char f[400], buf[256];
	struct stat st;

	tree();
	excludes_init(&e, &c);
	excludes_scan(&e, &c, "sub", false);
	snprintf(f, sizeof f, "%s/rules", tmp);
	ck_assert_int_eq(excludes_write(&e, f), 0);
	ck_assert_int_eq(stat(f, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	int fd = open(f, O_RDONLY);
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	ck_assert_int_eq(n, (ssize_t)e.rules.len);
	ck_assert_int_eq(memcmp(buf, e.rules.p, e.rules.len), 0);
	ck_assert_int_eq(memcmp(buf, "- /sub/x.bak", 13), 0);
}
END_TEST

Suite *
excludes_suite(void)
{
	Suite *s = suite_create("excludes");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, init_globs);
	tcase_add_test(tc, init_empty);
	tcase_add_test(tc, scan_flat);
	tcase_add_test(tc, scan_recursive);
	tcase_add_test(tc, scan_subdir);
	tcase_add_test(tc, scan_missing_dir);
	tcase_add_test(tc, globs_then_exact);
	tcase_add_test(tc, anchored_rules);
	tcase_add_test(tc, write_file);
	suite_add_tcase(s, tc);
	return s;
}
