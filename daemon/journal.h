/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The durable record of what a remote or a hook has not received yet.
 *
 * The file and its life are common: a header line, then records of one
 * kind byte, a text, a NUL, appended (and fdatasync'ed when asked); a last record
 * without its NUL is a torn write and is dropped; a rewrite (aside, then
 * renamed) compacts it; a write that fails turns it off (below).  What the
 * records mean is the owner's: journal_load() hands them back one by one.
 * A hook's journal is described in hook_journal.c; a remote's here.
 *
 * For a remote, each sealed batch is appended before it can be pushed, so a
 * worker killed at any moment finds every change it had not delivered when
 * it starts again (the page cache keeps what a killed process wrote).  Only
 * a power loss or a kernel crash could take an append not synced yet, and
 * either leaves the worker's `running` mark, after which the next start runs
 * a full sync of every remote, which a journal cannot improve on: so the
 * appends are synced only while there is no mark on disk (it cannot be
 * made, or its directory not synced), and at a clean stop, before the mark
 * goes (journal_sync).  A sync per batch per remote held every push of the
 * batch behind them: with 50 mirrors, 50 fdatasyncs before the last one
 * started (13 ms here, one journal commit each on a journaled ext4: 1-10
 * ms apiece).  The file is emptied when the remote has nothing pending and
 * rewritten compactly when it grows.  Format: the line
 * "syncd-journal 1\n", then records of one kind byte ('P' path, 'D' directory
 * contents, 'G' path gone, 'F' full sync wanted), the relative path, a NUL.
 * A last record without its NUL is a torn write and is dropped.
 *
 * A write that fails (a full disk, a read-only or failing state dir) turns
 * the journal off: pending changes stay in memory only, nothing more is
 * appended (a record after a lost one would leave a gap), and the file
 * stays open so that its stale records can be dropped in place, which
 * frees their space.  A rewrite of all that is pending turns it on again. */
#ifndef SYNCD_JOURNAL_H
#define SYNCD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "changeset.h"

struct buf;

struct journal {
	char *path;
	int fd;			/* the file, -1: none */
	int err;		/* why it is off (an errno), 0: on */
	bool found;		/* load found a journal (not a new or foreign file) */
	off_t size, compacted;	/* now, and right after the last rewrite */
};

/* One record read back; false for a kind it does not know (logged). */
typedef bool journal_rec_fn(void *ctx, char kind, const char *text);

/* Opens (creating) the journal at path and hands each whole record to rec.
 * A journal that can be read but not written is read, and off.  -1 if it
 * is off (logged).  The owner rewrites it next (journal_replace). */
int journal_load(struct journal *j, const char *path, journal_rec_fn *rec, void *ctx);
/* Adds a record (kind, text, NUL) to b. */
void journal_record(struct buf *b, char kind, const char *text);
/* Appends the records in b (freed), fdatasync'ed if sync (the owner knows
 * what a power loss could take of them, and what it would cost); -1 if off. */
int journal_put(struct journal *j, struct buf *b, bool sync);
/* Replaces the contents with the records in b (freed), and so turns a
 * journal that is off on again (logged once). */
int journal_replace(struct journal *j, struct buf *b);

/* Opens (creating) the journal and adds what it holds to into (dated now_ms)
 * and to *full; *replayed counts the entries.  A journal that can be read
 * but not written is replayed, and off.  -1 if it is off (logged). */
int journal_open(struct journal *j, const char *path, struct changeset *into, uint64_t now_ms,
    bool *full, size_t *replayed);
/* Appends a batch, or a wanted full sync, synced if sync; -1 if off
 * (nothing written). */
int journal_append(struct journal *j, const struct changeset *cs, bool sync);
int journal_append_full(struct journal *j, bool sync);
/* What was appended without a sync goes to disk; -1 if off (turned off
 * when it cannot). */
int journal_sync(struct journal *j);
/* Replaces the contents with exactly the n sets (oldest first), and so
 * turns a journal that is off on again (logged once). */
int journal_rewrite(struct journal *j, const struct changeset *const *sets, size_t n, bool full);
/* Empties it: the remote has everything.  Not synced: should the old
 * records survive a crash, they only cause a redundant push. */
void journal_reset(struct journal *j);
/* Empties a journal that is off in place (its file stays open): the remote
 * has everything, and the space its stale records hold may be what it
 * needs to come back.  False if there was nothing to drop. */
bool journal_drop(struct journal *j);
/* Worth a rewrite: it grew well past what it held after the last one. */
bool journal_bloated(const struct journal *j);
void journal_close(struct journal *j);

#endif
