/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command hook: `run` with the changed paths appended as arguments,
 * never through a shell, so a file named "$(reboot)" or "-rf" is one more
 * argument and nothing else.  Paths are absolute (a name that starts with
 * '-' cannot pass for an option), a run holds changes of one kind, and the
 * environment says which instance, hook, kind and source they belong to,
 * and the run's delivery id.  A resync is one run with the source itself. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "child.h"
#include "hook.h"
#include "log.h"
#include "strv.h"
#include "worker.h"

extern char **environ;

static char **
make_env(const struct hook_call *c)
{
	const struct hook *h = c->h;
	struct strv env = { 0 };
	char id[HOOK_ID_MAX];

	hook_call_id(c, id, sizeof id);
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "SYNCD_", 6))
			strv_add(&env, *e);
	strv_addf(&env, "SYNCD_INSTANCE=%s", h->w->cfg->name);
	strv_addf(&env, "SYNCD_HOOK=%s", h->hc->name);
	strv_addf(&env, "SYNCD_EVENT=%s", hook_kind_name(c->ev[0].kind));
	strv_addf(&env, "SYNCD_SOURCE=%s", h->w->cfg->source);
	strv_addf(&env, "SYNCD_COUNT=%zu", c->n);
	strv_addf(&env, "SYNCD_DELIVERY=%s", id);
	return strv_steal(&env);
}

static void
run_exit(struct child *ch, int status, void *ctx)
{
	struct hook_call *c = ctx;
	char how[96], why[CHILD_TAIL + 600];
	size_t tail = strlen(ch->tail);

	while (tail && ch->tail[tail - 1] == '\n')
		ch->tail[--tail] = '\0';
	const char *last = strrchr(ch->tail, '\n');
	last = last ? last + 1 : ch->tail;
	child_describe(status, how, sizeof how);
	if (c->timed_out)
		snprintf(why, sizeof why, "%s timed out after %llums and was killed", c->h->hc->run[0],
		    (unsigned long long)c->h->hc->timeout_ms);
	else
		snprintf(why, sizeof why, "%s: %s%s%s", c->h->hc->run[0], how, *last ? ": " : "", last);
	hook_call_done(c, WIFEXITED(status) && WEXITSTATUS(status) == 0, why);
}

static void
run_start(struct hook_call *c)
{
	const struct hook_conf *hc = c->h->hc;
	struct strv argv = { 0 };
	char abs[4200], label[64];
	char **env = make_env(c);

	strv_addv(&argv, hc->run);
	for (size_t i = 0; i < c->n; i++) {
		if (!config_source_path(c->h->w->cfg, c->ev[i].path, abs, sizeof abs))
			continue;
		strv_add(&argv, abs);
	}
	char **v = strv_steal(&argv);
	if (!env || !v) {
		strv_free(env);
		strv_free(v);
		hook_call_done(c, false, "out of memory");
		return;
	}
	snprintf(label, sizeof label, "hook %s", hc->name);
	struct child *ch = child_spawn(&c->h->w->loop, v, env, -1, NULL, 0, label, run_exit, c);
	strv_free(v);
	strv_free(env);
	if (!ch) {
		hook_call_done(c, false, "cannot start the command (see the log)");
		return;
	}
	ch->log_lines = true;
	c->impl = ch;
}

/* Its exit reports the call. */
static void
run_cancel(struct hook_call *c)
{
	child_kill(c->impl, SIGKILL);
}

const struct hook_ops hook_command_ops = {
	.start = run_start,
	.cancel = run_cancel,
	.one_kind = true,
};
