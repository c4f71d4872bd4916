/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The socket hook: one line per change, "KIND<TAB>PATH<LF>", written to a
 * TCP or Unix stream socket that is kept open between changes; the lines of
 * a call follow a line "delivery<TAB>ID<LF>" with its delivery id (a resync
 * is "resync<TAB><LF>").  Paths are
 * raw bytes except for four escapes, so that a line is always one change:
 * backslash as "\\", newline as "\n", tab as "\t", carriage return as "\r".
 * The connection is made when there is something to say; a call is done
 * when its lines are in the kernel, and a dead or too slow reader fails the
 * calls in flight, which the core retries with backoff on a new connection
 * (a reader may then see a line again, never half of one without its end).
 * What waits is bounded by the hook's queue and batch, never by the reader. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "hook.h"
#include "log.h"
#include "worker.h"

struct sock {
	struct hook *h;
	int fd;			/* -1: not connected */
	bool connecting;
	struct io io;
	struct buf out;		/* lines not written yet: out.p[off..len) */
	size_t off;
	uint64_t queued, written;	/* bytes ever queued and written */
	uint64_t *ends;		/* per call: the stream position of its last byte */
	char peer[300];
};

void
hook_socket_line(struct buf *b, const struct hook_event *ev)
{
	const char *kind = hook_kind_name(ev->kind);
	const char *p = ev->path, *run = p;

	buf_put(b, kind, strlen(kind));
	buf_put(b, "\t", 1);
	for (; *p; p++) {
		const char *esc = *p == '\\' ? "\\\\" : *p == '\n' ? "\\n" : *p == '\t' ? "\\t" :
		    *p == '\r' ? "\\r" : NULL;
		if (!esc)
			continue;
		buf_put(b, run, (size_t)(p - run));
		buf_put(b, esc, 2);
		run = p + 1;
	}
	buf_put(b, run, (size_t)(p - run));
	buf_put(b, "\n", 1);
}

static void
disconnect(struct sock *s, const char *why)
{
	struct hook *h = s->h;

	if (s->fd >= 0) {
		loop_del(&h->w->loop, &s->io);
		close(s->fd);
		s->fd = -1;
	}
	s->connecting = false;
	s->out.len = s->off = 0;
	s->written = s->queued;
	/* Every call in flight lost its lines with the connection. */
	for (unsigned i = 0; i < h->hc->concurrency; i++)
		if (h->calls[i].state == CALL_RUNNING)
			hook_call_done(&h->calls[i], false, why);
}

static void
fail(struct sock *s, const char *what, int err)
{
	char why[512];

	snprintf(why, sizeof why, "%s %s: %s", what, s->peer, strerror(err));
	disconnect(s, why);
}

static void
report_written(struct sock *s)
{
	struct hook *h = s->h;

	for (unsigned i = 0; i < h->hc->concurrency; i++)
		if (h->calls[i].state == CALL_RUNNING && s->ends[i] <= s->written)
			hook_call_done(&h->calls[i], true, NULL);
}

static void
flush_out(struct sock *s)
{
	while (s->off < s->out.len) {
		ssize_t n = send(s->fd, s->out.p + s->off, s->out.len - s->off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			fail(s, "writing to", errno);
			return;
		}
		s->off += (size_t)n;
		s->written += (uint64_t)n;
	}
	if (s->off == s->out.len)
		s->out.len = s->off = 0;
	loop_mod(&s->h->w->loop, &s->io, EPOLLIN | EPOLLRDHUP | (s->out.len ? EPOLLOUT : 0));
	report_written(s);
}

static void
on_io(void *ctx, uint32_t events)
{
	struct sock *s = ctx;
	char junk[4096];

	if (s->connecting) {
		int err = 0;
		socklen_t len = sizeof err;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			fail(s, "connecting to", err);
			return;
		}
		if (!(events & EPOLLOUT))
			return;
		s->connecting = false;
		log_info("hook %s: connected to %s", s->h->hc->name, s->peer);
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		/* The reader has nothing to say; what it says is discarded, and
		 * its end of the stream ends ours. */
		ssize_t n;
		while ((n = recv(s->fd, junk, sizeof junk, MSG_DONTWAIT)) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			if (n == 0)
				disconnect(s, "the reader closed the connection");
			else
				fail(s, "reading from", errno);
			return;
		}
	}
	if (events & EPOLLOUT)
		flush_out(s);
}

static int
open_socket(struct sock *s)
{
	const struct hook_conf *hc = s->h->hc;
	int fd = -1, err = 0;

	if (hc->unix_path) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", hc->unix_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS))
			err = errno;
	} else {
		/* A host name costs a lookup per connection, not per change. */
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
		struct addrinfo *ai = NULL;
		char port[8];
		snprintf(port, sizeof port, "%u", hc->port);
		int rc = getaddrinfo(hc->host, port, &hints, &ai);
		if (rc) {
			char why[512];
			snprintf(why, sizeof why, "looking up %s: %s", hc->host, gai_strerror(rc));
			disconnect(s, why);
			return -1;
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS))
			err = errno;
		freeaddrinfo(ai);
	}
	if (err || fd < 0) {
		if (fd >= 0)
			close(fd);
		fail(s, "connecting to", err ? err : errno);
		return -1;
	}
	s->fd = fd;
	s->connecting = true;
	if (loop_add(&s->h->w->loop, &s->io, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP, on_io, s) < 0) {
		close(fd);
		s->fd = -1;
		s->connecting = false;
		disconnect(s, "cannot watch the socket");
		return -1;
	}
	return 0;
}

static void
sock_start(struct hook_call *c)
{
	struct sock *s = c->h->impl;
	size_t before = s->out.len;
	char id[HOOK_ID_MAX];

	hook_call_id(c, id, sizeof id);
	buf_put(&s->out, "delivery\t", 9);
	buf_put(&s->out, id, strlen(id));
	buf_put(&s->out, "\n", 1);
	for (size_t i = 0; i < c->n; i++)
		hook_socket_line(&s->out, &c->ev[i]);
	if (s->out.oom) {
		s->out.oom = 0;
		s->out.len = before;
		hook_call_done(c, false, "out of memory");
		return;
	}
	s->queued += s->out.len - before;
	s->ends[c - c->h->calls] = s->queued;
	if (s->fd < 0) {
		open_socket(s);		/* a failure has reported c */
		return;
	}
	if (!s->connecting)
		flush_out(s);
}

/* Its lines may be half written: the stream cannot go on. */
static void
sock_cancel(struct hook_call *c)
{
	struct sock *s = c->h->impl;
	char why[400];

	snprintf(why, sizeof why, "%s did not take the lines within %llums", s->peer,
	    (unsigned long long)c->h->hc->timeout_ms);
	disconnect(s, c->timed_out ? why : "cancelled");
}

static int
sock_open(struct hook *h)
{
	struct sock *s = calloc(1, sizeof *s);

	if (!s || !(s->ends = calloc(h->hc->concurrency, sizeof *s->ends))) {
		free(s);
		log_err("hook %s: out of memory", h->hc->name);
		return -1;
	}
	s->h = h;
	s->fd = -1;
	if (h->hc->unix_path)
		snprintf(s->peer, sizeof s->peer, "%s", h->hc->unix_path);
	else
		snprintf(s->peer, sizeof s->peer, strchr(h->hc->host, ':') ? "[%s]:%u" : "%s:%u",
		    h->hc->host, h->hc->port);
	h->impl = s;
	return 0;
}

static void
sock_close(struct hook *h)
{
	struct sock *s = h->impl;

	if (!s)
		return;
	if (s->fd >= 0) {
		loop_del(&h->w->loop, &s->io);
		close(s->fd);
	}
	buf_free(&s->out);
	free(s->ends);
	free(s);
	h->impl = NULL;
}

const struct hook_ops hook_socket_ops = {
	.open = sock_open,
	.close = sock_close,
	.start = sock_start,
	.cancel = sock_cancel,
};
