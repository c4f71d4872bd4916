/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sdnotify.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
sdnotify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n;

	if (!path || !*path)
		return 0;
	/* A path, or "@name" for the abstract namespace; systemd's vsock
	 * addresses are for virtual machines' guests, which a worker is not. */
	if (*path != '/' && *path != '@') {
		errno = EAFNOSUPPORT;
		return -1;
	}
	n = strlen(path);
	if (n >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, n);
	if (*path == '@')
		sa.sun_path[0] = '\0';

	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ssize_t sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	int e = errno;
	close(fd);
	errno = e;
	return sent < 0 ? -1 : 1;
}

/* The decimal number in NAME, 0 when absent or not one. */
static uint64_t
env_number(const char *name)
{
	const char *s = getenv(name);
	char *end;

	if (!s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	uintmax_t v = strtoumax(s, &end, 10);
	return errno || *end ? 0 : (uint64_t)v;
}

uint64_t
sdnotify_watchdog_usec(void)
{
	uint64_t pid = env_number("WATCHDOG_PID");

	/* Set by a supervisor for its main process: a child that inherited
	 * it is not the one watched. */
	if (getenv("WATCHDOG_PID") && pid != (uint64_t)getpid())
		return 0;
	return env_number("WATCHDOG_USEC");
}
