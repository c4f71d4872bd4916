/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "status.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* ", journal off (reason)", or nothing while it is on. */
static const char *
journal_note(const struct journal *j, char *buf, size_t len)
{
	if (!j->err)
		return "";
	snprintf(buf, len, ", journal off (%s)", journal_error(j));
	return buf;
}

void
status_text(const struct worker *w, FILE *f)
{
	uint64_t now = now_ms();
	char when[32], note[128];

	fprintf(f, "instance %s (pid %d): %s, up %.0fs\n", w->cfg->name, (int)getpid(),
	    worker_state(w), (double)(now - w->started) / 1000);
	if (w->running_err)
		fprintf(f, "warning: cannot create the running mark %s: %s; an unclean stop would go "
		    "unnoticed (no full sync at the next start)\n", w->running,
		    strerror(w->running_err));
	fprintf(f, "source %s: %zu directories watched, %llu events, %llu batches, %zu changes "
	    "gathering\n", w->cfg->source, watch_count(&w->watch),
	    (unsigned long long)w->watch.events, (unsigned long long)w->batches,
	    changeset_count(&w->gather));
	for (size_t i = 0; i < w->cfg->nremotes; i++) {
		const struct remote *r = &w->remotes[i];
		if (r->last_ok_wall)
			status_time(r->last_ok_wall, when, sizeof when);
		fprintf(f, "remote %s -> %s: %s%s, lag %.3fs, %zu pending, %zu in flight, full sync %s, "
		    "last success %s, %u failures in a row, %llu pushes of %llu paths, %llu full syncs\n",
		    r->rc->name, r->rc->target, remote_state(r), journal_note(&r->journal, note, sizeof note),
		    lag_s(w, r, now),
		    changeset_count(&r->pending), changeset_count(&r->inflight), full_state(r),
		    r->last_ok_wall ? when : "never", r->failures, (unsigned long long)r->pushes,
		    (unsigned long long)r->paths_pushed, (unsigned long long)r->full_syncs);
		if (r->last_error[0])
			fprintf(f, "  last error: %s\n", r->last_error);
		verify_status_text(&w->verifies[i], f);
	}
	for (size_t i = 0; i < w->cfg->nhooks; i++) {
		const struct hook *h = &w->hooks[i];
		if (h->last_ok_wall)
			status_time(h->last_ok_wall, when, sizeof when);
		fprintf(f, "hook %s (%s, when %s): %s%s, %zu pending, %llu delivered in %llu calls, "
		    "%llu failed calls, %llu retries, %llu dropped, %llu overflowed, last success %s\n",
		    h->hc->name, hook_type_name(h->hc->type), h->hc->when_changed ? "changed" : "mirrored",
		    hook_state(h), journal_note(&h->journal, note, sizeof note), hook_pending(h),
		    (unsigned long long)h->delivered,
		    (unsigned long long)h->calls_ok, (unsigned long long)h->calls_failed,
		    (unsigned long long)h->retried, (unsigned long long)h->dropped,
		    (unsigned long long)h->overflowed, h->last_ok_wall ? when : "never");
		if (h->last_error[0])
			fprintf(f, "  last error: %s\n", h->last_error);
	}
}

void
status_json(const struct worker *w, FILE *f)
{
	uint64_t now = now_ms();
	char when[32];

	fputs("{\"instance\":", f);
	json_str(f, w->cfg->name);
	fprintf(f, ",\"pid\":%d,\"state\":\"%s\",\"running_mark\":\"%s\",\"running_mark_error\":",
	    (int)getpid(), worker_state(w), w->running_err ? "off" : "ok");
	json_str(f, w->running_err ? strerror(w->running_err) : "");
	fputs(",\"source\":", f);
	json_str(f, w->cfg->source);
	fprintf(f, ",\"uptime_s\":%.3f,\"watched_dirs\":%zu,\"events\":%llu,\"batches\":%llu,"
	    "\"gathering\":%zu,\"remotes\":[", (double)(now - w->started) / 1000,
	    watch_count(&w->watch), (unsigned long long)w->watch.events,
	    (unsigned long long)w->batches, changeset_count(&w->gather));
	for (size_t i = 0; i < w->cfg->nremotes; i++) {
		const struct remote *r = &w->remotes[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, r->rc->name);
		fputs(",\"target\":", f);
		json_str(f, r->rc->target);
		fprintf(f, ",\"state\":\"%s\",\"journal\":\"%s\",\"journal_error\":", remote_state(r),
		    r->journal.err ? "off" : "on");
		json_str(f, journal_error(&r->journal));
		fprintf(f, ",\"pending\":%zu,\"in_flight\":%zu,\"full_sync\":\"%s\","
		    "\"last_success\":", changeset_count(&r->pending),
		    changeset_count(&r->inflight), full_state(r));
		if (r->last_ok_wall) {
			status_time(r->last_ok_wall, when, sizeof when);
			json_str(f, when);
		} else {
			fputs("null", f);
		}
		fprintf(f, ",\"failures\":%u,\"last_error\":", r->failures);
		json_str(f, r->last_error);
		fprintf(f, ",\"lag_s\":%.3f,\"pushes\":%llu,\"paths_pushed\":%llu,\"full_syncs\":%llu,"
		    "\"verify\":{", lag_s(w, r, now), (unsigned long long)r->pushes,
		    (unsigned long long)r->paths_pushed, (unsigned long long)r->full_syncs);
		verify_json(&w->verifies[i], f);
		fputs("}}", f);
	}
	fputs("],\"hooks\":[", f);
	for (size_t i = 0; i < w->cfg->nhooks; i++) {
		const struct hook *h = &w->hooks[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, h->hc->name);
		fprintf(f, ",\"type\":\"%s\",\"when\":\"%s\",\"state\":\"%s\",\"pending\":%zu,"
		    "\"delivered\":%llu,\"calls_ok\":%llu,\"calls_failed\":%llu,\"retries\":%llu,"
		    "\"dropped\":%llu,\"overflowed\":%llu,\"last_success\":", hook_type_name(h->hc->type),
		    h->hc->when_changed ? "changed" : "mirrored", hook_state(h), hook_pending(h),
		    (unsigned long long)h->delivered, (unsigned long long)h->calls_ok,
		    (unsigned long long)h->calls_failed, (unsigned long long)h->retried,
		    (unsigned long long)h->dropped, (unsigned long long)h->overflowed);
		if (h->last_ok_wall) {
			status_time(h->last_ok_wall, when, sizeof when);
			json_str(f, when);
		} else {
			fputs("null", f);
		}
		fputs(",\"last_error\":", f);
		json_str(f, h->last_error);
		fprintf(f, ",\"journal\":\"%s\",\"journal_error\":", h->journal.err ? "off" : "on");
		json_str(f, journal_error(&h->journal));
		fprintf(f, ",\"next_seq\":%llu}", (unsigned long long)h->seq);
	}
	fputs("]}\n", f);
}
