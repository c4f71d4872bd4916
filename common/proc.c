/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A small /proc file into buf, NUL-terminated; its length or -1. */
static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

int
proc_each(proc_fn fn, void *ctx)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[64], buf[256];

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (pid <= 0 || *end)
			continue;
		snprintf(path, sizeof path, "/proc/%ld/stat", pid);
		/* "pid (comm) state ppid pgrp session ...": comm (at most 15
		 * bytes) may hold anything, ")" and spaces too, so the fields
		 * are counted from the last ")". */
		if (read_small(path, buf, sizeof buf) <= 0)
			continue;	/* gone meanwhile */
		char *p = strrchr(buf, ')');
		struct proc_ids ids = { .pid = (pid_t)pid };
		int pgrp, session;
		if (!p || sscanf(p + 1, " %c %*d %d %d", &ids.state, &pgrp, &session) != 3)
			continue;
		ids.pgrp = pgrp;
		ids.session = session;
		fn(&ids, ctx);
	}
	closedir(d);
	return 0;
}

long long
proc_io(pid_t pid)
{
	char path[64], buf[512];
	long long rchar, wchar;

	snprintf(path, sizeof path, "/proc/%ld/io", (long)pid);
	if (read_small(path, buf, sizeof buf) <= 0 ||
	    sscanf(buf, "rchar: %lld wchar: %lld", &rchar, &wchar) != 2)
		return -1;
	return rchar + wchar;
}
