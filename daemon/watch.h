/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Watching the source tree: a core that applies decoded events (struct
 * wevent) and a backend that delivers them.
 *
 * A backend with a watch per directory (inotify, watch_inotify.c) names
 * each directory by the id add_dir gave it; the core keeps the watched
 * directories in a path tree so a rename moves one node, and a directory
 * that appears is watched first and then read, so nothing created in it
 * before the watch existed is missed.  A backend that sees the whole
 * filesystem (fanotify, watch_fanotify.c) names directories by path and
 * needs neither the tree nor a walk.  What changed is reported as change
 * set kinds (CH_PATH, CH_DIR, CH_PATH|CH_GONE) on paths relative to the
 * root. */
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

/* What happened, as inotify names it; one event may carry several. */
enum {
	WE_CREATE      = 1 << 0,
	WE_DELETE      = 1 << 1,
	WE_MOVED_FROM  = 1 << 2,
	WE_MOVED_TO    = 1 << 3,
	WE_MODIFY      = 1 << 4,
	WE_CLOSE_WRITE = 1 << 5,
	WE_ATTRIB      = 1 << 6,
	WE_ISDIR       = 1 << 7,	/* the entry is a directory */
	WE_IGNORED     = 1 << 8,	/* the directory's watch is gone */
	WE_SELF_GONE   = 1 << 9,	/* the directory was deleted, moved or unmounted */
	WE_OVERFLOW    = 1 << 10,	/* events were lost */
};

struct wevent {
	uint32_t mask;		/* WE_* */
	int wd;			/* the directory by its add_dir id, or -1: */
	const char *dir;	/* by its path relative to the source */
	const char *name;	/* the entry in it; NULL: the directory itself */
	uint32_t cookie;	/* pairs a MOVED_FROM with its MOVED_TO; 0: none */
};

struct watch;

struct watch_backend {
	const char *name;
	/* Sets up w->fd (polled for read); -1 with why logged. */
	int (*open)(struct watch *w);
	/* Watches the directory abs and returns its id (the same id for the
	 * same directory), -1 with errno; NULL: the backend sees every
	 * directory without it, and the core keeps no tree. */
	int (*add_dir)(struct watch *w, const char *abs);
	/* Drops the watch of a directory still there (moved out, replaced). */
	void (*rm_dir)(struct watch *w, int wd);
	/* Up to rounds reads of events, each applied with watch_apply(). */
	void (*read)(struct watch *w, int rounds);
	void (*close)(struct watch *w);
	/* Optional: the mount table changed below the source. */
	void (*mounted)(struct watch *w);
	/* After a read, the next one waits this long, so that under a flood
	 * one read takes many events (a backend that hears a whole filesystem
	 * would otherwise wake up for nearly every event on it) while a lone
	 * event is read at once. */
	unsigned coalesce_ms;
};

extern const struct watch_backend watch_inotify;
extern const struct watch_backend watch_fanotify;

struct wd_slot;
#define WATCH_MAX_MOVES 64

struct watch {
	int fd;
	struct io io;
	struct loop *loop;
	const struct config *cfg;
	const struct watch_backend *be;
	void *be_state;			/* the backend's own */
	uint32_t mask;			/* the backend's event mask */
	struct ptree dirs;		/* node->ival: wd, node->uval: scan generation */
	struct wd_slot *map;		/* wd -> node */
	size_t map_cap, map_used;
	uint64_t gen;
	struct pnode *moved_out[WATCH_MAX_MOVES];	/* MOVED_FROM dirs not yet paired */
	unsigned nmoved;
	struct timer move_timer;
	struct timer read_timer;	/* coalesce_ms */
	char *move_from;		/* without a tree: the last directory moved away */
	uint32_t move_cookie;		/* and its cookie */
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

/* Watches the whole tree (no changes reported for what is already there)
 * with be, or with the backend [source] backend says if NULL. */
int watch_open(struct watch *w, struct loop *l, const struct config *cfg,
    const struct watch_backend *be, const struct watch_ops *ops, void *ctx);
void watch_close(struct watch *w);
/* For --check: says which backend a start would use, and why. */
void watch_check(const struct config *cfg);
/* Handles every event queued so far: all changes made before the call. */
void watch_drain(struct watch *w);
/* Reports the files written and not closed yet as they are now. */
void watch_flush_unclosed(struct watch *w);
/* Applies one event (backends call it). */
void watch_apply(struct watch *w, const struct wevent *ev);
/* True if dir (relative to the source) or one above it is excluded: what
 * happens in it is not looked at (a backend without a tree asks). */
bool watch_dir_excluded(const struct watch *w, const char *dir);
/* The directories of the tree (for the watch limit's advice). */
size_t watch_count_tree(const struct config *cfg);

static inline size_t
watch_count(const struct watch *w)
{
	return w->be->add_dir ? w->dirs.count + 1 : 0;
}

#endif
