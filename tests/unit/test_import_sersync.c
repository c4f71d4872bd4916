/* syncctl import-sersync: the mapping helpers, and what the regexes and
 * rsync patterns they give exclude once syncd's own filter reads them. */
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "import_sersync.h"
#include "suites.h"
#include "test_util.h"

static void
regex_is(const char *expr, const char *want)
{
	char *got = sersync_filter_regex(expr);

	ck_assert_ptr_nonnull(got);
	ck_assert_msg(!strcmp(got, want), "%s: got %s, want %s", expr, got, want);
	free(got);
}

static void
glob_is(const char *expr, const char *want)
{
	char *got = sersync_filter_glob(expr);

	if (!want)
		ck_assert_msg(!got, "%s: got %s, want none", expr, got);
	else
		ck_assert_msg(got && !strcmp(got, want), "%s: got %s, want %s", expr, got ? got : "none", want);
	free(got);
}

START_TEST(regex_anchored)
{
	regex_is("(.*)\\.svn", "^((.*)\\.svn)$");
	regex_is("^info/*", "^(info/*)$");
	/* a ^ and $ of its own, and the '/' sersync's deeper paths start with */
	regex_is("^/cache/.*$", "^(cache/.*)$");
	regex_is("a|b", "^(a|b)$");
	/* an escaped $ stays */
	regex_is("price\\$", "^(price\\$)$");
	/* Perl's \d, not inside brackets (POSIX reads a backslash there as itself) */
	regex_is("(.*)\\d+\\.log", "^((.*)[0-9]+\\.log)$");
	regex_is("x\\D", "^(x[^0-9])$");
	regex_is("[\\d]", "^([\\d])$");
	regex_is("[]d]\\d", "^([]d][0-9])$");
}
END_TEST

/* Excluded, or below an excluded directory: what syncd never pushes. */
static bool
excluded_tree(const struct filter *f, const char *path, bool is_dir)
{
	char buf[256];

	for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(buf, sizeof buf, "%.*s", (int)(s - path), path);
		if (filter_excluded(f, buf, true))
			return true;
	}
	return filter_excluded(f, path, is_dir);
}

static struct filter *
regex_filter(const char *expr)
{
	struct filter *f = filter_new();
	char *re = sersync_filter_regex(expr), err[128];

	ck_assert_ptr_nonnull(re);
	ck_assert_msg(filter_add_regex(f, re, err, sizeof err) == 0, "%s: %s", re, err);
	free(re);
	return f;
}

START_TEST(regex_meaning)
{
	/* what sersync's regex_match excluded, on syncd's relative paths */
	struct filter *svn = regex_filter("(.*)\\.svn"), *info = regex_filter("^info/*");

	ck_assert(filter_excluded(svn, ".svn", true));
	ck_assert(filter_excluded(svn, "a/b/.svn", true));
	ck_assert(excluded_tree(svn, "a/.svn/entries", false));
	ck_assert(!filter_excluded(svn, "a/b.svnx", false));
	ck_assert(filter_excluded(info, "info", true));
	ck_assert(excluded_tree(info, "info/a/b", false));
	/* ^ anchored at the top in sersync too: its deeper paths start with '/' */
	ck_assert(!filter_excluded(info, "x/info", true));
	ck_assert(!filter_excluded(info, "information", true));
	filter_free(svn);
	filter_free(info);
}
END_TEST

START_TEST(glob_forms)
{
	glob_is("(.*)\\.gz", "*.gz");
	glob_is(".*\\.tar-gz$", "*.tar-gz");
	glob_is("^info/*", "/info");
	glob_is("info/", "/info");
	glob_is("^info", "/info");
	glob_is("^static/.*", "/static/*");
	glob_is("^a\\.b/img/*", "/a.b/img");
	/* anything else stays a regex */
	glob_is("(.*)\\.(gz|bz2)", NULL);
	glob_is("(.*)\\.svn|x", NULL);
	glob_is("^\\./*", NULL);
	glob_is("^a.b/*", NULL);
	glob_is("foo[0-9]", NULL);
	glob_is("^info/*x", NULL);
	glob_is("", NULL);
}
END_TEST

/* An rsync pattern given for a pair excludes what the regex excludes. */
START_TEST(glob_meaning)
{
	static const char *const exprs[] = { "(.*)\\.gz", "^info/*", "^static/.*", "^a\\.b/img/*" };
	static const struct {
		const char *path;
		bool dir;
	} paths[] = {
		{ "a.gz", false }, { "d/a.gz", false }, { "a.gzip", false }, { ".gz", false }, { "x.gz", true },
		{ "x.gz/y", false }, { "info", true }, { "info", false }, { "info/a", false }, { "x/info", true },
		{ "information", true }, { "static", true }, { "static/a", false }, { "static/a/b", false },
		{ "x/static/a", false }, { "a.b/img", true }, { "a.b/img/c", false }, { "aXb/img", true },
		{ "a.b", true },
	};

	for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
		struct filter *re = regex_filter(exprs[i]), *gl = filter_new();
		char *g = sersync_filter_glob(exprs[i]);
		ck_assert_ptr_nonnull(g);
		ck_assert_int_eq(filter_add_glob(gl, g), 0);
		for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++)
			ck_assert_msg(excluded_tree(re, paths[k].path, paths[k].dir) ==
			    excluded_tree(gl, paths[k].path, paths[k].dir), "%s (%s) and %s disagree on %s",
			    exprs[i], g, g, paths[k].path);
		free(g);
		filter_free(re);
		filter_free(gl);
	}
}
END_TEST

START_TEST(crontab_pairs)
{
	/* the pairs sersync's own sample configuration makes */
	ck_assert(sersync_crontab_same("^info/*", "info/*"));
	ck_assert(sersync_crontab_same("(.*)\\.php", "*.php"));
	ck_assert(sersync_crontab_same("^info/*", "/info/"));
	ck_assert(sersync_crontab_same("^info/*", "info"));
	ck_assert(sersync_crontab_same("^info/.*", "/info/**"));
	ck_assert(sersync_crontab_same("^a\\.b/img/*", "a.b/img/***"));
	ck_assert(!sersync_crontab_same("(.*)\\.gz", "*.php"));
	ck_assert(!sersync_crontab_same("(.*)\\.gz", "gz"));
	ck_assert(!sersync_crontab_same("^info/*", "info/a"));
	ck_assert(!sersync_crontab_same("^info/*", "information/*"));
	ck_assert(!sersync_crontab_same("^info/*", "*.php"));
	ck_assert(!sersync_crontab_same("(.*)\\.svn|x", "*.svn"));
}
END_TEST

static void
name_is(char *got, const char *want)
{
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(names)
{
	name_is(sersync_remote_name("10.15.43.100", "app_rsync_server"), "10.15.43.100_app_rsync_server");
	name_is(sersync_remote_name("107.170.213.95", "/home/user2/target/"), "107.170.213.95_home_user2_target");
	name_is(sersync_remote_name("2001:db8::1", "www"), "2001_db8_1_www");
	name_is(sersync_remote_name("h", "a b\n[c]"), "h_a_b_c");
	name_is(sersync_remote_name("", "/"), "remote");
	name_is(sersync_instance_name("/etc/sersync/www_confxml.xml"), "www_confxml");
	name_is(sersync_instance_name("bbs.XML"), "bbs");
	name_is(sersync_instance_name("/app/sersync/confxml.xml"), "imported");
	name_is(sersync_instance_name("/x/my site.xml"), "imported");
	name_is(sersync_instance_name(".hidden.xml"), "imported");
	ck_assert(sersync_valid_name("www-2.old_1"));
	ck_assert(!sersync_valid_name("-x"));
	ck_assert(!sersync_valid_name(".x"));
	ck_assert(!sersync_valid_name("a/b"));
	ck_assert(!sersync_valid_name(""));
}
END_TEST

/* The whole conversion into memory: warnings in line order, nothing written
 * when the file is not usable. */
START_TEST(convert_file)
{
	char dir[256], xml[300], *out = NULL, *diag = NULL;
	size_t olen = 0, dlen = 0;
	FILE *o, *d;

	tu_mkdtemp(dir, sizeof dir);
	snprintf(xml, sizeof xml, "%s/c.xml", dir);
	tu_write(xml, "<head>\n<plugin name=\"socket\"/>\n<debug start=\"true\"/>\n<sersync>\n"
	    "<localpath watch=\"/srv/www/\"><remote ip=\"192.0.2.1\" name=\"www\"/></localpath>\n"
	    "</sersync>\n</head>\n", 0644);
	o = open_memstream(&out, &olen);
	d = open_memstream(&diag, &dlen);
	ck_assert_int_eq(import_sersync(xml, "www", "/st", NULL, o, d), 0);
	fclose(o);
	fclose(d);
	ck_assert_ptr_nonnull(strstr(out, "\n[source]\n; <localpath watch> (line 5)\npath = /srv/www\n"));
	ck_assert_ptr_nonnull(strstr(out, "\n[remote 192.0.2.1_www]\ntarget = rsync://192.0.2.1/www\n"));
	ck_assert_ptr_nonnull(strstr(out, "\ndelete = no\n"));	/* no <delete>: sersync never deleted */
	ck_assert_ptr_null(strstr(out, "\n[hook"));
	char *w2 = strstr(diag, ":2: warning: <plugin name=\"socket\">"), *w3 = strstr(diag, ":3: warning: <debug");
	ck_assert_msg(w2 && w3 && w2 < w3, "warnings: %s", diag);
	free(out);
	free(diag);

	tu_write(xml, "<head>\n<sersync>\n<localpath watch=\"/srv\"><remote ip=\"h\" name=\"m\"/>\n</sersync>\n", 0644);
	out = diag = NULL;
	o = open_memstream(&out, &olen);
	d = open_memstream(&diag, &dlen);
	ck_assert_int_eq(import_sersync(xml, "www", NULL, NULL, o, d), -1);
	fclose(o);
	fclose(d);
	ck_assert_str_eq(out, "");
	ck_assert_msg(strstr(diag, "c.xml:4: error: mismatched tag\n") != NULL, "%s", diag);
	free(out);
	free(diag);
	tu_rmtree(dir);
}
END_TEST

Suite *
import_sersync_suite(void)
{
	Suite *s = suite_create("import_sersync");
	TCase *tc = tcase_create("mapping");

	tcase_add_test(tc, regex_anchored);
	tcase_add_test(tc, regex_meaning);
	tcase_add_test(tc, glob_forms);
	tcase_add_test(tc, glob_meaning);
	tcase_add_test(tc, crontab_pairs);
	tcase_add_test(tc, names);
	tcase_add_test(tc, convert_file);
	suite_add_tcase(s, tc);
	return s;
}
