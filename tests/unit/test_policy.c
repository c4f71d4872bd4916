/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The supervisor's restart policy (ctl/policy.c) driven with made-up events
 * and times: what it asks for (spawn, signals, the timer) is checked, and
 * carried out here as instance.c would, the timer included. */
#include <signal.h>
#include <string.h>

#include "policy.h"
#include "suites.h"

struct drv {
	struct policy p;
	struct supervision sup;
	struct pol_effects fx;
	uint64_t now, due;	/* due: when the armed timer runs out, 0: none */
	pid_t next_pid;
};

static void
drv_init(struct drv *d)
{
	memset(d, 0, sizeof *d);
	d->sup = (struct supervision){
		.start_timeout_ms = 10000, .watchdog_ms = 0, .stop_timeout_ms = 3000,
		.restart_delay_ms = 1000, .restart_delay_max_ms = 8000,
		.restart_limit = 5, .restart_interval_ms = 60000,
	};
	d->now = 1000000;
	d->next_pid = 100;
}

static void
ev(struct drv *d, enum pol_event e, const char *why)
{
	struct pol_input in = { e, d->now, why, "", 0 };

	if (e == PE_SPAWNED)
		in.pid = d->next_pid++;
	policy_step(&d->p, &d->sup, &in, &d->fx);
	if (d->fx.timer == PT_ARM)
		d->due = d->now + d->fx.timer_ms;
	else if (d->fx.timer == PT_DISARM)
		d->due = 0;
}

/* Time passes until the armed timer runs out, which is the event. */
static void
fire(struct drv *d)
{
	ck_assert_uint_ne(d->due, 0);
	d->now = d->due;
	d->due = 0;
	ev(d, PE_TIMER, NULL);
}

/* The spawn asked for goes well. */
static void
spawned(struct drv *d)
{
	ck_assert(d->fx.spawn);
	ev(d, PE_SPAWNED, NULL);
	ck_assert_int_eq(d->p.state, IS_STARTING);
	ck_assert_uint_eq(d->due, d->now + d->sup.start_timeout_ms);
}

static void
up(struct drv *d)
{
	ev(d, PE_START, NULL);
	spawned(d);
	d->now += 200;
	ev(d, PE_READY, NULL);
	ck_assert_int_eq(d->p.state, IS_RUNNING);
}

/* The worker dies after ms of running: the delay the policy waits. */
static uint64_t
crash_after(struct drv *d, uint64_t ms)
{
	d->now += ms;
	ev(d, PE_EXITED, "exited with status 1");
	ck_assert_int_eq(d->p.pid, 0);
	if (d->p.state != IS_BACKOFF)
		return 0;
	ck_assert(!d->fx.spawn);
	return d->due - d->now;
}

START_TEST(crash_backoff_grows_and_resets)
{
	struct drv d;
	uint64_t want[] = { 1000, 2000, 4000, 8000, 8000 };

	drv_init(&d);
	up(&d);
	for (unsigned i = 0; i < 5; i++) {
		ck_assert_uint_eq(crash_after(&d, 500), want[i]);
		ck_assert_int_eq(d.p.state, IS_BACKOFF);
		ck_assert_int_eq(d.fx.level, LOG_LV_WARN);
		ck_assert_ptr_nonnull(strstr(d.fx.log, "restarting in"));
		ck_assert_str_eq(d.fx.error, "exited with status 1");
		fire(&d);
		ck_assert_uint_eq(d.p.restarts, i + 1);
		spawned(&d);
		ev(&d, PE_READY, NULL);
	}
	/* a run of restart_interval: the next crash starts over */
	ck_assert_uint_eq(crash_after(&d, 60000), 1000);
	ck_assert_uint_eq(d.p.streak, 1);
	ck_assert_uint_eq(d.p.restarts, 5);
}
END_TEST

START_TEST(no_ready_no_reset)
{
	struct drv d;

	drv_init(&d);
	d.sup.start_timeout_ms = 1000000;
	ev(&d, PE_START, NULL);
	spawned(&d);
	/* a long life without READY=1 is not a healthy run */
	ck_assert_uint_eq(crash_after(&d, 120000), 1000);
	fire(&d);
	spawned(&d);
	ck_assert_uint_eq(crash_after(&d, 120000), 2000);
}
END_TEST

START_TEST(give_up_after_repeated_failures)
{
	struct drv d;

	drv_init(&d);
	d.sup.restart_limit = 3;
	ev(&d, PE_START, NULL);
	for (unsigned i = 0; i < 3; i++) {
		spawned(&d);
		crash_after(&d, 100);
		ck_assert_int_eq(d.p.state, IS_BACKOFF);
		fire(&d);
	}
	spawned(&d);
	ck_assert_uint_eq(crash_after(&d, 100), 0);
	ck_assert_int_eq(d.p.state, IS_FAILED);
	ck_assert_uint_eq(d.due, 0);
	ck_assert_int_eq(d.fx.level, LOG_LV_ERR);
	ck_assert_ptr_nonnull(strstr(d.fx.log, "4 failures in a row"));
	ck_assert(d.fx.set_error);
	ck_assert_str_eq(d.fx.error, "exited with status 1");
	/* failed stays failed */
	ev(&d, PE_TIMER, NULL);
	ck_assert_int_eq(d.p.state, IS_FAILED);
	ck_assert(!d.fx.spawn);
	/* until an operator starts it: counts start over, error cleared */
	ev(&d, PE_START, NULL);
	ck_assert(d.fx.spawn);
	ck_assert(d.fx.set_error);
	ck_assert_str_eq(d.fx.error, "");
	ck_assert_uint_eq(d.p.restarts, 0);
	ck_assert_uint_eq(d.p.streak, 0);
	spawned(&d);
	ck_assert_uint_eq(crash_after(&d, 100), 1000);
}
END_TEST

START_TEST(ready_timeout)
{
	struct drv d;

	drv_init(&d);
	ev(&d, PE_START, NULL);
	spawned(&d);
	pid_t pid = d.p.pid;
	fire(&d);
	ck_assert_int_eq(d.p.state, IS_STOPPING);
	ck_assert_int_eq(d.fx.sig, SIGABRT);
	ck_assert(d.fx.cont);
	ck_assert_uint_eq(d.due, d.now + d.sup.stop_timeout_ms);
	ck_assert_str_eq(d.p.abort_reason, "start timeout (no READY=1)");
	ck_assert_int_eq(d.p.pid, pid);
	/* it does not die of SIGABRT */
	fire(&d);
	ck_assert_int_eq(d.fx.sig, SIGKILL);
	ck_assert_int_eq(d.p.state, IS_STOPPING);
	ck_assert_uint_eq(crash_after(&d, 10), 1000);
	ck_assert_int_eq(d.p.state, IS_BACKOFF);
}
END_TEST

START_TEST(watchdog_miss)
{
	struct drv d;

	drv_init(&d);
	d.sup.watchdog_ms = 5000;
	up(&d);
	ck_assert_uint_eq(d.due, d.now + 5000);
	d.now += 4000;
	ev(&d, PE_PING, NULL);
	ck_assert_uint_eq(d.due, d.now + 5000);
	fire(&d);
	ck_assert_int_eq(d.p.state, IS_STOPPING);
	ck_assert_int_eq(d.fx.sig, SIGABRT);
	ck_assert(d.fx.cont);
	ck_assert_str_eq(d.p.abort_reason, "watchdog timeout");
	ck_assert_uint_eq(crash_after(&d, 100), 1000);
	/* the worker's own WATCHDOG=trigger */
	fire(&d);
	spawned(&d);
	ev(&d, PE_TRIGGER, NULL);
	ck_assert_int_eq(d.fx.sig, SIGABRT);
	ck_assert_str_eq(d.p.abort_reason, "watchdog triggered by the worker");
}
END_TEST

START_TEST(no_watchdog)
{
	struct drv d;

	drv_init(&d);
	up(&d);
	ck_assert_uint_eq(d.due, 0);
	ev(&d, PE_PING, NULL);
	ck_assert_int_eq(d.fx.timer, PT_KEEP);
	ck_assert_uint_eq(d.due, 0);
}
END_TEST

START_TEST(stop_running)
{
	struct drv d;

	drv_init(&d);
	up(&d);
	ev(&d, PE_STOP, NULL);
	ck_assert_int_eq(d.p.state, IS_STOPPING);
	ck_assert_int_eq(d.fx.sig, SIGTERM);
	ck_assert(!d.fx.cont);
	ck_assert_uint_eq(d.due, d.now + d.sup.stop_timeout_ms);
	fire(&d);
	ck_assert_int_eq(d.fx.sig, SIGKILL);
	crash_after(&d, 10);
	ck_assert_int_eq(d.p.state, IS_STOPPED);
	ck_assert_ptr_nonnull(strstr(d.fx.log, "stopped (exited with status 1)"));
	ck_assert_uint_eq(d.due, 0);
	ck_assert_uint_eq(d.p.streak, 0);
}
END_TEST

START_TEST(stop_during_backoff)
{
	struct drv d;

	drv_init(&d);
	up(&d);
	crash_after(&d, 10);
	ev(&d, PE_STOP, NULL);
	ck_assert_int_eq(d.p.state, IS_STOPPED);
	ck_assert_int_eq(d.fx.timer, PT_DISARM);
	ck_assert_int_eq(d.fx.sig, 0);
	ck_assert(!d.p.want);
	/* a timer that ran out meanwhile starts nothing */
	ev(&d, PE_TIMER, NULL);
	ck_assert_int_eq(d.p.state, IS_STOPPED);
	ck_assert(!d.fx.spawn);
}
END_TEST

START_TEST(start_during_backoff)
{
	struct drv d;

	drv_init(&d);
	up(&d);
	crash_after(&d, 10);
	crash_after(&d, 0);	/* nothing runs: not a second failure */
	ck_assert_uint_eq(d.p.streak, 1);
	ev(&d, PE_START, NULL);
	ck_assert(d.fx.spawn);
	ck_assert_uint_eq(d.p.restarts, 1);
	spawned(&d);
	ck_assert_uint_eq(crash_after(&d, 10), 2000);
}
END_TEST

START_TEST(restart_while_starting)
{
	struct drv d;

	drv_init(&d);
	up(&d);
	crash_after(&d, 10);
	fire(&d);
	spawned(&d);
	ck_assert_uint_eq(d.p.streak, 1);
	ev(&d, PE_RESTART, NULL);
	ck_assert_int_eq(d.p.state, IS_STOPPING);
	ck_assert_int_eq(d.fx.sig, SIGTERM);
	ck_assert(d.p.want && d.p.respawn);
	d.now += 50;
	ev(&d, PE_EXITED, "killed by signal 15 (SIGTERM)");
	ck_assert_int_eq(d.p.state, IS_STARTING);
	ck_assert(d.fx.spawn);
	ck_assert_ptr_nonnull(strstr(d.fx.log, "starting again"));
	spawned(&d);
	/* the operator's restart is no failure: the count and delay start over */
	ck_assert_uint_eq(crash_after(&d, 10), 1000);
	ck_assert_uint_eq(d.p.streak, 1);
}
END_TEST

START_TEST(start_while_stopping)
{
	struct drv d;

	drv_init(&d);
	up(&d);
	ev(&d, PE_STOP, NULL);
	ev(&d, PE_START, NULL);
	ck_assert_int_eq(d.p.state, IS_STOPPING);
	ck_assert(!d.fx.spawn);
	ev(&d, PE_EXITED, "killed by signal 15 (SIGTERM)");
	ck_assert_int_eq(d.p.state, IS_STARTING);
	ck_assert(d.fx.spawn);
	/* and a stop again before it has exited wins */
	spawned(&d);
	ev(&d, PE_STOP, NULL);
	ev(&d, PE_START, NULL);
	ev(&d, PE_STOP, NULL);
	ev(&d, PE_EXITED, "killed by signal 15 (SIGTERM)");
	ck_assert_int_eq(d.p.state, IS_STOPPED);
}
END_TEST

START_TEST(abort_is_not_undone_by_restart)
{
	struct drv d;

	drv_init(&d);
	up(&d);
	ev(&d, PE_TRIGGER, NULL);
	ck_assert_int_eq(d.p.state, IS_STOPPING);
	/* the abort's exit is a failure; a spawn clears the reason */
	crash_after(&d, 10);
	ck_assert_int_eq(d.p.state, IS_BACKOFF);
	ck_assert_ptr_nonnull(d.p.abort_reason);
	fire(&d);
	ck_assert_ptr_null(d.p.abort_reason);
}
END_TEST

START_TEST(spawn_outcomes)
{
	struct drv d;

	drv_init(&d);
	/* a file that does not parse: failed at once, never spawned */
	ev(&d, PE_START, NULL);
	ev(&d, PE_INVALID, "/x/www.ini:2: bad");
	ck_assert_int_eq(d.p.state, IS_FAILED);
	ck_assert_str_eq(d.fx.error, "/x/www.ini:2: bad");
	ck_assert_ptr_nonnull(strstr(d.fx.log, "not started: /x/www.ini:2: bad"));
	/* a worker not ours answers on the socket: stopped, and it stays so */
	ev(&d, PE_START, NULL);
	ev(&d, PE_OUTSIDE, NULL);
	ck_assert_int_eq(d.p.state, IS_STOPPED);
	ck_assert(!d.p.want);
	ck_assert_uint_eq(d.due, 0);
	/* no fork: a failure like an exit */
	ev(&d, PE_START, NULL);
	ev(&d, PE_SPAWN_FAILED, "cannot start: fork failed");
	ck_assert_int_eq(d.p.state, IS_BACKOFF);
	ck_assert_uint_eq(d.due, d.now + 1000);
	ck_assert_str_eq(d.fx.error, "cannot start: fork failed");
	/* a file found invalid by a reload, before any start */
	drv_init(&d);
	ev(&d, PE_INVALID, "/x/www.ini:3: bad");
	ck_assert_int_eq(d.p.state, IS_FAILED);
}
END_TEST

START_TEST(error_has_last_log)
{
	struct drv d;
	struct pol_input in;

	drv_init(&d);
	up(&d);
	in = (struct pol_input){ PE_EXITED, d.now, "exited with status 1", "no such dir", 0 };
	policy_step(&d.p, &d.sup, &in, &d.fx);
	ck_assert_str_eq(d.fx.error, "exited with status 1: no such dir");
}
END_TEST

/* Events a state does not expect change nothing and ask for nothing. */
START_TEST(stray_events_ignored)
{
	static const struct { enum inst_state s; enum pol_event e; } stray[] = {
		{ IS_STOPPED, PE_TIMER }, { IS_STOPPED, PE_READY }, { IS_STOPPED, PE_TRIGGER },
		{ IS_RUNNING, PE_READY }, { IS_STOPPING, PE_READY }, { IS_STOPPING, PE_TRIGGER },
		{ IS_STOPPING, PE_PING }, { IS_BACKOFF, PE_READY }, { IS_FAILED, PE_TIMER },
		{ IS_STARTING, PE_PING },
	};
	struct drv d;

	for (size_t i = 0; i < sizeof stray / sizeof *stray; i++) {
		drv_init(&d);
		d.p.state = stray[i].s;
		d.p.pid = 7;
		ev(&d, stray[i].e, NULL);
		ck_assert_msg(d.p.state == stray[i].s, "%s x %s moved to %s",
		    policy_state_name(stray[i].s), policy_event_name(stray[i].e),
		    policy_state_name(d.p.state));
		ck_assert(!d.fx.spawn && !d.fx.sig && d.fx.timer == PT_KEEP && !d.fx.level);
	}
}
END_TEST

Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, crash_backoff_grows_and_resets);
	tcase_add_test(tc, no_ready_no_reset);
	tcase_add_test(tc, give_up_after_repeated_failures);
	tcase_add_test(tc, ready_timeout);
	tcase_add_test(tc, watchdog_miss);
	tcase_add_test(tc, no_watchdog);
	tcase_add_test(tc, stop_running);
	tcase_add_test(tc, stop_during_backoff);
	tcase_add_test(tc, start_during_backoff);
	tcase_add_test(tc, restart_while_starting);
	tcase_add_test(tc, start_while_stopping);
	tcase_add_test(tc, abort_is_not_undone_by_restart);
	tcase_add_test(tc, spawn_outcomes);
	tcase_add_test(tc, error_has_last_log);
	tcase_add_test(tc, stray_events_ignored);
	suite_add_tcase(s, tc);
	return s;
}
