/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syncctl status: the supervisor's view of every instance, joined with each
 * live worker's own figures, as a table or as JSON. */
#ifndef SYNCCTL_SHOW_H
#define SYNCCTL_SHOW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct row {
	char *name, *state, *last_exit, *status, *error, *file;
	int pid;
	uint64_t uptime_ms, next_ms;
	unsigned restarts;
	bool autostart;
	bool outside;		/* its worker runs, not under this syncctl */
};

struct status {
	int supervisor;		/* its pid; 0: none answers */
	struct row *rows;
	size_t n;
	char *text;		/* what the rows point into */
};

/* From the supervisor's "status" answer (taken over); -1 if malformed. */
int status_parse(char *reply, struct status *st);
/* Without a supervisor: every instance file, stopped. */
void status_from_dir(const char *instances_dir, struct status *st);
/* Rows with no worker of ours whose worker answers on RUNTIME/NAME.sock
 * anyway (systemd's syncd@NAME, or by hand) become running, outside, with
 * that worker's pid and uptime. */
void status_find_outside(struct status *st, const char *runtime_dir);
void status_free(struct status *st);
struct row *status_find(const struct status *st, const char *name);

/* Only the rows named (all if names is empty); workers are asked for their
 * figures at RUNTIME/NAME.sock. */
void show_table(const struct status *st, char **names, const char *runtime_dir, FILE *f);
void show_json(const struct status *st, char **names, const char *runtime_dir, FILE *f);

#endif
