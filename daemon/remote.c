/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "remote.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backoff.h"
#include "faillog.h"
#include "lane.h"
#include "log.h"
#include "push.h"
#include "rsync_argv.h"
#include "sshmux.h"
#include "strv.h"
#include "worker.h"

static void nothing_ran(void *ctx);
static void journal_retry_due(void *ctx);
static void retry_journal_later(struct remote *r);

/* The retry timer, and the lane timer (the push in flight got long). */
static void
kick_due(void *ctx)
{
	remote_kick(ctx);
}

/* Every remote whose runs go through the connector has one: without
 * preconnect it keeps no connection, its pushes send their opening with
 * their connect. */
static int
preconnect_init(struct remote *r)
{
	char **argv = rsync_argv_opener(r->w->cfg, r->rc), *learn;

	if (!argv && r->rc->preconnect_ms)
		log_warn("%s: preconnect: its runs connect by themselves (--sockopts in [rsync] options, "
		    "or the worker's binary is not known), so nothing is opened ahead", r->rc->name);
	if (!argv)
		return 0;
	if (asprintf(&learn, "%s/%s.opening", r->w->scratch_dir, r->rc->name) < 0) {
		strv_free(argv);
		log_err("out of memory");
		return -1;
	}
	/* One an earlier worker kept may be of another configuration: sent
	 * to a module that asks for a password now, its arguments would be
	 * read as the answer, a failed login in the daemon's log. */
	if (unlink(learn) < 0 && errno != ENOENT)
		log_warn("%s: %s: %s", r->rc->name, learn, strerror(errno));
	r->rc->pre = &r->pre;
	return preconn_init(&r->pre, &r->w->loop, r->rc, argv, learn);
}

int
remote_init(struct remote *r, struct worker *w, struct remote_conf *rc)
{
	char *jpath = NULL;
	size_t replayed = 0;
	bool full = false;

	memset(r, 0, sizeof *r);
	r->w = w;
	r->rc = rc;
	r->journal.fd = -1;
	changeset_init(&r->pending);
	changeset_init(&r->inflight);
	changeset_init(&r->during_full);
	changeset_init(&r->lane);
	if (asprintf(&r->push_excludes, "%s/%s.push-excludes", w->scratch_dir, rc->name) < 0 ||
	    asprintf(&r->lane_excludes, "%s/%s.lane-excludes", w->scratch_dir, rc->name) < 0 ||
	    asprintf(&r->empty_copies, "%s/%s.deletions", w->scratch_dir, rc->name) < 0 ||
	    asprintf(&r->full_excludes, "%s/%s.full-excludes", w->scratch_dir, rc->name) < 0 ||
	    asprintf(&jpath, "%s/%s.journal", w->state_dir, rc->name) < 0) {
		log_err("out of memory");
		return -1;
	}
	/* A journal that cannot be used is logged; mirroring goes on. */
	journal_open(&r->journal, jpath, &r->pending, now_ms(), &full, &replayed);
	free(jpath);
	if (replayed || full) {
		log_info("%s: replayed %zu pending changes%s from the journal", rc->name, replayed,
		    full ? " and a wanted full sync" : "");
		r->full_wanted = full;
		r->full_for_lost = full;
	}
	if (timer_init(&w->loop, &r->nothing_ran, nothing_ran, r) < 0 ||
	    timer_init(&w->loop, &r->journal_retry, journal_retry_due, r) < 0 ||
	    timer_init(&w->loop, &r->lane_timer, kick_due, r) < 0)
		return -1;
	if (r->journal.err)
		retry_journal_later(r);
	if (preconnect_init(r) < 0)
		return -1;
	return timer_init(&w->loop, &r->retry, kick_due, r);
}

void
remote_free(struct remote *r)
{
	timer_close(&r->retry);
	timer_close(&r->nothing_ran);
	timer_close(&r->journal_retry);
	timer_close(&r->lane_timer);
	if (r->rc->pre) {
		preconn_free(r->rc->pre);
		r->rc->pre = NULL;
	}
	journal_close(&r->journal);
	changeset_clear(&r->pending);
	changeset_clear(&r->inflight);
	changeset_clear(&r->during_full);
	changeset_clear(&r->lane);
	moves_clear(&r->moves);
	move_free(&r->linking);
	free(r->push_excludes);
	free(r->lane_excludes);
	free(r->empty_copies);
	free(r->full_excludes);
}

static int
rewrite(struct remote *r)
{
	/* Oldest first: replay reads later records as newer. */
	const struct changeset *const sets[] = { &r->inflight, &r->lane, &r->pending };

	return journal_rewrite(&r->journal, sets, 3, r->full_wanted || r->full);
}

/* A journal that is off is rewritten with all that is pending on the
 * [retry] backoff, whether changes come or not: a full disk is neither
 * written to nor logged about at every batch, and a journal whose disk got
 * room again comes back by itself. */
static void
retry_journal_later(struct remote *r)
{
	timer_arm(&r->journal_retry, backoff_delay(r->w->cfg, ++r->journal_failures));
}

/* The journal went off or came back (was: its err before): the status
 * shows it. */
static void
journal_noted(struct remote *r, int was)
{
	if (!was == !r->journal.err)
		return;
	r->journal_failures = 0;
	if (r->journal.err)
		retry_journal_later(r);
	else
		timer_disarm(&r->journal_retry);
	worker_status(r->w);
}

static void
revive(struct remote *r)
{
	int was = r->journal.err;

	if (was && rewrite(r) < 0)
		retry_journal_later(r);
	journal_noted(r, was);
}

static void
journal_retry_due(void *ctx)
{
	revive(ctx);
}

/* Keeps the journal no bigger than what is really pending. */
static void
compact(struct remote *r)
{
	bool current = !r->full_wanted && !r->full && !remote_unpushed(r);
	int was = r->journal.err;

	if (was) {
		/* Its stale records go at once, and it tries to come back in
		 * the space they held. */
		if (current && journal_drop(&r->journal))
			revive(r);
		return;
	}
	if (current)
		journal_reset(&r->journal);
	else if (journal_bloated(&r->journal))
		rewrite(r);
	journal_noted(r, was);
}

static void
succeeded(struct remote *r)
{
	r->failures = 0;
	r->last_outcome = RSYNC_OK;
	r->last_ok_wall = wall_ms();
	/* The remote answers: the next run finds its connection made. */
	if (r->rc->pre && !r->w->stopping)
		preconn_open(r->rc->pre);
	if (r->last_error[0])
		log_info("%s: mirroring again", r->rc->name);
	r->last_error[0] = '\0';
}

static void
failed(struct remote *r, const char *output, int status, enum rsync_outcome o, const char *what,
    size_t paths)
{
	const struct config *cfg = r->w->cfg;
	char how[96], said[1024], err[sizeof r->last_error];
	uint64_t delay = cfg->min_backoff_ms;

	child_describe(status, how, sizeof how);
	rsync_last_words(output, said, sizeof said);
	snprintf(err, sizeof err, "%s failed: rsync %s%s%s", what, how, *said ? ": " : "", said);
	faillog_write(r->w->fail_log, r->rc->name, what, paths, status, rsync_outcome_name(o), err);
	r->failures++;
	if (!strcmp(what, "push"))
		r->failed_pushes[o]++;
	/* A run that named the choices of an earlier negotiation may have
	 * failed for them (the remote's rsync changed, or refuses the
	 * options): the next negotiates again, after the usual backoff
	 * whatever rsync said. */
	bool named = rsync_argv_forget(r->rc, output);
	if (o == RSYNC_OPERATOR && !named) {
		/* Retrying soon cannot help; say it once, not per attempt. */
		delay = cfg->max_backoff_ms;
		if (r->last_outcome != RSYNC_OPERATOR || strcmp(err, r->last_error))
			log_err("%s: %s; this needs an operator (credentials, module, host key or "
			    "options); retrying every %llus", r->rc->name, err,
			    (unsigned long long)(delay / 1000));
	} else {
		delay = backoff_delay(cfg, r->failures);
		log_warn("%s: %s (failure %u in a row); retrying in %llums", r->rc->name, err,
		    r->failures, (unsigned long long)delay);
	}
	if (o == RSYNC_RETRY)
		sshmux_retire(r->rc);
	r->last_outcome = o;
	memcpy(r->last_error, err, sizeof err);
	timer_arm(&r->retry, delay);
}

static void
finished(struct remote *r)
{
	compact(r);
	remote_kick(r);
	remotes_dispatch(r->w);
	worker_status(r->w);
	worker_remote_done(r->w);
}

static void
nothing_ran(void *ctx)
{
	finished(ctx);
}

static void
spawn_failed(struct remote *r, const char *what)
{
	/* Nothing ran (the reason is logged): an operator's matter. */
	failed(r, "", 127 << 8, RSYNC_OPERATOR, what, 0);
}

/* The batch in cs is on the mirror. */
static void
counted(struct remote *r, struct changeset *cs, const char *lane)
{
	size_t n = changeset_count(cs);

	r->pushes++;
	r->paths_pushed += n;
	changeset_clear(cs);
	log_debug("%s: pushed %zu paths%s", r->rc->name, n, lane);
}

/* The batch in inflight is on the mirror. */
static void
pushed(struct remote *r)
{
	counted(r, &r->inflight, "");
	succeeded(r);
}

/* What a run's output tells: the bytes it sent, the choices negotiated. */
static void
said(struct remote *r, const struct child *c)
{
	r->bytes_sent += rsync_sent_bytes(c->tail);
	rsync_argv_learn(r->rc, c->tail);
}

/* What a push run that ended adds to the figures. */
static void
ran(struct remote *r, const struct child *c, uint64_t started)
{
	said(r, c);
	hist_add(&r->push_time, (double)(now_ms() - started) / 1000);
}

static void
push_ran(struct remote *r, const struct child *c)
{
	r->push = NULL;
	r->lane_ok = false;
	timer_disarm(&r->lane_timer);
	ran(r, c, r->push_started);
}

static void
deletions_done(struct child *c, int status, void *ctx)
{
	struct remote *r = ctx;
	enum rsync_outcome o = rsync_outcome(status, c->tail);

	push_ran(r, c);
	if (o == RSYNC_OK) {
		pushed(r);
	} else {
		changeset_merge(&r->pending, &r->inflight);
		failed(r, c->tail, status, o, "push", 0);
	}
	finished(r);
}

/* For a receiver that rejects --delete-missing-args, the second run of a
 * batch: its deletions.  1: started (or failed, logged); 0: there are none. */
static int
start_deletions(struct remote *r)
{
	struct worker *w = r->w;
	size_t paths;

	r->push_started = now_ms();
	r->push = push_deletions(&w->loop, w->cfg, r->rc, &r->inflight, r->push_excludes,
	    r->empty_copies, &paths, deletions_done, r);
	if (r->push)
		return 1;
	if (!paths)
		return 0;
	changeset_merge(&r->pending, &r->inflight);
	spawn_failed(r, "push");
	return 1;
}

/* Receivers with rsync's 2025 security fixes (3.4.x, and 3.2.7 as patched
 * by Debian 12) reject the entries that --delete-missing-args sends for
 * deleted paths: a run that failed so switches r to deletion runs. */
static bool
rejects_missing_args(struct remote *r, const struct child *c, int status)
{
	if (r->parent_deletes || !WIFEXITED(status) || WEXITSTATUS(status) != 2 ||
	    !strstr(c->tail, "invalid file mode"))
		return false;
	log_warn("%s: the receiver rejects --delete-missing-args; deletions go to it as "
	    "prunes of their parent directories from now on", r->rc->name);
	r->parent_deletes = true;
	return true;
}

/* The batch in inflight is on the mirror but for its deletions (a receiver
 * that rejects --delete-missing-args).  Their run finds each deleted path's
 * nearest existing parent only as it starts, so it may delete a whole
 * directory that went meanwhile, with what the second lane puts in it: it
 * waits for the second lane's push to end.  True while the batch's run goes
 * on or waits. */
static bool
deletion_phase(struct remote *r)
{
	if (r->w->killing) {
		/* Its deletions have not run: all of it stays journaled. */
		changeset_merge(&r->pending, &r->inflight);
		return false;
	}
	if (r->lane_push) {
		r->deletions_due = true;
		return true;
	}
	if (start_deletions(r) == 0) {
		pushed(r);
		return false;
	}
	return r->push != NULL;
}

static void
push_done(struct child *c, int status, void *ctx)
{
	struct remote *r = ctx;
	size_t n = changeset_count(&r->inflight);
	enum rsync_outcome o = rsync_outcome(status, c->tail);

	push_ran(r, c);
	if (o == RSYNC_OK) {
		uint64_t took = now_ms() - r->push_started;
		r->push_ms = r->push_ms ? (3 * r->push_ms + took) / 4 : took;
	}
	if (o == RSYNC_OK && r->parent_deletes) {
		if (deletion_phase(r))
			return;
	} else if (o == RSYNC_OK) {
		pushed(r);
	} else if (rejects_missing_args(r, c, status)) {
		changeset_merge(&r->pending, &r->inflight);
	} else {
		changeset_merge(&r->pending, &r->inflight);
		failed(r, c->tail, status, o, "push", n);
	}
	finished(r);
}

static void
lane_done(struct child *c, int status, void *ctx)
{
	struct remote *r = ctx;
	size_t n = changeset_count(&r->lane);
	enum rsync_outcome o = rsync_outcome(status, c->tail);

	r->lane_push = NULL;
	ran(r, c, r->lane_started);
	if (o == RSYNC_OK && r->parent_deletes && r->lane_listed < n) {
		/* Some of it went before it ran: the main lane's deletion run
		 * deletes that, and this lane stays shut until the main lane's
		 * next batch (it would send the same again). */
		changeset_merge(&r->pending, &r->lane);
		r->lane_ok = false;
	} else if (o == RSYNC_OK) {
		r->lane_pushes++;
		counted(r, &r->lane, " in the second lane");
		/* Not "mirroring again" while the main lane's push that failed
		 * meanwhile backs off. */
		if (!r->failures)
			succeeded(r);
	} else if (rejects_missing_args(r, c, status)) {
		changeset_merge(&r->pending, &r->lane);
	} else {
		changeset_merge(&r->pending, &r->lane);
		failed(r, c->tail, status, o, "push", n);
	}
	if (r->deletions_due) {
		r->deletions_due = false;
		if (deletion_phase(r))
			return;
	}
	finished(r);
}

static void
full_done(struct child *c, int status, void *ctx)
{
	struct remote *r = ctx;
	enum rsync_outcome o = rsync_outcome(status, c->tail);

	r->full = NULL;
	said(r, c);
	if (o == RSYNC_OK) {
		r->full_syncs++;
		r->full_ms = now_ms() - r->full_started;
		if (!r->full_wanted)
			r->full_for_lost = false;
		/* The full sync's --delete may have removed what a live push
		 * created meanwhile: push every such path again. */
		changeset_merge(&r->pending, &r->during_full);
		succeeded(r);
		log_info("%s: full sync done", r->rc->name);
	} else {
		changeset_clear(&r->during_full);
		r->full_wanted = true;
		failed(r, c->tail, status, o, "full-sync", 0);
	}
	finished(r);
}

/* The moved directory's entries, taken into inflight when its link pass
 * started, are on the mirror, or go back to the batch that sends them. */
static void
link_finished(struct remote *r, struct child *c, int status, const char *what)
{
	char how[96];

	r->push = NULL;
	if (rsync_outcome(status, c->tail) == RSYNC_OK) {
		changeset_clear(&r->inflight);
		log_debug("%s: link pass of a directory moved from a copy on the mirror done",
		    r->rc->name);
	} else {
		changeset_merge(&r->pending, &r->inflight);
		child_describe(status, how, sizeof how);
		log_info("%s: %s for a moved directory failed (rsync %s): the batch sends its files",
		    r->rc->name, what, how);
	}
	move_free(&r->linking);
	finished(r);
}

static void
link_pruned(struct child *c, int status, void *ctx)
{
	link_finished(ctx, c, status, "prune");
}

static void
link_done(struct child *c, int status, void *ctx)
{
	struct remote *r = ctx;
	struct worker *w = r->w;

	/* The mirror's copy of NEW may hold what the source's lacks (it was
	 * there before the move): a prune of NEW takes it away.  Out of time,
	 * NEW stays pending instead. */
	if (rsync_outcome(status, c->tail) == RSYNC_OK && w->cfg->rsync_delete) {
		r->push = w->killing ? NULL : push_prune_tree(&w->loop, w->cfg, r->rc, r->linking.to,
		    r->push_excludes, link_pruned, r);
		if (r->push)
			return;
		status = 127 << 8;
	}
	link_finished(r, c, status, "link pass");
}

/* A move in the pending batches whose old copy the mirror still has (its
 * deletion is pending too) and whose new directory is pending whole.  Its
 * entries go into inflight: the pass covers them, and changes that come
 * while it runs stay pending. */
static bool
start_link_pass(struct remote *r)
{
	struct worker *w = r->w;

	while (moves_take(&r->moves, &r->linking)) {
		const struct pnode *to = ptree_lookup(&r->pending.tree, r->linking.to);
		const struct pnode *from = ptree_lookup(&r->pending.tree, r->linking.from);
		if (to && from && to->flags == CH_DIR && (from->flags & CH_GONE)) {
			r->push = linkpass_start(&w->loop, w->cfg, r->rc, &r->linking, link_done, r);
			if (r->push && changeset_take_path(&r->pending, &r->inflight, r->linking.to) == 0)
				return true;
			if (r->push) {
				/* Out of memory: the batch covers it all. */
				changeset_merge(&r->pending, &r->inflight);
				child_kill(r->push, SIGKILL);
				return true;
			}
		}
		move_free(&r->linking);
	}
	return false;
}

/* A batch's deletion run that waits for the second lane holds its slot. */
static unsigned
runs_of(const struct remote *r)
{
	return (r->push || r->deletions_due) + (r->lane_push != NULL) + (r->full != NULL);
}

/* [rsync] max_parallel bounds the rsync runs of all remotes together (the
 * worker's pipes, processes and CPU).  A failing remote's run, and a
 * remote's second or third run (a push beside its full sync or beside its
 * other lane's push), start only while half
 * of the slots are free: mirrors whose connects hang until their timeout
 * (failing, or not known to fail yet, each on one run) never take them all
 * from the healthy ones. */
struct slots {
	unsigned runs, max, spare_max;
};

static struct slots
slots_count(const struct worker *w)
{
	struct slots s = { 0, w->cfg->max_parallel, (w->cfg->max_parallel + 1) / 2 };

	for (size_t i = 0; i < w->cfg->nremotes; i++)
		s.runs += runs_of(&w->remotes[i]);
	return s;
}

static bool
slot_for(const struct slots *s, const struct remote *r)
{
	bool spare = r->failures || runs_of(r);

	return s->runs < (spare ? s->spare_max : s->max);
}

/* The remote queued longest that a free slot could take now, or NULL. */
static struct remote *
first_waiting(struct worker *w, const struct slots *s)
{
	struct remote *first = NULL;

	for (size_t i = 0; i < w->cfg->nremotes; i++) {
		struct remote *q = &w->remotes[i];
		if (q->waiting && slot_for(s, q) && (!first || q->waiting < first->waiting))
			first = q;
	}
	return first;
}

/* r may start a run now; otherwise it keeps (or takes) its place in the
 * queue, behind those queued before it, for a slot or for its turn at the
 * pace of starts (pace.h). */
static bool
may_run(struct remote *r, uint64_t ticket)
{
	struct worker *w = r->w;
	struct slots s = slots_count(w);
	struct remote *first = first_waiting(w, &s);
	uint64_t now = now_ms(), wait = pace_wait(&w->pace, now);

	if (wait) {
		if (!w->pace_timer.due)
			timer_arm(&w->pace_timer, wait);
	} else if (slot_for(&s, r) && (!first || (ticket && ticket < first->waiting))) {
		pace_note(&w->pace, now);
		return true;
	}
	r->waiting = ticket ? ticket : ++w->tickets;
	return false;
}

void
remotes_dispatch(struct worker *w)
{
	struct remote *q;

	for (;;) {
		struct slots s = slots_count(w);
		if (!(q = first_waiting(w, &s)))
			return;
		remote_kick(q);
		if (q->waiting)
			return;	/* still no slot for it */
	}
}

/* The main lane's push has run long enough for a second lane beside it. */
static bool
lane_open(const struct remote *r)
{
	return r->push && r->lane_ok && !r->lane_push && !r->failures &&
	    now_ms() - r->push_started >= r->w->cfg->lane_after_ms;
}

bool
remote_idle(const struct remote *r)
{
	return ((!r->push && !r->deletions_due) || lane_open(r)) && !r->retry.due &&
	    !r->w->killing && !r->w->paused;
}

/* The main lane's next batch: while the second lane's push runs, only what
 * overlaps none of it (lane.h). */
static void
start_batch(struct remote *r)
{
	struct worker *w = r->w;
	size_t paths;
	int rc = r->lane_push ?
	    (lane_take(&r->pending, &r->lane, &r->inflight, w->cfg->max_files, 0) < 0 ? -1 : 0) :
	    changeset_take(&r->pending, &r->inflight, w->cfg->max_files);

	if (rc < 0) {
		log_err("%s: out of memory taking a batch", r->rc->name);
		changeset_merge(&r->pending, &r->inflight);
		return;
	}
	if (!changeset_count(&r->inflight))
		return;		/* all of it waits for the second lane's push */
	r->push_started = now_ms();
	r->push = push_batch(&w->loop, w->cfg, r->rc, &r->inflight, r->parent_deletes,
	    r->push_excludes, &paths, push_done, r);
	if (r->push) {
		r->lane_ok = w->cfg->lane_after_ms > 0;
		if (r->lane_ok)
			timer_arm(&r->lane_timer, w->cfg->lane_after_ms);
		return;
	}
	if (paths) {
		changeset_merge(&r->pending, &r->inflight);
		spawn_failed(r, "push");
		return;
	}
	/* Nothing to send: all of it below what replaces it all, or
	 * deletions (of what is gone already).  Done, but said from the
	 * loop: a kick may come from inside the worker's seal(), which must
	 * not seal again. */
	if (!r->parent_deletes)
		pushed(r);
	else if (deletion_phase(r))
		return;
	timer_arm(&r->nothing_ran, 0);
}

/* Beside the main lane's long push, a second one of the pending entries
 * that overlap nothing in it.  A receiver that rejects
 * --delete-missing-args gets deletions from the main lane alone (see
 * deletion_phase): this lane takes none, and lists no path that is gone. */
static void
start_lane(struct remote *r, uint64_t ticket)
{
	struct worker *w = r->w;
	long took;

	if (!lane_open(r) || !changeset_count(&r->pending))
		return;
	took = lane_take(&r->pending, &r->inflight, &r->lane, w->cfg->max_files,
	    r->parent_deletes ? CH_GONE : 0);
	if (took < 0)
		log_err("%s: out of memory taking a batch", r->rc->name);
	if (took <= 0 || !may_run(r, ticket)) {
		changeset_merge(&r->pending, &r->lane);
		return;
	}
	r->lane_started = now_ms();
	r->lane_push = push_batch(&w->loop, w->cfg, r->rc, &r->lane, r->parent_deletes,
	    r->lane_excludes, &r->lane_listed, lane_done, r);
	if (r->lane_push)
		return;
	changeset_merge(&r->pending, &r->lane);
	if (r->lane_listed)
		spawn_failed(r, "push");
	else
		r->lane_ok = false;	/* nothing to list: the main lane settles it */
}

void
remote_kick(struct remote *r)
{
	struct worker *w = r->w;
	uint64_t ticket = r->waiting;

	/* Queued only while it wants to start a run and may not. */
	r->waiting = 0;
	if (r->retry.due || w->killing || w->paused)
		return;		/* backing off, out of time, or told to wait */
	if (!r->full && r->full_wanted && !w->stopping) {
		if (!may_run(r, ticket))
			return;
		r->full_wanted = false;
		changeset_clear(&r->during_full);
		log_info("%s: full sync started", r->rc->name);
		r->full_started = now_ms();
		r->full = push_full(&w->loop, w->cfg, r->rc, r->full_excludes, full_done, r);
		if (!r->full) {
			r->full_wanted = true;
			spawn_failed(r, "full-sync");
			return;
		}
	}
	if ((r->failures && (r->full || r->lane_push)) || r->deletions_due)
		return;		/* while failing, one run at a time probes the remote */
	if (!r->push && changeset_count(&r->pending) && !may_run(r, ticket))
		return;
	/* A link pass touches all below the moved directory: not beside the
	 * second lane (the batch then sends it). */
	if (!r->push && changeset_count(&r->pending) && !r->lane_push && start_link_pass(r))
		return;
	if (!r->push && changeset_count(&r->pending))
		start_batch(r);
	else
		start_lane(r, ticket);
}

/* Whether an append must reach the disk before it is acted on: only while
 * the worker has no running mark on disk, which otherwise makes a power
 * loss end in a full sync (journal.h). */
static bool
sync_appends(const struct remote *r)
{
	return r->w->running_err || !r->w->mark_synced;
}

static int
remote_offer(struct remote *r, const struct changeset *sealed, const struct moves *moves)
{
	int was = r->journal.err;

	/* In the journal before it can be attempted. */
	journal_append(&r->journal, sealed, sync_appends(r));
	journal_noted(r, was);
	moves_append(&r->moves, moves);
	if (changeset_copy(&r->pending, sealed) < 0)
		return -1;
	if (r->full && changeset_copy(&r->during_full, sealed) < 0)
		return -1;
	remote_kick(r);
	return 0;
}

/* The longest first: a batch starts a push to every remote that is free,
 * and the ones that take longest (far mirrors, whose time is round trips,
 * not CPU) then start before the quick ones' CPU work instead of behind it,
 * which gets the last mirror its copy soonest (longest processing time
 * first).  50 mirrors at 20-100 ms RTT in the network lab, where the
 * pushes share 2 CPUs: the farthest one's median 584 -> 414 ms (410 ms
 * alone), the nearest one's 242 -> 304 ms (DESIGN.md).  Before a remote's
 * first push its full sync's time stands in: of a small tree it is round
 * trips too, and the first change after a start went out in the file's
 * order (the lab's farthest mirrors then took up to 0.9 s). */
static uint64_t
expected_ms(const struct remote *r)
{
	return r->push_ms ? r->push_ms : r->full_ms;
}

static int
longer_first(const void *a, const void *b)
{
	const struct remote *x = *(struct remote *const *)a, *y = *(struct remote *const *)b;
	uint64_t xt = expected_ms(x), yt = expected_ms(y);

	if (xt != yt)
		return xt < yt ? 1 : -1;
	return x < y ? -1 : x > y;	/* the configuration's order */
}

int
remotes_offer(struct worker *w, const struct changeset *sealed, const struct moves *moves)
{
	size_t n = w->cfg->nremotes;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		w->order[i] = &w->remotes[i];
	qsort(w->order, n, sizeof *w->order, longer_first);
	for (size_t i = 0; i < n; i++)
		if (remote_offer(w->order[i], sealed, moves) < 0) {
			log_err("%s: out of memory queueing a batch", w->order[i]->rc->name);
			rc = -1;
		}
	return rc;
}

void
remote_full(struct remote *r, bool lost)
{
	int was = r->journal.err;

	if (!r->full_wanted)
		journal_append_full(&r->journal, sync_appends(r));
	journal_noted(r, was);
	r->full_wanted = true;
	r->full_for_lost |= lost;
	remote_kick(r);
}

bool
remote_settled(const struct remote *r)
{
	return !r->push && !r->lane_push && !r->deletions_due && !r->full &&
	    (r->retry.due || !changeset_count(&r->pending));
}

size_t
remote_unpushed(const struct remote *r)
{
	return changeset_count(&r->pending) + changeset_count(&r->inflight) +
	    changeset_count(&r->lane);
}

static uint64_t
older(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

uint64_t
remote_oldest(const struct remote *r)
{
	return older(older(changeset_oldest(&r->pending), changeset_oldest(&r->inflight)),
	    changeset_oldest(&r->lane));
}

bool
remote_current(const struct remote *r, uint64_t t)
{
	uint64_t oldest = remote_oldest(r);

	if (r->full_for_lost && (r->full_wanted || r->full))
		return false;	/* lost events are covered only by that full sync */
	if (r->full) {
		/* Its --delete may still remove what was pushed meanwhile. */
		uint64_t during = changeset_oldest(&r->during_full);
		if (during && during <= t)
			return false;
	}
	return !oldest || oldest > t;
}

const char *
remote_state(const struct remote *r)
{
	if (r->failures && r->last_outcome == RSYNC_OPERATOR)
		return "operator-error";
	if (r->failures)
		return r->retry.due ? "backoff" : "failing";
	if (r->w->paused)
		return "paused";
	if (r->push || r->lane_push || r->deletions_due || r->full)
		return "pushing";
	return "ok";
}

void
remote_stop(struct remote *r)
{
	if (r->rc->pre)
		preconn_close(r->rc->pre);
	remote_kick(r);
}

void
remote_kill(struct remote *r, int sig)
{
	if (r->push)
		child_kill(r->push, sig);
	if (r->lane_push)
		child_kill(r->lane_push, sig);
	if (r->full)
		child_kill(r->full, sig);
}

bool
remote_journaled(struct remote *r)
{
	size_t n = remote_unpushed(r);

	/* The appends not synced, before the running mark goes. */
	journal_sync(&r->journal);
	if (!r->journal.err || (!n && !r->full_wanted) || rewrite(r) == 0)
		return true;
	log_warn("%s: %zu changes%s pending are not in the journal (%s): the next start runs a "
	    "full sync", r->rc->name, n, r->full_wanted ? " and a full sync" : "",
	    strerror(r->journal.err));
	return false;
}
