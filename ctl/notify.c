/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "notify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define MSG_MAX 4096
#define FDS_MAX 16

struct notify {
	struct loop *loop;
	struct io io;
	char *path;
	notify_fn fn;
	void *ctx;
};

static void
on_message(void *ctx, uint32_t events)
{
	struct notify *n = ctx;
	char buf[MSG_MAX + 1];
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * FDS_MAX)];
	} ctl;

	(void)events;
	for (;;) {
		struct iovec iov = { buf, MSG_MAX };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
			.msg_controllen = sizeof ctl };
		ssize_t len = recvmsg(n->io.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("notify socket %s: %s", n->path, strerror(errno));
			return;
		}
		pid_t pid = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET)
				continue;
			if (c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
				struct ucred cred;
				memcpy(&cred, CMSG_DATA(c), sizeof cred);
				pid = cred.pid;
			} else if (c->cmsg_type == SCM_RIGHTS) {
				/* No fd store here: do not keep what is sent. */
				size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t i = 0; i < nfd; i++) {
					int fd;
					memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
					close(fd);
				}
			}
		}
		if (pid <= 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
			continue;
		buf[len] = '\0';
		if (memchr(buf, '\0', (size_t)len))
			continue;
		n->fn(n->ctx, pid, buf);
	}
}

void
notify_drain(struct notify *n)
{
	on_message(n, EPOLLIN);
}

struct notify *
notify_open(struct loop *l, const char *path, notify_fn fn, void *ctx)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct notify *n = calloc(1, sizeof *n);
	int fd = -1, one = 1;

	if (!n)
		return NULL;
	if (strlen(path) >= sizeof sa.sun_path) {
		log_err("notify socket %s: path too long", path);
		free(n);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(path);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, 0600) < 0) {
		log_err("notify socket %s: %s", path, strerror(errno));
		goto fail;
	}
	n->loop = l;
	n->fn = fn;
	n->ctx = ctx;
	n->path = strdup(path);
	if (!n->path || loop_add(l, &n->io, fd, EPOLLIN, on_message, n) < 0)
		goto fail;
	return n;
fail:
	if (fd >= 0)
		close(fd);
	free(n->path);
	free(n);
	return NULL;
}

void
notify_close(struct notify *n)
{
	if (!n)
		return;
	loop_del(n->loop, &n->io);
	close(n->io.fd);
	unlink(n->path);
	free(n->path);
	free(n);
}
