/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rsync_version.h"
#include "suites.h"

static struct rsync_version
parsed(const char *text)
{
	struct rsync_version v = { 99, 99, 99 };

	ck_assert_msg(rsync_version_parse(text, &v), "no version found in '%s'", text);
	return v;
}

#define PARSES(text, a, b, c) do { \
		struct rsync_version v_ = parsed(text); \
		ck_assert_msg(v_.major == (a) && v_.minor == (b) && v_.patch == (c), \
		    "'%s': got %u.%u.%u, expected %u.%u.%u", text, v_.major, v_.minor, v_.patch, \
		    (unsigned)(a), (unsigned)(b), (unsigned)(c)); \
	} while (0)

#define NO_VERSION(text) do { \
		struct rsync_version v_; \
		ck_assert_msg(!rsync_version_parse(text, &v_), "found %u.%u.%u in '%s'", \
		    v_.major, v_.minor, v_.patch, text); \
	} while (0)

START_TEST(parse_real_outputs)
{
	/* the first lines of what each rsync we test with prints */
	PARSES("rsync  version 3.5.0  protocol version 32\n"
	    "Copyright (C) 1996-2026 by Andrew Tridgell, Wayne Davison, and others.\n", 3, 5, 0);
	PARSES("rsync  version 3.2.7  protocol version 32\n", 3, 2, 7);
	PARSES("rsync  version 3.2.3  protocol version 31\n", 3, 2, 3);
	PARSES("rsync  version 3.1.3  protocol version 31\n", 3, 1, 3);
	PARSES("rsync  version 3.1.2  protocol version 31\n", 3, 1, 2);
	PARSES("rsync  version 2.6.9  protocol version 29\n", 2, 6, 9);
	/* a build from git, a pre-release, two digits */
	PARSES("rsync  version v3.2.7  protocol version 31\n", 3, 2, 7);
	PARSES("rsync  version 3.4.0pre1  protocol version 32\n", 3, 4, 0);
	PARSES("rsync  version 3.10.12  protocol version 40\n", 3, 10, 12);
	PARSES("rsync version 3.3 protocol version 31", 3, 3, 0);
	/* macOS's openrsync names its protocol first */
	PARSES("openrsync: protocol version 29\nrsync version 2.6.9 compatible\n", 2, 6, 9);
	/* a wrapper that prints something first */
	PARSES("using the rsync of /opt\nrsync  version 3.2.7  protocol version 31\n", 3, 2, 7);
}
END_TEST

START_TEST(parse_no_version)
{
	NO_VERSION("");
	NO_VERSION("--version\n");
	NO_VERSION("rsync: unknown option\n");
	NO_VERSION("openrsync: protocol version 29\n");
	NO_VERSION("rsync  version   protocol version 31\n");
	NO_VERSION("rsync  version x.y  protocol version 31\n");
	NO_VERSION("rsync  version 3  protocol version 31\n");
	NO_VERSION("rsync  version 3.  protocol version 31\n");
	NO_VERSION("rsyncversion 3.2.7\n");
	NO_VERSION("myrsync version 3.2.7\n");
	NO_VERSION("rsync  version 99999999999.2.7\n");
}
END_TEST

START_TEST(compare)
{
	struct rsync_version min = RSYNC_VERSION_MIN;
	char buf[32];

	rsync_version_format(min, buf, sizeof buf);
	ck_assert_str_eq(buf, "3.2.3");
	ck_assert_int_eq(rsync_version_cmp(min, min), 0);
	ck_assert_int_lt(rsync_version_cmp((struct rsync_version){ 3, 1, 2 }, min), 0);
	ck_assert_int_lt(rsync_version_cmp((struct rsync_version){ 3, 1, 3 }, min), 0);
	ck_assert_int_lt(rsync_version_cmp((struct rsync_version){ 3, 2, 2 }, min), 0);
	ck_assert_int_lt(rsync_version_cmp((struct rsync_version){ 2, 9, 9 }, min), 0);
	ck_assert_int_gt(rsync_version_cmp((struct rsync_version){ 3, 2, 7 }, min), 0);
	ck_assert_int_gt(rsync_version_cmp((struct rsync_version){ 3, 3, 0 }, min), 0);
	ck_assert_int_gt(rsync_version_cmp((struct rsync_version){ 3, 10, 0 }, min), 0);
	ck_assert_int_gt(rsync_version_cmp((struct rsync_version){ 4, 0, 0 }, min), 0);
}
END_TEST

/* A script in a temp dir that prints TEXT for --version. */
static char dir[64], script[128];

static void
write_script(const char *body)
{
	strcpy(dir, "/tmp/syncd-unit-rsyncv.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(script, sizeof script, "%s/rsync", dir);
	FILE *f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(script, 0755);
}

static void
remove_script(void)
{
	unlink(script);
	rmdir(dir);
}

START_TEST(probe_script)
{
	struct rsync_version v = { 0, 0, 0 };
	char err[256] = "";

	write_script("[ \"$1\" = --version ] || exit 1\n"
	    "echo 'rsync  version 3.1.2  protocol version 31'\necho 'Copyright ...'\necho oops >&2");
	ck_assert_msg(rsync_version_probe(script, &v, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(v.major, 3);
	ck_assert_uint_eq(v.minor, 1);
	ck_assert_uint_eq(v.patch, 2);
	remove_script();
}
END_TEST

START_TEST(probe_failures)
{
	struct rsync_version v;
	char err[256] = "";

	ck_assert_int_eq(rsync_version_probe("/nonexistent/rsync", &v, err, sizeof err), -1);
	/* glibc's posix_spawn reports the failed exec; valgrind's forks and
	 * the child exits 127 */
	ck_assert_msg(strstr(err, "cannot run") || strstr(err, "exit code 127"), "%s", err);

	write_script("echo 'not an rsync'; exit 3");
	ck_assert_int_eq(rsync_version_probe(script, &v, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "no rsync version") && strstr(err, "exit code 3") &&
	    strstr(err, "'not an rsync'"), "%s", err);
	remove_script();
}
END_TEST

Suite *
rsync_version_suite(void)
{
	Suite *s = suite_create("rsync_version");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_real_outputs);
	tcase_add_test(tc, parse_no_version);
	tcase_add_test(tc, compare);
	tcase_add_test(tc, probe_script);
	tcase_add_test(tc, probe_failures);
	suite_add_tcase(s, tc);
	return s;
}
