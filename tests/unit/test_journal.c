/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pending journal: what is appended comes back on replay, a torn last
 * record is dropped, reset and rewrite keep it small, a write that fails
 * turns it off until a rewrite. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "journal.h"
#include "rsync_exit.h"
#include "suites.h"
#include "test_util.h"

static char dir[256], file[300];

static void
setup(void)
{
	tu_mkdtemp(dir, sizeof dir);
	snprintf(file, sizeof file, "%s/r.journal", dir);
}

static void
teardown(void)
{
	tu_rmtree(dir);
}

static bool
has(struct changeset *cs, const char *path, unsigned flags)
{
	struct pnode *n = ptree_lookup(&cs->tree, path);
	return n && n->flags == flags;
}

static void
reopen(struct changeset *into, bool *full, size_t *replayed)
{
	struct journal j;

	changeset_init(into);
	*full = false;
	ck_assert_int_eq(journal_open(&j, file, into, 1, full, replayed), 0);
	journal_close(&j);
}

START_TEST(append_and_replay)
{
	struct journal j;
	struct changeset cs, back;
	bool full = false;
	size_t n;

	changeset_init(&cs);
	ck_assert_int_eq(journal_open(&j, file, &cs, 1, &full, &n), 0);
	ck_assert_uint_eq(n, 0);
	changeset_add(&cs, "a/file", CH_PATH, 5);
	changeset_add(&cs, "new\ndir", CH_DIR, 5);
	changeset_add(&cs, "gone", CH_PATH | CH_GONE, 5);
	/* Not synced as it goes (the worker's running mark covers that), then
	 * synced at once, as at a clean stop. */
	ck_assert_int_eq(journal_append(&j, &cs, false), 0);
	ck_assert_int_eq(journal_append_full(&j, false), 0);
	ck_assert_int_eq(journal_sync(&j), 0);
	journal_close(&j);
	changeset_clear(&cs);

	reopen(&back, &full, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert(full);
	ck_assert(has(&back, "a/file", CH_PATH));
	ck_assert(has(&back, "new\ndir", CH_DIR));
	ck_assert(has(&back, "gone", CH_PATH | CH_GONE));
	changeset_clear(&back);
}
END_TEST

START_TEST(torn_last_record_is_dropped)
{
	struct changeset back;
	bool full;
	size_t n;
	static const char data[] = "syncd-journal 1\nPkept\0Dalso/kept\0Ptor";
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, sizeof data - 1), (ssize_t)(sizeof data - 1));
	close(fd);
	reopen(&back, &full, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert(has(&back, "kept", CH_PATH));
	ck_assert(has(&back, "also/kept", CH_DIR));
	ck_assert_ptr_null(ptree_lookup(&back.tree, "tor"));
	changeset_clear(&back);
	/* Opening rewrote it without the torn tail. */
	reopen(&back, &full, &n);
	ck_assert_uint_eq(n, 2);
	changeset_clear(&back);
}
END_TEST

START_TEST(reset_empties_and_rewrite_compacts)
{
	struct journal j;
	struct changeset cs, back;
	bool full = false;
	size_t n;

	changeset_init(&cs);
	ck_assert_int_eq(journal_open(&j, file, &cs, 1, &full, &n), 0);
	for (int i = 0; i < 100; i++) {
		char p[32];
		snprintf(p, sizeof p, "f%d", i % 3);
		changeset_add(&cs, p, CH_PATH, 1);
		journal_append(&j, &cs, true);
	}
	ck_assert_int_eq(journal_rewrite(&j, (const struct changeset *const[]){ &cs }, 1, false), 0);
	journal_close(&j);
	reopen(&back, &full, &n);
	ck_assert_uint_eq(n, 3);
	changeset_clear(&back);

	ck_assert_int_eq(journal_open(&j, file, &back, 1, &full, &n), 0);
	journal_reset(&j);
	journal_close(&j);
	changeset_clear(&back);
	changeset_clear(&cs);
	reopen(&back, &full, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert(!full);
	changeset_clear(&back);
}
END_TEST

START_TEST(reset_after_appends)
{
	struct journal j;
	struct changeset cs, back;
	bool full = false;
	size_t n;

	changeset_init(&cs);
	ck_assert_int_eq(journal_open(&j, file, &cs, 1, &full, &n), 0);
	changeset_add(&cs, "x", CH_PATH, 1);
	ck_assert_int_eq(journal_append(&j, &cs, true), 0);
	ck_assert_int_eq(journal_append_full(&j, true), 0);
	journal_reset(&j);	/* everything went out */
	journal_close(&j);
	changeset_clear(&cs);
	reopen(&back, &full, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert(!full);
	changeset_clear(&back);
}
END_TEST

START_TEST(foreign_file_is_ignored)
{
	struct changeset back;
	bool full;
	size_t n;
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_eq(write(fd, "something else\n", 15), 15);
	close(fd);
	reopen(&back, &full, &n);
	ck_assert_uint_eq(n, 0);
	changeset_clear(&back);
}
END_TEST

static off_t
size_of(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return st.st_size;
}

/* Off, not shut: nothing more is appended, the file stays open, drop
 * empties it in place, and a rewrite turns it on with what is pending. */
START_TEST(off_until_rewritten)
{
	struct journal j;
	struct changeset cs, back;
	struct rlimit was, small;
	bool full = false;
	size_t n;
	char p[64];

	changeset_init(&cs);
	ck_assert_int_eq(journal_open(&j, file, &cs, 1, &full, &n), 0);
	changeset_add(&cs, "first", CH_PATH, 1);
	ck_assert_int_eq(journal_append(&j, &cs, true), 0);
	/* A file size limit stands for a full disk. */
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
	small = was;
	small.rlim_cur = 64;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(p, sizeof p, "a/rather/long/path/%d", i);
		changeset_add(&cs, p, CH_PATH, 1);
	}
	ck_assert_int_eq(journal_append(&j, &cs, true), -1);
	ck_assert_int_eq(j.err, EFBIG);
	ck_assert_int_ge(j.fd, 0);
	off_t torn = size_of(j.fd);
	ck_assert_int_eq(journal_append(&j, &cs, true), -1);
	ck_assert_int_eq(journal_append_full(&j, true), -1);
	ck_assert_int_eq(journal_sync(&j), -1);
	ck_assert_int_eq(size_of(j.fd), torn);
	ck_assert_int_eq(journal_rewrite(&j, (const struct changeset *const[]){ &cs }, 1, true), -1);
	ck_assert_int_eq(j.err, EFBIG);
	ck_assert(journal_drop(&j));
	ck_assert_int_eq(size_of(j.fd), 0);
	ck_assert(!journal_drop(&j));
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &was), 0);
	ck_assert_int_eq(journal_rewrite(&j, (const struct changeset *const[]){ &cs }, 1, true), 0);
	ck_assert_int_eq(j.err, 0);
	ck_assert(!journal_drop(&j));
	changeset_clear(&cs);
	changeset_add(&cs, "later", CH_PATH, 1);
	ck_assert_int_eq(journal_append(&j, &cs, true), 0);
	journal_close(&j);
	changeset_clear(&cs);
	reopen(&back, &full, &n);
	ck_assert_uint_eq(n, 12);
	ck_assert(full);
	ck_assert(has(&back, "a/rather/long/path/9", CH_PATH));
	ck_assert(has(&back, "later", CH_PATH));
	changeset_clear(&back);
}
END_TEST

START_TEST(rsync_outcomes)
{
	ck_assert_int_eq(rsync_outcome(0, ""), RSYNC_OK);
	ck_assert_int_eq(rsync_outcome(24 << 8, "file has vanished"), RSYNC_OK);
	ck_assert_int_eq(rsync_outcome(23 << 8, "some files"), RSYNC_PARTIAL);
	ck_assert_int_eq(rsync_outcome(10 << 8, "Connection refused"), RSYNC_RETRY);
	ck_assert_int_eq(rsync_outcome(30 << 8, "timeout"), RSYNC_RETRY);
	ck_assert_int_eq(rsync_outcome(255 << 8, "Connection closed"), RSYNC_RETRY);
	ck_assert_int_eq(rsync_outcome(5 << 8, "@ERROR: auth failed on module m"), RSYNC_OPERATOR);
	ck_assert_int_eq(rsync_outcome(5 << 8, "@ERROR: Unknown module 'x'"), RSYNC_OPERATOR);
	ck_assert_int_eq(rsync_outcome(5 << 8, "error starting client-server protocol"), RSYNC_RETRY);
	ck_assert_int_eq(rsync_outcome(1 << 8, "syntax or usage error"), RSYNC_OPERATOR);
	ck_assert_int_eq(rsync_outcome(9, ""), RSYNC_RETRY);	/* killed by SIGKILL */
}
END_TEST

Suite *
journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("journal");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, append_and_replay);
	tcase_add_test(tc, torn_last_record_is_dropped);
	tcase_add_test(tc, reset_empties_and_rewrite_compacts);
	tcase_add_test(tc, reset_after_appends);
	tcase_add_test(tc, foreign_file_is_ignored);
	tcase_add_test(tc, off_until_rewritten);
	tcase_add_test(tc, rsync_outcomes);
	suite_add_tcase(s, tc);
	return s;
}
