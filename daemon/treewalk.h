/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The source tree as a push sees it: every entry below a directory, with
 * the filter applied to its path in the tree.  The exclude rules (names the
 * regexes exclude) and the link pass (names a push would send) both walk it
 * so. */
#ifndef SYNCD_TREEWALK_H
#define SYNCD_TREEWALK_H

#include <stdbool.h>

#include "config.h"

/* path: relative to the source; excluded: by the configured filter. */
typedef void (*tree_visit_fn)(void *ctx, const char *path, bool is_dir, bool excluded);

/* Calls visit for every entry below SOURCE/dir ("" is the root), and below
 * the directories the filter keeps if recursive.  A directory that cannot
 * be read is skipped (with a warning unless it is gone: rsync will see the
 * same).  -1 when out of memory: the walk is then incomplete. */
int tree_walk(const struct config *c, const char *dir, bool recursive, tree_visit_fn visit,
    void *ctx);

#endif
