/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syncctl daemon: one event loop over the instances' workers (exits via
 * signalfd, output pipes, timers), the sd_notify socket they report to,
 * and the control socket. */
#ifndef SYNCCTL_SUPERVISOR_H
#define SYNCCTL_SUPERVISOR_H

#include <stdbool.h>

#include "loop.h"

struct paths {
	const char *config_dir;		/* instances are CONFIG_DIR/instances.d/NAME.ini */
	const char *runtime_dir;
	const char *state_dir;
	const char *syncd;		/* the worker binary */
};

struct supervisor {
	struct loop loop;
	const struct paths *paths;
	char *instances_dir;
	char *notify_path;
	struct instance *instances;	/* sorted by name */
	struct notify *notify;
	struct lineserver *ctl;
	int sigfd;
	struct io sigio;
	struct timer watchdog;		/* our own pings to systemd */
	bool stopping;
	bool on_demand;			/* started by "syncctl start": starts only what it is
					 * asked to, and ends with "stop" of all */
	char status[128];		/* last STATUS= sent */
	int http_fd;			/* metrics_http.h's listener, -1: none */
	unsigned scrapes;		/* its children that answer now */
	struct io http_io;
};

/* The exit status of a supervisor that finds one run as a service
 * already there (syncctl.service has it in RestartPreventExitStatus=). */
#define SUPERVISOR_EXIT_OTHER 150

/* Runs until SIGTERM/SIGINT (or, on_demand, "stop" of all) and every worker
 * has exited.  ready_fd (or -1) gets one byte once the control socket
 * listens.  Returns the exit code. */
int supervisor_run(const struct paths *p, int ready_fd, bool on_demand);
/* Something changed state: update our STATUS=, finish a stop. */
void supervisor_changed(struct supervisor *sv);

#endif
