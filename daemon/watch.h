/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Recursive inotify watching of the source tree.
 *
 * Every directory that is not excluded has a watch; the directories live in
 * a path tree so a rename moves one node.  A directory that appears is
 * watched first and then read, so nothing created in it before the watch
 * existed is missed.  What changed is reported as change set kinds
 * (CH_PATH, CH_DIR, CH_PATH|CH_GONE) on paths relative to the root. */
#ifndef SYNCD_WATCH_H
#define SYNCD_WATCH_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "loop.h"
#include "mounts.h"
#include "pathtree.h"
#include "unclosed.h"

struct watch_ops {
	void (*change)(void *ctx, const char *relpath, unsigned kind);
	/* Events were lost (queue overflow): the whole tree must be synced. */
	void (*lost)(void *ctx);
	/* Mirroring cannot go on (root gone, watch limit); why is logged. */
	void (*fatal)(void *ctx);
	/* A directory moved from one place in the tree to another (before its
	 * changes are reported): a hint, the changes alone are complete. */
	void (*moved)(void *ctx, const char *from, const char *to);
};

struct wd_slot;
#define WATCH_MAX_MOVES 64

struct watch {
	int fd;
	struct io io;
	struct loop *loop;
	const struct config *cfg;
	uint32_t mask;
	struct ptree dirs;		/* node->ival: wd, node->uval: scan generation */
	struct wd_slot *map;		/* wd -> node */
	size_t map_cap, map_used;
	uint64_t gen;
	struct pnode *moved_out[WATCH_MAX_MOVES];	/* MOVED_FROM dirs not yet paired */
	unsigned nmoved;
	struct timer move_timer;
	struct unclosed unclosed;	/* files written, not closed yet */
	struct timer unclosed_timer;
	struct mounts mounts;		/* filesystems mounted in the tree */
	uint64_t events;		/* seen since start */
	uint64_t overflows;		/* of the inotify queue: events lost */
	uint32_t moved_file_cookie;	/* the last file's MOVED_FROM, and its name */
	char moved_file[NAME_MAX + 1];
	bool rsync_said;		/* that rsync writes into the tree */
	dev_t leaf_dev;			/* the filesystem leaf_ok is about */
	int leaf_ok;			/* its link counts tell leaves: 1, 0, -1 unknown */
	const struct watch_ops *ops;
	void *ctx;
	bool failed;
};

/* Watches the whole tree (no changes reported for what is already there). */
int watch_open(struct watch *w, struct loop *l, const struct config *cfg,
    const struct watch_ops *ops, void *ctx);
void watch_close(struct watch *w);
/* Handles every event queued so far: all changes made before the call. */
void watch_drain(struct watch *w);
/* Reports the files written and not closed yet as they are now. */
void watch_flush_unclosed(struct watch *w);

static inline size_t
watch_count(const struct watch *w)
{
	return w->dirs.count + 1;
}

#endif
