/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "faillog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

#define ROTATE_AT (1 << 20)

int
faillog_make_dir(const char *file)
{
	const char *slash = file && strcmp(file, "none") ? strrchr(file, '/') : NULL;

	if (!slash || slash == file)
		return 0;	/* none, or in / */
	char *dir = strndup(file, (size_t)(slash - file));
	int rc = dir ? make_dirs(dir, 0750) : -1;
	if (!dir)
		log_err("fail log %s: out of memory", file);
	free(dir);
	return rc;
}

void
faillog_write(const char *file, const char *remote, const char *what, size_t paths,
    int status, const char *outcome, const char *error)
{
	static int warned;
	char when[32], line[2048], code[32], q[1200];
	struct stat st;
	time_t now = time(NULL);
	struct tm tm;

	if (!file)
		return;
	if (stat(file, &st) == 0 && st.st_size > ROTATE_AT) {
		char old[4096];
		snprintf(old, sizeof old, "%s.1", file);
		rename(file, old);
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (WIFSIGNALED(status))
		snprintf(code, sizeof code, "signal %d", WTERMSIG(status));
	else
		snprintf(code, sizeof code, "%d", WEXITSTATUS(status));
	int n = snprintf(line, sizeof line, "%s remote=%s what=%s paths=%zu exit=%s class=%s error=%s\n",
	    when, remote, what, paths, code, outcome, log_quote(error, q, sizeof q));
	int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0) {
		if (!warned++)
			log_warn("fail log %s: %s", file, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
}
