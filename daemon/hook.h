/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hooks: [hook NAME] sections, told about changes once every mirror has
 * them (or as soon as they are seen).  Each hook has its own queue of
 * changes, filtered by kind and regex when a batch is sealed, and delivers
 * them in calls (a command run, a stream of lines, an HTTP request) of at
 * most `batch` changes, `concurrency` calls at once.  A failed call is
 * retried with backoff, then dropped and counted.  Everything runs from the
 * worker's event loop and never blocks it: a hook that hangs or fails only
 * delays itself, never the mirroring.  Every change queued gets the next
 * number of the hook's sequence and is in the hook's journal before it can
 * go out (hook_journal.c): what a stop or a crash leaves undelivered goes
 * out at the next start, under the same delivery id (see syncd.ini(5),
 * [hook NAME] SECTIONS, for the guarantee). */
#ifndef SYNCD_HOOK_H
#define SYNCD_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "changeset.h"
#include "config.h"
#include "journal.h"
#include "loop.h"

struct worker;
struct hook;

struct hook_event {
	char *path;		/* relative to the source root ("" for a resync) */
	uint64_t t;		/* when its batch was sealed (monotonic ms) */
	uint64_t seq;		/* its number in the hook's sequence */
	unsigned kind;		/* HK_* */
};

/* One delivery: a slot of the hook's concurrency. */
struct hook_call {
	struct hook *h;
	struct hook_event *ev;	/* owned */
	size_t n;
	unsigned attempt;	/* 0: the first */
	bool timed_out;		/* cancelled because it ran past the timeout */
	enum { CALL_FREE, CALL_RUNNING, CALL_WAITING } state;
	struct timer timer;	/* the timeout while running, the backoff while waiting */
	void *impl;		/* the type's own, while running */
};

/* What a hook type does.  start() begins delivering c->ev and reports the
 * outcome with hook_call_done(), now or later.  cancel() ends a running call
 * (it timed out, or the worker stops); the call is reported as failed, at
 * once or when its work is gone (a killed command: at its exit). */
struct hook_ops {
	int (*check)(const struct hook_conf *hc);	/* what open checks; may be NULL */
	int (*open)(struct hook *h);		/* may be NULL */
	void (*close)(struct hook *h);		/* may be NULL */
	void (*start)(struct hook_call *c);
	void (*cancel)(struct hook_call *c);
	bool one_kind;		/* a call holds changes of one kind only */
};

extern const struct hook_ops hook_command_ops, hook_socket_ops, hook_http_ops, hook_cdn_ops;

struct hook {
	struct worker *w;
	const struct hook_conf *hc;
	const struct hook_ops *ops;
	void *impl;		/* the type's own */
	struct hook_event *q;	/* waiting, oldest first: q[qhead..qlen) */
	size_t qhead, qlen, qcap;
	struct hook_call *calls;	/* hc->concurrency slots */
	struct timer kick;
	bool stopping;		/* no new calls */
	bool dropping;		/* the queue is full: changes are dropped (then a resync) */
	struct journal journal;	/* what is queued or in calls, on disk */
	bool unjournaled;	/* the stop let go of changes no journal holds */
	uint64_t seq;		/* the next change's number */
	/* figures */
	uint64_t delivered, calls_ok, calls_failed, retried, dropped, overflowed;
	uint64_t last_ok_wall;
	char last_error[512];
};

/* What hook_init would refuse in the hook's configuration beyond the file
 * (a header_file or credentials_file that is not what it should be,
 * libcurl missing): -1 after logging it.  For --check and the worker's start. */
int hook_check(const struct hook_conf *hc);
int hook_init(struct hook *h, struct worker *w, const struct hook_conf *hc);
void hook_free(struct hook *h);
/* The changes a remote replayed from its journal, for a hook that had no
 * journal of its own (new, or the first start with journals): offered like
 * a sealed batch.  True when the hook wants them. */
bool hook_wants_replayed(const struct hook *h);
/* Changes were lost (an overflow, an unclean stop): the hook gets one
 * resync once the mirrors it waits for have everything seen until now,
 * i.e. once the full sync that covers the loss is done. */
void hook_resync(struct hook *h);
/* At a clean stop: what is pending is in the journal (a journal that is off
 * gets one more try).  False, logged: the next start needs a resync. */
bool hook_journaled(struct hook *h);
/* The delivery id of the changes numbered first..last:
 * "INSTANCE/HOOK/FIRST-LAST". */
void hook_delivery_id(const struct hook *h, uint64_t first, uint64_t last, char *buf, size_t len);
/* A call's (its first and last change). */
void hook_call_id(const struct hook_call *c, char *buf, size_t len);
#define HOOK_ID_MAX 300
/* Queues the entries of a sealed batch that pass the hook's filters, and
 * for a hook that wants updates the files in each dir entry's directory
 * (at most dir_files), read now. */
void hook_offer(struct hook *h, const struct changeset *sealed, uint64_t t);
/* Starts the calls that are due: call when a mirror caught up. */
void hook_kick(struct hook *h);
/* A running call ended; why says what failed (NULL when ok). */
void hook_call_done(struct hook_call *c, bool ok, const char *why);
/* Stops starting calls; cancel_running ends the running ones too. */
void hook_stop(struct hook *h, bool cancel_running);
/* No call running. */
bool hook_idle(const struct hook *h);
/* Changes queued or in calls. */
size_t hook_pending(const struct hook *h);
/* "ok", "delivering", "waiting" (for the mirrors), "backoff" or "stopped". */
const char *hook_state(const struct hook *h);
/* The kind's name: "update", "delete", "dir", "resync". */
const char *hook_kind_name(unsigned kind);
/* The socket hook's line for a change (see hook_socket.c). */
struct buf;
void hook_socket_line(struct buf *b, const struct hook_event *ev);

/* For hook_journal.c: queues a change (numbered now, or seq when not 0)
 * at the tail; -1 out of memory. */
int hook_queue_add(struct hook *h, const char *rel, unsigned kind, uint64_t t, uint64_t seq);
/* hook_journal.c: the journal's side of a hook.  open replays it into the
 * queue (dated t); put adds the changes numbered from first on at the tail
 * of the queue; done marks first..last delivered or given up; tidy
 * compacts a bloated one and turns one that is off on again once the hook
 * drained; rewrite replaces it with what is pending. */
int hook_journal_open(struct hook *h, const char *path, uint64_t t);
void hook_journal_put(struct hook *h, uint64_t first);
void hook_journal_overflow(struct hook *h);
void hook_journal_done(struct hook *h, uint64_t first, uint64_t last);
void hook_journal_tidy(struct hook *h);
int hook_journal_rewrite(struct hook *h);

#endif
