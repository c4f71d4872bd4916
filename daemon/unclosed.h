/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Files written and not closed yet.
 *
 * A regular file is pushed when its writer closes it (IN_CLOSE_WRITE), so a
 * mirror never gets it half-written.  But some writers never close (a log
 * kept open), some changes come with no close at all (truncate(2) by path),
 * and a name made by link() has no writer.  So a file that is written waits
 * here for its close, and is reported as it is once no write came for
 * `quiet`, or `max` after its first write while writes go on (and again
 * when it is closed).  A file that appears with contents is asked whether
 * anyone writes it (unclosed_has_writer): nobody, and it is reported at
 * once. */
#ifndef SYNCD_UNCLOSED_H
#define SYNCD_UNCLOSED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pathtree.h"

struct unclosed_file {
	struct pnode *node;	/* in index; its path is the file's */
	uint64_t first, last;	/* monotonic ms of its first and last write seen */
};

struct unclosed {
	struct ptree index;		/* rel -> node->ival: its place in v */
	struct unclosed_file *v;
	size_t n, cap;
	uint64_t quiet_ms, max_ms;
};

/* Whether the file at abs is open for writing by any process: 1 yes, 0 no
 * (or gone), -1 cannot tell (not permitted, leases off, a lease of
 * another program's in the way). */
int unclosed_has_writer(const char *abs);

void unclosed_init(struct unclosed *u, uint64_t quiet_ms, uint64_t max_ms);
void unclosed_free(struct unclosed *u);
static inline bool
unclosed_empty(const struct unclosed *u)
{
	return u->n == 0;
}
/* A write to rel was seen at now; false when it was not waiting.  Only a
 * waiting file is updated: the caller decides whether a new one waits. */
bool unclosed_touch(struct unclosed *u, const char *rel, uint64_t now);
/* rel waits from now on; -1 when out of memory. */
int unclosed_add(struct unclosed *u, const char *rel, uint64_t now);
/* Closed, deleted or moved away: rel, and all that waits below it (a
 * directory's), no longer wait.  A file moved away that is still written
 * waits again under its new name, from its next write. */
void unclosed_forget(struct unclosed *u, const char *rel);
typedef void (*unclosed_fn)(void *ctx, const char *rel);
/* Hands every file due at now (every file if all) to fn and forgets it;
 * returns the ms until the next one is due, UINT64_MAX when none waits. */
uint64_t unclosed_expire(struct unclosed *u, uint64_t now, bool all, unclosed_fn fn, void *ctx);

#endif
