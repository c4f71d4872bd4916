/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The field table's outputs (text, JSON, the text format of metrics),
 * syncctl's merge of expositions, its JSON reader, and the figures read
 * from rsync's output. */
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "json_read.h"
#include "metrics.h"
#include "rsync_exit.h"
#include "suites.h"

struct thing {
	const char *name, *error;
	double pending;
	uint64_t last_ok;	/* Unix s, 0: never */
	struct hist h;
};

static void
thing_get(const void *obj, int f, struct value *v)
{
	const struct thing *t = obj;

	switch (f) {
	case H_NAME: v->s = t->name; break;
	case H_PENDING: v->n = t->pending; break;
	case H_LAST_SUCCESS:
		if (!t->last_ok)
			v->null = true;
		v->s = "2025-01-31T12:00:00Z";
		v->n = (double)t->last_ok;
		break;
	case H_LAST_ERROR: v->s = t->error; break;
	case H_TYPE: v->s = "command"; break;
	case H_WHEN: v->s = "mirrored"; break;
	case H_STATE: v->s = "ok"; break;
	default: v->n = 0; break;
	}
}

/* What fn writes, malloc'd.  Through a file, not open_memstream's own
 * pointer, which GCC takes for a dangling local once inlined. */
static char *
capture(void (*fn)(FILE *f, const void *arg), const void *arg)
{
	FILE *f = tmpfile();
	long len;
	char *text;

	fn(f, arg);
	len = ftell(f);
	text = calloc(1, (size_t)len + 1);
	rewind(f);
	ck_assert_uint_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return text;
}

static void
text_of(FILE *f, const void *arg)
{
	field_text(f, hook_fields, 0, H_NFIELDS, thing_get, arg);
}

static void
json_of(FILE *f, const void *arg)
{
	field_json(f, hook_fields, H_NFIELDS, thing_get, arg);
}

static const char *const labels[] = { "syncd_instance", "hook", NULL };

static const char *
label_of(const void *obj, int j)
{
	return j ? ((const struct thing *)obj)->name : "www \"x\"\\";
}

static void
metrics_of(FILE *f, const void *arg)
{
	field_metrics(f, &(struct metric_set){ hook_fields, 0, H_NFIELDS, thing_get, arg, 2,
	    sizeof(struct thing), labels, label_of });
}

START_TEST(text_json_metrics_from_one_table)
{
	struct thing t[2] = { { "cdn", "", 3, 0, { { 0 }, 0, 0 } },
		{ "idx", "timeout", 0, 1738324800, { { 0 }, 0, 0 } } };
	char *s;

	s = capture(text_of, &t[0]);
	ck_assert_str_eq(s, "hook cdn (command, when mirrored): ok, 3 pending, 0 delivered in 0 calls, "
	    "0 failed calls, 0 retries, 0 dropped, 0 overflowed, last success never");
	free(s);
	s = capture(text_of, &t[1]);
	ck_assert_ptr_nonnull(strstr(s, "last success 2025-01-31T12:00:00Z\n  last error: timeout"));
	free(s);
	s = capture(json_of, &t[0]);
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"cdn\",\"type\":\"command\""));
	ck_assert_ptr_nonnull(strstr(s, "\"pending\":3,"));
	ck_assert_ptr_nonnull(strstr(s, "\"last_success\":null,\"last_error\":\"\""));
	free(s);
	s = capture(metrics_of, t);
	/* One HELP and TYPE per family; both results of the calls in one;
	 * label values escaped. */
	ck_assert_ptr_nonnull(strstr(s, "# TYPE syncd_hook_queue_length gauge\n"
	    "syncd_hook_queue_length{syncd_instance=\"www \\\"x\\\"\\\\\",hook=\"cdn\"} 3\n"
	    "syncd_hook_queue_length{syncd_instance=\"www \\\"x\\\"\\\\\",hook=\"idx\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(s, "hook=\"idx\",result=\"ok\"} 0\nsyncd_hook_calls_total{"));
	ck_assert_ptr_nonnull(strstr(s, "syncd_hook_last_success_timestamp_seconds{syncd_instance="
	    "\"www \\\"x\\\"\\\\\",hook=\"idx\"} 1738324800\n"));
	ck_assert_ptr_null(strstr(s, "# TYPE syncd_hook_calls_total counter\n# HELP"));
	const char *p = strstr(s, "# TYPE syncd_hook_calls_total");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(strstr(p + 1, "# TYPE syncd_hook_calls_total"));
	free(s);
}
END_TEST

static void
hist_get(const void *obj, int f, struct value *v)
{
	v->h = obj;
}

static const char *
no_label(const void *obj, int j)
{
	return "";
}

static void
hist_of(FILE *f, const void *arg)
{
	static const char *const none[] = { NULL };

	field_metrics(f, &(struct metric_set){ remote_fields, R_DURATION, R_DURATION + 1, hist_get,
	    arg, 1, sizeof(struct hist), none, no_label });
}

START_TEST(histogram_cumulative)
{
	struct hist h = { { 0 }, 0, 0 };
	char *s;

	hist_add(&h, 0.005);
	hist_add(&h, 0.3);
	hist_add(&h, 0.3);
	hist_add(&h, 100);
	s = capture(hist_of, &h);
	ck_assert_ptr_nonnull(strstr(s, "# TYPE syncd_remote_push_duration_seconds histogram\n"
	    "syncd_remote_push_duration_seconds_bucket{le=\"0.01\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "_bucket{le=\"0.25\"} 1\n"
	    "syncd_remote_push_duration_seconds_bucket{le=\"0.5\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(s, "_bucket{le=\"30\"} 3\n"
	    "syncd_remote_push_duration_seconds_bucket{le=\"+Inf\"} 4\n"
	    "syncd_remote_push_duration_seconds_sum 100.605\n"
	    "syncd_remote_push_duration_seconds_count 4\n"));
	free(s);
}
END_TEST

START_TEST(merge_families)
{
	char *a = "# HELP x_total X.\n# TYPE x_total counter\nx_total{i=\"a\"} 1\n"
	    "# HELP y Y.\n# TYPE y gauge\ny{i=\"a\"} 2\n";
	char *b = "# HELP x_total X.\n# TYPE x_total counter\nx_total{i=\"b\"} 3\n"
	    "# HELP z Z.\n# TYPE z gauge\nz 4\n";
	char *texts[] = { a, b, "" }, *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	metrics_merge(f, texts, 3);
	fclose(f);
	ck_assert_str_eq(out, "# HELP x_total X.\n# TYPE x_total counter\nx_total{i=\"a\"} 1\n"
	    "x_total{i=\"b\"} 3\n# HELP y Y.\n# TYPE y gauge\ny{i=\"a\"} 2\n"
	    "# HELP z Z.\n# TYPE z gauge\nz 4\n");
	free(out);
}
END_TEST

START_TEST(json_reader)
{
	struct jnode *n = json_parse(" {\"a\":[1,-2.5e1,true,null],\"s\":\"q\\\"\\\\\\u00e9\\u20ac\\n\","
	    "\"o\":{\"k\":{}}, \"e\":[] } ");

	ck_assert_ptr_nonnull(n);
	const struct jnode *a = json_get(n, "a");
	ck_assert_int_eq(a->type, J_ARR);
	ck_assert(a->child->num == 1 && a->child->next->num == -25);
	ck_assert_int_eq(a->child->next->next->type, J_BOOL);
	ck_assert_int_eq(a->child->next->next->next->type, J_NULL);
	ck_assert_str_eq(json_get(n, "s")->str, "q\"\\\xe9\xe2\x82\xac\n");
	ck_assert_int_eq(json_get(json_get(n, "o"), "k")->type, J_OBJ);
	ck_assert_ptr_null(json_get(n, "missing"));
	json_free(n);
	static const char *const bad[] = { "", "{", "{\"a\"}", "[1,]", "\"abc", "{\"a\":1} x",
		"[\"\\u00\"]", "[\"\\x\"]", "tru", "[-]", "\"a\\", "\"\\u0000\"" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!json_parse(bad[i]), "accepted: %s", bad[i]);
	char deep[200];
	memset(deep, '[', sizeof deep - 1);
	deep[sizeof deep - 1] = '\0';
	ck_assert_ptr_null(json_parse(deep));
}
END_TEST

START_TEST(rsync_statistics)
{
	ck_assert_uint_eq(rsync_sent_bytes("sent 1,234,567 bytes  received 35 bytes  2.00 bytes/sec\n"
	    "total size is 0  speedup is 0.00\n"), 1234567);
	ck_assert_uint_eq(rsync_sent_bytes("x\nsent 99 bytes  received 1 bytes\n"), 99);
	ck_assert_uint_eq(rsync_sent_bytes("rsync: connection refused\n"), 0);
	ck_assert_uint_eq(rsync_sent_bytes("sent x bytes\n"), 0);

	char buf[256];
	rsync_last_words("rsync: send_files failed to open \"a\": Permission denied (13)\n"
	    "sent 100 bytes  received 20 bytes  240.00 bytes/sec\n"
	    "total size is 5  speedup is 0.04\n"
	    "rsync error: some files/attrs were not transferred (code 23)\n", buf, sizeof buf);
	ck_assert_str_eq(buf, "rsync: send_files failed to open \"a\": Permission denied (13) | "
	    "rsync error: some files/attrs were not transferred (code 23)");
	rsync_last_words("a\nb\nc\nd\n", buf, sizeof buf);
	ck_assert_str_eq(buf, "b | c | d");
	rsync_last_words("", buf, sizeof buf);
	ck_assert_str_eq(buf, "");
	rsync_last_words("abcdefghij\n", buf, 5);
	ck_assert_str_eq(buf, "abcd");
}
END_TEST

Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, text_json_metrics_from_one_table);
	tcase_add_test(tc, histogram_cumulative);
	tcase_add_test(tc, merge_families);
	tcase_add_test(tc, json_reader);
	tcase_add_test(tc, rsync_statistics);
	suite_add_tcase(s, tc);
	return s;
}
