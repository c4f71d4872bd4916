/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One mirror: its queue of sealed changes (in memory and in its journal),
 * the rsync run in flight, its full syncs and its backoff.  Each remote moves
 * at its own pace, so a slow or dead mirror never holds back a healthy one. */
#ifndef SYNCD_REMOTE_H
#define SYNCD_REMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "changeset.h"
#include "field.h"
#include "child.h"
#include "config.h"
#include "journal.h"
#include "linkpass.h"
#include "loop.h"
#include "preconnect.h"
#include "rsync_exit.h"

struct worker;

struct remote {
	struct worker *w;
	struct remote_conf *rc;	/* the worker's copy: it learns (rsync_argv.h) */
	struct changeset pending;	/* sealed, not pushed yet */
	struct changeset inflight;	/* in the push that runs now */
	struct changeset during_full;	/* sealed while the full sync runs */
	struct journal journal;		/* pending + inflight + full_wanted, on disk */
	struct timer journal_retry;	/* while it is off: the next rewrite */
	unsigned journal_failures;	/* rewrites failed since it went off */
	struct child *push, *full;	/* push: a batch, or a link pass before one */
	/* The second lane: beside a push that has run for [rsync] lane_after,
	 * a push of pending entries that overlap none in flight (lane.h). */
	struct changeset lane;		/* in the second lane's push */
	struct child *lane_push;
	struct timer lane_timer;	/* the push in flight gets long */
	bool lane_ok;			/* push is a batch's first run: a second lane may open */
	bool deletions_due;		/* inflight's deletion run waits for the second lane */
	uint64_t lane_started;		/* monotonic ms of lane_push's start */
	size_t lane_listed;		/* the paths lane_push was given */
	char *lane_excludes;		/* its rules: a file of its own */
	uint64_t lane_pushes;		/* figures */
	struct moves moves;		/* directories moved in the batches pending */
	struct move linking;		/* the move whose link pass runs */
	uint64_t waiting;		/* its ticket in the queue for a run slot, 0: none */
	bool full_wanted;
	bool full_for_lost;		/* the wanted/running full sync covers lost events */
	bool parent_deletes;		/* the receiver rejects --delete-missing-args */
	unsigned failures;		/* in a row */
	enum rsync_outcome last_outcome;
	struct timer retry;
	struct timer nothing_ran;	/* a batch needed no run: finish it from the loop */
	struct preconn pre;		/* with [remote] preconnect: rc->pre */
	char *push_excludes, *full_excludes;
	char *empty_copies;		/* where push_deletions makes its source */
	/* figures */
	uint64_t pushes, paths_pushed, full_syncs;
	uint64_t failed_pushes[RSYNC_OPERATOR + 1];	/* by outcome */
	uint64_t bytes_sent;		/* rsync's "sent N bytes" */
	uint64_t push_started;		/* monotonic ms of the push run in flight */
	uint64_t push_ms;		/* the main lane's pushes that worked: their time, a moving average */
	uint64_t full_started;		/* monotonic ms of the full sync in flight */
	uint64_t full_ms;		/* the last full sync that worked: its time */
	struct hist push_time;
	uint64_t last_ok_wall;		/* wall ms of the last success, 0: none yet */
	char last_error[1400];
};

int remote_init(struct remote *r, struct worker *w, struct remote_conf *rc);
void remote_free(struct remote *r);
/* Queues (a copy of) a sealed batch, with the directory moves it holds, on
 * every remote, and pushes it where the remote is free, those whose pushes
 * take longest first; -1 if some could not take it (out of memory, logged). */
int remotes_offer(struct worker *w, const struct changeset *sealed, const struct moves *moves);
/* Asks for a full sync (runs beside live pushes); lost: events were lost. */
void remote_full(struct remote *r, bool lost);
/* Starts whatever is due and allowed now. */
void remote_kick(struct remote *r);
/* A run ended somewhere: the remotes queued for a run slot start, oldest
 * ticket first, as far as [rsync] max_parallel allows. */
void remotes_dispatch(struct worker *w);
/* No push in flight, and free to start one (not backing off, not paused). */
bool remote_idle(const struct remote *r);
/* Nothing running, and nothing left that could be pushed now. */
bool remote_settled(const struct remote *r);
/* How many changes are not on this mirror yet (pending and in flight). */
size_t remote_unpushed(const struct remote *r);
/* The monotonic time of the oldest change not yet on this mirror, 0: none. */
uint64_t remote_oldest(const struct remote *r);
/* True when every change seen at or before t is on the mirror. */
bool remote_current(const struct remote *r, uint64_t t);
/* "ok", "pushing", "backoff", "failing", "operator-error" or "paused". */
const char *remote_state(const struct remote *r);
/* The worker stops: what is due is started (the last pushes), nothing is
 * opened ahead any more. */
void remote_stop(struct remote *r);
void remote_kill(struct remote *r, int sig);
/* At a clean stop: all that is pending is in the journal (a journal that is
 * off gets one more try).  False, logged: the next start needs a full sync. */
bool remote_journaled(struct remote *r);

#endif
