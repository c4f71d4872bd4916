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

/* One request of ctl_request_all. */
#define SKIPPED (-1)	/* err of one not asked (no path) */
struct ask {
	int fd;		/* -1: answered or failed */
	size_t off;	/* of the request and its newline, sent */
	struct buf b;
	int err;
};

/* One step of a on a ready socket: 1 more to do, 0 answered, -1 failed. */
static int
ask_step(struct ask *a, const char *request, size_t len)
{
	char chunk[4096];
	ssize_t r;

	while (a->off <= len) {
		/* the request, then its newline */
		const char *p = a->off < len ? request + a->off : "\n";
		size_t n = a->off < len ? len - a->off : 1;
		ssize_t w = send(a->fd, p, n, MSG_NOSIGNAL);
		if (w > 0)
			a->off += (size_t)w;
		else if (w < 0 && errno == EINTR)
			continue;
		else
			return w < 0 && errno == EAGAIN ? 1 : -1;
	}
	while ((r = recv(a->fd, chunk, sizeof chunk, 0)) > 0)
		buf_put(&a->b, chunk, (size_t)r);
	if (r == 0)
		return 0;
	return errno == EAGAIN || errno == EINTR ? 1 : -1;
}

static void
ask_end(struct ask *a, int err)
{
	close(a->fd);
	a->fd = -1;
	a->err = err;
}

void
ctl_request_all(char *const *paths, size_t n, const char *request, int timeout_ms, char **replies)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	size_t len = strlen(request), left = 0;
	struct ask *asks = calloc(n, sizeof *asks);
	struct pollfd *pfd = calloc(n, sizeof *pfd);
	int e = 0;

	for (size_t i = 0; i < n; i++)
		replies[i] = NULL;
	if (!n) {
		free(asks);
		free(pfd);
		return;
	}
	if (!asks || !pfd) {
		free(asks);
		free(pfd);
		errno = ENOMEM;
		return;
	}
	/* a full backlog (EAGAIN) is an answer too: busy */
	for (size_t i = 0; i < n; i++) {
		asks[i].fd = paths[i] ? connect_to(paths[i]) : -1;
		asks[i].err = !paths[i] ? SKIPPED : asks[i].fd < 0 ? errno : 0;
		left += asks[i].fd >= 0;
	}
	/* All at once, under one deadline: each stopped worker would cost the
	 * whole timeout asked one after the other. */
	while (left) {
		uint64_t now = now_ms();
		size_t np = 0;
		for (size_t i = 0; i < n; i++)
			if (asks[i].fd >= 0) {
				int st = ask_step(&asks[i], request, len);
				if (st <= 0) {
					ask_end(&asks[i], st < 0 ? errno : 0);
					left--;
				} else {
					pfd[np++] = (struct pollfd){ asks[i].fd,
					    asks[i].off <= len ? POLLOUT : POLLIN, 0 };
				}
			}
		if (!left)
			break;
		if (now >= deadline) {
			for (size_t i = 0; i < n; i++)
				if (asks[i].fd >= 0)
					ask_end(&asks[i], ETIMEDOUT);
			break;
		}
		if (poll(pfd, np, (int)(deadline - now)) < 0 && errno != EINTR) {
			e = errno;
			for (size_t i = 0; i < n; i++)
				if (asks[i].fd >= 0)
					ask_end(&asks[i], e);
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct ask *a = &asks[i];
		if (a->err == SKIPPED)
			continue;
		if (!a->err) {
			buf_put(&a->b, "", 1);
			if (!a->b.oom) {
				replies[i] = a->b.p;
				continue;
			}
			a->err = ENOMEM;
		}
		buf_free(&a->b);
		e = a->err;
	}
	free(asks);
	free(pfd);
	errno = e;
}

char *
ctl_request(const char *path, const char *request, int timeout_ms)
{
	char *reply;

	ctl_request_all((char *const *)&path, 1, request, timeout_ms, &reply);
	return reply;
}
