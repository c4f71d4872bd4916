/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "preconnect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connector.h"
#include "log.h"
#include "strv.h"

static void keep_over(void *ctx);

int
preconn_init(struct preconn *p, struct loop *l, const char *name, char **argv,
    uint64_t keep_ms)
{
	memset(p, 0, sizeof *p);
	p->loop = l;
	p->name = name;
	p->argv = argv;
	p->keep_ms = keep_ms;
	p->fd = p->sock = -1;
	return timer_init(l, &p->idle, keep_over, p);
}

/* Closes the connection kept, unused. */
static void
drop(struct preconn *p, const char *why)
{
	if (p->fd < 0)
		return;
	loop_del(p->loop, &p->io);
	timer_disarm(&p->idle);
	close(p->fd);
	p->fd = -1;
	p->dropped++;
	log_debug("%s: connection opened ahead closed after %llums: %s", p->name,
	    (unsigned long long)(now_ms() - p->opened_at), why);
}

void
preconn_free(struct preconn *p)
{
	drop(p, "stopping");
	timer_close(&p->idle);
	if (p->sock >= 0)
		close(p->sock);
	/* An opener still running dies with the worker's other children
	 * (child_kill_all), which forgets it. */
	strv_free(p->argv);
}

static void
keep_over(void *ctx)
{
	drop(ctx, "kept long enough");
}

static void
hung_up(void *ctx, uint32_t events)
{
	(void)events;
	drop(ctx, "the daemon hung up");
}

/* The socket the opener sent, or -1. */
static int
received(int sock)
{
	char byte, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
		.msg_controllen = sizeof ctl };
	int fd = -1;

	if (recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof fd))
		memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

static void
opened(struct child *c, int status, void *ctx)
{
	struct preconn *p = ctx;
	int fd = received(p->sock);

	p->opener = NULL;
	close(p->sock);
	p->sock = -1;
	if (fd < 0 || status != 0) {
		if (fd >= 0)
			close(fd);
		log_debug("%s: no connection opened ahead: %s", p->name, c->tail);
		return;
	}
	/* EPOLLRDHUP alone: the greeting waiting in it is not an event. */
	if (loop_add(p->loop, &p->io, fd, EPOLLRDHUP, hung_up, p) < 0) {
		close(fd);
		return;
	}
	p->fd = fd;
	p->opened_at = now_ms();
	timer_arm(&p->idle, p->keep_ms);
}

void
preconn_open(struct preconn *p)
{
	int sv[2];

	if (p->fd >= 0 || p->opener)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("%s: socketpair for a connection opened ahead: %s", p->name, strerror(errno));
		return;
	}
	char **env = child_env_with(CONNECTOR_OPEN_ENV);
	if (env)
		p->opener = child_spawn(p->loop, p->argv, env, sv[1], NULL, 0, "preconnect", opened, p);
	strv_free(env);
	close(sv[1]);
	if (p->opener)
		p->sock = sv[0];
	else
		close(sv[0]);
}

int
preconn_take(struct preconn *p)
{
	char b;

	if (p->fd < 0)
		return -1;
	/* A hang-up not seen yet (this round's events) ends it here. */
	ssize_t n = recv(p->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		drop(p, "the daemon hung up");
		return -1;
	}
	int fd = p->fd;
	loop_del(p->loop, &p->io);
	timer_disarm(&p->idle);
	p->fd = -1;
	p->taken++;
	log_debug("%s: the run takes the connection opened %llums ago", p->name,
	    (unsigned long long)(now_ms() - p->opened_at));
	return fd;
}
