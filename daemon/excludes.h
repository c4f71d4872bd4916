/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rules file handed to rsync with --exclude-from --from0.  rsync knows
 * the configured patterns but not our regexes, so every path a regex
 * excludes below the directories rsync will read is named exactly. */
#ifndef SYNCD_EXCLUDES_H
#define SYNCD_EXCLUDES_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"

struct excludes {
	struct buf rules;	/* NUL-separated */
};

void excludes_init(struct excludes *e, const struct config *c);
/* Adds exact rules for what the filter excludes inside dir ("" is the root),
 * and below it too if recursive.  Needed only when regexes are configured. */
void excludes_scan(struct excludes *e, const struct config *c, const char *dir, bool recursive);
/* Adds the rule "SIGN /PATH" + tail, anchored at the root, which matches
 * path (relative to the source) exactly and what tail adds (a slash and a
 * star: what is directly in it).  rsync reads backslashes as escapes only in patterns
 * that hold a wildcard character, so only those are escaped. */
void excludes_add_anchored(struct excludes *e, char sign, const char *path, const char *tail);
/* Adds a rule that excludes exactly path. */
void excludes_add_exact(struct excludes *e, const char *path);
/* Writes the rules to file (mode 0600); -1 after logging the error. */
int excludes_write(struct excludes *e, const char *file);
void excludes_free(struct excludes *e);

#endif
