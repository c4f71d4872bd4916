/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The source tree as a push sees it: every entry below a directory, with
 * the filter applied to its path in the tree.  The exclude rules (names the
 * regexes exclude), the link pass (names a push would send), the watcher's
 * scan of a directory and its count of directories all walk it so. */
#ifndef SYNCD_TREEWALK_H
#define SYNCD_TREEWALK_H

#include <stdbool.h>

#include "config.h"

/* What a walk does at each place; dir is what entry returned for the
 * directory (the walker's argument for the first one). */
struct tree_walker {
	/* An entry of a directory read (path: relative to the source;
	 * excluded: by the configured filter).  What it returns for a
	 * directory is walked into with it; NULL: not walked into. */
	void *(*entry)(void *ctx, void *dir, const char *path, const char *name, bool is_dir,
	    bool excluded);
	/* Optional: a directory about to be read; false: it is not read. */
	bool (*enter)(void *ctx, void *dir, const char *path, const char *abs);
	/* Optional: after a directory; complete unless it could not be read
	 * (enter saying no is complete: it has nothing to walk). */
	void (*leave)(void *ctx, void *dir, bool complete);
	/* Only directories reach entry: no filter and no stat for the rest. */
	bool dirs_only;
	void *ctx;
};

/* Walks SOURCE/dir ("" is the root) and what entry says.  A directory that
 * cannot be read is skipped (with a warning unless it is gone: rsync will
 * see the same).  -1 when out of memory: the walk is then incomplete. */
int tree_walk_with(const struct config *c, const char *dir, void *top, const struct tree_walker *tw);

/* path: relative to the source; excluded: by the configured filter. */
typedef void (*tree_visit_fn)(void *ctx, const char *path, bool is_dir, bool excluded);

/* Calls visit for every entry below SOURCE/dir, and below the directories
 * the filter keeps if recursive. */
int tree_walk(const struct config *c, const char *dir, bool recursive, tree_visit_fn visit,
    void *ctx);

#endif
