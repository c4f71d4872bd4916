/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "field.h"
#include "instance.h"
#include "loop.h"
#include "supervisor.h"

#define WORKER_TIMEOUT_MS 1000

static void
supervisor_get(const void *obj, int f, struct value *v)
{
	v->n = obj != NULL;
}

static void
supervised_get(const void *obj, int f, struct value *v)
{
	const struct instance *in = *(const struct instance *const *)obj;

	switch (f) {
	case S_UP: v->n = in->pol.state == IS_RUNNING; break;
	case S_RESTARTS: v->n = in->pol.restarts; break;
	case S_WATCHDOG_KILLS: v->n = in->watchdog_kills; break;
	case S_LAST_EXIT: v->n = in->exit_code; break;
	case S_STATE_SECONDS: v->n = (double)(now_ms() - in->state_since) / 1000; break;
	}
}

static const char *const no_labels[] = { NULL };
static const char *const instance_label[] = { "syncd_instance", NULL };
static const char *const state_labels[] = { "syncd_instance", "state", NULL };

static const char *
supervised_label(const void *obj, int j)
{
	const struct instance *in = *(const struct instance *const *)obj;

	return j ? policy_state_name(in->pol.state) : in->name;
}

void
metrics_own(const struct supervisor *sv, FILE *f)
{
	const struct instance **ins = NULL;
	size_t n = 0;

	field_metrics(f, &(struct metric_set){ supervisor_fields, 0, SV_NFIELDS, supervisor_get,
	    sv, 1, 0, no_labels, NULL });
	for (const struct instance *in = sv ? sv->instances : NULL; in; in = in->next) {
		const struct instance **p = realloc(ins, (n + 1) * sizeof *ins);
		if (!p)
			break;
		ins = p;
		ins[n++] = in;
	}
	/* The state is a label of its own metric only: the others' series
	 * must not change with it.  "syncd_instance", not "instance": that is
	 * the label Prometheus gives each target. */
	field_metrics(f, &(struct metric_set){ supervised_fields, 0, S_STATE_SECONDS,
	    supervised_get, ins, n, sizeof *ins, instance_label, supervised_label });
	field_metrics(f, &(struct metric_set){ supervised_fields, S_STATE_SECONDS, S_NFIELDS,
	    supervised_get, ins, n, sizeof *ins, state_labels, supervised_label });
	free(ins);
}

struct family {
	char *name;
	const char *help, *type;	/* lines, into the texts */
	size_t help_len, type_len;
	struct buf samples;
};

/* The family named by the line's first word after skip bytes. */
static struct family *
family_of(struct family **fams, size_t *n, const char *line, size_t skip)
{
	const char *name = line + skip;
	size_t len = strcspn(name, " {\n");

	for (size_t i = 0; i < *n; i++)
		if (strlen((*fams)[i].name) == len && !strncmp((*fams)[i].name, name, len))
			return &(*fams)[i];
	struct family *p = realloc(*fams, (*n + 1) * sizeof *p);
	if (!p)
		return NULL;
	*fams = p;
	p = &p[(*n)++];
	memset(p, 0, sizeof *p);
	if (!(p->name = strndup(name, len))) {
		(*n)--;
		return NULL;
	}
	return p;
}

void
metrics_merge(FILE *f, char *const *texts, size_t n)
{
	struct family *fams = NULL, *cur;
	size_t nfams = 0;

	for (size_t t = 0; t < n; t++) {
		cur = NULL;
		for (const char *l = texts[t]; *l; l += strcspn(l, "\n"), l += *l == '\n') {
			size_t len = strcspn(l, "\n");
			if (!len)
				continue;
			bool help = !strncmp(l, "# HELP ", 7), type = !strncmp(l, "# TYPE ", 7);
			if (help || type) {
				if (!(cur = family_of(&fams, &nfams, l, 7)))
					break;
				if (help && !cur->help) {
					cur->help = l;
					cur->help_len = len;
				} else if (type && !cur->type) {
					cur->type = l;
					cur->type_len = len;
				}
			} else if (*l != '#' && (cur || (cur = family_of(&fams, &nfams, l, 0)))) {
				buf_put(&cur->samples, l, len + 1);
			}
		}
	}
	for (size_t i = 0; i < nfams; i++) {
		if (fams[i].help)
			fprintf(f, "%.*s\n", (int)fams[i].help_len, fams[i].help);
		if (fams[i].type)
			fprintf(f, "%.*s\n", (int)fams[i].type_len, fams[i].type);
		fwrite(fams[i].samples.p, 1, fams[i].samples.len, f);
		buf_free(&fams[i].samples);
		free(fams[i].name);
	}
	free(fams);
}

void
metrics_write(FILE *f, const char *own, char *const *names, const char *runtime_dir)
{
	size_t n = 0, cap = 1, k = 0;

	while (names && names[cap - 1])
		cap++;
	char **texts = calloc(cap, sizeof *texts), **paths = calloc(cap, sizeof *paths);
	if (!texts || !paths) {
		free(texts);
		free(paths);
		return;
	}
	texts[n++] = (char *)own;
	for (size_t i = 0; names && names[i]; i++)
		if (asprintf(&paths[k++], "%s/%s.sock", runtime_dir, names[i]) < 0)
			paths[--k] = NULL;
	/* All at once: a stopped worker costs the timeout once, not each. */
	ctl_request_all(paths, k, "metrics", WORKER_TIMEOUT_MS, texts + n);
	for (size_t i = 0; i < k; i++) {
		free(paths[i]);
		/* An error line ("error: unknown command") is no exposition. */
		if (texts[n] && !strncmp(texts[n], "# ", 2))
			n++;
		else {
			free(texts[n]);
			memmove(texts + n, texts + n + 1, (k - i - 1) * sizeof *texts);
		}
	}
	metrics_merge(f, texts, n);
	for (size_t i = 1; i < n; i++)
		free(texts[i]);
	free(texts);
	free(paths);
}
