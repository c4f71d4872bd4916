/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "status.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "field.h"
#include "hook.h"
#include "json.h"
#include "loop.h"
#include "remote.h"
#include "verify.h"
#include "worker.h"

static const char *
worker_state(const struct worker *w)
{
	return w->stopping ? "stopping" : w->paused ? "paused" : "running";
}

static double
lag_s(const struct worker *w, const struct remote *r, uint64_t now)
{
	uint64_t oldest = remote_oldest(r), g = changeset_oldest(&w->gather);

	if (g && (!oldest || g < oldest))
		oldest = g;
	return oldest && now > oldest ? (double)(now - oldest) / 1000 : 0;
}

void
status_time(uint64_t wall, char *buf, size_t len)
{
	time_t t = (time_t)(wall / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *
full_state(const struct remote *r)
{
	return r->full ? "running" : r->full_wanted ? "wanted" : "idle";
}

static const char *
journal_error(const struct journal *j)
{
	return j->err ? strerror(j->err) : "";
}

static void
put_time(struct value *v, uint64_t wall)
{
	if (!wall) {
		v->null = true;
		return;
	}
	status_time(wall, v->buf, sizeof v->buf);
	v->s = v->buf;
	v->n = (double)(wall / 1000);
}

static void
instance_get(const void *obj, int f, struct value *v)
{
	const struct worker *w = obj;

	switch (f) {
	case I_INSTANCE: v->s = w->cfg->name; break;
	case I_PID: v->n = getpid(); break;
	case I_STATE: v->s = worker_state(w); break;
	case I_RUNNING_MARK: v->s = w->running_err ? "off" : "ok"; break;
	case I_RUNNING_MARK_ERROR: v->s = w->running_err ? strerror(w->running_err) : ""; break;
	case I_SOURCE: v->s = w->cfg->source; break;
	case I_UPTIME: v->n = (double)(now_ms() - w->started) / 1000; break;
	case I_WATCHED: v->n = (double)watch_count(&w->watch); break;
	case I_EVENTS: v->n = (double)w->watch.events; break;
	case I_BATCHES: v->n = (double)w->batches; break;
	case I_GATHERING: v->n = (double)changeset_count(&w->gather); break;
	case I_OVERFLOWS: v->n = (double)w->watch.overflows; break;
	}
}

static void
verify_raw(const void *obj, FILE *f)
{
	verify_json(obj, f);
}

static void
remote_get(const void *obj, int f, struct value *v)
{
	const struct remote *r = obj;
	const struct worker *w = r->w;

	switch (f) {
	case R_NAME: v->s = r->rc->name; break;
	case R_TARGET: v->s = r->rc->target; break;
	case R_STATE: v->s = remote_state(r); break;
	case R_JOURNAL: v->s = r->journal.err ? "off" : "on"; break;
	case R_JOURNAL_ERROR: v->s = journal_error(&r->journal); break;
	case R_LAG: v->n = lag_s(w, r, now_ms()); break;
	case R_PENDING: v->n = (double)changeset_count(&r->pending); break;
	case R_IN_FLIGHT: v->n = (double)(changeset_count(&r->inflight) + changeset_count(&r->lane)); break;
	case R_FULL_SYNC: v->s = full_state(r); break;
	case R_LAST_SUCCESS: put_time(v, r->last_ok_wall); break;
	case R_FAILURES: v->n = r->failures; break;
	case R_PUSHES: v->n = (double)r->pushes; break;
	case R_LANE_PUSHES: v->n = (double)r->lane_pushes; break;
	case R_PRECONNECTED: v->n = r->rc->pre ? (double)r->pre.taken : 0; break;
	case R_OPENING_SENT: v->n = r->rc->pre ? (double)r->pre.sent_ahead : 0; break;
	case R_PARTIAL: v->n = (double)r->failed_pushes[RSYNC_PARTIAL]; break;
	case R_RETRY: v->n = (double)r->failed_pushes[RSYNC_RETRY]; break;
	case R_OPERATOR: v->n = (double)r->failed_pushes[RSYNC_OPERATOR]; break;
	case R_PATHS: v->n = (double)r->paths_pushed; break;
	case R_FULL_SYNCS: v->n = (double)r->full_syncs; break;
	case R_BYTES: v->n = (double)r->bytes_sent; break;
	case R_JOURNAL_BYTES: v->n = (double)r->journal.size; break;
	case R_DURATION: v->h = &r->push_time; break;
	case R_LAST_ERROR: v->s = r->last_error; break;
	case R_VERIFY:
		v->raw = verify_raw;
		v->obj = &w->verifies[r - w->remotes];
		break;
	}
}

static void
hook_get(const void *obj, int f, struct value *v)
{
	const struct hook *h = obj;

	switch (f) {
	case H_NAME: v->s = h->hc->name; break;
	case H_TYPE: v->s = hook_type_name(h->hc->type); break;
	case H_WHEN: v->s = h->hc->when_changed ? "changed" : "mirrored"; break;
	case H_STATE: v->s = hook_state(h); break;
	case H_JOURNAL: v->s = h->journal.err ? "off" : "on"; break;
	case H_JOURNAL_ERROR: v->s = journal_error(&h->journal); break;
	case H_PENDING: v->n = (double)hook_pending(h); break;
	case H_DELIVERED: v->n = (double)h->delivered; break;
	case H_CALLS_OK: v->n = (double)h->calls_ok; break;
	case H_CALLS_FAILED: v->n = (double)h->calls_failed; break;
	case H_RETRIES: v->n = (double)h->retried; break;
	case H_DROPPED: v->n = (double)h->dropped; break;
	case H_OVERFLOWED: v->n = (double)h->overflowed; break;
	case H_LAST_SUCCESS: put_time(v, h->last_ok_wall); break;
	case H_LAST_ERROR: v->s = h->last_error; break;
	case H_NEXT_SEQ: v->n = (double)h->seq; break;
	}
}

void
status_text(const struct worker *w, FILE *f)
{
	field_text(f, instance_fields, 0, I_NFIELDS, instance_get, w);
	fputc('\n', f);
	for (size_t i = 0; i < w->cfg->nremotes; i++) {
		field_text(f, remote_fields, 0, R_NFIELDS, remote_get, &w->remotes[i]);
		fputc('\n', f);
		verify_status_text(&w->verifies[i], f);
	}
	for (size_t i = 0; i < w->cfg->nhooks; i++) {
		field_text(f, hook_fields, 0, H_NFIELDS, hook_get, &w->hooks[i]);
		fputc('\n', f);
	}
}

void
status_json(const struct worker *w, FILE *f)
{
	fputc('{', f);
	field_json(f, instance_fields, I_NFIELDS, instance_get, w);
	fputs(",\"remotes\":[", f);
	for (size_t i = 0; i < w->cfg->nremotes; i++) {
		fputs(i ? ",{" : "{", f);
		field_json(f, remote_fields, R_NFIELDS, remote_get, &w->remotes[i]);
		fputc('}', f);
	}
	fputs("],\"hooks\":[", f);
	for (size_t i = 0; i < w->cfg->nhooks; i++) {
		fputs(i ? ",{" : "{", f);
		field_json(f, hook_fields, H_NFIELDS, hook_get, &w->hooks[i]);
		fputc('}', f);
	}
	fputs("]}\n", f);
}

static const char *const instance_label[] = { "syncd_instance", NULL };
static const char *const remote_labels[] = { "syncd_instance", "remote", NULL };
static const char *const hook_labels[] = { "syncd_instance", "hook", NULL };

static const char *
instance_label_of(const void *obj, int j)
{
	return ((const struct worker *)obj)->cfg->name;
}

static const char *
remote_label_of(const void *obj, int j)
{
	const struct remote *r = obj;

	return j ? r->rc->name : r->w->cfg->name;
}

static const char *
hook_label_of(const void *obj, int j)
{
	const struct hook *h = obj;

	return j ? h->hc->name : h->w->cfg->name;
}

void
status_metrics(const struct worker *w, FILE *f)
{
	const struct metric_set sets[] = {
		{ instance_fields, 0, I_NFIELDS, instance_get, w, 1, sizeof *w, instance_label,
		    instance_label_of },
		{ remote_fields, 0, R_NFIELDS, remote_get, w->remotes, w->cfg->nremotes,
		    sizeof *w->remotes, remote_labels, remote_label_of },
		{ hook_fields, 0, H_NFIELDS, hook_get, w->hooks, w->cfg->nhooks, sizeof *w->hooks,
		    hook_labels, hook_label_of },
	};

	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
		field_metrics(f, &sets[i]);
}
