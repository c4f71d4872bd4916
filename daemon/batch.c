/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "batch.h"

/* A stream is short until it has lasted this many batches and brought this
 * many changes (50 big files, a deep mkdir, a moved directory): its batches
 * follow each other as fast as pushes do, for a rest only idles the mirror
 * and leaves the last batch a rest's worth of data to carry. */
#define STREAK_GRACE 3
#define STREAM_GRACE_CHANGES 256
/* The count stops here; the rest reached max_delay long before. */
#define STREAK_MAX 32

void
batch_init(struct batch *b, uint64_t settle_ms, uint64_t max_delay_ms, size_t max_files)
{
	b->settle_ms = settle_ms;
	b->max_delay_ms = max_delay_ms;
	b->max_files = max_files;
	b->first = b->last = b->prev_seal = b->prev_last = 0;
	b->streak = 0;
	b->stream_changes = 0;
}

uint64_t
batch_rest(const struct batch *b)
{
	uint64_t rest = b->settle_ms;

	if (b->stream_changes < STREAM_GRACE_CHANGES)
		return rest;
	for (unsigned i = STREAK_GRACE; i < b->streak && rest < b->max_delay_ms; i++)
		rest *= 2;
	return rest < b->max_delay_ms ? rest : b->max_delay_ms;
}

bool
batch_note(struct batch *b, uint64_t now, size_t entries)
{
	if (!b->first) {
		/* The writer paused as long as we would rest: a new stream. */
		if (now - b->prev_last >= batch_rest(b)) {
			b->streak = 0;
			b->stream_changes = 0;
		}
		b->first = now;
	}
	b->last = now;
	b->stream_changes++;
	return entries >= b->max_files;
}

uint64_t
batch_due_in(const struct batch *b, uint64_t now, bool mirror_free)
{
	if (!b->first)
		return UINT64_MAX;
	uint64_t due = b->last + b->settle_ms;
	if (mirror_free) {
		uint64_t go = b->first + b->settle_ms, rested = b->prev_seal + batch_rest(b);
		if (go < rested)
			go = rested;
		if (go < due)
			due = go;
	}
	if (b->first + b->max_delay_ms < due)
		due = b->first + b->max_delay_ms;
	return due > now ? due - now : 0;
}

void
batch_sealed(struct batch *b, uint64_t now)
{
	if (!b->first)
		return;		/* nothing was gathered: no batch went */
	if (now < b->last + b->settle_ms) {
		if (b->streak < STREAK_MAX)
			b->streak++;
	}
	b->prev_seal = now;
	b->prev_last = b->last;
	b->first = b->last = 0;
}
