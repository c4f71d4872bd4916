/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Child processes (rsync) run from the event loop: spawned with an argv (no
 * shell ever sees a file name), fed their stdin from a buffer without
 * blocking, their output kept (the tail goes into the log on failure), and
 * their exit reported once the process is gone and its output drained.
 * Each dies with the worker, and one that makes no progress for too long
 * can be killed (child_watch). */
#ifndef SYNCD_CHILD_H
#define SYNCD_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"

#define CHILD_TAIL 2048
/* Output logged line by line (with -v, or log_lines) stops after this
 * many bytes of log lines a run: a child that writes without end must not
 * fill the disk. */
#define CHILD_LOG_MAX 65536

struct child;
typedef void (*child_exit_fn)(struct child *c, int status, void *ctx);
/* What the child wrote, as it comes (stdout and stderr together). */
typedef void (*child_output_fn)(const char *buf, size_t n, void *ctx);

struct child {
	pid_t pid;
	struct loop *loop;
	struct io in_io, out_io;
	char *in_buf;		/* owned; written to the child's stdin */
	size_t in_len, in_off;
	bool exited, out_done;
	int status;		/* as from waitpid */
	char tail[CHILD_TAIL];	/* last output, NUL-terminated; when child_watch
				 * killed it, the last line says so */
	size_t tail_len;
	char line[512];		/* the line being assembled, for -v */
	size_t line_len;
	size_t logged;		/* bytes of log lines so far */
	size_t unlogged;	/* bytes of output left out past CHILD_LOG_MAX */
	char label[64];
	bool log_lines;		/* every output line goes to the log, not only with -v */
	child_output_fn on_output;	/* set after the spawn, for a caller that reads it all */
	child_exit_fn on_exit;
	void *ctx;
	struct child *next;
	/* child_watch's */
	struct timer watch;
	uint64_t stall_ms;	/* 0: not watched */
	uint64_t progress_at;	/* monotonic ms of the last progress seen */
	long long io;		/* its process group's I/O at the last look */
	uint64_t stalled;	/* killed after this long without progress */
};

/* The descriptor a child is handed besides its stdin, stdout and stderr. */
#define CHILD_PASS_FD 3

/* Takes ownership of in_buf (malloc'd, may be NULL); envp NULL: ours;
 * pass_fd >= 0: open in the child as CHILD_PASS_FD (the caller keeps its
 * own).  Returns NULL after logging why the program could not be started. */
struct child *child_spawn(struct loop *l, char *const argv[], char *const envp[], int pass_fd,
    char *in_buf, size_t in_len, const char *label, child_exit_fn on_exit, void *ctx);
/* Our environment with vars ("NAME=value", NULL-terminated) set, for
 * child_spawn; NULL when out of memory.  strv_free() it. */
char **child_env_with(const char *const *vars);
/* Kills c (SIGKILL, with a warning in the log and a last line in its tail)
 * once it has made no progress for ms: it wrote nothing, read nothing of its
 * stdin, and no process of its group (rsync, the ssh it runs, a wrapper's
 * children) read or wrote anything. */
void child_watch(struct child *c, uint64_t ms);
/* Signals the child's whole process group (rsync and the ssh it runs). */
void child_kill(struct child *c, int sig);
/* Call on SIGCHLD: collects every exited child and reports the finished ones. */
void child_reap(void);
/* Kills every child, waits for it and forgets it without a report. */
void child_kill_all(void);
/* Number of children still running. */
size_t child_count(void);
/* "exit code 23", "killed by signal 9". */
void child_describe(int status, char *buf, size_t len);

#endif
