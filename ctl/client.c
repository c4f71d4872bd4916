/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "loop.h"

/* Waits for fd to be ready for events before the deadline. */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = now_ms();
		if (now >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd p = { fd, events, 0 };
		int n = poll(&p, 1, (int)(deadline - now));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* A non-blocking socket connected to path, or -1 (errno). */
static int
connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

bool
ctl_listening(const char *path)
{
	int fd = connect_to(path);

	if (fd < 0)
		return errno == EAGAIN;	/* a full backlog: busy, but there */
	close(fd);
	return true;
}

char *
ctl_request(const char *path, const char *request, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	struct buf b = { 0 };
	size_t len = strlen(request), off = 0;
	int fd, e;

	/* a full backlog (EAGAIN) is an answer too: busy */
	if ((fd = connect_to(path)) < 0)
		return NULL;
	while (off <= len) {
		/* the request, then its newline */
		const char *p = off < len ? request + off : "\n";
		size_t n = off < len ? len - off : 1;
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, deadline) == 0)
			continue;
		goto fail;
	}
	for (;;) {
		char chunk[4096];
		ssize_t r = recv(fd, chunk, sizeof chunk, 0);
		if (r > 0) {
			buf_put(&b, chunk, (size_t)r);
			continue;
		}
		if (r == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && wait_fd(fd, POLLIN, deadline) == 0)
			continue;
		goto fail;
	}
	close(fd);
	buf_put(&b, "", 1);
	if (b.oom) {
		buf_free(&b);
		errno = ENOMEM;
		return NULL;
	}
	return b.p;
fail:
	e = errno;
	close(fd);
	buf_free(&b);
	errno = e;
	return NULL;
}
