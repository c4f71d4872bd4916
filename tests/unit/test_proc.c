/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "suites.h"

struct found {
	pid_t pid;
	struct proc_ids ids;
	int n;
};

static void
find(const struct proc_ids *p, void *ctx)
{
	struct found *f = ctx;

	if (p->pid == f->pid) {
		f->ids = *p;
		f->n++;
	}
}

/* A process in a group of its own whose name holds ") 1 2 3": its ids
 * are read after the last ")". */
START_TEST(ids)
{
	int ready[2];
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_NAME, "x) R 1 2 3");
		if (write(ready[1], "", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	struct found f = { .pid = pid };
	ck_assert_int_eq(proc_each(find, &f), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ready[0]);
	close(ready[1]);
	ck_assert_int_eq(f.n, 1);
	ck_assert_int_eq(f.ids.pgrp, pid);
	ck_assert_int_eq(f.ids.session, getsid(0));
	ck_assert_msg(f.ids.state == 'S' || f.ids.state == 'R', "state '%c'", f.ids.state);
}
END_TEST

START_TEST(io)
{
	char buf[1000] = { 0 };
	int fd = open("/dev/null", O_WRONLY);
	long long before = proc_io(getpid());

	ck_assert_int_ge(before, 0);
	ck_assert_int_eq(write(fd, buf, sizeof buf), sizeof buf);
	close(fd);
	ck_assert_int_ge(proc_io(getpid()), before + (long long)sizeof buf);
	ck_assert_int_eq(proc_io(0), -1);
}
END_TEST

Suite *
proc_suite(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("proc");

	tcase_add_test(tc, ids);
	tcase_add_test(tc, io);
	suite_add_tcase(s, tc);
	return s;
}
