/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "json.h"
#include "lineserver.h"
#include "log.h"
#include "remote.h"
#include "status.h"
#include "verify.h"
#include "worker.h"

#define FLUSH_DEFAULT_MS 60000
/* A verify reads the whole tree at both ends, checksums and all. */
#define VERIFY_DEFAULT_MS 600000

struct control {
	struct worker *w;
	struct lineserver *srv;
};

/* What a held client waits for.  A flush: every change made before t is on
 * every mirror.  A verify: runs[i] is the run of remote i that answers it
 * (0: remote i was not asked). */
struct held {
	uint64_t t;
	uint64_t *runs;		/* NULL for a flush */
	bool json;
};

static void
free_held(struct held *h)
{
	free(h->runs);
	free(h);
}

static bool
flush_done(const struct worker *w, uint64_t t)
{
	for (size_t i = 0; i < w->cfg->nremotes; i++)
		if (!remote_current(&w->remotes[i], t))
			return false;
	return true;
}

static void
flush_answer(struct control *ctl, struct lsclient *cl, struct held *fl)
{
	if (!flush_done(ctl->w, fl->t))
		return;
	lsclient_replyf(cl, "ok: every change made before the flush is on every mirror (%.3fs)\n",
	    (double)(now_ms() - fl->t) / 1000);
	free_held(fl);
}

/* What a verify's answer is written from; a remote whose run has not
 * ended (the answer is late: its deadline came) is answered as failed. */
struct verify_reply {
	const struct worker *w;
	const struct held *h;
};

static void
write_verify(void *ctx, FILE *f)
{
	const struct verify_reply *vr = ctx;
	const struct worker *w = vr->w;
	const uint64_t *runs = vr->h->runs;
	char list[3][1024] = { "", "", "" };	/* differ, failed, late */
	size_t len[3] = { 0 };

	for (size_t i = 0; i < w->cfg->nremotes; i++) {
		const struct verify *v = &w->verifies[i];
		int k = !verify_ended(v, runs[i]) ? 2 : v->result == VERIFY_DRIFT ? 0 :
		    v->result == VERIFY_OK ? -1 : 1;
		if (!runs[i] || k < 0 || len[k] >= sizeof list[k])
			continue;
		len[k] += (size_t)snprintf(list[k] + len[k], sizeof list[k] - len[k], "%s%s",
		    len[k] ? ", " : "", v->r->rc->name);
	}
	if (vr->h->json) {
		fputs("{\"instance\":", f);
		json_str(f, w->cfg->name);
		fprintf(f, ",\"result\":\"%s\",\"remotes\":[",
		    *list[0] ? "drift" : *list[1] || *list[2] ? "failed" : "ok");
	} else if (*list[0]) {
		fprintf(f, "drift: differs from the source: %s\n", list[0]);
	} else if (*list[1] || *list[2]) {
		fprintf(f, "error: could not verify: %s%s%s\n", list[1], *list[1] && *list[2] ? ", " : "",
		    list[2]);
	} else {
		fputs("ok: every mirror matches the source\n", f);
	}
	bool first = true;
	for (size_t i = 0; i < w->cfg->nremotes; i++) {
		const struct verify *v = &w->verifies[i];
		double waited = (double)(now_ms() - vr->h->t) / 1000;
		if (!runs[i])
			continue;
		if (vr->h->json) {
			fputs(first ? "{\"name\":" : ",{\"name\":", f);
			json_str(f, v->r->rc->name);
			if (verify_ended(v, runs[i])) {
				fputc(',', f);
				verify_json(v, f);
			} else {
				fprintf(f, ",\"state\":\"%s\",\"result\":\"failed\",\"error\":"
				    "\"no result within %.1fs: the verify goes on, status shows its result\"",
				    v->state == VERIFY_WAITING ? "waiting" : "running", waited);
			}
			fputc('}', f);
		} else if (verify_ended(v, runs[i])) {
			verify_answer_text(v, f);
		} else {
			fprintf(f, "remote %s: failed: no result within %.1fs (%s): the verify goes on, "
			    "status shows its result\n", v->r->rc->name, waited,
			    v->state == VERIFY_WAITING ? "waiting for the mirror to catch up" :
			    "rsync still comparing");
		}
		first = false;
	}
	if (vr->h->json)
		fputs("]}\n", f);
}

/* Answers a verify once every run it waits for has ended, or at once
 * when late. */
static void
verify_answer(struct control *ctl, struct lsclient *cl, struct held *h, bool late)
{
	const struct worker *w = ctl->w;
	struct verify_reply vr = { w, h };

	for (size_t i = 0; !late && i < w->cfg->nremotes; i++)
		if (!verify_ended(&w->verifies[i], h->runs[i]))
			return;
	lsclient_reply_with(cl, write_verify, &vr);
	free_held(h);
}

static void
answer_held(void *ctx, struct lsclient *cl)
{
	struct held *h = lsclient_data(cl);

	if (h->runs)
		verify_answer(ctx, cl, h, false);
	else
		flush_answer(ctx, cl, h);
}

void
control_progress(struct control *ctl)
{
	if (ctl)
		lineserver_each_held(ctl->srv, answer_held, ctl);
}

static void
held_expired(void *ctx, struct lsclient *cl)
{
	struct control *ctl = ctx;
	struct worker *w = ctl->w;
	struct held *fl = lsclient_data(cl);
	char buf[4096];
	size_t o = 0;

	if (fl->runs) {
		verify_answer(ctl, cl, fl, true);	/* with what has ended */
		return;
	}
	o += (size_t)snprintf(buf, sizeof buf, "error: timeout after %.3fs; not current:",
	    (double)(now_ms() - fl->t) / 1000);
	for (size_t i = 0; i < w->cfg->nremotes && o < sizeof buf; i++) {
		const struct remote *r = &w->remotes[i];
		if (remote_current(r, fl->t))
			continue;
		o += (size_t)snprintf(buf + o, sizeof buf - o, " %s (%s, %zu pending)", r->rc->name,
		    remote_state(r), remote_unpushed(r));
	}
	if (o < sizeof buf - 1)
		buf[o++] = '\n';
	free_held(fl);
	lsclient_reply(cl, buf, o < sizeof buf ? o : sizeof buf - 1);
}

/* verify [--json] [--timeout DURATION] [REMOTE...] */
static void
verify_request(struct control *ctl, struct lsclient *cl, char *arg)
{
	struct worker *w = ctl->w;
	uint64_t timeout = VERIFY_DEFAULT_MS;
	struct held *h = calloc(1, sizeof *h);
	bool named = false;
	char *save = NULL, q[128];
	const char *why;

	if (!h || !(h->runs = calloc(w->cfg->nremotes + 1, sizeof *h->runs))) {
		free(h);
		lsclient_replyf(cl, "error: out of memory\n");
		return;
	}
	for (char *a = strtok_r(arg, " \t", &save); a; a = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(a, "--json")) {
			h->json = true;
		} else if (!strcmp(a, "--timeout")) {
			char *d = strtok_r(NULL, " \t", &save);
			if (!d || duration_parse(d, &timeout, &why) < 0 || !timeout) {
				lsclient_replyf(cl, "error: verify --timeout needs a duration above 0%s%s\n",
				    d ? ": " : "", !d ? "" : timeout ? why : "0");
				free_held(h);
				return;
			}
		} else {
			size_t i = 0;
			while (i < w->cfg->nremotes && strcmp(a, w->remotes[i].rc->name))
				i++;
			if (i == w->cfg->nremotes) {
				lsclient_replyf(cl, "error: unknown remote '%s'\n", log_quote(a, q, sizeof q));
				free_held(h);
				return;
			}
			h->runs[i] = 1;
			named = true;
		}
	}
	if (w->stopping) {
		lsclient_replyf(cl, "error: the worker is stopping\n");
		free_held(h);
		return;
	}
	if (!lsclient_may_hold(cl)) {
		free_held(h);
		return;
	}
	/* Changes made before now are pushed first: what the verify compares
	 * is then the mirror as syncd made it. */
	worker_flush_begin(w);
	h->t = now_ms();
	for (size_t i = 0; i < w->cfg->nremotes; i++)
		if (!named || h->runs[i])
			h->runs[i] = verify_begin(&w->verifies[i], h->t + timeout);
	lsclient_hold(cl, h->t + timeout, h);
	verify_answer(ctl, cl, h, false);
}

static void
write_status_text(void *w, FILE *f)
{
	fputs("ok\n", f);
	status_text(w, f);
}

static void
write_status_json(void *w, FILE *f)
{
	status_json(w, f);
}

static void
write_metrics(void *w, FILE *f)
{
	status_metrics(w, f);
}

static void
handle_request(void *ctx, struct lsclient *cl, char *req)
{
	struct control *ctl = ctx;
	struct worker *w = ctl->w;
	char *arg;

	while (*req == ' ' || *req == '\t')
		req++;
	arg = req + strcspn(req, " \t");
	if (*arg)
		*arg++ = '\0';
	while (*arg == ' ' || *arg == '\t')
		arg++;
	if (!strcmp(req, "status") && (!*arg || !strcmp(arg, "--json"))) {
		lsclient_reply_with(cl, *arg ? write_status_json : write_status_text, w);
	} else if (!strcmp(req, "metrics") && !*arg) {
		lsclient_reply_with(cl, write_metrics, w);
	} else if (!strcmp(req, "resync") && !*arg) {
		log_info("control: full sync of every remote requested");
		worker_resync(w);
		lsclient_replyf(cl, "ok: full sync of every remote started\n");
	} else if (!strcmp(req, "pause") && !*arg) {
		worker_pause(w, true);
		lsclient_replyf(cl, "ok: paused; changes are gathered and journaled, not pushed\n");
	} else if (!strcmp(req, "resume") && !*arg) {
		worker_pause(w, false);
		lsclient_replyf(cl, "ok: resumed\n");
	} else if (!strcmp(req, "flush")) {
		uint64_t timeout = FLUSH_DEFAULT_MS;
		const char *why;
		struct held *fl;
		if (*arg && duration_parse(arg, &timeout, &why) < 0) {
			lsclient_replyf(cl, "error: flush %s: %s\n", arg, why);
			return;
		}
		if (!lsclient_may_hold(cl))
			return;
		if (!(fl = calloc(1, sizeof *fl))) {
			lsclient_replyf(cl, "error: out of memory\n");
			return;
		}
		/* Every change made before now is in the inotify queue: take
		 * it all in and push it without waiting for the batch timer. */
		worker_flush_begin(w);
		fl->t = now_ms();
		lsclient_hold(cl, fl->t + timeout, fl);
		flush_answer(ctl, cl, fl);
	} else if (!strcmp(req, "verify")) {
		verify_request(ctl, cl, arg);
	} else if (!strcmp(req, "help") && !*arg) {
		lsclient_replyf(cl, "ok\nstatus [--json]\nmetrics\nresync\npause\nresume\nflush [TIMEOUT]\n"
		    "verify [--json] [--timeout TIMEOUT] [REMOTE...]\n");
	} else {
		char q[128];
		lsclient_replyf(cl, "error: unknown command '%s' (known: status [--json], metrics, resync, pause, "
		    "resume, flush [TIMEOUT], verify [--json] [--timeout TIMEOUT] [REMOTE...], help)\n",
		    log_quote(req, q, sizeof q));
	}
}

/* A held client hung up before its answer. */
static void
held_dropped(void *ctx, struct lsclient *cl)
{
	(void)ctx;
	free_held(lsclient_data(cl));
}

static const struct lineserver_ops control_ops = { handle_request, held_expired, held_dropped };

struct control *
control_open(struct worker *w, const char *path)
{
	struct control *ctl = calloc(1, sizeof *ctl);
	char what[300];

	if (!ctl)
		return NULL;
	ctl->w = w;
	snprintf(what, sizeof what, "another worker of instance %s", w->cfg->name);
	ctl->srv = lineserver_open(&w->loop, path, what, &control_ops, ctl);
	if (!ctl->srv) {
		free(ctl);
		return NULL;
	}
	return ctl;
}

void
control_close(struct control *ctl)
{
	if (!ctl)
		return;
	lineserver_each_held(ctl->srv, held_dropped, NULL);
	lineserver_close(ctl->srv, "error: the worker is stopping\n");
	free(ctl);
}
