/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Proof that a mirror holds what the source holds: an rsync dry run over the
 * whole tree with the full sync's options and excludes plus --checksum
 * (rsync_argv.c, RSYNC_VERIFY), whose itemized lines are the differences.
 *
 * A verify first waits until every change made before it is on the mirror
 * (as a flush does), then runs.  A change made while it runs is not drift:
 * the paths that change from its start to its end are recorded, and a
 * difference at, above or below one of them is not counted.  One verify
 * at a time per remote; a second request joins the one that is on. */
#ifndef SYNCD_VERIFY_H
#define SYNCD_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "changeset.h"
#include "child.h"
#include "loop.h"

struct worker;
struct remote;

/* What differs about a path.  Times are not drift: see verify.c. */
enum {
	VD_MISSING = 1 << 0,	/* not on the mirror, or of another type there */
	VD_EXTRA   = 1 << 1,	/* on the mirror only */
	VD_CONTENT = 1 << 2,	/* a file's checksum or size */
	VD_TARGET  = 1 << 3,	/* a symlink's target */
	VD_DEVICE  = 1 << 4,	/* a device's numbers, a special file's kind */
	VD_PERMS   = 1 << 5,
	VD_OWNER   = 1 << 6,
	VD_GROUP   = 1 << 7,
	VD_ACL     = 1 << 8,
	VD_XATTRS  = 1 << 9,
};

/* At most this many differences are named in an answer and in status. */
#define VERIFY_LIST 100

enum verify_state { VERIFY_IDLE, VERIFY_WAITING, VERIFY_RUNNING };
enum verify_result { VERIFY_NEVER, VERIFY_OK, VERIFY_DRIFT, VERIFY_FAILED };

struct verify {
	struct worker *w;
	struct remote *r;
	char *exclude_file;
	enum verify_state state;
	struct timer wait;		/* how long the run waits for the mirror */
	struct child *child;
	uint64_t begun;			/* monotonic ms: when the run was asked for */
	uint64_t runs, done;		/* runs begun, runs ended */
	bool lost;			/* change events were lost during the run */
	struct changeset changed;	/* what changed since begun */
	struct buf line;		/* output that is not a whole line yet */
	bool overlong;			/* that line is too long to be an item */
	struct buf found;		/* differences reported: records (what, path) */
	size_t nfound;			/* records in found */
	size_t past, past_changed;	/* differences past its cap: drift, changed meanwhile */
	/* the last run's outcome */
	enum verify_result result;
	uint64_t ended_wall;		/* wall ms; 0: never */
	uint64_t took_ms;
	size_t differences;
	size_t discounted;		/* differences at paths that changed meanwhile */
	struct buf list;		/* the first VERIFY_LIST of them, as records */
	char error[1400];
};

int verify_init(struct verify *v, struct worker *w, struct remote *r);
void verify_free(struct verify *v);
/* Asks for a verify that waits at most until deadline (monotonic ms) for
 * the mirror to hold every change made before now; joins the one that is
 * on.  Returns the run that answers it (see verify_ended). */
uint64_t verify_begin(struct verify *v, uint64_t deadline);
static inline bool
verify_ended(const struct verify *v, uint64_t run)
{
	return v->done >= run;
}
/* The mirror made progress: a waiting run may start. */
void verify_kick(struct verify *v);
/* A change seen by the watcher, and lost events: recorded while a run is on. */
void verify_note(struct verify *v, const char *rel, unsigned kind);
void verify_lost(struct verify *v);
/* The worker stops: a waiting run ends, a running one gets sig. */
void verify_stop(struct verify *v, int sig);

/* "remote NAME: ok ..." and the differences, for the answer to verify. */
void verify_answer_text(const struct verify *v, FILE *f);
/* "  last verify: ..." under the remote's line in status; nothing if none. */
void verify_status_text(const struct verify *v, FILE *f);
/* The JSON members (no braces) of the last run: state, result, time, ... */
void verify_json(const struct verify *v, FILE *f);

/* One line of rsync's "%i %n" output (NUL-terminated, no newline): 1 when
 * it reports a difference, with *what set and *path pointing into line at
 * the name, decoded in place (rsync writes odd bytes as \#ooo), without a
 * directory's trailing '/' ("" for the root); 0 for anything else: another
 * message, or an item that differs in times only. */
int verify_parse_line(char *line, const char **path, unsigned *what);
/* "content,perms" */
void verify_what(unsigned what, char *buf, size_t len);
/* The difference what at path comes from a change made meanwhile: path,
 * one of its ancestors or something below it is in changed, or it is the
 * temporary file of a push of such a path. */
bool verify_changed(const struct changeset *changed, const char *path, unsigned what);

#endif
