/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A connection to a remote's rsync daemon opened ahead of the run that will
 * use it ([remote] preconnect).  Each daemon push otherwise pays a TCP
 * handshake and the wait for the daemon's greeting before rsync's own
 * exchange starts: one and a half round trips, 150 ms to a mirror 100 ms
 * away, and a whole second when the network loses the SYN.  Opened after a
 * run that succeeded, the next run finds the connection made and the
 * greeting waiting in it.
 *
 * The connector opens it (its resolver, its connect timeout: never the
 * worker's loop) and hands the socket over a Unix socket; the worker keeps
 * it, watching for the daemon hanging up (a daemon's `timeout` also ends
 * connections that never chose a module), and closes it unused after
 * preconnect's time.  A run takes it only while it is open. */
#ifndef SYNCD_PRECONNECT_H
#define SYNCD_PRECONNECT_H

#include <stdint.h>

#include "child.h"
#include "loop.h"

struct preconn {
	struct loop *loop;
	const char *name;	/* the remote's, for the log */
	char **argv;		/* the opener's (rsync_argv_opener), owned */
	uint64_t keep_ms;	/* kept unused this long */
	int fd;			/* open, the greeting waiting in it; -1: none */
	uint64_t opened_at;	/* monotonic ms */
	struct io io;		/* fd: the daemon hanging up */
	struct timer idle;	/* fd kept for keep_ms */
	struct child *opener;	/* the connector opening one */
	int sock;		/* the worker's end of the opener's Unix socket; -1 */
	uint64_t taken, dropped;	/* figures: runs that had one; closed unused */
};

/* Takes argv. */
int preconn_init(struct preconn *p, struct loop *l, const char *name, char **argv,
    uint64_t keep_ms);
void preconn_free(struct preconn *p);
/* Opens a connection unless one is open or being opened. */
void preconn_open(struct preconn *p);
/* The open connection, for a run (the caller closes it once the child has
 * it), or -1. */
int preconn_take(struct preconn *p);

#endif
