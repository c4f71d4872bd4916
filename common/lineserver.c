/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lineserver.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define CLIENTS_MAX 32
/* Held clients may take this many of the CLIENTS_MAX: the others are kept
 * for status and the like, which are answered at once. */
#define HELD_MAX 24
#define IDLE_MS 5000
#define TICK_MS 100

struct lsclient {
	struct lineserver *srv;
	struct io io;
	char in[LINESERVER_REQUEST_MAX + 1];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	uint64_t deadline;	/* for the request, the answer, or the hold */
	bool held;
	void *data;
	struct lsclient *next;
};

struct lineserver {
	struct loop *loop;
	const struct lineserver_ops *ops;
	void *ctx;
	char *path;
	int fd;
	struct io io;
	struct timer tick;
	struct lsclient *clients;
	unsigned nclients, nheld;
};

static void
client_free(struct lsclient *cl)
{
	struct lineserver *s = cl->srv;

	for (struct lsclient **pp = &s->clients; *pp; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	s->nclients--;
	s->nheld -= cl->held;
	loop_del(s->loop, &cl->io);
	close(cl->io.fd);
	free(cl->out);
	free(cl);
}

static void
on_writable(void *ctx, uint32_t events)
{
	struct lsclient *cl = ctx;

	while (cl->outoff < cl->outlen) {
		ssize_t n = send(cl->io.fd, cl->out + cl->outoff, cl->outlen - cl->outoff, MSG_NOSIGNAL);
		if (n > 0) {
			cl->outoff += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && !(events & (EPOLLERR | EPOLLHUP)))
			return;
		break;
	}
	client_free(cl);
}

void
lsclient_reply(struct lsclient *cl, const char *text, size_t len)
{
	cl->srv->nheld -= cl->held;
	cl->held = false;
	cl->out = malloc(len ? len : 1);
	if (!cl->out) {
		client_free(cl);
		return;
	}
	memcpy(cl->out, text, len);
	cl->outlen = len;
	cl->deadline = now_ms() + IDLE_MS;	/* a reader that never reads is dropped too */
	cl->io.fn = on_writable;
	loop_mod(cl->srv->loop, &cl->io, EPOLLOUT);
	on_writable(cl, 0);
}

void
lsclient_replyf(struct lsclient *cl, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	lsclient_reply(cl, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void
lsclient_reply_with(struct lsclient *cl, void (*write)(void *ctx, FILE *f), void *ctx)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f) {
		write(ctx, f);
		if (fclose(f) == 0) {
			lsclient_reply(cl, text, len);
			free(text);
			return;
		}
	}
	free(text);
	lsclient_replyf(cl, "error: out of memory\n");
}

bool
lsclient_may_hold(struct lsclient *cl)
{
	if (cl->srv->nheld < HELD_MAX)
		return true;
	lsclient_replyf(cl, "error: too many clients waiting (at most %d); try again later\n", HELD_MAX);
	return false;
}

void
lsclient_hold(struct lsclient *cl, uint64_t deadline, void *data)
{
	cl->srv->nheld++;
	cl->held = true;
	cl->deadline = deadline;
	cl->data = data;
	/* Only a hangup is watched (EPOLLHUP always is): what it sends now is
	 * no request, and is read only then, to be thrown away. */
	loop_mod(cl->srv->loop, &cl->io, 0);
}

void *
lsclient_data(const struct lsclient *cl)
{
	return cl->data;
}

void
lineserver_each_held(struct lineserver *s, void (*fn)(void *ctx, struct lsclient *cl), void *ctx)
{
	for (struct lsclient *cl = s->clients, *next; cl; cl = next) {
		next = cl->next;
		if (cl->held)
			fn(ctx, cl);
	}
}

static void
on_readable(void *ctx, uint32_t events)
{
	struct lsclient *cl = ctx;

	for (;;) {
		char *in = cl->in + cl->inlen, rest[512];
		size_t room = LINESERVER_REQUEST_MAX - cl->inlen;
		if (cl->held)
			in = rest, room = sizeof rest;	/* after its request: thrown away */
		ssize_t n = recv(cl->io.fd, in, room, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* gone before asking anything, or before its answer */
			if (cl->held && cl->srv->ops->dropped)
				cl->srv->ops->dropped(cl->srv->ctx, cl);
			client_free(cl);
			return;
		}
		if (cl->held)
			continue;
		cl->inlen += (size_t)n;
		cl->in[cl->inlen] = '\0';
		char *nl = memchr(cl->in, '\n', cl->inlen);
		if (nl) {
			if (memchr(cl->in, '\0', (size_t)(nl - cl->in))) {
				lsclient_replyf(cl, "error: NUL byte in the request\n");
				return;
			}
			*nl = '\0';
			if (nl > cl->in && nl[-1] == '\r')
				nl[-1] = '\0';
			cl->srv->ops->request(cl->srv->ctx, cl, cl->in);
			return;
		}
		if (cl->inlen == LINESERVER_REQUEST_MAX) {
			lsclient_replyf(cl, "error: request too long (at most %d bytes, one line)\n",
			    LINESERVER_REQUEST_MAX);
			return;
		}
	}
	(void)events;
}

static void
on_tick(void *ctx)
{
	struct lineserver *s = ctx;
	uint64_t now = now_ms();

	for (struct lsclient *cl = s->clients, *next; cl; cl = next) {
		next = cl->next;
		if (now < cl->deadline)
			continue;
		if (cl->held)
			s->ops->expired(s->ctx, cl);
		else if (cl->out)
			client_free(cl);	/* it does not read its answer */
		else
			lsclient_replyf(cl, "error: timeout waiting for a request\n");
	}
	if (s->clients)
		timer_arm(&s->tick, TICK_MS);
}

static void
refuse(int fd, const char *why)
{
	ssize_t n = send(fd, why, strlen(why), MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	close(fd);
}

static void
on_accept(void *ctx, uint32_t events)
{
	struct lineserver *s = ctx;

	(void)events;
	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("control socket %s: accept: %s", s->path, strerror(errno));
			return;
		}
		struct ucred cred;
		socklen_t len = sizeof cred;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    (cred.uid != 0 && cred.uid != geteuid())) {
			refuse(fd, "error: permission denied\n");
			continue;
		}
		struct lsclient *cl = s->nclients < CLIENTS_MAX ? calloc(1, sizeof *cl) : NULL;
		if (!cl) {
			refuse(fd, "error: too many clients\n");
			continue;
		}
		cl->srv = s;
		cl->deadline = now_ms() + IDLE_MS;
		if (loop_add(s->loop, &cl->io, fd, EPOLLIN, on_readable, cl) < 0) {
			close(fd);
			free(cl);
			continue;
		}
		cl->next = s->clients;
		s->clients = cl;
		s->nclients++;
		if (!s->tick.due)
			timer_arm(&s->tick, TICK_MS);
	}
}

struct lineserver *
lineserver_open(struct loop *l, const char *path, const char *what,
    const struct lineserver_ops *ops, void *ctx)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct lineserver *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->loop = l;
	s->ops = ops;
	s->ctx = ctx;
	s->fd = -1;
	if (strlen(path) >= sizeof sa.sun_path) {
		log_err("control socket %s: path too long", path);
		free(s);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	s->path = strdup(path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	/* A socket that answers belongs to a live process: never steal it. */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
		close(probe);
		log_err("control socket %s answers: %s is running", path, what);
		errno = EADDRINUSE;
		goto fail_quiet;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, 0660) < 0 ||
	    listen(s->fd, 16) < 0)
		goto fail;
	if (timer_init(l, &s->tick, on_tick, s) < 0 ||
	    loop_add(l, &s->io, s->fd, EPOLLIN, on_accept, s) < 0)
		goto fail_quiet;
	return s;
fail:
	log_err("control socket %s: %s", path, strerror(errno));
fail_quiet:
	timer_close(&s->tick);
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
	return NULL;
}

void
lineserver_close(struct lineserver *s, const char *bye)
{
	if (!s)
		return;
	for (struct lsclient *cl = s->clients, *next; cl; cl = next) {
		next = cl->next;
		if (cl->held)
			lsclient_replyf(cl, "%s", bye);	/* freed once sent */
		else if (!cl->out)
			client_free(cl);
	}
	while (s->clients)
		client_free(s->clients);	/* what could not be sent at once */
	loop_del(s->loop, &s->io);
	close(s->fd);
	unlink(s->path);
	timer_close(&s->tick);
	free(s->path);
	free(s);
}
