/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lock that makes a worker the only one of its instance.  A second
 * worker sharing the state directory (a hand-run syncd, a syncd@ unit next
 * to syncctl, each with its own runtime directory and so its own control
 * socket) would rewrite the live worker's journals and take its "running"
 * mark; it must not start. */
#ifndef SYNCD_STATELOCK_H
#define SYNCD_STATELOCK_H

struct statelock {
	int dir;	/* the state directory, flock()ed */
	int file;	/* STATE/lock with a record lock naming the pid, or -1 */
};

/* Locks STATE_DIR for the life of the process; -1 after logging why
 * (another worker holds it: its pid is named). */
int statelock_take(struct statelock *l, const char *state_dir, const char *instance);
void statelock_release(struct statelock *l);

#endif
