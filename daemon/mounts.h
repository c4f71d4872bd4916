/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Following the mount table under the source tree.
 *
 * A filesystem mounted on a watched directory hides it: its watch stays on
 * the directory underneath and sees nothing of what the mount shows, and a
 * bind mount that goes away leaves no event either.  The kernel marks
 * /proc/self/mountinfo with EPOLLPRI when the table changes; each mount that
 * appears or goes below the root is reported by its path so the watcher can
 * watch and read that place again. */
#ifndef SYNCD_MOUNTS_H
#define SYNCD_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"

struct mount_seen;

struct mounts {
	int fd;
	struct io io;
	struct loop *loop;
	char *root;			/* the source, resolved */
	size_t rootlen;
	struct mount_seen *seen;	/* the mounts below root, by id */
	size_t nseen;
	int gen;			/* of the last reading */
	bool followed;			/* in the loop */
	/* rel: the mount point relative to the root ("" for the root). */
	void (*changed)(void *ctx, const char *rel);
	void *ctx;
};

/* Reads the table as it is (no report); -1 and a warning if it cannot be
 * followed, which leaves mounting inside the tree unseen. */
int mounts_open(struct mounts *m, struct loop *l, const char *root,
    void (*changed)(void *ctx, const char *rel), void *ctx);
void mounts_close(struct mounts *m);

/* Mount points as mountinfo writes them (space, tab, newline, backslash as
 * \ooo), decoded in place. */
void mounts_unescape(char *s);

#endif
