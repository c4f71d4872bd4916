/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The restart policy of one supervised instance as a table, state x event
 * -> next state + action (as s6-supervise does it).  Pure: it is given
 * events and the time, and answers with effects (spawn, a signal, a timer
 * to arm, a line to log, the error to show); ctl/instance.c carries them
 * out, so tests/unit/test_policy.c can drive it with made-up times. */
#ifndef SYNCCTL_POLICY_H
#define SYNCCTL_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "log.h"

enum inst_state { IS_STOPPED, IS_STARTING, IS_RUNNING, IS_STOPPING, IS_BACKOFF, IS_FAILED, IS_N };

enum pol_event {
	PE_START,		/* the operator: start, restart, stop */
	PE_RESTART,
	PE_STOP,
	PE_SPAWNED,		/* outcomes of the spawn effect: forked (pid), */
	PE_SPAWN_FAILED,	/* no pipe or no fork (why), */
	PE_INVALID,		/* its file does not read or parse (why), */
	PE_OUTSIDE,		/* a worker not ours answers on its socket */
	PE_READY,		/* the worker's READY=1, WATCHDOG=1, WATCHDOG=trigger */
	PE_PING,
	PE_TRIGGER,
	PE_TIMER,		/* the one timer ran out */
	PE_EXITED,		/* the worker has exited (why: how) */
	PE_N
};

struct policy {
	enum inst_state state;
	bool want;		/* the operator wants it running */
	bool respawn;		/* start again at once when it has exited */
	pid_t pid;		/* 0: no worker */
	uint64_t spawned, ready;	/* ms; ready 0: no READY=1 since the spawn */
	unsigned restarts;	/* since the operator last started it */
	unsigned streak;	/* failures without a healthy run in between */
	uint64_t delay;		/* the next restart's delay; 0: restart_delay */
	const char *abort_reason;	/* why we killed the worker, for its exit */
};

struct pol_input {
	enum pol_event ev;
	uint64_t now;		/* ms, monotonic */
	const char *why;	/* PE_SPAWN_FAILED, PE_INVALID, PE_EXITED */
	const char *detail;	/* the worker's last error line, or "" */
	pid_t pid;		/* PE_SPAWNED */
};

enum pol_timer { PT_KEEP, PT_ARM, PT_DISARM };

struct pol_effects {
	int sig;		/* 0, or a signal for the worker */
	bool cont;		/* then SIGCONT: a stopped worker acts on sig only once it runs */
	enum pol_timer timer;
	uint64_t timer_ms;
	bool spawn;		/* read the file, check the socket, fork: report with PE_SPAWNED... */
	bool set_error;		/* replace the error shown by status with error */
	char error[1024];
	int level;		/* 0: nothing to log; else a log_level for log */
	char log[1280];
};

void policy_step(struct policy *p, const struct supervision *sup, const struct pol_input *in,
    struct pol_effects *fx);
const char *policy_state_name(enum inst_state s);
const char *policy_event_name(enum pol_event e);

#endif
