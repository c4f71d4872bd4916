/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "show.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "field.h"
#include "instance.h"
#include "json.h"
#include "json_read.h"
#include "strv.h"

/* For all workers together (asked at once): status in under a second
 * with workers stopped (SIGSTOP), yet ample for a loaded one. */
#define WORKER_TIMEOUT_MS 850

static char *
next_field(char **p)
{
	char *f = *p, *end = f + strcspn(f, "\t");

	*p = *end ? end + 1 : end;
	*end = '\0';
	return f;
}

int
status_parse(char *reply, struct status *st)
{
	char *line, *save = NULL;

	memset(st, 0, sizeof *st);
	st->text = reply;
	line = strtok_r(reply, "\n", &save);
	if (!line || strncmp(line, "ok ", 3))
		return -1;
	st->supervisor = atoi(line + 3);
	while ((line = strtok_r(NULL, "\n", &save))) {
		struct row *r = realloc(st->rows, (st->n + 1) * sizeof *r);
		if (!r)
			return -1;
		st->rows = r;
		r = &st->rows[st->n++];
		memset(r, 0, sizeof *r);
		r->name = next_field(&line);
		r->state = next_field(&line);
		r->pid = atoi(next_field(&line));
		r->uptime_ms = strtoull(next_field(&line), NULL, 10);
		r->restarts = (unsigned)strtoul(next_field(&line), NULL, 10);
		r->last_exit = next_field(&line);
		r->status = next_field(&line);
		r->error = next_field(&line);
		r->file = next_field(&line);
		r->autostart = !strcmp(next_field(&line), "yes");
		r->next_ms = strtoull(next_field(&line), NULL, 10);
	}
	return 0;
}

void
status_from_dir(const char *dir, struct status *st)
{
	char **names = instance_scan(dir);
	size_t n = 0, len = 0;

	memset(st, 0, sizeof *st);
	while (names && names[n])
		len += strlen(dir) + 2 * strlen(names[n++]) + 8;
	st->text = malloc(len + 1);
	st->rows = calloc(n ? n : 1, sizeof *st->rows);
	char *p = st->text;
	for (size_t i = 0; p && st->rows && i < n; i++) {
		struct row *r = &st->rows[st->n++];
		r->name = p;
		p += sprintf(p, "%s", names[i]) + 1;
		r->file = p;
		p += sprintf(p, "%s/%s.ini", dir, names[i]) + 1;
		r->state = "stopped";
		r->last_exit = r->status = r->error = "";
		r->autostart = true;
	}
	strv_free(names);
}

static const char *
json_text(const struct jnode *obj, const char *key)
{
	const struct jnode *m = json_get(obj, key);

	return m && m->type == J_STR ? m->str : "";
}

static double
json_num(const struct jnode *obj, const char *key)
{
	const struct jnode *m = json_get(obj, key);

	return m && m->type == J_NUM ? m->num : 0;
}

void
status_free(struct status *st)
{
	free(st->rows);
	free(st->text);
	memset(st, 0, sizeof *st);
}

struct row *
status_find(const struct status *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->rows[i].name, name))
			return &st->rows[i];
	return NULL;
}

static bool
wanted(char **names, const char *name)
{
	if (!names || !*names)
		return true;
	for (; *names; names++)
		if (!strcmp(*names, name))
			return true;
	return false;
}

/* "3d4h", "2h5min", "4min10s", "42s" */
static void
human(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(buf, len, "%llud%lluh", (unsigned long long)(s / 86400), (unsigned long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, len, "%lluh%llumin", (unsigned long long)(s / 3600), (unsigned long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, len, "%llumin%llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else
		snprintf(buf, len, "%llus", (unsigned long long)s);
}

/* Each wanted row's worker (running: with a pid; else without one, looking
 * for those outside syncctl) asked req at once: replies by row, NULL where
 * none came.  NULL if out of memory. */
static char **
ask_workers(const struct status *st, char **names, const char *runtime_dir, const char *req,
    bool running)
{
	char **paths = calloc(st->n + 1, sizeof *paths), **replies = calloc(st->n + 1, sizeof *replies);

	if (!paths || !replies) {
		free(paths);
		free(replies);
		return NULL;
	}
	for (size_t i = 0; i < st->n; i++) {
		const struct row *r = &st->rows[i];
		if (wanted(names, r->name) && !r->pid == !running &&
		    asprintf(&paths[i], "%s/%s.sock", runtime_dir, r->name) < 0)
			paths[i] = NULL;
	}
	ctl_request_all(paths, st->n, req, WORKER_TIMEOUT_MS, replies);
	for (size_t i = 0; i < st->n; i++)
		free(paths[i]);
	free(paths);
	return replies;
}

void
status_find_outside(struct status *st, const char *runtime_dir)
{
	char **replies = ask_workers(st, NULL, runtime_dir, "status --json", false);

	for (size_t i = 0; replies && i < st->n; i++) {
		struct row *r = &st->rows[i];
		struct jnode *js = replies[i] ? json_parse(replies[i]) : NULL;
		if (js && js->type == J_OBJ) {
			r->outside = true;
			r->state = "running";
			r->error = "";
			r->next_ms = 0;
			r->pid = (int)json_num(js, "pid");
			r->uptime_ms = (uint64_t)(json_num(js, "uptime_s") * 1000);
		}
		json_free(js);
		free(replies[i]);
	}
	free(replies);
}

/* A member of a worker's status JSON, read as the table's field f. */
struct json_obj {
	const struct field *t;
	const struct jnode *n;
};

static void
json_value(const void *obj, int f, struct value *v)
{
	const struct json_obj *o = obj;
	const struct jnode *m = json_get(o->n, o->t[f].key);

	if (!m || m->type == J_NULL)
		v->null = true;
	else if (m->type == J_STR)
		v->s = m->str;
	else
		v->n = m->num;
}

/* What the worker's text status says of its remotes and hooks, written
 * from its status JSON with the same table. */
static void
worker_text(const struct jnode *st, FILE *f)
{
	struct json_obj o = { instance_fields, st };
	const struct jnode *list;

	field_text(f, instance_fields, I_RUNNING_MARK_ERROR, I_RUNNING_MARK_ERROR + 1, json_value, &o);
	if ((list = json_get(st, "remotes")))
		for (const struct jnode *r = list->child; r; r = r->next) {
			const struct jnode *v = json_get(r, "verify");
			o = (struct json_obj){ remote_fields, r };
			fputc('\n', f);
			field_text(f, remote_fields, 0, R_NFIELDS, json_value, &o);
			fputc('\n', f);
			if (v)
				field_verify_text(f, json_text(v, "state"), json_text(v, "result"),
				    json_text(v, "time"), json_num(v, "seconds"),
				    json_num(v, "differences"), json_text(v, "error"));
		}
	if ((list = json_get(st, "hooks")))
		for (const struct jnode *h = list->child; h; h = h->next) {
			o = (struct json_obj){ hook_fields, h };
			fputc('\n', f);
			field_text(f, hook_fields, 0, H_NFIELDS, json_value, &o);
		}
}

void
show_table(const struct status *st, char **names, const char *runtime_dir, FILE *f)
{
	int wn = 8, ws = 8, wx = 9;

	for (size_t i = 0; i < st->n; i++) {
		const struct row *r = &st->rows[i];
		if (!wanted(names, r->name))
			continue;
		if ((int)strlen(r->name) > wn)
			wn = (int)strlen(r->name);
		if ((int)strlen(r->last_exit) > wx)
			wx = (int)strlen(r->last_exit);
	}
	bool outside = false;
	for (size_t i = 0; i < st->n; i++)
		outside |= st->rows[i].outside && wanted(names, st->rows[i].name);
	if (!st->supervisor && outside)
		fprintf(f, "no syncctl supervisor is running; what runs, runs outside syncctl\n");
	else if (!st->supervisor)
		fprintf(f, "no supervisor is running (start one with: syncctl start)\n");
	fprintf(f, "%-*s  %-*s  %-7s  %-8s  %-8s  %-*s  %s\n", wn, "INSTANCE", ws, "STATE", "PID",
	    "UPTIME", "RESTARTS", wx, "LAST EXIT", "STATUS");
	for (size_t i = 0; i < st->n; i++) {
		const struct row *r = &st->rows[i];
		char pid[16] = "-", up[32] = "-";
		if (!wanted(names, r->name))
			continue;
		if (r->pid) {
			snprintf(pid, sizeof pid, "%d", r->pid);
			human(r->uptime_ms, up, sizeof up);
		}
		fprintf(f, "%-*s  %-*s  %-7s  %-8s  %-8u  %-*s  %s\n", wn, r->name, ws, r->state, pid, up,
		    r->restarts, wx, *r->last_exit ? r->last_exit : "-",
		    r->outside ? "outside syncctl (a systemd unit, or by hand)" : r->status);
	}
	char **replies = ask_workers(st, names, runtime_dir, "status --json", true);
	for (size_t i = 0; i < st->n; i++) {
		const struct row *r = &st->rows[i];
		if (!wanted(names, r->name))
			continue;
		char *reply = replies ? replies[i] : NULL;
		struct jnode *js = reply ? json_parse(reply) : NULL;
		if (*r->error || js || r->pid)
			fprintf(f, "%s:\n", r->name);
		if (*r->error) {
			char in[32];
			human(r->next_ms + 999, in, sizeof in);
			fprintf(f, "  error: %s%s%s%s\n", r->error, r->next_ms ? " (restart in " : "",
			    r->next_ms ? in : "", r->next_ms ? ")" : "");
		}
		if (!js) {
			if (r->pid && !strcmp(r->state, "running"))
				fprintf(f, "  the worker does not answer on %s/%s.sock\n", runtime_dir, r->name);
			free(reply);
			continue;
		}
		char *text = NULL, *save = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		if (m) {
			worker_text(js, m);
			fclose(m);
		}
		for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save))
			fprintf(f, "    %s\n", l[0] == ' ' ? l + 2 : l);
		free(text);
		json_free(js);
		free(reply);
	}
	free(replies);
}

void
show_json(const struct status *st, char **names, const char *runtime_dir, FILE *f)
{
	bool first = true;
	char **replies = ask_workers(st, names, runtime_dir, "status --json", true);

	fprintf(f, "{\"supervisor\":{\"running\":%s,\"pid\":%d},\"instances\":[",
	    st->supervisor ? "true" : "false", st->supervisor);
	for (size_t i = 0; i < st->n; i++) {
		const struct row *r = &st->rows[i];
		if (!wanted(names, r->name))
			continue;
		fputs(first ? "{\"name\":" : ",{\"name\":", f);
		first = false;
		json_str(f, r->name);
		fputs(",\"state\":", f);
		json_str(f, r->state);
		fprintf(f, ",\"pid\":%d,\"outside\":%s,\"uptime_s\":%.3f,\"restarts\":%u,\"autostart\":%s,"
		    "\"restart_in_s\":%.3f,\"last_exit\":", r->pid, r->outside ? "true" : "false",
		    (double)r->uptime_ms / 1000, r->restarts, r->autostart ? "true" : "false",
		    (double)r->next_ms / 1000);
		json_str(f, r->last_exit);
		fputs(",\"status\":", f);
		json_str(f, r->status);
		fputs(",\"error\":", f);
		json_str(f, r->error);
		fputs(",\"file\":", f);
		json_str(f, r->file);
		fputs(",\"worker\":", f);
		char *reply = replies ? replies[i] : NULL;
		size_t n = reply ? strlen(reply) : 0;
		while (n && (reply[n - 1] == '\n' || reply[n - 1] == ' '))
			reply[--n] = '\0';
		fputs(reply && reply[0] == '{' ? reply : "null", f);
		free(reply);
		fputc('}', f);
	}
	fputs("]}\n", f);
	free(replies);
}
