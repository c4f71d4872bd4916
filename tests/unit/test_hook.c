/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "buf.h"
#include "hook.h"
#include "suites.h"
#include "test_util.h"

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
	ck_assert_str_eq(hook_kind_name(HK_RESYNC), "resync");
}
END_TEST

/* A hook's journal, without a worker: the queue it replays into. */
static char dir[256], file[300];
static struct hook_conf hc = { .name = "h", .concurrency = 2, .queue = 100, .batch = 10 };
static struct hook_call calls[2];

static void
setup(void)
{
	tu_mkdtemp(dir, sizeof dir);
	snprintf(file, sizeof file, "%s/h.hook-journal", dir);
}

static void
teardown(void)
{
	tu_rmtree(dir);
}

static void
write_raw(const char *p, size_t n)
{
	FILE *f = fopen(file, "we");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void
open_hook(struct hook *h)
{
	memset(h, 0, sizeof *h);
	memset(calls, 0, sizeof calls);
	h->hc = &hc;
	h->calls = calls;
	h->journal.fd = -1;
	ck_assert_int_eq(hook_journal_open(h, file, 7), 0);
}

static void
close_hook(struct hook *h)
{
	for (size_t i = h->qhead; i < h->qlen; i++)
		free(h->q[i].path);
	free(h->q);
	journal_close(&h->journal);
}

static void
queued_is(const struct hook *h, size_t i, uint64_t seq, unsigned kind, const char *path)
{
	ck_assert_uint_gt(h->qlen - h->qhead, i);
	ck_assert_uint_eq(h->q[h->qhead + i].seq, seq);
	ck_assert_uint_eq(h->q[h->qhead + i].kind, kind);
	ck_assert_str_eq(h->q[h->qhead + i].path, path);
	ck_assert_uint_eq(h->q[h->qhead + i].t, 7);
}

#define RAW(s) s, sizeof s - 1

/* What was done is gone, the numbers go on, a torn last record is dropped
 * (the file is rewritten without it), an overflow without its resync is
 * remembered. */
START_TEST(journal_replay_torn)
{
	struct hook h;

	write_raw(RAW("syncd-journal 1\n" "N5\0" "u5 a\0" "x6 b\0" "A5 5\0" "d7 c/d\0"
	    "O\0" "u8 half-writ"));
	open_hook(&h);
	ck_assert_uint_eq(h.qlen - h.qhead, 2);
	queued_is(&h, 0, 6, HK_DELETE, "b");
	queued_is(&h, 1, 7, HK_DIR, "c/d");
	ck_assert_uint_eq(h.seq, 8);
	ck_assert(h.dropping);
	close_hook(&h);

	/* Rewritten: the same again, and more appended comes back too. */
	open_hook(&h);
	ck_assert_uint_eq(h.qlen - h.qhead, 2);
	ck_assert_uint_eq(h.seq, 8);
	ck_assert_int_eq(hook_queue_add(&h, "", HK_RESYNC, 7, 0), 0);
	ck_assert_int_eq(hook_queue_add(&h, "new\nline", HK_UPDATE, 7, 0), 0);
	hook_journal_put(&h, 8);
	hook_journal_done(&h, 6, 7);
	close_hook(&h);

	open_hook(&h);
	ck_assert_uint_eq(h.qlen - h.qhead, 2);
	queued_is(&h, 0, 8, HK_RESYNC, "");
	queued_is(&h, 1, 9, HK_UPDATE, "new\nline");
	ck_assert(!h.dropping);		/* its resync is queued */
	ck_assert_uint_eq(h.seq, 10);
	close_hook(&h);
}
END_TEST

/* Drained, it keeps the next number: ids are never used twice. */
START_TEST(journal_drained_keeps_number)
{
	struct hook h;

	write_raw(RAW("syncd-journal 1\n" "u41 a\0" "u42 b\0" "A41 42\0"));
	open_hook(&h);
	ck_assert_uint_eq(h.qlen - h.qhead, 0);
	ck_assert_uint_eq(h.seq, 43);
	close_hook(&h);
	open_hook(&h);
	ck_assert_uint_eq(h.seq, 43);
	ck_assert(h.journal.found);
	close_hook(&h);
}
END_TEST

/* Not a journal: ignored, numbering starts at 1; none at all: not found. */
START_TEST(journal_foreign_or_none)
{
	struct hook h;

	open_hook(&h);
	ck_assert(!h.journal.found);
	ck_assert_uint_eq(h.seq, 1);
	close_hook(&h);
	write_raw(RAW("something else\n"));
	open_hook(&h);
	ck_assert(!h.journal.found);
	ck_assert_uint_eq(h.qlen, 0);
	close_hook(&h);
}
END_TEST

/* A write that fails turns it off; what is queued meanwhile is in the
 * rewrite that turns it on again. */
START_TEST(journal_off_until_rewritten)
{
	struct hook h;
	struct rlimit was, small;
	char p[64];

	open_hook(&h);
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
	small = was;
	small.rlim_cur = 64;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(p, sizeof p, "a/rather/long/path/%d", i);
		ck_assert_int_eq(hook_queue_add(&h, p, HK_UPDATE, 7, 0), 0);
	}
	hook_journal_put(&h, 1);
	ck_assert_int_eq(h.journal.err, EFBIG);
	ck_assert_int_eq(hook_journal_rewrite(&h), -1);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &was), 0);
	ck_assert_int_eq(hook_journal_rewrite(&h), 0);
	ck_assert_int_eq(h.journal.err, 0);
	close_hook(&h);
	open_hook(&h);
	ck_assert_uint_eq(h.qlen - h.qhead, 10);
	queued_is(&h, 9, 10, HK_UPDATE, "a/rather/long/path/9");
	ck_assert_uint_eq(h.seq, 11);
	close_hook(&h);
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
	tc = tcase_create("journal");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, journal_replay_torn);
	tcase_add_test(tc, journal_drained_keeps_number);
	tcase_add_test(tc, journal_foreign_or_none);
	tcase_add_test(tc, journal_off_until_rewritten);
	suite_add_tcase(s, tc);
	return s;
}
