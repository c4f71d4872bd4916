/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "connector.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"

/* rsync's daemon writes its compat flags, its checksum and compression
 * lists and its checksum seed as separate small writes, with no request
 * from the client in between.  A daemon without `socket options =
 * TCP_NODELAY` (most of them) holds each such write until the previous one
 * is acknowledged, and the client, which has nothing to send, acknowledges
 * only when its delayed-ACK timer fires: 40 ms per push on Linux.  rsync
 * cannot ask for quick ACKs (its --sockopts has no TCP_QUICKACK), so the
 * worker connects through this connector: rsync runs it as its remote shell
 * ("daemon over a remote shell", the same protocol on the wire) and it
 * acknowledges every read at once.  TCP_QUICKACK does not stick, hence
 * after each read. */

void
connector_socket_ready(int fd)
{
	int on = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
}

/* One address; errno says why not. */
static int
try_connect(const struct addrinfo *a, int timeout_ms)
{
	int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
	int err = 0, e;
	socklen_t len = sizeof err;

	if (fd < 0)
		return -1;
	if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int rc = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
		if (rc == 0)
			errno = ETIMEDOUT;
		if (rc <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			goto fail;
		if (err) {
			errno = err;
			goto fail;
		}
	}
	connector_socket_ready(fd);
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

static int
connect_to(const char *host, const char *port, int timeout_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int rc = getaddrinfo(host, port, &hints, &res), fd = -1;

	if (rc) {
		fprintf(stderr, "syncd connector: %s port %s: %s\n", host, port, gai_strerror(rc));
		return -1;
	}
	for (const struct addrinfo *a = res; a && fd < 0; a = a->ai_next)
		fd = try_connect(a, timeout_ms);
	if (fd < 0)
		fprintf(stderr, "syncd connector: failed to connect to %s port %s: %s\n", host, port,
		    strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* Whether the environment has the variable NAME=VALUE says. */
static bool
env_says(const char *name_value)
{
	size_t n = strcspn(name_value, "=");
	char name[64];

	snprintf(name, sizeof name, "%.*s", (int)n, name_value);
	const char *v = getenv(name);
	return v && !strcmp(v, name_value + n + 1);
}

/* The socket to the worker, which keeps it until a run takes it. */
static int
hand_over(int fd)
{
	char byte = 0, ctl[CMSG_SPACE(sizeof fd)];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
		.msg_controllen = sizeof ctl };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	memset(ctl, 0, sizeof ctl);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof fd);
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	if (sendmsg(CHILD_PASS_FD, &m, MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "syncd connector: handing the connection over: %s\n", strerror(errno));
		return 255;
	}
	return 0;
}

/* The connection opened ahead, if this run was given one. */
static int
connected_fd(void)
{
	int type, domain;
	socklen_t len = sizeof type, dlen = sizeof domain;

	if (!env_says(CONNECTOR_FD_ENV))
		return -1;
	if (getsockopt(CHILD_PASS_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM ||
	    getsockopt(CHILD_PASS_FD, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) < 0 ||
	    (domain != AF_INET && domain != AF_INET6)) {
		fprintf(stderr, "syncd connector: descriptor %d: not a connection\n", CHILD_PASS_FD);
		return -1;
	}
	return CHILD_PASS_FD;
}

int
connector_main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "syncd connector: usage: syncd --rsyncd-connect HOST PORT TIMEOUT_S [rsync's words]\n");
		return 2;
	}
	int timeout_ms = atoi(argv[2]) * 1000;
	int fd = connected_fd();
	if (fd < 0)
		fd = connect_to(argv[0], argv[1], timeout_ms);
	if (fd >= 0 && env_says(CONNECTOR_OPEN_ENV))
		return hand_over(fd);
	if (fd < 0) {
		/* rsync writes before it reads: taking that until rsync ends
		 * keeps its write from failing (EPIPE, "protocol data stream",
		 * code 12) now and then; with nothing to read it says "did not
		 * see server greeting" (code 5) every time. */
		char b[4096];
		ssize_t n;
		close(1);
		while ((n = read(0, b, sizeof b)) > 0 || (n < 0 && errno == EINTR))
			;
		return 255;	/* what ssh says when it cannot connect */
	}
	/* rsync waits for its remote shell in steps of 20 ms once the
	 * transfer is over, and this process would end only just after that:
	 * 20 ms more per push.  Connected, it ends now and a child of its
	 * own copies the bytes, in the same process group (the worker's stall
	 * watch, its kill).  Its pipes end it with rsync. */
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "syncd connector: fork: %s\n", strerror(errno));
		return 255;
	}
	if (pid > 0)
		return 0;

	struct pollfd p[2] = { { .fd = 0, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
	char buf[65536];
	int on = 1;
	for (;;) {
		/* rsync's --timeout ends rsync, not this process: a daemon
		 * that went silent (a link that black-holes) must not keep it
		 * waiting forever.  A live run sends keep-alives at half the
		 * timeout. */
		int rc = poll(p, 2, timeout_ms > 0 ? 2 * timeout_ms : -1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			fprintf(stderr, "syncd connector: %s: %s\n", argv[0],
			    rc ? strerror(errno) : "nothing moved for twice the timeout");
			return 255;
		}
		if (p[1].revents) {
			ssize_t n = read(fd, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				fprintf(stderr, "syncd connector: read from %s: %s\n", argv[0], strerror(errno));
				return 255;
			}
			if (n == 0)
				return 0;	/* the daemon is done: rsync reads the end */
			setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
			if (write_all(1, buf, (size_t)n) < 0)
				return 255;	/* rsync is gone */
		}
		if (p[0].revents) {
			ssize_t n = read(0, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				/* rsync has said all it will; the daemon's end
				 * still comes. */
				shutdown(fd, SHUT_WR);
				p[0].fd = -1;
				continue;
			}
			if (write_all(fd, buf, (size_t)n) < 0) {
				fprintf(stderr, "syncd connector: write to %s: %s\n", argv[0], strerror(errno));
				return 255;
			}
		}
	}
}
