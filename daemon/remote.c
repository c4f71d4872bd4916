#include "remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "push.h"
#include "worker.h"

static void
retry_due(void *ctx)
{
	remote_kick(ctx);
}

int
remote_init(struct remote *r, struct worker *w, const struct remote_conf *rc)
{
	memset(r, 0, sizeof *r);
	r->w = w;
	r->rc = rc;
	changeset_init(&r->pending);
	changeset_init(&r->inflight);
	changeset_init(&r->during_full);
	if (asprintf(&r->push_excludes, "%s/%s.push-excludes", w->state_dir, rc->name) < 0 ||
	    asprintf(&r->full_excludes, "%s/%s.full-excludes", w->state_dir, rc->name) < 0) {
		log_err("out of memory");
		return -1;
	}
	return timer_init(&w->loop, &r->retry, retry_due, r);
}

void
remote_free(struct remote *r)
{
	timer_close(&r->retry);
	changeset_clear(&r->pending);
	changeset_clear(&r->inflight);
	changeset_clear(&r->during_full);
	free(r->push_excludes);
	free(r->full_excludes);
}

/* rsync's last words, on one line. */
static void
last_words(const struct child *c, char *buf, size_t len)
{
	const char *t = c->tail;
	size_t n = strlen(t);
	int lines = 0;

	while (n && (t[n - 1] == '\n' || t[n - 1] == '\r'))
		n--;
	size_t start = n;
	while (start > 0 && lines < 3)
		if (t[--start] == '\n')
			lines++;
	if (t[start] == '\n')
		start++;
	size_t o = 0;
	for (size_t i = start; i < n && o + 4 < len; i++) {
		if (t[i] == '\n') {
			memcpy(buf + o, " | ", 3);
			o += 3;
		} else if (t[i] != '\r') {
			buf[o++] = t[i];
		}
	}
	buf[o] = '\0';
}

static bool
succeeded(int status)
{
	/* 24: files vanished between the change and the push; what is gone
	 * now has its own change queued, so nothing is lost. */
	return WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 24);
}

static void
note_failure(struct remote *r, const struct child *c, int status, const char *what)
{
	const struct config *cfg = r->w->cfg;
	char how[96], said[1024];
	uint64_t delay = cfg->min_backoff_ms;

	child_describe(status, how, sizeof how);
	last_words(c, said, sizeof said);
	r->failures++;
	for (unsigned i = 1; i < r->failures && delay < cfg->max_backoff_ms; i++)
		delay *= 2;
	if (delay > cfg->max_backoff_ms)
		delay = cfg->max_backoff_ms;
	/* Jitter, so mirrors that failed together do not retry in step. */
	delay = delay - delay / 4 + (delay / 2 ? (uint64_t)random() % (delay / 2 + 1) : 0);
	snprintf(r->last_error, sizeof r->last_error, "%s: rsync %s%s%s", what, how,
	    *said ? ": " : "", said);
	log_warn("%s: %s (failure %u in a row); retrying in %llums", r->rc->name, r->last_error,
	    r->failures, (unsigned long long)delay);
	timer_arm(&r->retry, delay);
}

static void
spawn_failed(struct remote *r, const char *what)
{
	/* Nothing ran: treat it as a failure to retry, not a loss. */
	struct child none = { 0 };
	note_failure(r, &none, 127 << 8, what);
}

static void
push_done(struct child *c, int status, void *ctx)
{
	struct remote *r = ctx;
	size_t n = changeset_count(&r->inflight);

	r->push = NULL;
	if (succeeded(status)) {
		r->pushes++;
		r->paths_pushed += n;
		r->failures = 0;
		r->last_ok_wall = wall_ms();
		r->last_error[0] = '\0';
		changeset_clear(&r->inflight);
		log_debug("%s: pushed %zu paths", r->rc->name, n);
	} else if (!r->parent_deletes && WIFEXITED(status) && WEXITSTATUS(status) == 2 &&
	    strstr(c->tail, "invalid file mode")) {
		/* Receivers with rsync's 2025 security fixes (3.4.x, and 3.2.7
		 * as patched by Debian 12) reject the entries that
		 * --delete-missing-args sends for deleted paths. */
		log_warn("%s: the receiver rejects --delete-missing-args; deletions go to it as "
		    "syncs of their parent directories from now on", r->rc->name);
		r->parent_deletes = true;
		changeset_merge(&r->pending, &r->inflight);
	} else {
		char what[64];
		snprintf(what, sizeof what, "push of %zu paths failed", n);
		changeset_merge(&r->pending, &r->inflight);
		note_failure(r, c, status, what);
	}
	remote_kick(r);
	worker_status(r->w);
	worker_remote_done(r->w);
}

static void
full_done(struct child *c, int status, void *ctx)
{
	struct remote *r = ctx;

	r->full = NULL;
	if (succeeded(status)) {
		r->full_syncs++;
		r->failures = 0;
		r->last_ok_wall = wall_ms();
		r->last_error[0] = '\0';
		/* The full sync's --delete may have removed what a live push
		 * created meanwhile: push every such path again. */
		changeset_merge(&r->pending, &r->during_full);
		log_info("%s: full sync done", r->rc->name);
	} else {
		changeset_clear(&r->during_full);
		r->full_wanted = true;
		note_failure(r, c, status, "full sync failed");
	}
	remote_kick(r);
	worker_status(r->w);
	worker_remote_done(r->w);
}

void
remote_kick(struct remote *r)
{
	struct worker *w = r->w;

	if (r->retry.due || w->killing)
		return;		/* backing off, or out of time */
	if (!r->full && r->full_wanted && !w->stopping) {
		r->full_wanted = false;
		changeset_clear(&r->during_full);
		log_info("%s: full sync started", r->rc->name);
		r->full = push_full(&w->loop, w->cfg, r->rc, r->full_excludes, full_done, r);
		if (!r->full) {
			r->full_wanted = true;
			spawn_failed(r, "full sync could not start");
			return;
		}
	}
	if (!r->push && changeset_count(&r->pending)) {
		size_t paths;
		if (changeset_take(&r->pending, &r->inflight, w->cfg->max_files) < 0) {
			log_err("%s: out of memory taking a batch", r->rc->name);
			changeset_merge(&r->pending, &r->inflight);
			return;
		}
		r->push = push_batch(&w->loop, w->cfg, r->rc, &r->inflight, r->parent_deletes,
		    r->push_excludes, &paths, push_done, r);
		if (!r->push) {
			changeset_merge(&r->pending, &r->inflight);
			spawn_failed(r, "push could not start");
		}
	}
}

int
remote_offer(struct remote *r, const struct changeset *sealed)
{
	if (changeset_copy(&r->pending, sealed) < 0)
		return -1;
	if (r->full && changeset_copy(&r->during_full, sealed) < 0)
		return -1;
	remote_kick(r);
	return 0;
}

void
remote_full(struct remote *r)
{
	r->full_wanted = true;
	remote_kick(r);
}

bool
remote_settled(const struct remote *r)
{
	return !r->push && !r->full && (r->retry.due || !changeset_count(&r->pending));
}

void
remote_kill(struct remote *r, int sig)
{
	if (r->push)
		child_kill(r->push, sig);
	if (r->full)
		child_kill(r->full, sig);
}
