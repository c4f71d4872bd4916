/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The watch core driven with synthetic events on a temporary tree, through
 * a backend that hands out one id per directory (by inode, as inotify's wd
 * is per inode) and delivers nothing itself. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "changeset.h"
#include "filter.h"
#include "suites.h"
#include "test_util.h"
#include "watch.h"

static char root[256];
static struct config cfg;
static struct loop loop;
static struct watch w;

static ino_t inodes[256];		/* id - 1 -> inode */
static int nids, removed;

#define MAXCH 64
static struct {
	char path[256];
	unsigned kind;
} ch[MAXCH];
static int nch, nlost, nfatal;
static char moved_from[256], moved_to[256];

static int
fake_open(struct watch *wt)
{
	return 0;
}

static int
fake_add_dir(struct watch *wt, const char *abs)
{
	struct stat st;

	if (lstat(abs, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	for (int i = 0; i < nids; i++)
		if (inodes[i] == st.st_ino)
			return i + 1;
	ck_assert_int_lt(nids, 256);
	inodes[nids++] = st.st_ino;
	return nids;
}

static void
fake_rm_dir(struct watch *wt, int wd)
{
	removed++;
}

static void
fake_read(struct watch *wt, int rounds)
{
}

static void
fake_close(struct watch *wt)
{
}

static const struct watch_backend fake = {
	"fake", fake_open, fake_add_dir, fake_rm_dir, fake_read, fake_close, NULL, 0,
};

static void
on_change(void *ctx, const char *rel, unsigned kind)
{
	ck_assert_int_lt(nch, MAXCH);
	snprintf(ch[nch].path, sizeof ch[nch].path, "%s", rel);
	ch[nch++].kind = kind;
}

static void
on_lost(void *ctx)
{
	nlost++;
}

static void
on_fatal(void *ctx)
{
	nfatal++;
}

static void
on_moved(void *ctx, const char *from, const char *to)
{
	snprintf(moved_from, sizeof moved_from, "%s", from);
	snprintf(moved_to, sizeof moved_to, "%s", to);
}

static const struct watch_ops ops = { on_change, on_lost, on_fatal, on_moved };

static bool
changed(const char *path, unsigned kind)
{
	for (int i = 0; i < nch; i++)
		if (!strcmp(ch[i].path, path) && ch[i].kind == kind)
			return true;
	return false;
}

static void
mk(const char *rel)
{
	char p[512];

	snprintf(p, sizeof p, "%s/%s", root, rel);
	tu_mkdir(p);
}

/* The id the fake gave the directory rel (which must be watched). */
static int
wd_of(const char *rel)
{
	struct pnode *n = *rel ? ptree_lookup(&w.dirs, rel) : &w.dirs.root;

	ck_assert_msg(n != NULL, "%s is not watched", rel);
	return n->ival;
}

static void
apply(int wd, const char *name, uint32_t mask, uint32_t cookie)
{
	struct wevent ev = { .mask = mask, .wd = wd, .name = name, .cookie = cookie };
	watch_apply(&w, &ev);
}

static void
stop_loop(void *ctx)
{
	((struct loop *)ctx)->stop = 1;
}

/* Runs the loop for ms: the core's timers fire. */
static void
run_for(uint64_t ms)
{
	struct timer t;

	ck_assert_int_eq(timer_init(&loop, &t, stop_loop, &loop), 0);
	timer_arm(&t, ms);
	loop.stop = 0;
	ck_assert_int_eq(loop_run(&loop), 0);
	timer_close(&t);
}

static void
setup(void)
{
	tu_mkdtemp(root, sizeof root);
	mk("a");
	mk("a/sub");
	mk("b");
	memset(&cfg, 0, sizeof cfg);
	cfg.source = root;
	cfg.events = EV_DEFAULT;
	cfg.filter = filter_new();
	ck_assert_int_eq(loop_init(&loop), 0);
	nids = removed = nch = nlost = nfatal = 0;
	moved_from[0] = moved_to[0] = '\0';
	ck_assert_int_eq(watch_open(&w, &loop, &cfg, &fake, &ops, NULL), 0);
	ck_assert_int_eq(watch_count(&w), 4);
	ck_assert_int_eq(nch, 0);
}

static void
teardown(void)
{
	watch_close(&w);
	loop_close(&loop);
	filter_free(cfg.filter);
	tu_rmtree(root);
}

START_TEST(lone_moved_from)
{
	char from[512], to[512];
	int sub = wd_of("a/sub");

	snprintf(from, sizeof from, "%s/a", root);
	snprintf(to, sizeof to, "%s.out", root);
	ck_assert_int_eq(rename(from, to), 0);
	apply(wd_of(""), "a", WE_MOVED_FROM | WE_ISDIR, 7);
	ck_assert(changed("a", CH_PATH | CH_GONE));
	ck_assert_int_eq(watch_count(&w), 4);	/* waiting for its pair */
	run_for(200);
	ck_assert_int_eq(watch_count(&w), 2);
	ck_assert_int_eq(removed, 2);		/* a and a/sub, still live out there */
	nch = 0;
	apply(sub, "f", WE_CLOSE_WRITE, 0);	/* trails behind: dropped */
	ck_assert_int_eq(nch, 0);
	snprintf(from, sizeof from, "%s.out/sub", root);
	rmdir(from);
	rmdir(to);
}
END_TEST

START_TEST(move_pair_split)
{
	char from[512], to[512];
	int sub = wd_of("a/sub");

	snprintf(from, sizeof from, "%s/a", root);
	snprintf(to, sizeof to, "%s/c", root);
	ck_assert_int_eq(rename(from, to), 0);
	/* One read ends after the MOVED_FROM; the loop runs in between. */
	apply(wd_of(""), "a", WE_MOVED_FROM | WE_ISDIR, 9);
	run_for(10);
	apply(wd_of(""), "c", WE_MOVED_TO | WE_ISDIR, 9);
	ck_assert(changed("a", CH_PATH | CH_GONE));
	ck_assert(changed("c", CH_DIR));
	ck_assert(changed("c/sub", CH_DIR));
	ck_assert_str_eq(moved_from, "a");
	ck_assert_str_eq(moved_to, "c");
	ck_assert_int_eq(watch_count(&w), 4);
	ck_assert_int_eq(removed, 0);
	run_for(100);				/* the grace is over: nothing goes */
	ck_assert_int_eq(watch_count(&w), 4);
	ck_assert_int_eq(wd_of("c/sub"), sub);
	nch = 0;
	apply(sub, "f", WE_CLOSE_WRITE, 0);	/* its watch reports the new name */
	ck_assert(changed("c/sub/f", CH_PATH));
}
END_TEST

START_TEST(ignored_after_unmount)
{
	/* A filesystem unmounted from a/ takes the watch with it (IN_IGNORED)
	 * while the directory underneath is there: watched and read again. */
	int a = wd_of("a");

	apply(a, NULL, WE_IGNORED, 0);
	ck_assert_int_eq(watch_count(&w), 4);
	ck_assert(changed("a", CH_DIR));
	ck_assert(changed("a/sub", CH_DIR));
	ck_assert_int_eq(nfatal, 0);
	/* Deleted instead: it goes. */
	char p[512];
	snprintf(p, sizeof p, "%s/b", root);
	ck_assert_int_eq(rmdir(p), 0);
	apply(wd_of("b"), NULL, WE_IGNORED, 0);
	ck_assert_int_eq(watch_count(&w), 3);
	/* The root's own: mirroring cannot go on. */
	apply(wd_of(""), NULL, WE_IGNORED, 0);
	ck_assert_int_eq(nfatal, 1);
}
END_TEST

START_TEST(dir_becomes_file)
{
	char p[512];
	int b = wd_of("b");

	snprintf(p, sizeof p, "%s/b", root);
	ck_assert_int_eq(rmdir(p), 0);
	tu_write(p, "now a file\n", 0644);
	apply(b, NULL, WE_IGNORED, 0);
	apply(wd_of(""), "b", WE_DELETE | WE_ISDIR, 0);
	apply(wd_of(""), "b", WE_CREATE, 0);
	apply(wd_of(""), "b", WE_CLOSE_WRITE, 0);
	ck_assert_int_eq(watch_count(&w), 3);
	ck_assert(ptree_lookup(&w.dirs, "b") == NULL);
	ck_assert(changed("b", CH_PATH | CH_GONE));
	ck_assert(changed("b", CH_PATH));
	/* And back: a directory where the file was is watched and read. */
	ck_assert_int_eq(unlink(p), 0);
	mk("b");
	mk("b/x");
	nch = 0;
	apply(wd_of(""), "b", WE_DELETE, 0);
	apply(wd_of(""), "b", WE_CREATE | WE_ISDIR, 0);
	ck_assert_int_eq(watch_count(&w), 5);
	ck_assert(changed("b", CH_DIR));
	ck_assert(changed("b/x", CH_DIR));
}
END_TEST

START_TEST(overflow_lost)
{
	mk("b/new");
	apply(-1, NULL, WE_OVERFLOW, 0);
	ck_assert_int_eq(nlost, 1);
	ck_assert_int_eq(nch, 0);		/* the full sync covers it all */
	ck_assert_int_eq(watch_count(&w), 5);	/* and the rescan watches what came */
	ck_assert_int_ne(wd_of("b/new"), 0);
}
END_TEST

START_TEST(excluded_dir)
{
	ck_assert_int_eq(filter_add_glob(cfg.filter, "skip/"), 0);
	mk("skip");
	mk("skip/deep");
	apply(wd_of(""), "skip", WE_CREATE | WE_ISDIR, 0);
	ck_assert_int_eq(nch, 0);
	ck_assert_int_eq(watch_count(&w), 4);
	ck_assert_int_eq(watch_count_tree(&cfg), 4);
}
END_TEST

/* A backend that names directories by path (as fanotify does): no tree. */
static const struct watch_backend by_path = {
	"by-path", fake_open, NULL, NULL, fake_read, fake_close, NULL, 0,
};

static void
setup_by_path(void)
{
	tu_mkdtemp(root, sizeof root);
	mk("a");
	mk("a/sub");
	memset(&cfg, 0, sizeof cfg);
	cfg.source = root;
	cfg.events = EV_DEFAULT;
	cfg.filter = filter_new();
	ck_assert_int_eq(filter_add_glob(cfg.filter, "skip/"), 0);
	ck_assert_int_eq(loop_init(&loop), 0);
	nids = removed = nch = nlost = nfatal = 0;
	moved_from[0] = moved_to[0] = '\0';
	ck_assert_int_eq(watch_open(&w, &loop, &cfg, &by_path, &ops, NULL), 0);
	ck_assert_int_eq(watch_count(&w), 0);
	ck_assert_int_eq(nids, 0);		/* nothing read at the start */
}

static void
apply_at(const char *dir, const char *name, uint32_t mask, uint32_t cookie)
{
	struct wevent ev = { .mask = mask, .wd = -1, .dir = dir, .name = name, .cookie = cookie };
	watch_apply(&w, &ev);
}

START_TEST(path_move_pair)
{
	char from[512], to[512];

	snprintf(from, sizeof from, "%s/a", root);
	snprintf(to, sizeof to, "%s/c", root);
	ck_assert_int_eq(rename(from, to), 0);
	apply_at("", "a", WE_MOVED_FROM | WE_ISDIR, 3);
	apply_at("", "c", WE_MOVED_TO | WE_ISDIR, 3);
	ck_assert(changed("a", CH_PATH | CH_GONE));
	ck_assert(changed("c", CH_DIR));
	ck_assert(changed("c/sub", CH_DIR));	/* walked: no event says it */
	ck_assert_str_eq(moved_from, "a");
	ck_assert_str_eq(moved_to, "c");
	nch = 0;
	apply_at("c/sub", "f", WE_CLOSE_WRITE, 0);
	ck_assert(changed("c/sub/f", CH_PATH));
}
END_TEST

START_TEST(path_excluded_and_root)
{
	mk("skip");
	mk("skip/deep");
	apply_at("", "skip", WE_CREATE | WE_ISDIR, 0);
	ck_assert_int_eq(nch, 0);
	ck_assert(watch_dir_excluded(&w, "skip/deep"));
	ck_assert(!watch_dir_excluded(&w, "a/sub"));
	apply_at("", NULL, WE_OVERFLOW, 0);
	ck_assert_int_eq(nlost, 1);
	apply_at("a", NULL, WE_SELF_GONE, 0);	/* not the root: its parent says it */
	ck_assert_int_eq(nfatal, 0);
	apply_at("", NULL, WE_SELF_GONE, 0);
	ck_assert_int_eq(nfatal, 1);
}
END_TEST

/* A backend that hears a whole filesystem (fanotify) reads with
 * coalesce_ms: its fd here is a pipe that stays readable (nothing drains
 * it), a flood of events. */
static int pipefd[2], nreads;

static int
pipe_open(struct watch *wt)
{
	ck_assert_int_eq(pipe(pipefd), 0);
	wt->fd = pipefd[0];
	return 0;
}

static void
pipe_read(struct watch *wt, int rounds)
{
	nreads++;
}

static void
pipe_close(struct watch *wt)
{
	close(pipefd[0]);
	close(pipefd[1]);
}

static const struct watch_backend coalesced = {
	"coalesced", pipe_open, NULL, NULL, pipe_read, pipe_close, NULL, 10,
};

static void
setup_coalesced(void)
{
	tu_mkdtemp(root, sizeof root);
	memset(&cfg, 0, sizeof cfg);
	cfg.source = root;
	cfg.events = EV_DEFAULT;
	cfg.filter = filter_new();
	ck_assert_int_eq(loop_init(&loop), 0);
	nreads = 0;
	ck_assert_int_eq(watch_open(&w, &loop, &cfg, &coalesced, &ops, NULL), 0);
}

/* The first event is read at once (it waited 10 ms before), then not
 * again for 10 ms, however many come. */
START_TEST(coalesced_reads)
{
	run_for(3);
	ck_assert_int_eq(nreads, 0);
	ck_assert_int_eq(write(pipefd[1], "x", 1), 1);
	run_for(3);
	ck_assert_int_eq(nreads, 1);
	run_for(100);
	ck_assert_int_ge(nreads, 2);
	ck_assert_int_le(nreads, 1 + 100 / 10 + 1);
}
END_TEST

Suite *
watch_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lone_moved_from);
	tcase_add_test(tc, move_pair_split);
	tcase_add_test(tc, ignored_after_unmount);
	tcase_add_test(tc, dir_becomes_file);
	tcase_add_test(tc, overflow_lost);
	tcase_add_test(tc, excluded_dir);
	suite_add_tcase(s, tc);
	tc = tcase_create("by path");
	tcase_add_checked_fixture(tc, setup_by_path, teardown);
	tcase_add_test(tc, path_move_pair);
	tcase_add_test(tc, path_excluded_and_root);
	suite_add_tcase(s, tc);
	tc = tcase_create("coalesced");
	tcase_add_checked_fixture(tc, setup_coalesced, teardown);
	tcase_add_test(tc, coalesced_reads);
	suite_add_tcase(s, tc);
	return s;
}
