/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rule of a remote's two lanes: what a push may carry while another
 * push of the same remote is in flight.
 *
 * Two entries overlap when one is the other or lies below it.  A push
 * touches on the mirror the paths of its entries, the directories above
 * them (--relative sends them, with their attributes), and for a "dir/"
 * entry or a deletion what lies below.  So two pushes in flight together
 * touch a common path only through a directory above both, which each
 * sets from the source as it finds it, and a change of that directory is
 * an entry of its own that overlaps both (it waits for both).  Entries
 * that overlap nothing in flight elsewhere can be pushed in either order
 * (changeset.h), so two such pushes leave the mirror as one of both would. */
#ifndef SYNCD_LANE_H
#define SYNCD_LANE_H

#include <stdbool.h>
#include <stddef.h>

#include "changeset.h"

/* path is an entry of busy, lies below one, or has one below it. */
bool lane_overlaps(const struct changeset *busy, const char *path);
/* Moves into the empty dst up to max entries of src that overlap no entry
 * of busy, leaving those whose kind has a bit of skip; returns how many.
 * -1 when out of memory: dst may then hold copies of entries that src
 * still holds (merging it back into src restores src). */
long lane_take(struct changeset *src, const struct changeset *busy, struct changeset *dst,
    size_t max, unsigned skip);

#endif
