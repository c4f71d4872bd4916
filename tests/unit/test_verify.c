/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "changeset.h"
#include "suites.h"
#include "verify.h"

/* Parses a copy of line (the parser decodes in place); returns its result
 * with the path and the differences as "content,perms". */
static int
parse(const char *line, char *path, size_t plen, char *what, size_t wlen)
{
	char buf[512];
	const char *p = NULL;
	unsigned bits = 0;

	snprintf(buf, sizeof buf, "%s", line);
	int rc = verify_parse_line(buf, &p, &bits);
	snprintf(path, plen, "%s", rc ? p : "");
	verify_what(bits, what, wlen);
	if (!rc)
		ck_assert_uint_eq(bits, 0);
	return rc;
}

#define DIFFERS(line, want_path, want_what) \
	do { \
		char p_[512], w_[128]; \
		ck_assert_msg(parse(line, p_, sizeof p_, w_, sizeof w_) == 1, "not a difference: %s", line); \
		ck_assert_str_eq(p_, want_path); \
		ck_assert_str_eq(w_, want_what); \
	} while (0)

#define NOT_DRIFT(line) \
	do { \
		char p_[512], w_[128]; \
		ck_assert_msg(parse(line, p_, sizeof p_, w_, sizeof w_) == 0, "a difference: %s", line); \
	} while (0)

/* Each kind of difference, as rsync 3.2+ itemizes it in a push. */
START_TEST(kinds)
{
	DIFFERS("<fcs....... a/file", "a/file", "content");
	DIFFERS(">fc........ same-size", "same-size", "content");
	DIFFERS("<f.st...... grown", "grown", "content");
	DIFFERS("<f+++++++++ new file", "new file", "missing");
	DIFFERS("cd+++++++++ new/dir/", "new/dir", "missing");
	DIFFERS("cL+++++++++ link", "link", "missing");
	DIFFERS("*deleting   old/file", "old/file", "extra");
	DIFFERS("*deleting   old/dir/", "old/dir", "extra");
	DIFFERS(".f...p..... mode", "mode", "perms");
	DIFFERS(".d...p..... ./", "", "perms");	/* the root */
	DIFFERS(".f....o.... owned", "owned", "owner");
	DIFFERS(".f.....g... grouped", "grouped", "group");
	DIFFERS(".f..t.og... both", "both", "owner,group");
	DIFFERS("cLc.T...... link", "link", "target");
	DIFFERS("cLc........ link", "link", "target");
	DIFFERS("cDc........ dev/null", "dev/null", "device");
	DIFFERS(".f.......a. acl", "acl", "acl");
	DIFFERS(".f........x xattr", "xattr", "xattrs");
	DIFFERS("<fcstpog.ax all", "all", "content,perms,owner,group,acl,xattrs");
	DIFFERS("hf+++++++++ hardlinked", "hardlinked", "missing");
}
END_TEST

/* Times alone are not drift; neither is anything that is not an item. */
START_TEST(not_drift)
{
	NOT_DRIFT(".d..t...... dir/");
	NOT_DRIFT(".f..t...... file");
	NOT_DRIFT(".f..T...... file");
	NOT_DRIFT("<f..t.....  file");
	NOT_DRIFT(".f......u.. atime");
	NOT_DRIFT(".f......n.. crtime");
	NOT_DRIFT(".f......b.. both");
	NOT_DRIFT(".d          ./");	/* unchanged, as -ii shows it */
	NOT_DRIFT("");
	NOT_DRIFT("sending incremental file list");
	NOT_DRIFT("rsync: [sender] link_stat \"/x\" failed: No such file or directory (2)");
	NOT_DRIFT("rsync error: some files could not be transferred (code 23)");
	NOT_DRIFT("file has vanished: \"/src/a\"");
	NOT_DRIFT("total size is 31  speedup is 0.05 (DRY RUN)");
	NOT_DRIFT("deleting old");		/* rsync -v's form, not ours */
	NOT_DRIFT(">fc........");		/* no name */
	NOT_DRIFT(">fc........ ");		/* nor an empty one */
	NOT_DRIFT(">fc.....x.. misplaced");	/* a letter out of its place */
	NOT_DRIFT(">fz........ unknown");
	NOT_DRIFT(">qc........ type");
	NOT_DRIFT("*deletingx  name");
	NOT_DRIFT("Xfc........ update");
}
END_TEST

/* rsync writes odd bytes as \#ooo (a backslash before "#ddd" too): the
 * path is decoded; a tab stays as it is. */
START_TEST(escapes)
{
	DIFFERS(">fc........ new\\#012line", "new\nline", "content");
	DIFFERS(">fc........ back\\#134#123", "back\\#123", "content");
	DIFFERS(">fc........ caf\\#303\\#251", "caf\xc3\xa9", "content");
	DIFFERS(">fc........ tab\there", "tab\there", "content");
	DIFFERS(">fc........ a -> b", "a -> b", "content");	/* no " -> target" in our format */
	DIFFERS(">fc........ not\\#8ctal", "not\\#8ctal", "content");
	DIFFERS(">fc........ short\\#12", "short\\#12", "content");
	DIFFERS(">fc........ big\\#400", "big\\#400", "content");	/* no byte */
	NOT_DRIFT(">fc........ nul\\#000byte");
}
END_TEST

START_TEST(what_names)
{
	char buf[128];

	verify_what(0, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
	verify_what(VD_MISSING | VD_EXTRA, buf, sizeof buf);
	ck_assert_str_eq(buf, "missing,extra");
	verify_what(VD_TARGET | VD_DEVICE | VD_XATTRS, buf, sizeof buf);
	ck_assert_str_eq(buf, "target,device,xattrs");
	verify_what(VD_CONTENT | VD_PERMS, buf, 8);	/* cut, still a string */
	ck_assert_uint_lt(strlen(buf), 8);
}
END_TEST

/* A difference at, above or below a path that changed meanwhile is not
 * drift; beside it, it is. */
START_TEST(changed_meanwhile)
{
	struct changeset cs;

	changeset_init(&cs);
	ck_assert(!verify_changed(&cs, "", VD_PERMS));
	ck_assert(!verify_changed(&cs, "a", VD_CONTENT));
	ck_assert_int_eq(changeset_add(&cs, "a/b/c", CH_PATH, 1), 0);
	ck_assert_int_eq(changeset_add(&cs, "gone", CH_PATH | CH_GONE, 2), 0);
	ck_assert_int_eq(changeset_add(&cs, "new", CH_DIR, 3), 0);
	ck_assert(verify_changed(&cs, "a/b/c", VD_CONTENT));		/* at */
	ck_assert(verify_changed(&cs, "a/b/c/d", VD_MISSING));	/* below */
	ck_assert(verify_changed(&cs, "a/b", VD_PERMS));		/* above */
	ck_assert(verify_changed(&cs, "a", VD_PERMS));
	ck_assert(verify_changed(&cs, "", VD_PERMS));		/* the root is above all */
	ck_assert(verify_changed(&cs, "gone/x/y", VD_EXTRA));
	ck_assert(verify_changed(&cs, "new/file", VD_MISSING));
	ck_assert(!verify_changed(&cs, "a/b/cd", VD_CONTENT));	/* beside */
	ck_assert(!verify_changed(&cs, "a/x", VD_CONTENT));
	ck_assert(!verify_changed(&cs, "ne", VD_MISSING));
	ck_assert(!verify_changed(&cs, "other", VD_EXTRA));
	/* a push's temporary file of a path that changed */
	ck_assert(verify_changed(&cs, "a/b/.c.Ab12Z9", VD_EXTRA));
	ck_assert(!verify_changed(&cs, "a/b/.c.Ab12Z9", VD_CONTENT));	/* only as an extra */
	ck_assert(!verify_changed(&cs, "a/b/.d.Ab12Z9", VD_EXTRA));
	ck_assert(!verify_changed(&cs, "a/b/.c.Ab1-Z9", VD_EXTRA));
	ck_assert(!verify_changed(&cs, "a/b/.c.Ab12Z", VD_EXTRA));
	ck_assert(!verify_changed(&cs, "a/b/c.Ab12Z9", VD_EXTRA));
	ck_assert(verify_changed(&cs, ".gone.xxxxxx", VD_EXTRA));
	changeset_clear(&cs);
}
END_TEST

Suite *
verify_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, kinds);
	tcase_add_test(tc, not_drift);
	tcase_add_test(tc, escapes);
	tcase_add_test(tc, what_names);
	tcase_add_test(tc, changed_meanwhile);
	suite_add_tcase(s, tc);
	return s;
}
