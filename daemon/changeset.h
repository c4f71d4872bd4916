/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The change set: what must be made true on a mirror, keyed by relative path.
 *
 * An entry says "bring this path on the mirror to the state it has in the
 * source when the push runs"; rsync reads the source at push time, so an
 * entry carries no contents and ten writes to a file are one entry.
 *   CH_PATH  the path itself (a missing path is deleted on the mirror)
 *   CH_DIR   the directory and its immediate entries, exactly ("dir/" to
 *            rsync --dirs --delete); it covers CH_PATH entries of its children
 *   CH_GONE  with CH_PATH: seen deleted; a later change below it is impossible
 *            until it reappears, so it absorbs its whole subtree
 * Any subset of a change set can be pushed in any order and is still correct;
 * only the absorbing rules depend on order, which is why changeset_add takes
 * changes newer than everything in the set and changeset_merge takes sets of
 * any age. */
#ifndef SYNCD_CHANGESET_H
#define SYNCD_CHANGESET_H

#include <stddef.h>
#include <stdint.h>

#include "pathtree.h"

enum { CH_PATH = 1, CH_DIR = 2, CH_GONE = 4 };

struct changeset {
	struct ptree tree;
	size_t entries;
};

void changeset_init(struct changeset *cs);
void changeset_clear(struct changeset *cs);

/* kind: CH_PATH, CH_DIR or CH_PATH|CH_GONE; now_ms dates the change. */
int changeset_add(struct changeset *cs, const char *path, unsigned kind, uint64_t now_ms);
/* Moves every entry of src into dst (src is emptied); age does not matter. */
int changeset_merge(struct changeset *dst, struct changeset *src);
/* Adds a copy of every entry of src to dst. */
int changeset_copy(struct changeset *dst, const struct changeset *src);
/* Moves up to max entries (parents before children) from src into the empty dst. */
int changeset_take(struct changeset *src, struct changeset *dst, size_t max);
/* Moves the entry of path and every entry below it from src into the
 * empty dst. */
int changeset_take_path(struct changeset *src, struct changeset *dst, const char *path);
/* Removes path's own entry, not those below it. */
void changeset_unset(struct changeset *cs, const char *path);
/* Removes path and every entry below it. */
void changeset_drop(struct changeset *cs, const char *path);
/* The time of the oldest change still in cs, 0 if it is empty. */
uint64_t changeset_oldest(const struct changeset *cs);

static inline size_t
changeset_count(const struct changeset *cs)
{
	return cs->entries;
}

#endif
