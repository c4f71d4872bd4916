/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Moved directories.  rsync cannot rename on the receiver, so a directory
 * moved inside the tree reaches a mirror as the deletion of its old name
 * and a copy of its new one: every file sent and written again, at a cost
 * per file that dominates on many receivers (2,000 files of 4 KiB: 2.0 s
 * to a local rsync daemon).  When a batch holds such a move and the mirror
 * still has the old copy, a link pass runs first:
 *   rsync OPTIONS --files-from=- --link-dest=OLD-FROM-NEW SRC/NEW/ DEST/NEW/
 * which hardlinks each file the old copy has unchanged (0.3 s for the same
 * 2,000), and the batch then leaves the new directory out.  A move is only
 * a hint: without it, or when the pass fails, the batch is complete. */
#ifndef SYNCD_LINKPASS_H
#define SYNCD_LINKPASS_H

#include <stdbool.h>
#include <stddef.h>

#include "child.h"
#include "config.h"

struct move {
	char *from, *to;	/* relative paths */
};

struct moves {
	struct move *v;
	size_t n;
};

/* Keeps at most MOVES_MAX; more are dropped (they are hints). */
#define MOVES_MAX 64
void moves_add(struct moves *m, const char *from, const char *to);
void moves_append(struct moves *dst, const struct moves *src);
/* Hands over the oldest; false when there is none. */
bool moves_take(struct moves *m, struct move *out);
void move_free(struct move *mv);
void moves_clear(struct moves *m);

/* "../../a/old" for from "a/old", to "b/c/new": from, seen from DEST/to/. */
int linkpass_link_dest(const char *from, const char *to, char *buf, size_t len);
/* Whether path can be named on the command line of a link pass to r.  Its
 * destination is DEST/NEW/ and its --link-dest OLD: an rsync daemon expands
 * wildcards (*?[) in the paths it is given, with no way to escape them that
 * also works when nothing matches; over ssh, rsync before 3.2.4 hands the
 * remote shell its arguments unquoted.  With other names the batch sends
 * the files. */
bool linkpass_names_safe(const struct remote_conf *r, const char *path);
/* Starts the link pass of mv; NULL (after logging) when it cannot run. */
struct child *linkpass_start(struct loop *l, const struct config *c, const struct remote_conf *r,
    const struct move *mv, child_exit_fn on_exit, void *ctx);

#endif
