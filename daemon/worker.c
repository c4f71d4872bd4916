/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "backoff.h"
#include "hook.h"
#include "log.h"
#include "remote.h"
#include "child.h"
#include "control.h"
#include "sshmux.h"
#include "statelock.h"
#include "sdnotify.h"

/* How long in-flight rsync runs get to finish once we are told to stop. */
#define STOP_GRACE_MS 10000
/* How long a scheduled verify waits for a mirror to catch up. */
#define VERIFY_WAIT_MS 60000

static void
seal(struct worker *w)
{
	uint64_t t = now_ms();

	if (!changeset_count(&w->gather)) {
		batch_sealed(&w->batch, t);	/* what came cancelled out */
		return;
	}
	w->batches++;
	log_debug("batch %llu sealed: %zu entries", (unsigned long long)w->batches,
	    changeset_count(&w->gather));
	remotes_offer(w, &w->gather, &w->moves);
	/* After the remotes: a hook that waits for them must see them busy. */
	for (size_t i = 0; i < w->cfg->nhooks; i++)
		hook_offer(&w->hooks[i], &w->gather, t);
	changeset_clear(&w->gather);
	moves_clear(&w->moves);
	batch_sealed(&w->batch, t);
	timer_disarm(&w->batch_timer);
}

/* Some remote would start a push at once (see batch.h); with no remote,
 * hooks alone wait for the batch. */
static bool
mirror_free(const struct worker *w)
{
	if (!w->cfg->nremotes)
		return true;
	for (size_t i = 0; i < w->cfg->nremotes; i++)
		if (remote_idle(&w->remotes[i]))
			return true;
	return false;
}

/* A run queued for its turn at the pace of starts may go. */
static void
pace_due(void *ctx)
{
	remotes_dispatch(ctx);
}

static void
batch_due(void *ctx)
{
	struct worker *w = ctx;
	uint64_t in = batch_due_in(&w->batch, now_ms(), mirror_free(w));

	if (in == 0)
		seal(w);
	else if (in != UINT64_MAX)
		timer_arm(&w->batch_timer, in);	/* changes came since it was armed */
}

static void
full_sync_all(struct worker *w, bool lost)
{
	for (size_t i = 0; i < w->cfg->nremotes; i++)
		remote_full(&w->remotes[i], lost);
	/* After the remotes: the resync waits for the full syncs. */
	for (size_t i = 0; lost && i < w->cfg->nhooks; i++)
		hook_resync(&w->hooks[i]);
}

/* What the remotes replayed from their journals, for the hooks that have
 * no journal yet: a hook waits for its remote (or all of them). */
static void
offer_replayed(struct worker *w)
{
	for (size_t i = 0; i < w->cfg->nhooks; i++) {
		struct hook *h = &w->hooks[i];
		struct changeset cs;
		bool lost = false;
		if (!hook_wants_replayed(h))
			continue;
		changeset_init(&cs);
		for (size_t k = 0; k < w->cfg->nremotes; k++) {
			const struct remote *r = &w->remotes[k];
			if (h->hc->remote && strcmp(h->hc->remote, r->rc->name))
				continue;
			lost |= r->full_for_lost;
			if (changeset_copy(&cs, &r->pending) < 0)
				log_err("hook %s: out of memory offering the replayed changes",
				    h->hc->name);
		}
		if (changeset_count(&cs)) {
			log_info("hook %s: offered the %zu changes the remotes replayed", h->hc->name,
			    changeset_count(&cs));
			hook_offer(h, &cs, now_ms());
		}
		/* A full sync for lost events replayed: its resync too. */
		if (lost)
			hook_resync(h);
		changeset_clear(&cs);
	}
}

static void
on_change(void *ctx, const char *rel, unsigned kind)
{
	struct worker *w = ctx;
	uint64_t now = now_ms();

	for (size_t i = 0; w->verifying && i < w->cfg->nremotes; i++)
		verify_note(&w->verifies[i], rel, kind);
	if (changeset_add(&w->gather, rel, kind, now) < 0) {
		log_err("out of memory recording a change: running a full sync instead");
		full_sync_all(w, true);
		return;
	}
	if (batch_note(&w->batch, now, changeset_count(&w->gather)))
		seal(w);
	else if (!w->batch_timer.due)
		timer_arm(&w->batch_timer, batch_due_in(&w->batch, now, mirror_free(w)));
}

static void
on_moved(void *ctx, const char *from, const char *to)
{
	struct worker *w = ctx;

	moves_add(&w->moves, from, to);
}

static void
on_lost(void *ctx)
{
	struct worker *w = ctx;

	for (size_t i = 0; i < w->cfg->nremotes; i++)
		verify_lost(&w->verifies[i]);
	full_sync_all(w, true);
}

void
worker_resync(struct worker *w)
{
	full_sync_all(w, false);
}

void
worker_pause(struct worker *w, bool pause)
{
	if (w->paused == pause)
		return;
	w->paused = pause;
	log_info(pause ? "paused: changes are gathered and journaled, not pushed" : "resumed");
	if (!pause)
		for (size_t i = 0; i < w->cfg->nremotes; i++)
			remote_kick(&w->remotes[i]);
	worker_status(w);
}

void
worker_flush_begin(struct worker *w)
{
	watch_drain(&w->watch);
	watch_flush_unclosed(&w->watch);
	seal(w);
}

static void
on_fatal(void *ctx)
{
	struct worker *w = ctx;

	w->exit_code = 1;
	w->loop.stop = true;
	seal(w);	/* into the journals: nothing gathered is dropped */
}

static const struct watch_ops watch_ops = { on_change, on_lost, on_fatal, on_moved };

static void
full_sync_due(void *ctx)
{
	struct worker *w = ctx;

	log_info("scheduled full sync");
	full_sync_all(w, false);
	timer_arm(&w->full_timer, w->cfg->full_every_ms);
}

static void
verify_due(void *ctx)
{
	struct worker *w = ctx;

	log_info("scheduled verify");
	worker_flush_begin(w);
	for (size_t i = 0; i < w->cfg->nremotes; i++)
		verify_begin(&w->verifies[i], now_ms() + VERIFY_WAIT_MS);
	timer_arm(&w->verify_timer, w->cfg->verify_every_ms);
}

static void
watchdog_due(void *ctx)
{
	struct worker *w = ctx;
	uint64_t usec = sdnotify_watchdog_usec();

	sdnotify_send("WATCHDOG=1");
	if (usec > 0)
		timer_arm(&w->watchdog_timer, usec / 2000);
}

static bool
all_settled(const struct worker *w)
{
	for (size_t i = 0; i < w->cfg->nremotes; i++)
		if (!remote_settled(&w->remotes[i]))
			return false;
	return true;
}

static bool
hooks_idle(const struct worker *w)
{
	for (size_t i = 0; i < w->cfg->nhooks; i++)
		if (!hook_idle(&w->hooks[i]))
			return false;
	return true;
}

/* A stop ends once the mirrors have what was gathered and the hooks have
 * run what that released, or once the grace is over and the runs are gone. */
static void
maybe_finish(struct worker *w)
{
	if (w->stopping && !child_count() && (w->killing || (all_settled(w) && hooks_idle(w))))
		w->loop.stop = true;
}

bool
worker_mirrored(const struct worker *w, const char *remote, uint64_t t)
{
	for (size_t i = 0; i < w->cfg->nremotes; i++)
		if ((!remote || !strcmp(remote, w->remotes[i].rc->name)) &&
		    !remote_current(&w->remotes[i], t))
			return false;
	return true;
}

void
worker_remote_done(struct worker *w)
{
	/* A mirror is free again: what gathered meanwhile may be due now. */
	batch_due(w);
	control_progress(w->control);
	/* And what it mirrored may be what hooks wait for, or a verify. */
	for (size_t i = 0; i < w->cfg->nhooks; i++)
		hook_kick(&w->hooks[i]);
	for (size_t i = 0; i < w->cfg->nremotes; i++)
		verify_kick(&w->verifies[i]);
	maybe_finish(w);
}

void
worker_hook_done(struct worker *w)
{
	maybe_finish(w);
}

static void
stop_grace_over(void *ctx)
{
	struct worker *w = ctx;

	w->killing = true;
	for (size_t i = 0; i < w->cfg->nhooks; i++)
		hook_stop(&w->hooks[i], true);
	if (child_count()) {
		log_warn("rsync runs still going %ds after the stop request: killing them",
		    STOP_GRACE_MS / 1000);
		for (size_t i = 0; i < w->cfg->nremotes; i++) {
			remote_kill(&w->remotes[i], SIGKILL);
			verify_stop(&w->verifies[i], SIGKILL);
		}
	}
	/* Their exits are reaped by the loop, then it ends. */
	w->loop.stop = child_count() == 0;
}

static void
begin_stop(struct worker *w, const char *why)
{
	if (w->stopping)
		return;
	log_info("%s: stopping", why);
	sdnotify_send("STOPPING=1");
	w->stopping = true;
	/* What happened before the stop goes with it: the events still
	 * queued, and the files written and not closed yet, as they are. */
	worker_flush_begin(w);
	timer_disarm(&w->verify_timer);
	for (size_t i = 0; i < w->cfg->nremotes; i++) {
		verify_stop(&w->verifies[i], SIGTERM);
		remote_stop(&w->remotes[i]);
	}
	timer_arm(&w->stop_timer, STOP_GRACE_MS);
	worker_remote_done(w);
}

static void
on_signal(void *ctx, uint32_t events)
{
	struct worker *w = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->sigfd, &si, sizeof si) == sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			child_reap();
			maybe_finish(w);
			break;
		case SIGTERM:
		case SIGINT:
			begin_stop(w, strsignal((int)si.ssi_signo));
			break;
		case SIGUSR1:
			log_info("SIGUSR1: full sync of every remote");
			full_sync_all(w, false);
			break;
		case SIGHUP:
			log_warn("SIGHUP ignored: the configuration is read only at start: restart the worker to apply changes");
			break;
		}
	}
}

void
worker_status(struct worker *w)
{
	char buf[1024];
	size_t o = 0, pending = 0, failing = 0;

	for (size_t i = 0; i < w->cfg->nremotes; i++) {
		const struct remote *r = &w->remotes[i];
		pending += remote_unpushed(r);
		failing += r->failures > 0;
	}
	char what[32] = "the filesystem";
	if (w->watch.be->add_dir)
		snprintf(what, sizeof what, "%zu dirs", watch_count(&w->watch));
	o += (size_t)snprintf(buf + o, sizeof buf - o,
	    "STATUS=%swatching %s, %llu events, %llu batches; %zu paths pending; %zu of %zu remotes failing",
	    w->paused ? "paused; " : "", what, (unsigned long long)w->watch.events,
	    (unsigned long long)w->batches, pending, failing, w->cfg->nremotes);
	if (w->cfg->nhooks) {
		size_t hfailing = 0;
		for (size_t i = 0; i < w->cfg->nhooks; i++)
			hfailing += !strcmp(hook_state(&w->hooks[i]), "backoff");
		o += (size_t)snprintf(buf + o, sizeof buf - o, "; %zu of %zu hooks failing", hfailing,
		    w->cfg->nhooks);
	}
	/* What the state dir could not take: durability is degraded. */
	for (size_t i = 0; i < w->cfg->nremotes && o < sizeof buf; i++)
		if (w->remotes[i].journal.err)
			o += (size_t)snprintf(buf + o, sizeof buf - o, "; %s: journal off (%s)",
			    w->remotes[i].rc->name, strerror(w->remotes[i].journal.err));
	for (size_t i = 0; i < w->cfg->nhooks && o < sizeof buf; i++)
		if (w->hooks[i].journal.err)
			o += (size_t)snprintf(buf + o, sizeof buf - o, "; hook %s: journal off (%s)",
			    w->hooks[i].hc->name, strerror(w->hooks[i].journal.err));
	if (w->running_err && o < sizeof buf)
		snprintf(buf + o, sizeof buf - o, "; no running mark (%s)", strerror(w->running_err));
	sdnotify_send(buf);
}

static int
setup_signals(struct worker *w)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	/* A lease the watcher holds for a moment (unclosed.h) is broken with
	 * SIGIO, whose default would end the worker: blocked, never read. */
	sigaddset(&set, SIGIO);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
		log_err("sigprocmask: %s", strerror(errno));
		return -1;
	}
	sigdelset(&set, SIGIO);
	signal(SIGPIPE, SIG_IGN);
	w->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w->sigfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return -1;
	}
	return loop_add(&w->loop, &w->sig_io, w->sigfd, EPOLLIN, on_signal, w);
}

/* Whether DIR's entries are on disk now. */
static bool
dir_synced(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok = fd >= 0 && fsync(fd) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* A mark that exists while a worker runs: found at start, it says the last
 * run ended without cleaning up (killed, crashed, power lost).  One that
 * cannot be made is tried again on the [retry] backoff, said once each
 * way.  The remotes' journals count on it surviving a power loss
 * (journal.h): its directory entry is synced, and while that has not
 * worked their appends are synced instead. */
static bool
mark_running(struct worker *w)
{
	bool unclean = access(w->running, F_OK) == 0;
	int fd = unclean ? -1 : open(w->running, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);

	if (fd >= 0)
		close(fd);
	if (unclean || fd >= 0)
		w->mark_synced = dir_synced(w->state_dir);
	if ((unclean || fd >= 0) && w->running_err) {
		log_info("running mark %s made: an unclean stop is noticed again", w->running);
		w->running_err = 0;
		w->running_failures = 0;
		worker_status(w);
	} else if (!unclean && fd < 0) {
		if (!w->running_err)
			log_warn("cannot create the running mark %s: %s; an unclean stop of this worker "
			    "would go unnoticed (no full sync at the next start)", w->running,
			    strerror(errno));
		w->running_err = errno;
		timer_arm(&w->running_timer, backoff_delay(w->cfg, ++w->running_failures));
	}
	return unclean;
}

static void
running_due(void *ctx)
{
	mark_running(ctx);
}

/* At a clean stop: what is pending is in the journals, or the running mark
 * stays and the next start runs a full sync. */
static bool
all_journaled(struct worker *w, size_t nremotes)
{
	bool all = true;

	for (size_t i = 0; i < nremotes; i++)
		all &= remote_journaled(&w->remotes[i]);
	return all;
}

int
worker_run(struct config *cfg, const char *state_dir, const char *scratch_dir,
    const char *sock)
{
	struct worker w = { .cfg = cfg, .sigfd = -1, .exit_code = 1 };
	size_t nremotes = 0, nhooks = 0;
	uint64_t usec = 0;
	char *faillog = NULL;
	bool unclean = false, hooks_journaled = true;
	/* First: a second worker must leave the journals and the mark alone. */
	struct statelock lock;

	if (statelock_take(&lock, state_dir, cfg->name) < 0)
		return 1;
	w.state_dir = (char *)state_dir;
	w.scratch_dir = (char *)scratch_dir;
	w.started = now_ms();
	if (asprintf(&w.running, "%s/running", state_dir) < 0 ||
	    asprintf(&faillog, "%s/failed.log", state_dir) < 0) {
		log_err("out of memory");
		free(w.running);
		statelock_release(&lock);
		return 1;
	}
	w.fail_log = !cfg->fail_log ? faillog : strcmp(cfg->fail_log, "none") ? cfg->fail_log : NULL;
	changeset_init(&w.gather);
	batch_init(&w.batch, cfg->settle_ms, cfg->max_delay_ms, cfg->max_files);
	pace_init(&w.pace, pace_cpus(), PACE_WINDOW_MS);
	srandom((unsigned)getpid() ^ (unsigned)now_ms());
	if (loop_init(&w.loop) < 0) {
		free(w.running);
		free(faillog);
		statelock_release(&lock);
		return 1;
	}
	if (setup_signals(&w) < 0 ||
	    timer_init(&w.loop, &w.batch_timer, batch_due, &w) < 0 ||
	    timer_init(&w.loop, &w.full_timer, full_sync_due, &w) < 0 ||
	    timer_init(&w.loop, &w.watchdog_timer, watchdog_due, &w) < 0 ||
	    timer_init(&w.loop, &w.stop_timer, stop_grace_over, &w) < 0 ||
	    timer_init(&w.loop, &w.verify_timer, verify_due, &w) < 0 ||
	    timer_init(&w.loop, &w.running_timer, running_due, &w) < 0 ||
	    timer_init(&w.loop, &w.pace_timer, pace_due, &w) < 0)
		goto out;
	w.remotes = calloc(cfg->nremotes + 1, sizeof *w.remotes);
	w.order = calloc(cfg->nremotes + 1, sizeof *w.order);
	w.verifies = calloc(cfg->nremotes + 1, sizeof *w.verifies);
	w.hooks = calloc(cfg->nhooks + 1, sizeof *w.hooks);
	if (!w.remotes || !w.order || !w.verifies || !w.hooks)
		goto out;
	w.control = control_open(&w, sock);
	if (!w.control)
		goto out;
	unclean = mark_running(&w);
	for (; nremotes < cfg->nremotes; nremotes++)
		if (sshmux_open(&cfg->remotes[nremotes], scratch_dir) < 0 ||
		    remote_init(&w.remotes[nremotes], &w, &cfg->remotes[nremotes]) < 0 ||
		    verify_init(&w.verifies[nremotes], &w, &w.remotes[nremotes]) < 0) {
			nremotes++;	/* remote_free() and verify_free() undo what they did */
			goto out;
		}
	for (; nhooks < cfg->nhooks; nhooks++)
		if (hook_init(&w.hooks[nhooks], &w, &cfg->hooks[nhooks]) < 0) {
			nhooks++;	/* hook_free() undoes what it did */
			goto out;
		}
	offer_replayed(&w);
	if ((usec = sdnotify_watchdog_usec()) > 0)
		timer_arm(&w.watchdog_timer, usec / 2000);

	/* Watches first: a change made from here on is seen, and what the full
	 * sync below reads is at least as new as the watches. */
	uint64_t t0 = now_ms();
	if (watch_open(&w.watch, &w.loop, cfg, NULL, &watch_ops, &w) < 0)
		goto out;
	char what[64];
	if (w.watch.be->add_dir)
		snprintf(what, sizeof what, "%zu directories", watch_count(&w.watch));
	else
		snprintf(what, sizeof what, "the filesystem");
	log_info("ready: watching %s under %s with %s in %llums, mirroring to %zu remote%s, "
	    "%zu hook%s", what, cfg->source, w.watch.be->name, (unsigned long long)(now_ms() - t0),
	    cfg->nremotes, cfg->nremotes == 1 ? "" : "s", cfg->nhooks, cfg->nhooks == 1 ? "" : "s");
	sdnotify_send("READY=1");
	worker_status(&w);
	if (unclean) {
		log_warn("the previous run of this instance did not stop cleanly (unclean stop: "
		    "%s was left): full sync of every remote", w.running);
		full_sync_all(&w, true);
	} else if (cfg->full_on_start) {
		full_sync_all(&w, false);
	}
	/* What the journals gave back goes out now. */
	for (size_t i = 0; i < nremotes; i++)
		remote_kick(&w.remotes[i]);
	for (size_t i = 0; i < nhooks; i++)
		hook_kick(&w.hooks[i]);
	if (cfg->full_every_ms)
		timer_arm(&w.full_timer, cfg->full_every_ms);
	if (cfg->verify_every_ms)
		timer_arm(&w.verify_timer, cfg->verify_every_ms);

	w.exit_code = 0;
	if (loop_run(&w.loop) < 0)
		w.exit_code = 1;
	watch_close(&w.watch);
out:
	/* What the hooks have not delivered is in their journals (the calls
	 * still hold theirs), or the next start sends them a resync. */
	for (size_t i = 0; i < nhooks; i++)
		hooks_journaled &= hook_journaled(&w.hooks[i]);
	/* Before the children are forgotten: a hook's call may be one. */
	for (size_t i = 0; i < nhooks; i++)
		hook_free(&w.hooks[i]);
	free(w.hooks);
	/* After a fatal error rsync runs may be left: do not leave them behind. */
	child_kill_all();
	for (size_t i = 0; i < nremotes; i++)
		sshmux_close(&cfg->remotes[i]);
	control_close(w.control);
	/* Whatever is pending is in the journals: a stop that was asked for is
	 * clean; after a fatal error the next start runs a full sync. */
	if (w.control && w.exit_code == 0 && all_journaled(&w, nremotes) && hooks_journaled)
		unlink(w.running);
	free(w.running);
	free(faillog);
	for (size_t i = 0; i < nremotes; i++) {
		verify_free(&w.verifies[i]);
		remote_free(&w.remotes[i]);
	}
	free(w.verifies);
	free(w.remotes);
	free(w.order);
	changeset_clear(&w.gather);
	moves_clear(&w.moves);
	timer_close(&w.batch_timer);
	timer_close(&w.full_timer);
	timer_close(&w.watchdog_timer);
	timer_close(&w.stop_timer);
	timer_close(&w.verify_timer);
	timer_close(&w.running_timer);
	timer_close(&w.pace_timer);
	if (w.sigfd >= 0)
		close(w.sigfd);
	loop_close(&w.loop);
	/* Last: the journals are closed and the mark is settled. */
	statelock_release(&lock);
	return w.exit_code;
}
