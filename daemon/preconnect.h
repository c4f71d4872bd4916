/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A connection to a remote's rsync daemon opened ahead of the run that will
 * use it ([remote] preconnect).  Each daemon push otherwise pays a TCP
 * handshake and the wait for the daemon's greeting before rsync's own
 * exchange starts: one and a half round trips, 150 ms to a mirror 100 ms
 * away, and a whole second when the network loses the SYN.  Opened after a
 * run that succeeded, the next run finds the connection made and the
 * greeting waiting in it.
 *
 * To an address the worker connects itself, without blocking; a name is
 * the connector's to resolve (a resolver never runs in the worker's loop),
 * which connects and hands the socket over a Unix socket.  The worker keeps
 * it, watching for the daemon hanging up (rsync 3.5's daemon ends a
 * connection that chose no module after its `timeout`), and closes it
 * unused after preconnect's time.  A run takes it only while it is open.
 *
 * With it the worker sends the opening (opening.h) that the remote's last
 * push kept in learn_path, so that the daemon's answers are waiting too; the
 * connector checks it against the run's own (connector.c).  A push that
 * finds no connection open (or a remote without preconnect: every remote
 * whose runs go through the connector has a preconn) has the connector send
 * that opening with its own connect instead: the handshake's round trip
 * stays, the opening's two go. */
#ifndef SYNCD_PRECONNECT_H
#define SYNCD_PRECONNECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "child.h"
#include "opening.h"
#include "config.h"
#include "loop.h"

struct preconn {
	struct loop *loop;
	const char *name;	/* the remote's, for the log */
	char **argv;		/* the opener's (rsync_argv_opener), owned */
	struct sockaddr_storage addr;	/* the daemon's, when the target names an address */
	socklen_t addr_len;	/* 0: a name, the opener's */
	uint64_t connect_ms;	/* the remote's timeout */
	uint64_t keep_ms;	/* kept unused this long; 0: none opened */
	int fd;			/* open, the greeting waiting in it; -1: none */
	bool connecting;	/* fd: the worker's connect, not done yet */
	bool closed;		/* preconn_close: nothing more is opened */
	bool resent;		/* the last one opened was closed: its handshake was resent */
	uint64_t opened_at;	/* monotonic ms */
	struct io io;		/* fd: the daemon hanging up */
	struct timer idle;	/* fd kept for keep_ms; connecting: connect_ms */
	struct child *opener;	/* the connector opening one */
	int sock;		/* the worker's end of the opener's Unix socket; -1 */
	uint64_t taken;		/* runs that had one (status) */
	uint64_t sent_ahead;	/* pushes that sent the opening ahead, either way */
	char *learn_path;	/* the pushes' opening, kept by the connector; owned */
	char ahead[OPENING_MAX];	/* learn_path's, read at each open, sent on fd */
	size_t ahead_len;	/* 0: none; stays as it is while fd is open */
};

/* Takes argv and learn_path. */
int preconn_init(struct preconn *p, struct loop *l, const struct remote_conf *rc, char **argv,
    char *learn_path);
void preconn_free(struct preconn *p);
/* Opens a connection unless one is open or being opened. */
void preconn_open(struct preconn *p);
/* The worker stops: the opener is killed (a connect to a black hole would
 * hold the stop for its timeout), what is kept closed, nothing opened again. */
void preconn_close(struct preconn *p);
/* The open connection, for a run (the caller closes it once the child has
 * it), or -1; *sent: what was sent on it ahead, or with -1 what a push is to
 * send with its connect, *sent_len bytes (0: none), valid until the next
 * preconn_open or preconn_take.  One with a push's opening sent is left to
 * a push: another run's opening differs. */
int preconn_take(struct preconn *p, bool push, const char **sent, size_t *sent_len);

#endif
