/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A worker: one instance's event loop, wiring the watcher, the change set,
 * the batching policy and the remotes together. */
#ifndef SYNCD_WORKER_H
#define SYNCD_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "batch.h"
#include "changeset.h"
#include "config.h"
#include "linkpass.h"
#include "loop.h"
#include "pace.h"
#include "verify.h"
#include "watch.h"

struct remote;
struct control;
struct hook;

struct worker {
	struct config *cfg;
	char *state_dir;		/* this instance's */
	/* The files each run is given (exclude rules, empty copies of the
	 * parents of deletions): in the runtime directory, so that a full or
	 * read-only state directory stops no run. */
	char *scratch_dir;
	char *running;			/* the mark of a run: state_dir/running */
	int running_err;		/* why it could not be made (an errno), 0: made */
	bool mark_synced;		/* and its directory entry is on disk */
	unsigned running_failures;	/* attempts to make it that failed */
	const char *fail_log;		/* NULL: none */
	struct loop loop;
	struct watch watch;
	struct changeset gather;	/* changes not sealed into a batch yet */
	struct moves moves;		/* directories moved in gather (hints) */
	struct batch batch;
	struct timer batch_timer, full_timer, watchdog_timer, stop_timer, verify_timer, running_timer;
	struct remote *remotes;
	struct remote **order;		/* the remotes, for remotes_offer to sort */
	uint64_t tickets;		/* handed out to remotes queued for a run slot */
	struct pace pace;		/* of the runs' starts */
	struct timer pace_timer;	/* a queued run's turn at the pace */
	struct verify *verifies;	/* one per remote, in the same order */
	unsigned verifying;		/* of them waiting or running: changes are noted */
	struct hook *hooks;
	int sigfd;
	struct io sig_io;
	bool stopping;		/* told to stop: finishing what runs */
	bool killing;		/* the grace is over: start nothing new */
	bool paused;			/* pushes wait; changes still gather */
	uint64_t started;		/* monotonic ms */
	struct control *control;
	int exit_code;
	uint64_t batches;
};

/* Runs the instance until it is told to stop; returns the exit status.
 * state_dir and scratch_dir (see struct worker) are the instance's own, sock
 * its control socket's path. */
int worker_run(struct config *cfg, const char *state_dir, const char *scratch_dir,
    const char *sock);
/* Control requests. */
void worker_resync(struct worker *w);
void worker_pause(struct worker *w, bool pause);
/* Takes in every change made so far and seals it for pushing now (a
 * flush, and the start of a verify). */
void worker_flush_begin(struct worker *w);
/* Called by a remote when something it did changes the figures. */
void worker_status(struct worker *w);
/* Called by a remote when it finished a run (shutdown waits for these). */
void worker_remote_done(struct worker *w);
/* Called by a hook when a call ended. */
void worker_hook_done(struct worker *w);
/* Every change sealed at or before t is on the named remote (NULL: on every
 * remote). */
bool worker_mirrored(const struct worker *w, const char *remote, uint64_t t);

#endif
