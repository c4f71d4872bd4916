/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pace at which the worker starts rsync runs: at most one per CPU in
 * any PACE_WINDOW_MS.  A run's start (rsync's exec and the connector's, the
 * file list) costs a few milliseconds of CPU.  Started all at once, fifty
 * runs share the CPUs evenly, so each gets through its start only as the
 * last one does: at 2 CPUs, 0.2 s after the change for every mirror
 * (bench/fanout).  Started in turn, the first ones are on the wire at once,
 * and the remotes are offered a batch longest push first (remotes_offer):
 * the farthest mirrors get that head start, the nearest, which need it
 * least, wait for the rest.  A worker with few remotes never notices: its
 * runs are fewer than its CPUs.
 *
 * Like the batching policy, only times: the worker owns the timer that
 * waits, and remote.c asks before each run. */
#ifndef SYNCD_PACE_H
#define SYNCD_PACE_H

#include <stdint.h>

#define PACE_WINDOW_MS 4
#define PACE_MAX 64		/* CPUs counted, at most */

struct pace {
	uint64_t at[PACE_MAX];	/* the last n starts, monotonic ms, a ring */
	unsigned n, next, used;
	uint64_t window_ms;
};

/* n starts in any window_ms (n from 1 to PACE_MAX). */
void pace_init(struct pace *p, unsigned n, uint64_t window_ms);
/* Milliseconds until a start may be made, at now; 0: now. */
uint64_t pace_wait(const struct pace *p, uint64_t now);
/* A start made at now. */
void pace_note(struct pace *p, uint64_t now);
/* The CPUs this process may run on (its affinity), at least 1, at most
 * PACE_MAX. */
unsigned pace_cpus(void);

#endif
