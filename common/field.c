/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "field.h"

#include <string.h>

#include "json.h"

const double hist_bounds[HIST_BUCKETS] = { 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };

#define TEXT(k, kind, text) { k, kind, text, false, NULL, MT_NONE, NULL, NULL }
#define TEXT_IF(k, kind, text) { k, kind, text, true, NULL, MT_NONE, NULL, NULL }
#define GAUGE(k, kind, text, m, help) { k, kind, text, false, m, MT_GAUGE, NULL, help }
#define COUNTER(k, text, m, label, help) { k, FK_COUNT, text, false, m, MT_COUNTER, label, help }

const struct field instance_fields[I_NFIELDS] = {
	[I_INSTANCE] = TEXT("instance", FK_STR, "instance %s"),
	[I_PID] = TEXT("pid", FK_COUNT, " (pid %s)"),
	[I_STATE] = TEXT("state", FK_STR, ": %s"),
	[I_RUNNING_MARK] = TEXT("running_mark", FK_STR, NULL),
	[I_RUNNING_MARK_ERROR] = TEXT_IF("running_mark_error", FK_STR,
	    "\nwarning: cannot create the running mark in the state directory: %s; an unclean stop "
	    "would go unnoticed (no full sync at the next start)"),
	[I_SOURCE] = TEXT("source", FK_STR, "\nsource %s"),
	[I_UPTIME] = GAUGE("uptime_s", FK_NUM, ", up %ss", "syncd_uptime_seconds",
	    "Seconds since the worker started."),
	[I_WATCHED] = GAUGE("watched_dirs", FK_COUNT, ": %s directories watched",
	    "syncd_watched_directories", "Directories of the source watched with inotify."),
	[I_EVENTS] = COUNTER("events", ", %s events", "syncd_events_total", NULL,
	    "inotify events read."),
	[I_BATCHES] = COUNTER("batches", ", %s batches", "syncd_batches_total", NULL,
	    "Batches of changes sealed for the remotes."),
	[I_GATHERING] = GAUGE("gathering", FK_COUNT, ", %s changes gathering",
	    "syncd_gathering_paths", "Changed paths not sealed into a batch yet."),
	[I_OVERFLOWS] = { "queue_overflows", FK_COUNT, ", %s queue overflows", true,
	    "syncd_queue_overflows_total", MT_COUNTER, NULL,
	    "inotify queue overflows (events lost: each one costs a full sync)." },
};

const struct field remote_fields[R_NFIELDS] = {
	[R_NAME] = TEXT("name", FK_STR, "remote %s"),
	[R_TARGET] = TEXT("target", FK_STR, " -> %s"),
	[R_STATE] = TEXT("state", FK_STR, ": %s"),
	[R_JOURNAL] = TEXT("journal", FK_STR, NULL),
	[R_JOURNAL_ERROR] = TEXT_IF("journal_error", FK_STR, ", journal off (%s)"),
	[R_LAG] = GAUGE("lag_s", FK_NUM, ", lag %ss", "syncd_remote_lag_seconds",
	    "Age of the oldest change not on the remote yet (0: it has everything)."),
	[R_PENDING] = GAUGE("pending", FK_COUNT, ", %s pending", "syncd_remote_pending_paths",
	    "Paths waiting to be pushed."),
	[R_IN_FLIGHT] = GAUGE("in_flight", FK_COUNT, ", %s in flight",
	    "syncd_remote_in_flight_paths", "Paths in the push that runs now."),
	[R_FULL_SYNC] = TEXT("full_sync", FK_STR, ", full sync %s"),
	[R_LAST_SUCCESS] = GAUGE("last_success", FK_TIME, ", last success %s",
	    "syncd_remote_last_success_timestamp_seconds",
	    "Unix time of the last push or full sync that succeeded (0: none yet)."),
	[R_FAILURES] = GAUGE("failures", FK_COUNT, ", %s failures in a row",
	    "syncd_remote_consecutive_failures", "rsync runs that failed since the last success."),
	[R_PUSHES] = COUNTER("pushes", ", %s pushes", "syncd_remote_pushes_total", "result=\"ok\"",
	    "Pushes of batches by result: ok, partial (rsync exit 23), retry (connection, "
	    "timeout, protocol), operator_error (auth, module, options)."),
	[R_PARTIAL] = COUNTER("pushes_partial", NULL, "syncd_remote_pushes_total",
	    "result=\"partial\"", NULL),
	[R_RETRY] = COUNTER("pushes_retry", NULL, "syncd_remote_pushes_total", "result=\"retry\"",
	    NULL),
	[R_OPERATOR] = COUNTER("pushes_operator_error", NULL, "syncd_remote_pushes_total",
	    "result=\"operator_error\"", NULL),
	[R_PATHS] = COUNTER("paths_pushed", " of %s paths", "syncd_remote_pushed_paths_total",
	    NULL, "Paths in the batches pushed."),
	[R_LANE_PUSHES] = COUNTER("lane_pushes", NULL, "syncd_remote_lane_pushes_total", NULL,
	    "Pushes that ran in the second lane, beside a long push (of the pushes that were ok)."),
	[R_PRECONNECTED] = COUNTER("preconnected_runs", NULL, "syncd_remote_preconnected_runs_total",
	    NULL, "Runs that started on a connection opened ahead ([remote] preconnect)."),
	[R_OPENING_SENT] = COUNTER("opening_sent_runs", NULL, "syncd_remote_opening_sent_runs_total",
	    NULL, "Pushes that sent the opening of rsync's protocol ahead, on a connection opened "
	    "ahead or with their own connect (a module without auth users)."),
	[R_FULL_SYNCS] = COUNTER("full_syncs", ", %s full syncs", "syncd_remote_full_syncs_total",
	    NULL, "Full syncs that succeeded."),
	[R_BYTES] = COUNTER("bytes_sent", ", %s bytes sent", "syncd_remote_sent_bytes_total",
	    NULL, "Bytes rsync sent to the remote (its own statistics), pushes and full syncs."),
	[R_JOURNAL_BYTES] = GAUGE("journal_bytes", FK_COUNT, NULL, "syncd_remote_journal_bytes",
	    "Size of the remote's journal file."),
	[R_DURATION] = { "push_seconds", FK_HIST, NULL, false,
	    "syncd_remote_push_duration_seconds", MT_HISTOGRAM, NULL,
	    "Duration of the rsync runs of pushes, whatever their result." },
	[R_LAST_ERROR] = TEXT_IF("last_error", FK_STR, "\n  last error: %s"),
	[R_VERIFY] = TEXT("verify", FK_RAW, NULL),
};

const struct field hook_fields[H_NFIELDS] = {
	[H_NAME] = TEXT("name", FK_STR, "hook %s"),
	[H_TYPE] = TEXT("type", FK_STR, " (%s"),
	[H_WHEN] = TEXT("when", FK_STR, ", when %s"),
	[H_STATE] = TEXT("state", FK_STR, "): %s"),
	[H_JOURNAL] = TEXT("journal", FK_STR, NULL),
	[H_JOURNAL_ERROR] = TEXT_IF("journal_error", FK_STR, ", journal off (%s)"),
	[H_PENDING] = GAUGE("pending", FK_COUNT, ", %s pending", "syncd_hook_queue_length",
	    "Changes queued for the hook or in its calls."),
	[H_DELIVERED] = COUNTER("delivered", ", %s delivered", "syncd_hook_delivered_total", NULL,
	    "Changes delivered."),
	[H_CALLS_OK] = COUNTER("calls_ok", " in %s calls", "syncd_hook_calls_total",
	    "result=\"ok\"", "Calls (command runs, requests) by result: ok, failed."),
	[H_CALLS_FAILED] = COUNTER("calls_failed", ", %s failed calls", "syncd_hook_calls_total",
	    "result=\"failed\"", NULL),
	[H_RETRIES] = COUNTER("retries", ", %s retries", "syncd_hook_retries_total", NULL,
	    "Calls retried after a failure."),
	[H_DROPPED] = COUNTER("dropped", ", %s dropped", "syncd_hook_dropped_total", NULL,
	    "Changes dropped after their last retry failed."),
	[H_OVERFLOWED] = COUNTER("overflowed", ", %s overflowed", "syncd_hook_overflowed_total",
	    NULL, "Changes dropped because the hook's queue was full."),
	[H_LAST_SUCCESS] = GAUGE("last_success", FK_TIME, ", last success %s",
	    "syncd_hook_last_success_timestamp_seconds",
	    "Unix time of the last call that succeeded (0: none yet)."),
	[H_LAST_ERROR] = TEXT_IF("last_error", FK_STR, "\n  last error: %s"),
	[H_NEXT_SEQ] = TEXT("next_seq", FK_COUNT, NULL),
};

const struct field supervisor_fields[SV_NFIELDS] = {
	[SV_RUNNING] = GAUGE("running", FK_COUNT, NULL, "syncd_supervisor_running",
	    "1 when a syncctl supervisor answers, 0 when none runs."),
};

const struct field supervised_fields[S_NFIELDS] = {
	[S_UP] = GAUGE("up", FK_COUNT, NULL, "syncd_supervisor_instance_up",
	    "1 while the instance's worker runs (ready), 0 otherwise."),
	[S_RESTARTS] = COUNTER("restarts", NULL, "syncd_supervisor_restarts_total", NULL,
	    "Restarts of the worker by the supervisor since the operator last started it."),
	[S_WATCHDOG_KILLS] = COUNTER("watchdog_kills", NULL,
	    "syncd_supervisor_watchdog_kills_total", NULL,
	    "Workers killed for a missed watchdog ping."),
	[S_LAST_EXIT] = GAUGE("last_exit_code", FK_COUNT, NULL, "syncd_supervisor_last_exit_code",
	    "Exit status of the last worker that ended, 128+N when killed by signal N, -1: none yet."),
	[S_STATE_SECONDS] = GAUGE("state_s", FK_NUM, NULL, "syncd_supervisor_state_seconds",
	    "Seconds the instance has been in its current state (the state label)."),
};

void
hist_add(struct hist *h, double v)
{
	size_t i = 0;

	while (i < HIST_BUCKETS && v > hist_bounds[i])
		i++;
	h->counts[i]++;
	h->count++;
	h->sum += v;
}

static void
put_number(FILE *f, const struct field *fd, double n)
{
	fprintf(f, fd->kind == FK_NUM ? "%.3f" : "%.0f", n);
}

void
field_json(FILE *f, const struct field *t, int n, field_get_fn get, const void *obj)
{
	for (int i = 0; i < n; i++) {
		struct value v = { 0 };
		get(obj, i, &v);
		fprintf(f, "%s\"%s\":", i ? "," : "", t[i].key);
		if (v.null) {
			fputs("null", f);
		} else if (t[i].kind == FK_STR || t[i].kind == FK_TIME) {
			json_str(f, v.s ? v.s : "");
		} else if (t[i].kind == FK_RAW) {
			fputc('{', f);
			v.raw(v.obj, f);
			fputc('}', f);
		} else if (t[i].kind == FK_HIST) {
			uint64_t c = 0;
			fputs("{\"le\":[", f);
			for (size_t b = 0; b < HIST_BUCKETS; b++)
				fprintf(f, "%s%g", b ? "," : "", hist_bounds[b]);
			fputs("],\"counts\":[", f);
			for (size_t b = 0; b < HIST_BUCKETS; b++)
				fprintf(f, "%s%llu", b ? "," : "", (unsigned long long)(c += v.h->counts[b]));
			fprintf(f, "],\"count\":%llu,\"sum\":%.3f}", (unsigned long long)v.h->count, v.h->sum);
		} else {
			put_number(f, &t[i], v.n);
		}
	}
}

void
field_text(FILE *f, const struct field *t, int first, int last, field_get_fn get, const void *obj)
{
	char num[32];

	for (int i = first; i < last; i++) {
		struct value v = { 0 };
		const char *s;
		if (!t[i].text)
			continue;
		get(obj, i, &v);
		if (t[i].kind == FK_STR || t[i].kind == FK_TIME) {
			s = v.null || !v.s ? "" : v.s;
		} else {
			snprintf(num, sizeof num, t[i].kind == FK_NUM ? "%.3f" : "%.0f", v.n);
			s = v.null || (t[i].text_if_set && !v.n) ? "" : num;
		}
		if (t[i].text_if_set && !*s)
			continue;
		fprintf(f, t[i].text, *s || t[i].kind != FK_TIME ? s : "never");
	}
}

void
field_verify_text(FILE *f, const char *state, const char *result, const char *when,
    double seconds, double differences, const char *error)
{
	bool never = !strcmp(result, "never");

	if (never && !strcmp(state, "idle"))
		return;
	fputs("  last verify: ", f);
	if (never) {
		fputs("none yet", f);
	} else {
		fputs(result, f);
		if (!strcmp(result, "drift"))
			fprintf(f, ", %.0f difference%s", differences, differences == 1 ? "" : "s");
		fprintf(f, " at %s (%.1fs)", when, seconds);
		if (!strcmp(result, "failed"))
			fprintf(f, ": %s", error);
	}
	if (strcmp(state, "idle"))
		fprintf(f, "; one is %s", state);
	fputc('\n', f);
}

void
metric_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
put_labels(FILE *f, const struct metric_set *s, const void *obj, const char *extra,
    const char *le)
{
	if (!s->label_names[0] && !extra && !le)
		return;
	fputc('{', f);
	for (int j = 0; s->label_names[j]; j++) {
		fprintf(f, "%s%s=", j ? "," : "", s->label_names[j]);
		metric_label(f, s->label(obj, j));
	}
	if (extra)
		fprintf(f, "%s%s", s->label_names[0] ? "," : "", extra);
	if (le)
		fprintf(f, "%sle=\"%s\"", s->label_names[0] || extra ? "," : "", le);
	fputc('}', f);
}

static const char *const type_names[] = { "untyped", "gauge", "counter", "histogram" };

void
field_metrics(FILE *f, const struct metric_set *s)
{
	const char *family = "";

	if (!s->count)
		return;

	for (int i = s->first; i < s->n; i++) {
		const struct field *fd = &s->t[i];
		if (!fd->metric)
			continue;
		/* Fields that differ by their extra label are one family. */
		if (strcmp(family, fd->metric)) {
			fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fd->metric, fd->help, fd->metric,
			    type_names[fd->type]);
			family = fd->metric;
		}
		for (size_t o = 0; o < s->count; o++) {
			const void *obj = (const char *)s->objs + o * s->stride;
			struct value v = { 0 };
			s->get(obj, i, &v);
			if (fd->kind != FK_HIST) {
				fputs(fd->metric, f);
				put_labels(f, s, obj, fd->label, NULL);
				fputc(' ', f);
				put_number(f, fd, v.null ? 0 : v.n);
				fputc('\n', f);
				continue;
			}
			uint64_t c = 0;
			char le[32];
			for (size_t b = 0; b <= HIST_BUCKETS; b++) {
				c += v.h->counts[b];
				if (b < HIST_BUCKETS)
					snprintf(le, sizeof le, "%g", hist_bounds[b]);
				fprintf(f, "%s_bucket", fd->metric);
				put_labels(f, s, obj, fd->label, b < HIST_BUCKETS ? le : "+Inf");
				fprintf(f, " %llu\n", (unsigned long long)c);
			}
			fprintf(f, "%s_sum", fd->metric);
			put_labels(f, s, obj, fd->label, NULL);
			fprintf(f, " %.3f\n%s_count", v.h->sum, fd->metric);
			put_labels(f, s, obj, fd->label, NULL);
			fprintf(f, " %llu\n", (unsigned long long)v.h->count);
		}
	}
}
