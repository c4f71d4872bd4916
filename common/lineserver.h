/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A Unix stream socket that takes one request line per connection and
 * answers it, served from the event loop: bounded buffers, a deadline for
 * every client and a cap on their number, so a malformed, huge or silent
 * client never blocks the process.  Used by the worker's and the
 * supervisor's control sockets. */
#ifndef SYNCD_LINESERVER_H
#define SYNCD_LINESERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "loop.h"

#define LINESERVER_REQUEST_MAX 4096

struct lineserver;
struct lsclient;

struct lineserver_ops {
	/* A whole request line, without its newline and never holding NUL.
	 * Answer with lsclient_reply() now, or lsclient_hold() and later. */
	void (*request)(void *ctx, struct lsclient *cl, char *line);
	/* A held client reached its deadline: answer it. */
	void (*expired)(void *ctx, struct lsclient *cl);
	/* A held client hung up before its answer (optional): free what
	 * lsclient_hold() was given. */
	void (*dropped)(void *ctx, struct lsclient *cl);
};

/* Listens at path (mode 0660, peers must be root or our uid); what names the
 * owner in the error if another process answers there already.  NULL after
 * logging why. */
struct lineserver *lineserver_open(struct loop *l, const char *path, const char *what,
    const struct lineserver_ops *ops, void *ctx);
/* Held clients get bye; the socket file is removed. */
void lineserver_close(struct lineserver *s, const char *bye);

/* Sends text and closes the connection once it is out. */
void lsclient_reply(struct lsclient *cl, const char *text, size_t len);
void lsclient_replyf(struct lsclient *cl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Replies with what write(ctx, f) writes. */
void lsclient_reply_with(struct lsclient *cl, void (*write)(void *ctx, FILE *f), void *ctx);
/* Whether the client may wait for its answer: false (after answering it
 * so) when too many wait already; a few clients are always left for the
 * requests answered at once. */
bool lsclient_may_hold(struct lsclient *cl);
/* Keeps the client waiting for an answer until deadline (monotonic ms). */
void lsclient_hold(struct lsclient *cl, uint64_t deadline, void *data);
void *lsclient_data(const struct lsclient *cl);

/* Calls fn for every held client; fn may answer it. */
void lineserver_each_held(struct lineserver *s, void (*fn)(void *ctx, struct lsclient *cl), void *ctx);

#endif
