/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"

static const char *const state_names[] = {
	[IS_STOPPED] = "stopped", [IS_STARTING] = "starting", [IS_RUNNING] = "running",
	[IS_STOPPING] = "stopping", [IS_BACKOFF] = "backoff", [IS_FAILED] = "failed",
};

static const char *const event_names[] = {
	[PE_START] = "start", [PE_RESTART] = "restart", [PE_STOP] = "stop",
	[PE_SPAWNED] = "spawned", [PE_SPAWN_FAILED] = "spawn-failed", [PE_INVALID] = "invalid",
	[PE_OUTSIDE] = "outside", [PE_READY] = "ready", [PE_PING] = "ping",
	[PE_TRIGGER] = "trigger", [PE_TIMER] = "timer", [PE_EXITED] = "exited",
};

const char *
policy_state_name(enum inst_state s)
{
	return state_names[s];
}

const char *
policy_event_name(enum pol_event e)
{
	return event_names[e];
}

/* What an action sees; it returns the state to go to (the table's, unless
 * it has to choose, as a failure does between backoff and failed). */
struct step {
	struct policy *p;
	const struct supervision *sup;
	const struct pol_input *in;
	struct pol_effects *fx;
};

static void say(struct step *s, enum log_level lv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct step *s, enum log_level lv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->fx->log, sizeof s->fx->log, fmt, ap);
	va_end(ap);
	s->fx->level = (int)lv;
}

static void
arm(struct step *s, uint64_t ms)
{
	s->fx->timer = PT_ARM;
	s->fx->timer_ms = ms;
}

static void
spawn(struct step *s)
{
	s->fx->spawn = true;
	s->p->respawn = false;
	s->p->abort_reason = NULL;
}

static const char *
why(const struct step *s)
{
	return s->in->why ? s->in->why : "";
}

/* ---- actions ---- */

typedef enum inst_state action(struct step *s, enum inst_state next);

static enum inst_state
ignore(struct step *s, enum inst_state next)
{
	return s->p->state;
}

/* An operator's start of a stopped or failed instance starts the count of
 * failures over: they decided the cause is gone. */
static enum inst_state
start_fresh(struct step *s, enum inst_state next)
{
	s->p->want = true;
	s->p->streak = 0;
	s->p->restarts = 0;
	s->p->delay = 0;
	s->fx->set_error = true;
	s->fx->error[0] = '\0';
	spawn(s);
	return next;
}

/* Out of backoff (its delay is over, or an operator did not wait). */
static enum inst_state
start_again(struct step *s, enum inst_state next)
{
	s->p->want = true;
	s->p->restarts++;
	spawn(s);
	return next;
}

static enum inst_state
want(struct step *s, enum inst_state next)
{
	s->p->want = true;
	return next;
}

/* Stopping already: start once it has exited. */
static enum inst_state
want_again(struct step *s, enum inst_state next)
{
	s->p->want = true;
	s->p->respawn = true;
	return next;
}

/* A restart is the operator's: the worker it ends does not count as a
 * failure, and the delay starts over. */
static enum inst_state
restart_stopping(struct step *s, enum inst_state next)
{
	s->p->streak = 0;
	s->p->delay = 0;
	return want_again(s, next);
}

static enum inst_state
unwant(struct step *s, enum inst_state next)
{
	s->p->want = false;
	s->p->respawn = false;
	return next;
}

/* Nothing runs: no timer may start one. */
static enum inst_state
cancel(struct step *s, enum inst_state next)
{
	s->fx->timer = PT_DISARM;
	return unwant(s, next);
}

static enum inst_state
terminate(struct step *s, enum inst_state next)
{
	char d[32];

	unwant(s, next);
	duration_format(s->sup->stop_timeout_ms, d, sizeof d);
	say(s, LOG_LV_INFO, "SIGTERM to pid %d (SIGKILL in %s)", (int)s->p->pid, d);
	s->fx->sig = SIGTERM;
	arm(s, s->sup->stop_timeout_ms);
	return next;
}

static enum inst_state
restart_running(struct step *s, enum inst_state next)
{
	terminate(s, next);
	return restart_stopping(s, next);
}

/* SIGABRT, so a hung worker leaves a core to look at, then SIGKILL. */
static enum inst_state
abort_worker(struct step *s, const char *reason)
{
	char d[32];

	duration_format(s->sup->stop_timeout_ms, d, sizeof d);
	say(s, LOG_LV_ERR, "%s: SIGABRT to pid %d, SIGKILL in %s", reason, (int)s->p->pid, d);
	s->p->abort_reason = reason;
	s->p->respawn = false;
	s->fx->sig = SIGABRT;
	/* A stopped worker (SIGSTOP, a debugger gone) is a hung one too: it
	 * acts on the SIGABRT only once it runs again, not stop_timeout later. */
	s->fx->cont = true;
	arm(s, s->sup->stop_timeout_ms);
	return IS_STOPPING;
}

static enum inst_state
start_timeout(struct step *s, enum inst_state next)
{
	return abort_worker(s, "start timeout (no READY=1)");
}

static enum inst_state
watchdog_timeout(struct step *s, enum inst_state next)
{
	return abort_worker(s, "watchdog timeout");
}

static enum inst_state
watchdog_trigger(struct step *s, enum inst_state next)
{
	return abort_worker(s, "watchdog triggered by the worker");
}

static enum inst_state
kill_worker(struct step *s, enum inst_state next)
{
	say(s, LOG_LV_WARN, "pid %d is still there: SIGKILL", (int)s->p->pid);
	s->fx->sig = SIGKILL;
	return next;
}

static enum inst_state
spawned(struct step *s, enum inst_state next)
{
	s->p->pid = s->in->pid;
	s->p->spawned = s->in->now;
	s->p->ready = 0;
	say(s, LOG_LV_INFO, "started (pid %d)", (int)s->in->pid);
	arm(s, s->sup->start_timeout_ms);
	return next;
}

static enum inst_state
ready(struct step *s, enum inst_state next)
{
	s->p->ready = s->in->now;
	say(s, LOG_LV_INFO, "ready in %.3fs", (double)(s->p->ready - s->p->spawned) / 1000);
	if (s->sup->watchdog_ms)
		arm(s, s->sup->watchdog_ms);
	else
		s->fx->timer = PT_DISARM;
	return next;
}

static enum inst_state
ping(struct step *s, enum inst_state next)
{
	if (s->sup->watchdog_ms)
		arm(s, s->sup->watchdog_ms);
	return next;
}

/* Backoff, or failed once there were more than restart_limit failures in
 * a row.  A run of restart_interval since READY=1 resets the count and
 * the delay: a time window over start times (systemd's way) never trips
 * once the delay has doubled past the window. */
static enum inst_state
failure(struct step *s, enum inst_state next)
{
	struct policy *p = s->p;
	const char *detail = s->in->detail ? s->in->detail : "";
	char d[32];

	if (p->ready && s->in->now - p->ready >= s->sup->restart_interval_ms) {
		p->streak = 0;
		p->delay = 0;
	}
	p->ready = 0;
	p->streak++;
	s->fx->set_error = true;
	snprintf(s->fx->error, sizeof s->fx->error, "%s%s%s", why(s), *detail ? ": " : "", detail);
	if (p->streak > s->sup->restart_limit) {
		say(s, LOG_LV_ERR, "failed: %u failures in a row, not restarted until it is started "
		    "again; last: %s", p->streak, s->fx->error);
		s->fx->timer = PT_DISARM;
		return IS_FAILED;
	}
	if (!p->delay)
		p->delay = s->sup->restart_delay_ms;
	duration_format(p->delay, d, sizeof d);
	say(s, LOG_LV_WARN, "%s; restarting in %s", s->fx->error, d);
	arm(s, p->delay);
	p->delay = p->delay * 2 < s->sup->restart_delay_max_ms ? p->delay * 2 : s->sup->restart_delay_max_ms;
	return IS_BACKOFF;
}

static enum inst_state
invalid(struct step *s, enum inst_state next)
{
	s->fx->set_error = true;
	snprintf(s->fx->error, sizeof s->fx->error, "%s", why(s));
	say(s, LOG_LV_ERR, "not started: %s", why(s));
	s->fx->timer = PT_DISARM;
	return next;
}

/* A second worker would fail on the state-dir lock, and be restarted into
 * it forever: instance.c has said so once, we stay stopped. */
static enum inst_state
outside(struct step *s, enum inst_state next)
{
	s->p->want = false;
	s->fx->timer = PT_DISARM;
	return next;
}

static enum inst_state
exited(struct step *s, enum inst_state next)
{
	struct policy *p = s->p;

	p->pid = 0;
	s->fx->timer = PT_DISARM;
	if (!p->want) {
		say(s, LOG_LV_INFO, "stopped (%s)", why(s));
		return IS_STOPPED;
	}
	if (p->respawn) {
		say(s, LOG_LV_INFO, "%s; starting again", why(s));
		spawn(s);
		return IS_STARTING;
	}
	return failure(s, next);
}

/* ---- the table ---- */

struct transition {
	enum inst_state next;
	action *act;
};

#define T(n, a) { IS_##n, a }

/* What is not listed cannot happen in that state (a timer that is not
 * armed, a message from no worker) or changes nothing (READY=1 twice):
 * ignored.  Stop is listed everywhere: it always drops the wish to run. */
static const struct transition table[IS_N][PE_N] = {
	[IS_STOPPED] = {
		[PE_START] = T(STARTING, start_fresh),
		[PE_RESTART] = T(STARTING, start_fresh),
		[PE_STOP] = T(STOPPED, unwant),
		[PE_INVALID] = T(FAILED, invalid),
	},
	[IS_STARTING] = {
		[PE_START] = T(STARTING, want),
		[PE_RESTART] = T(STOPPING, restart_running),
		[PE_STOP] = T(STOPPING, terminate),
		[PE_SPAWNED] = T(STARTING, spawned),
		[PE_SPAWN_FAILED] = T(BACKOFF, failure),
		[PE_INVALID] = T(FAILED, invalid),
		[PE_OUTSIDE] = T(STOPPED, outside),
		[PE_READY] = T(RUNNING, ready),
		[PE_TRIGGER] = T(STOPPING, watchdog_trigger),
		[PE_TIMER] = T(STOPPING, start_timeout),
		[PE_EXITED] = T(BACKOFF, exited),
	},
	[IS_RUNNING] = {
		[PE_START] = T(RUNNING, want),
		[PE_RESTART] = T(STOPPING, restart_running),
		[PE_STOP] = T(STOPPING, terminate),
		[PE_PING] = T(RUNNING, ping),
		[PE_TRIGGER] = T(STOPPING, watchdog_trigger),
		[PE_TIMER] = T(STOPPING, watchdog_timeout),
		[PE_EXITED] = T(BACKOFF, exited),
	},
	[IS_STOPPING] = {
		[PE_START] = T(STOPPING, want_again),
		[PE_RESTART] = T(STOPPING, restart_stopping),
		[PE_STOP] = T(STOPPING, unwant),
		[PE_TIMER] = T(STOPPING, kill_worker),
		[PE_EXITED] = T(BACKOFF, exited),
	},
	[IS_BACKOFF] = {
		[PE_START] = T(STARTING, start_again),
		[PE_RESTART] = T(STARTING, start_again),
		[PE_STOP] = T(STOPPED, cancel),
		[PE_TIMER] = T(STARTING, start_again),
	},
	[IS_FAILED] = {
		[PE_START] = T(STARTING, start_fresh),
		[PE_RESTART] = T(STARTING, start_fresh),
		[PE_STOP] = T(STOPPED, cancel),
		[PE_INVALID] = T(FAILED, invalid),
	},
};

void
policy_step(struct policy *p, const struct supervision *sup, const struct pol_input *in,
    struct pol_effects *fx)
{
	const struct transition *t = &table[p->state][in->ev];
	struct step s = { p, sup, in, fx };

	memset(fx, 0, sizeof *fx);
	p->state = t->act ? t->act(&s, t->next) : ignore(&s, t->next);
}
