#include "control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "lineserver.h"
#include "log.h"
#include "remote.h"
#include "status.h"
#include "worker.h"

#define FLUSH_DEFAULT_MS 60000

struct control {
	struct worker *w;
	struct lineserver *srv;
};

/* What a held flush waits for: every change made before t is on every mirror. */
struct flush {
	uint64_t t;
};

static bool
flush_done(const struct worker *w, uint64_t t)
{
	for (size_t i = 0; i < w->cfg->nremotes; i++)
		if (!remote_current(&w->remotes[i], t))
			return false;
	return true;
}

static void
flush_answer(void *ctx, struct lsclient *cl)
{
	struct control *ctl = ctx;
	struct flush *fl = lsclient_data(cl);

	if (!flush_done(ctl->w, fl->t))
		return;
	lsclient_replyf(cl, "ok: every change made before the flush is on every mirror (%.3fs)\n",
	    (double)(now_ms() - fl->t) / 1000);
	free(fl);
}

void
control_progress(struct control *ctl)
{
	if (ctl)
		lineserver_each_held(ctl->srv, flush_answer, ctl);
}

static void
flush_expired(void *ctx, struct lsclient *cl)
{
	struct control *ctl = ctx;
	struct worker *w = ctl->w;
	struct flush *fl = lsclient_data(cl);
	char buf[4096];
	size_t o = 0;

	o += (size_t)snprintf(buf, sizeof buf, "error: timeout after %.3fs; not current:",
	    (double)(now_ms() - fl->t) / 1000);
	for (size_t i = 0; i < w->cfg->nremotes && o < sizeof buf; i++) {
		const struct remote *r = &w->remotes[i];
		if (remote_current(r, fl->t))
			continue;
		o += (size_t)snprintf(buf + o, sizeof buf - o, " %s (%s, %zu pending)", r->rc->name,
		    remote_state(r), changeset_count(&r->pending) + changeset_count(&r->inflight));
	}
	if (o < sizeof buf - 1)
		buf[o++] = '\n';
	free(fl);
	lsclient_reply(cl, buf, o < sizeof buf ? o : sizeof buf - 1);
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
		struct flush *fl;
		if (*arg && duration_parse(arg, &timeout, &why) < 0) {
			lsclient_replyf(cl, "error: flush %s: %s\n", arg, why);
			return;
		}
		if (!(fl = malloc(sizeof *fl))) {
			lsclient_replyf(cl, "error: out of memory\n");
			return;
		}
		/* Every change made before now is in the inotify queue: take
		 * it all in and push it without waiting for the batch timer. */
		worker_flush_begin(w);
		fl->t = now_ms();
		lsclient_hold(cl, fl->t + timeout, fl);
		flush_answer(ctl, cl);
	} else if (!strcmp(req, "help") && !*arg) {
		lsclient_replyf(cl, "ok\nstatus [--json]\nresync\npause\nresume\nflush [TIMEOUT]\n");
	} else {
		char q[128];
		lsclient_replyf(cl, "error: unknown command '%s' (known: status [--json], resync, pause, "
		    "resume, flush [TIMEOUT], help)\n", log_quote(req, q, sizeof q));
	}
}

static const struct lineserver_ops control_ops = { handle_request, flush_expired };

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

static void
free_flush(void *ctx, struct lsclient *cl)
{
	(void)ctx;
	free(lsclient_data(cl));
}

void
control_close(struct control *ctl)
{
	if (!ctl)
		return;
	lineserver_each_held(ctl->srv, free_flush, NULL);
	lineserver_close(ctl->srv, "error: the worker is stopping\n");
	free(ctl);
}
