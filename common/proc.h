/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Other processes as /proc shows them: the members of a process group or a
 * session (a worker's rsync runs and what those started), and how much I/O
 * a process has done.  Linux only, as the rest. */
#ifndef SYNCD_PROC_H
#define SYNCD_PROC_H

#include <sys/types.h>

struct proc_ids {
	pid_t pid, pgrp, session;
	char state;		/* 'Z': a zombie, 'R', 'S', 'D'... */
};

typedef void (*proc_fn)(const struct proc_ids *p, void *ctx);

/* Calls fn for every process whose ids can be read; -1 (errno set) when
 * /proc cannot be listed. */
int proc_each(proc_fn fn, void *ctx);
/* The bytes pid has read and written with read(2), write(2) and the like,
 * pipes and sockets included (rchar + wchar); -1 when that cannot be read. */
long long proc_io(pid_t pid);

#endif
