/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"
#include "suites.h"

/* A receiving socket at ADDR ("/path" or "@abstract"), as a supervisor
 * binds it. */
static int
listen_at(const char *addr)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(addr);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memcpy(sa.sun_path, addr, n);
	if (*addr == '@')
		sa.sun_path[0] = '\0';
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un,
	    sun_path) + n)), 0);
	return fd;
}

static void
check_received(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);

	ck_assert_int_eq(n, (ssize_t)strlen(want));
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

START_TEST(no_supervisor)
{
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(sdnotify_send("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	ck_assert_int_eq(sdnotify_send("READY=1"), 0);
}
END_TEST

START_TEST(to_a_path)
{
	char dir[] = "/tmp/sdnotify-XXXXXX", path[64];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/notify", dir);
	int fd = listen_at(path);
	setenv("NOTIFY_SOCKET", path, 1);
	ck_assert_int_eq(sdnotify_send("READY=1"), 1);
	check_received(fd, "READY=1");
	ck_assert_int_eq(sdnotify_send("STATUS=a status with spaces"), 1);
	check_received(fd, "STATUS=a status with spaces");
	close(fd);
	unlink(path);
	rmdir(dir);
	/* Nobody there any more: an error, not a crash or a hang. */
	ck_assert_int_eq(sdnotify_send("WATCHDOG=1"), -1);
	ck_assert_int_eq(errno, ENOENT);
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

START_TEST(to_an_abstract_name)
{
	char name[64];

	snprintf(name, sizeof name, "@syncd-sdnotify-test-%d", (int)getpid());
	int fd = listen_at(name);
	setenv("NOTIFY_SOCKET", name, 1);
	ck_assert_int_eq(sdnotify_send("STOPPING=1"), 1);
	check_received(fd, "STOPPING=1");
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

START_TEST(not_an_address)
{
	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	ck_assert_int_eq(sdnotify_send("READY=1"), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	char longpath[200];
	memset(longpath, 'x', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	setenv("NOTIFY_SOCKET", longpath, 1);
	ck_assert_int_eq(sdnotify_send("READY=1"), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

START_TEST(watchdog)
{
	char pid[32];

	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	ck_assert_uint_eq(sdnotify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "3000000", 1);
	ck_assert_uint_eq(sdnotify_watchdog_usec(), 3000000);
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert_uint_eq(sdnotify_watchdog_usec(), 3000000);
	/* Inherited from a parent that is the one watched. */
	snprintf(pid, sizeof pid, "%d", (int)getppid());
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert_uint_eq(sdnotify_watchdog_usec(), 0);
	setenv("WATCHDOG_PID", "x", 1);
	ck_assert_uint_eq(sdnotify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "3s", 1);
	ck_assert_uint_eq(sdnotify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "-5", 1);
	ck_assert_uint_eq(sdnotify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}
END_TEST

Suite *
sdnotify_suite(void)
{
	Suite *s = suite_create("sdnotify");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, no_supervisor);
	tcase_add_test(tc, to_a_path);
	tcase_add_test(tc, to_an_abstract_name);
	tcase_add_test(tc, not_an_address);
	tcase_add_test(tc, watchdog);
	suite_add_tcase(s, tc);
	return s;
}
