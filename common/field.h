/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one table of a worker's figures.  Each field has its JSON key, how
 * the text status says it, and what Prometheus calls it (name, type, help,
 * an extra label): status text, status JSON and the metrics are all written
 * from this table, by the worker from its structs and by syncctl from the
 * worker's JSON, so no output lists fields of its own. */
#ifndef SYNCD_FIELD_H
#define SYNCD_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum field_kind {
	FK_STR,			/* text */
	FK_COUNT,		/* a whole number */
	FK_NUM,			/* a fraction, three decimals (seconds) */
	FK_TIME,		/* a wall time: ISO 8601 or null in JSON, Unix seconds in metrics */
	FK_HIST,		/* a histogram: JSON and metrics only */
	FK_RAW,			/* JSON the getter writes itself (verify) */
};

enum metric_type { MT_NONE, MT_GAUGE, MT_COUNTER, MT_HISTOGRAM };

/* Fixed bucket bounds of a histogram, in seconds. */
#define HIST_BUCKETS 10
extern const double hist_bounds[HIST_BUCKETS];

struct hist {
	uint64_t counts[HIST_BUCKETS + 1];	/* per bucket, the last: above them all */
	uint64_t count;
	double sum;
};

void hist_add(struct hist *h, double v);

struct field {
	const char *key;	/* in the JSON */
	enum field_kind kind;
	const char *text;	/* the text status' words, one %s for the value; NULL: not said */
	bool text_if_set;	/* said only when not "", 0 or null */
	const char *metric;	/* NULL: not a metric */
	enum metric_type type;
	const char *label;	/* an extra label (name="value"), or NULL */
	const char *help;
};

struct value {
	bool null;
	const char *s;		/* FK_STR, FK_TIME (ISO 8601) */
	double n;		/* numbers; FK_TIME: Unix seconds */
	const struct hist *h;
	void (*raw)(const void *obj, FILE *f);
	const void *obj;
	char buf[32];
};

/* The tables: one per kind of object. */
enum {
	I_INSTANCE, I_PID, I_STATE, I_UPTIME, I_RUNNING_MARK, I_RUNNING_MARK_ERROR, I_SOURCE,
	I_WATCHED, I_EVENTS, I_BATCHES, I_GATHERING, I_OVERFLOWS, I_NFIELDS
};
enum {
	R_NAME, R_TARGET, R_STATE, R_JOURNAL, R_JOURNAL_ERROR, R_LAG, R_PENDING, R_IN_FLIGHT,
	R_FULL_SYNC, R_LAST_SUCCESS, R_FAILURES, R_PUSHES, R_PARTIAL, R_RETRY, R_OPERATOR,
	R_PATHS, R_LANE_PUSHES, R_PRECONNECTED, R_OPENING_SENT, R_FULL_SYNCS, R_BYTES, R_JOURNAL_BYTES, R_DURATION, R_LAST_ERROR, R_VERIFY,
	R_NFIELDS
};
enum {
	H_NAME, H_TYPE, H_WHEN, H_STATE, H_JOURNAL, H_JOURNAL_ERROR, H_PENDING, H_DELIVERED,
	H_CALLS_OK, H_CALLS_FAILED, H_RETRIES, H_DROPPED, H_OVERFLOWED, H_LAST_SUCCESS, H_LAST_ERROR,
	H_NEXT_SEQ, H_NFIELDS
};
/* syncctl's: the supervisor's own, and each instance it supervises. */
enum { SV_RUNNING, SV_NFIELDS };
enum {
	S_UP, S_RESTARTS, S_WATCHDOG_KILLS, S_LAST_EXIT, S_STATE_SECONDS, S_NFIELDS
};
extern const struct field instance_fields[I_NFIELDS], remote_fields[R_NFIELDS],
    hook_fields[H_NFIELDS], supervisor_fields[SV_NFIELDS], supervised_fields[S_NFIELDS];

/* A value of each field of one object, by index. */
typedef void (*field_get_fn)(const void *obj, int field, struct value *v);

/* One object's fields as JSON members ("key":value,...), no braces. */
void field_json(FILE *f, const struct field *t, int n, field_get_fn get, const void *obj);
/* The text status' words for one object, from first to last (exclusive). */
void field_text(FILE *f, const struct field *t, int first, int last, field_get_fn get,
    const void *obj);

/* The text status' line about a remote's verify (nothing when none ran
 * nor runs): its state, result, when it ended, how long it took. */
void field_verify_text(FILE *f, const char *state, const char *result, const char *when,
    double seconds, double differences, const char *error);

/* The metrics of n objects (objs[i] of size stride) in Prometheus' text
 * format 0.0.4, labelled with label_names[j]="label(obj, j)". */
struct metric_set {
	const struct field *t;
	int first, n;		/* the fields first..n-1 of t */
	field_get_fn get;
	const void *objs;
	size_t count, stride;
	const char *const *label_names;	/* NULL-terminated */
	const char *(*label)(const void *obj, int j);
};
void field_metrics(FILE *f, const struct metric_set *s);
/* A label value, escaped as the format wants. */
void metric_label(FILE *f, const char *s);

#endif
