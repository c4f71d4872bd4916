/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One supervised instance: its worker process, its output, its timer, and
 * the effects its restart policy (policy.c) asks for, carried out. */
#ifndef SYNCCTL_INSTANCE_H
#define SYNCCTL_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "loop.h"
#include "policy.h"

struct supervisor;

struct instance {
	struct supervisor *sv;
	struct instance *next;
	char *name, *file;
	char *content;		/* the file as last read, to see what reload must restart */
	size_t content_len;
	bool loaded;		/* content was read (the file may still be invalid) */
	struct supervision sup;
	struct policy pol;	/* state, pid, restarts ... */
	bool removed;		/* its file is gone: forget it once it has exited */
	struct io out;		/* the worker's stdout and stderr */
	bool out_open;
	char line[1024];
	size_t linelen;
	struct timer timer;	/* start timeout, watchdog, kill, or restart */
	char last_exit[160];
	char status[256];	/* the worker's STATUS= */
	char error[1024];	/* why it is failed or backing off */
	char last_log[512];	/* the worker's last error line */
	/* the supervisor's figures (supervisor.c keeps them) */
	unsigned watchdog_kills;
	int exit_code;		/* of the last worker, 128+N: killed by signal N; -1: none */
	enum inst_state seen;	/* the state since state_since (monotonic ms) */
	uint64_t state_since;
};

struct instance *instance_new(struct supervisor *sv, const char *name, const char *file);
void instance_free(struct instance *in);
/* Reads the file again; false if it cannot be read or is invalid (in->error says why). */
bool instance_load(struct instance *in);
/* The file differs from what was read last. */
bool instance_changed(const struct instance *in);
/* The file as it is now reads and parses; else err says why (file:line). */
bool instance_file_valid(const struct instance *in, char *err, size_t len);

void instance_start(struct instance *in);
void instance_stop(struct instance *in);
void instance_restart(struct instance *in);
/* The worker has exited (not reaped yet): kills what it left behind, reaps
 * it, and moves on as its exit status says. */
void instance_exited(struct instance *in);
void instance_notify(struct instance *in, char *msg);
/* Its file, read when it was found, does not parse: failed, not started. */
void instance_invalid(struct instance *in);

/* The instance names (NAME of NAME.ini) in dir, sorted; an empty vector if
 * there is no such dir. */
char **instance_scan(const char *dir);

bool instance_active(const struct instance *in);

#endif
