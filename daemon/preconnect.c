/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "preconnect.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "connector.h"
#include "log.h"
#include "strv.h"

static void timer_due(void *ctx);

int
preconn_init(struct preconn *p, struct loop *l, const struct remote_conf *rc, char **argv,
    char *learn_path)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV }, *res;
	char port[16];

	memset(p, 0, sizeof *p);
	p->loop = l;
	p->name = rc->name;
	p->argv = argv;
	p->learn_path = learn_path;
	p->connect_ms = rc->timeout_ms;
	p->keep_ms = rc->preconnect_ms;
	p->fd = p->sock = -1;
	snprintf(port, sizeof port, "%u", rc->port ? rc->port : 873);
	/* Numeric only: this never asks a resolver. */
	if (getaddrinfo(rc->host, port, &hints, &res) == 0) {
		if (res->ai_addrlen <= sizeof p->addr) {
			memcpy(&p->addr, res->ai_addr, res->ai_addrlen);
			p->addr_len = res->ai_addrlen;
		}
		freeaddrinfo(res);
	}
	/* Without preconnect it only reads the opening for runs to send. */
	return p->keep_ms ? timer_init(l, &p->idle, timer_due, p) : 0;
}

static void
forget(struct preconn *p)
{
	loop_del(p->loop, &p->io);
	timer_disarm(&p->idle);
	connector_socket_close(p->fd);
	p->fd = -1;
	p->connecting = false;
}

/* Closes the connection kept, unused. */
static void
drop(struct preconn *p, const char *why)
{
	if (p->fd < 0 || p->connecting)
		return;
	forget(p);
	log_debug("%s: connection opened ahead closed after %llums: %s", p->name,
	    (unsigned long long)(now_ms() - p->opened_at), why);
}

void
preconn_close(struct preconn *p)
{
	p->closed = true;
	if (p->opener)
		child_kill(p->opener, SIGKILL);
	if (p->connecting)
		forget(p);
	drop(p, "stopping");
}

void
preconn_free(struct preconn *p)
{
	p->opener = NULL;	/* gone: child_kill_all() forgets every child */
	preconn_close(p);
	timer_close(&p->idle);
	if (p->sock >= 0)
		close(p->sock);
	strv_free(p->argv);
	free(p->learn_path);
}

static void
hung_up(void *ctx, uint32_t events)
{
	(void)events;
	drop(ctx, "the daemon hung up");
}

/* fd is open: the opening sent, kept, watched, for keep_ms.  One whose
 * handshake was sent again would hand the run a timeout of a second or more
 * for its lost segments (connector_socket_resent): closed, and another
 * opened in its place; should that one be resent too, the run connects
 * itself. */
static void
keep(struct preconn *p, int fd)
{
	p->fd = -1;
	p->connecting = false;
	if (connector_socket_resent(fd)) {
		p->resent = !p->resent;
		connector_socket_close(fd);
		log_debug("%s: connection opened ahead closed: its handshake was sent again; %s", p->name,
		    p->resent ? "opening another" : "the run connects itself");
		if (p->resent)
			preconn_open(p);
		return;
	}
	p->resent = false;
	if (p->ahead_len) {
		/* A few hundred bytes into an empty socket buffer: all of
		 * them, or a connection the daemon would misread. */
		ssize_t n = send(fd, p->ahead, p->ahead_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n != (ssize_t)p->ahead_len) {
			log_debug("%s: connection opened ahead closed: sending the opening: %s", p->name,
			    n < 0 ? strerror(errno) : "short write");
			connector_socket_close(fd);
			return;
		}
	}
	/* EPOLLRDHUP alone: the greeting waiting in it is not an event. */
	if (loop_add(p->loop, &p->io, fd, EPOLLRDHUP, hung_up, p) < 0) {
		connector_socket_close(fd);
		return;
	}
	p->fd = fd;
	p->opened_at = now_ms();
	timer_arm(&p->idle, p->keep_ms);
	log_debug("%s: connection opened ahead, %zu bytes of the opening sent", p->name, p->ahead_len);
}

static void
timer_due(void *ctx)
{
	struct preconn *p = ctx;

	if (!p->connecting) {
		drop(p, "kept long enough");
		return;
	}
	log_debug("%s: no connection opened ahead: no answer in %llums", p->name,
	    (unsigned long long)p->connect_ms);
	forget(p);
}

static void
connected(void *ctx, uint32_t events)
{
	struct preconn *p = ctx;
	int err = 0, fd = p->fd;
	socklen_t len = sizeof err;

	(void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		log_debug("%s: no connection opened ahead: %s", p->name, strerror(err));
		forget(p);
		return;
	}
	loop_del(p->loop, &p->io);
	timer_disarm(&p->idle);
	connector_socket_ready(fd);
	keep(p, fd);
}

/* To an address: the worker's own connect, without blocking. */
static void
connect_addr(struct preconn *p)
{
	int fd = connector_socket(p->addr.ss_family);

	if (fd < 0) {
		log_warn("%s: socket for a connection opened ahead: %s", p->name, strerror(errno));
		return;
	}
	if (connect(fd, (const struct sockaddr *)&p->addr, p->addr_len) < 0 && errno != EINPROGRESS) {
		log_debug("%s: no connection opened ahead: %s", p->name, strerror(errno));
		close(fd);
		return;
	}
	if (loop_add(p->loop, &p->io, fd, EPOLLOUT, connected, p) < 0) {
		close(fd);
		return;
	}
	p->fd = fd;
	p->connecting = true;
	timer_arm(&p->idle, p->connect_ms);
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
	if (fd >= 0 && status == 0 && !p->closed) {
		keep(p, fd);
		return;
	}
	if (fd >= 0)
		connector_socket_close(fd);
	log_debug("%s: no connection opened ahead: %s", p->name, c->tail);
}

/* To a name: the connector resolves it and connects. */
static void
spawn_opener(struct preconn *p)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("%s: socketpair for a connection opened ahead: %s", p->name, strerror(errno));
		return;
	}
	char **env = child_env_with((const char *[]){ CONNECTOR_OPEN_ENV, NULL });
	if (env)
		p->opener = child_spawn(p->loop, p->argv, env, sv[1], NULL, 0, "preconnect", opened, p);
	strv_free(env);
	close(sv[1]);
	if (p->opener)
		p->sock = sv[0];
	else
		close(sv[0]);
}

/* The opening the remote's last push kept, if it is one. */
static void
read_opening(struct preconn *p)
{
	int fd = open(p->learn_path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, p->ahead, sizeof p->ahead);

	if (fd >= 0)
		close(fd);
	p->ahead_len = n > 0 && opening_len(p->ahead, (size_t)n) == n ? (size_t)n : 0;
}

/* No connection for the run (none open, or the open one is left to a
 * push): a push sends the opening with its own connect (one round trip for
 * the handshake, then the daemon's answers come together), -1.  One opened
 * ahead and still connecting has not sent its opening: read again, it is
 * the same or newer. */
static int
send_with_connect(struct preconn *p, bool push, size_t *sent_len)
{
	if (!push)
		return -1;
	read_opening(p);
	*sent_len = p->ahead_len;
	p->sent_ahead += p->ahead_len > 0;
	if (p->ahead_len)
		log_debug("%s: the run sends %zu bytes of its opening with its connect", p->name,
		    p->ahead_len);
	return -1;
}

void
preconn_open(struct preconn *p)
{
	if (p->fd >= 0 || p->opener || p->closed || !p->keep_ms)
		return;
	read_opening(p);
	if (p->addr_len)
		connect_addr(p);
	else
		spawn_opener(p);
}

int
preconn_take(struct preconn *p, bool push, const char **sent, size_t *sent_len)
{
	char b;

	*sent = p->ahead;
	*sent_len = 0;
	if (p->fd < 0 || p->connecting || (p->ahead_len && !push))
		return send_with_connect(p, push, sent_len);
	/* A hang-up not seen yet (this round's events) ends it here. */
	ssize_t n = recv(p->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		drop(p, "the daemon hung up");
		return send_with_connect(p, push, sent_len);
	}
	int fd = p->fd;
	loop_del(p->loop, &p->io);
	timer_disarm(&p->idle);
	p->fd = -1;
	p->taken++;
	p->sent_ahead += p->ahead_len > 0;
	*sent_len = p->ahead_len;
	log_debug("%s: the run takes the connection opened %llums ago, %zu bytes of its opening sent",
	    p->name, (unsigned long long)(now_ms() - p->opened_at), p->ahead_len);
	return fd;
}
