/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The batching policy: when the changes gathered so far go out as a batch.
 * A batch is sealed once no change came for `settle`, or `max_delay` after
 * its first change, or as soon as it holds `max_files` entries.  While a
 * mirror is free to push, waiting for quiet only adds latency (what comes
 * meanwhile goes in the next push, and a mirror that is busy gathers it
 * anyway), so a batch then goes `settle` after its first change.
 *
 * But a free mirror that pushes whatever came during its last push turns a
 * long burst into one rsync run per push time.  So once a stream has lasted
 * a few batches and brought a few hundred changes, batches are also spaced
 * by a *rest* counted from the previous seal: settle × 2^(n - 3) after
 * the n-th batch of the stream sealed while changes were still coming, up
 * to `max_delay` (which bounds the wait of a change anyway); a stream that
 * brings its few hundred changes late starts further along that scale.  A
 * burst then costs about log2(max_delay / settle) + its length / max_delay
 * runs; pushes that take longer than the rest (big files) still follow
 * each other at once; the last batch of a stream goes once no change came
 * for `settle`; a pause as long as the rest starts over.
 *
 * The policy only computes deadlines; the worker owns the one timer that
 * waits for them (re-armed lazily, so a burst costs no timer syscall per
 * event). */
#ifndef SYNCD_BATCH_H
#define SYNCD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct batch {
	uint64_t settle_ms, max_delay_ms;
	size_t max_files;
	uint64_t first, last;	/* monotonic ms of the first and last change; 0: empty */
	uint64_t prev_seal, prev_last;	/* when the batch before went, its last change */
	unsigned streak;	/* batches in a row sealed while changes streamed */
	size_t stream_changes;	/* changes noted since the stream began */
};

void batch_init(struct batch *b, uint64_t settle_ms, uint64_t max_delay_ms, size_t max_files);
/* Notes a change; true when the batch, now holding entries, must go at once. */
bool batch_note(struct batch *b, uint64_t now, size_t entries);
/* Milliseconds until the batch is due, 0 if due now; UINT64_MAX when empty.
 * mirror_free: some remote would start a push at once. */
uint64_t batch_due_in(const struct batch *b, uint64_t now, bool mirror_free);
/* How long after the previous seal a batch may go while a mirror is free. */
uint64_t batch_rest(const struct batch *b);
/* The batch went out at now; the next one starts empty. */
void batch_sealed(struct batch *b, uint64_t now);

#endif
