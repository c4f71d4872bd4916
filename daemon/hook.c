/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hook.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "log.h"
#include "treewalk.h"
#include "worker.h"

const char *
hook_kind_name(unsigned kind)
{
	return kind == HK_DELETE ? "delete" : kind == HK_DIR ? "dir" : kind == HK_RESYNC ? "resync" :
	    "update";
}

static void
kick_due(void *ctx)
{
	hook_kick(ctx);
}

static void start_call(struct hook_call *c);

static void
call_timer(void *ctx)
{
	struct hook_call *c = ctx;

	if (c->state == CALL_RUNNING) {
		c->timed_out = true;
		c->h->ops->cancel(c);
	}
	else if (c->state == CALL_WAITING)
		start_call(c);		/* the backoff is over */
}

static const struct hook_ops *const ops_of[] = {
	[HOOK_COMMAND] = &hook_command_ops, [HOOK_SOCKET] = &hook_socket_ops,
	[HOOK_HTTP] = &hook_http_ops, [HOOK_CDN] = &hook_cdn_ops,
};

int
hook_check(const struct hook_conf *hc)
{
	const struct hook_ops *ops = ops_of[hc->type];

	return ops->check ? ops->check(hc) : 0;
}

int
hook_init(struct hook *h, struct worker *w, const struct hook_conf *hc)
{
	char *jpath = NULL;

	memset(h, 0, sizeof *h);
	h->w = w;
	h->hc = hc;
	h->ops = ops_of[hc->type];
	h->journal.fd = -1;
	h->calls = calloc(hc->concurrency, sizeof *h->calls);
	if (!h->calls || timer_init(&w->loop, &h->kick, kick_due, h) < 0)
		return -1;
	if (asprintf(&jpath, "%s/%s.hook-journal", w->state_dir, hc->name) < 0) {
		log_err("out of memory");
		return -1;
	}
	/* Dated now: what it gives back waits for the remotes' replays. */
	hook_journal_open(h, jpath, now_ms());
	free(jpath);
	for (unsigned i = 0; i < hc->concurrency; i++) {
		h->calls[i].h = h;
		if (timer_init(&w->loop, &h->calls[i].timer, call_timer, &h->calls[i]) < 0)
			return -1;
	}
	if (h->ops->open && h->ops->open(h) < 0)
		return -1;
	return 0;
}

/* n changes were not delivered before the stop. */
static void
note_left(struct hook *h, size_t n, const char *what)
{
	if (!n)
		return;
	h->unjournaled |= h->journal.err != 0;
	if (h->journal.err)
		log_warn("hook %s: %zu changes %s were not delivered before the stop: its journal is "
		    "off (%s)", h->hc->name, n, what, strerror(h->journal.err));
	else
		log_info("hook %s: %zu changes %s are in its journal for the next start", h->hc->name,
		    n, what);
}

static void
free_events(struct hook_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ev[i].path);
}

void
hook_free(struct hook *h)
{
	if (!h->w)
		return;		/* never initialised */
	if (h->calls)
		hook_stop(h, true);
	if (h->ops->close)
		h->ops->close(h);
	note_left(h, h->qlen - h->qhead, "queued");
	journal_close(&h->journal);
	for (unsigned i = 0; h->calls && i < h->hc->concurrency; i++) {
		free_events(h->calls[i].ev, h->calls[i].n);
		free(h->calls[i].ev);
		timer_close(&h->calls[i].timer);
	}
	free(h->calls);
	free_events(h->q + h->qhead, h->qlen - h->qhead);
	free(h->q);
	timer_close(&h->kick);
	memset(h, 0, sizeof *h);
}

static bool
wanted(const struct hook_conf *hc, const char *rel, unsigned kind)
{
	if (!(hc->kinds & kind))
		return false;
	if (filter_has_regex(hc->include) && !filter_excluded(hc->include, rel, kind == HK_DIR))
		return false;
	return !filter_excluded(hc->exclude, rel, kind == HK_DIR);
}

int
hook_queue_add(struct hook *h, const char *rel, unsigned kind, uint64_t t, uint64_t seq)
{
	if (h->qlen == h->qcap) {
		if (h->qhead) {
			/* Slide the waiting ones down before growing. */
			memmove(h->q, h->q + h->qhead, (h->qlen - h->qhead) * sizeof *h->q);
			h->qlen -= h->qhead;
			h->qhead = 0;
		}
		if (h->qlen == h->qcap) {
			size_t cap = h->qcap ? h->qcap * 2 : 64;
			struct hook_event *q = realloc(h->q, cap * sizeof *q);
			if (!q)
				return -1;
			h->q = q;
			h->qcap = cap;
		}
	}
	char *path = strdup(rel);
	if (!path)
		return -1;
	h->q[h->qlen++] = (struct hook_event){ .path = path, .t = t, .kind = kind,
	    .seq = seq ? seq : h->seq++ };
	return 0;
}

/* Queues one change that passed the filters, or counts it as dropped. */
static void
queue_offer(struct hook *h, const char *rel, unsigned kind, uint64_t t)
{
	if (h->qlen - h->qhead >= h->hc->queue || hook_queue_add(h, rel, kind, t, 0) < 0) {
		if (!h->dropping) {
			log_err("hook %s: %zu changes are waiting (queue = %u): dropping new ones "
			    "until it drains, then a resync", h->hc->name, h->qlen - h->qhead,
			    h->hc->queue);
			hook_journal_overflow(h);
		}
		h->dropping = true;
		h->overflowed++;
	}
}

struct listing {
	struct hook *h;
	uint64_t t;
	unsigned listed, left;
};

static void
list_file(void *ctx, const char *path, bool is_dir, bool excluded)
{
	struct listing *l = ctx;

	/* A directory below has a dir change of its own. */
	if (is_dir || excluded || !wanted(l->h->hc, path, HK_UPDATE))
		return;
	if (l->listed == l->h->hc->dir_files) {
		l->left++;
		return;
	}
	l->listed++;
	queue_offer(l->h, path, HK_UPDATE, l->t);
}

/* A dir change stands for the files in that directory, which the change
 * set does not list: a hook that wants updates gets them as they are now,
 * before any push of this batch reads them, so a when = mirrored hook is
 * released only once a mirror has them. */
static void
list_dir(struct hook *h, const char *rel, uint64_t t)
{
	struct listing l = { .h = h, .t = t };
	char q[4096];

	if (tree_walk(h->w->cfg, rel, false, list_file, &l) < 0)
		log_err("hook %s: out of memory listing %s", h->hc->name, log_quote(rel, q, sizeof q));
	if (l.left)
		log_warn("hook %s: %s: %u more files in this new directory were not listed "
		    "(dir_files = %u)", h->hc->name, log_quote(rel, q, sizeof q), l.left,
		    h->hc->dir_files);
}

void
hook_offer(struct hook *h, const struct changeset *sealed, uint64_t t)
{
	const struct pnode *top = &sealed->tree.root;
	char rel[4096];
	uint64_t first = h->seq;

	/* A stopped hook still journals: the next start delivers. */
	for (const struct pnode *n = ptree_next(top, top); n; n = ptree_next(n, top)) {
		if (!n->flags || ptree_path(n, rel, sizeof rel) < 0)
			continue;
		unsigned kind = (n->flags & CH_GONE) ? HK_DELETE : (n->flags & CH_DIR) ? HK_DIR : HK_UPDATE;
		if (wanted(h->hc, rel, kind))
			queue_offer(h, rel, kind, t);
		if (kind == HK_DIR && (h->hc->kinds & HK_UPDATE) && h->hc->dir_files)
			list_dir(h, rel, t);
	}
	/* On disk before it can go out. */
	if (h->seq != first)
		hook_journal_put(h, first);
	hook_kick(h);
}

static void
start_call(struct hook_call *c)
{
	c->state = CALL_RUNNING;
	c->timed_out = false;
	timer_arm(&c->timer, c->h->hc->timeout_ms);
	c->h->ops->start(c);	/* may report at once */
}

/* The first waiting change may go out: it is on the mirrors it waits for. */
static bool
released(const struct hook *h, const struct hook_event *ev)
{
	/* A resync says the mirrors are whole again: it always waits. */
	return (h->hc->when_changed && ev->kind != HK_RESYNC) ||
	    worker_mirrored(h->w, h->hc->remote, ev->t);
}

void
hook_resync(struct hook *h)
{
	uint64_t t = now_ms();

	if (!(h->hc->kinds & HK_RESYNC))
		return;
	/* One that waits already covers this loss too, once it waits for it. */
	if (h->qlen > h->qhead && h->q[h->qlen - 1].kind == HK_RESYNC) {
		h->q[h->qlen - 1].t = t;
		return;
	}
	uint64_t first = h->seq;
	if (hook_queue_add(h, "", HK_RESYNC, t, 0) < 0) {
		log_err("hook %s: out of memory queueing a resync", h->hc->name);
		return;
	}
	hook_journal_put(h, first);
	timer_arm(&h->kick, 0);
}

bool
hook_wants_replayed(const struct hook *h)
{
	return !h->journal.found && !h->hc->when_changed;
}

bool
hook_journaled(struct hook *h)
{
	if (!h->journal.err && !h->unjournaled)
		return true;
	size_t n = hook_pending(h);
	if (!h->unjournaled && ((!n && !h->dropping) || hook_journal_rewrite(h) == 0))
		return true;
	log_warn("hook %s: what it had not delivered is not all in its journal (off: %s): the next "
	    "start runs a full sync and sends it a resync", h->hc->name,
	    strerror(h->journal.err ? h->journal.err : EIO));
	return false;
}

void
hook_delivery_id(const struct hook *h, uint64_t first, uint64_t last, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%" PRIu64 "-%" PRIu64, h->w->cfg->name, h->hc->name, first, last);
}

void
hook_call_id(const struct hook_call *c, char *buf, size_t len)
{
	hook_delivery_id(c->h, c->ev[0].seq, c->ev[c->n - 1].seq, buf, len);
}

void
hook_kick(struct hook *h)
{
	if (h->stopping)
		return;
	if (h->dropping && h->qlen - h->qhead < h->hc->queue / 2) {
		log_warn("hook %s: the queue drained; %llu changes were dropped so far: a resync "
		    "follows", h->hc->name, (unsigned long long)h->overflowed);
		h->dropping = false;
		hook_resync(h);
	}
	for (unsigned i = 0; i < h->hc->concurrency && h->qhead < h->qlen; i++) {
		struct hook_call *c = &h->calls[i];
		if (c->state != CALL_FREE)
			continue;
		size_t n = 0, avail = h->qlen - h->qhead;
		const struct hook_event *q = h->q + h->qhead;
		uint64_t released_t = 0;	/* the changes of a batch share their t */
		/* Consecutive numbers only: the call's id names exactly its
		 * changes, whatever was done before a restart. */
		while (n < avail && n < h->hc->batch && q[n].seq == q[0].seq + n &&
		    (!h->ops->one_kind || q[n].kind == q[0].kind)) {
			if (q[n].t != released_t || q[n].kind == HK_RESYNC) {
				if (!released(h, &q[n]))
					break;
				released_t = q[n].t;
			}
			n++;
		}
		if (!n)
			return;		/* the oldest one waits for the mirrors */
		c->ev = malloc(n * sizeof *c->ev);
		if (!c->ev) {
			log_err("hook %s: out of memory", h->hc->name);
			return;
		}
		memcpy(c->ev, q, n * sizeof *c->ev);
		c->n = n;
		c->attempt = 0;
		h->qhead += n;
		if (h->qhead == h->qlen)
			h->qhead = h->qlen = 0;
		start_call(c);
	}
}

static void
call_clear(struct hook_call *c)
{
	free_events(c->ev, c->n);
	free(c->ev);
	c->ev = NULL;
	c->n = 0;
	c->impl = NULL;
	c->state = CALL_FREE;
}

void
hook_call_done(struct hook_call *c, bool ok, const char *why)
{
	struct hook *h = c->h;
	const struct hook_conf *hc = h->hc;

	timer_disarm(&c->timer);
	c->impl = NULL;
	uint64_t first = c->ev[0].seq, last = c->ev[c->n - 1].seq;
	if (ok) {
		h->delivered += c->n;
		h->calls_ok++;
		h->last_ok_wall = wall_ms();
		if (h->last_error[0] && h->calls_failed)
			log_info("hook %s: delivering again", hc->name);
		h->last_error[0] = '\0';
		call_clear(c);
		hook_journal_done(h, first, last);
		hook_journal_tidy(h);
	} else {
		h->calls_failed++;
		snprintf(h->last_error, sizeof h->last_error, "%s", why ? why : "failed");
		if (c->attempt < hc->retries && !h->stopping) {
			uint64_t delay = backoff_delay(h->w->cfg, ++c->attempt);
			h->retried++;
			log_warn("hook %s: %s; retry %u of %u in %llums (%zu changes)", hc->name,
			    h->last_error, c->attempt, hc->retries, (unsigned long long)delay, c->n);
			c->state = CALL_WAITING;
			timer_arm(&c->timer, delay);
		} else if (h->stopping) {
			note_left(h, c->n, "of a call the stop cut short");
			call_clear(c);
		} else {
			h->dropped += c->n;
			log_err("hook %s: %s; giving up on %zu changes after %u attempts", hc->name,
			    h->last_error, c->n, c->attempt + 1);
			call_clear(c);
			hook_journal_done(h, first, last);
			hook_journal_tidy(h);
		}
	}
	worker_hook_done(h->w);
	/* Not from here: a type that reports at once would recurse. */
	if (!h->stopping && h->qhead < h->qlen)
		timer_arm(&h->kick, 0);
}

void
hook_stop(struct hook *h, bool cancel_running)
{
	size_t waiting = 0;

	h->stopping = true;
	timer_disarm(&h->kick);
	for (unsigned i = 0; i < h->hc->concurrency; i++) {
		struct hook_call *c = &h->calls[i];
		if (c->state == CALL_WAITING) {
			timer_disarm(&c->timer);
			waiting += c->n;
			call_clear(c);
		} else if (c->state == CALL_RUNNING && cancel_running) {
			h->ops->cancel(c);
		}
	}
	note_left(h, waiting, "waiting for a retry");
}

bool
hook_idle(const struct hook *h)
{
	for (unsigned i = 0; i < h->hc->concurrency; i++)
		if (h->calls[i].state == CALL_RUNNING)
			return false;
	return true;
}

size_t
hook_pending(const struct hook *h)
{
	size_t n = h->qlen - h->qhead;

	for (unsigned i = 0; i < h->hc->concurrency; i++)
		n += h->calls[i].n;
	return n;
}

const char *
hook_state(const struct hook *h)
{
	bool waiting = false;

	if (h->stopping)
		return "stopped";
	for (unsigned i = 0; i < h->hc->concurrency; i++) {
		if (h->calls[i].state == CALL_WAITING)
			return "backoff";
		if (h->calls[i].state == CALL_RUNNING)
			waiting = true;
	}
	if (waiting)
		return "delivering";
	return h->qhead < h->qlen ? "waiting" : "ok";
}
