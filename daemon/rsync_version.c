/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rsync_version.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "log.h"

#define PROBE_TIMEOUT_MS 5000

extern char **environ;

/* Digits at *p as a number (at most 99999); advances *p. */
static bool
number(const char **p, unsigned *out)
{
	unsigned n = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		n = n * 10 + (unsigned)(*s - '0');
		if (n > 99999)
			return false;
	}
	*p = s;
	*out = n;
	return true;
}

bool
rsync_version_parse(const char *text, struct rsync_version *v)
{
	/* Every "version" that follows the word "rsync": openrsync's first
	 * line is "openrsync: protocol version 29". */
	for (const char *at = strstr(text, "version"); at; at = strstr(at + 1, "version")) {
		const char *w = at;
		while (w > text && (w[-1] == ' ' || w[-1] == '\t'))
			w--;
		if (w == at || w - text < 5 || strncmp(w - 5, "rsync", 5) != 0)
			continue;
		if (w - 5 > text && !isspace((unsigned char)w[-6]))
			continue;	/* "openrsync version" */
		const char *p = at + 7;
		if (*p != ' ' && *p != '\t')
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == 'v')
			p++;
		struct rsync_version r = { 0, 0, 0 };
		if (!number(&p, &r.major) || *p++ != '.' || !number(&p, &r.minor))
			continue;
		if (*p == '.' && isdigit((unsigned char)p[1])) {
			p++;
			number(&p, &r.patch);
		}
		*v = r;
		return true;
	}
	return false;
}

int
rsync_version_cmp(struct rsync_version a, struct rsync_version b)
{
	if (a.major != b.major)
		return a.major < b.major ? -1 : 1;
	if (a.minor != b.minor)
		return a.minor < b.minor ? -1 : 1;
	if (a.patch != b.patch)
		return a.patch < b.patch ? -1 : 1;
	return 0;
}

void
rsync_version_format(struct rsync_version v, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u", v.major, v.minor, v.patch);
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
rsync_version_probe(const char *binary, struct rsync_version *v, char *err, size_t errlen)
{
	char *const argv[] = { (char *)binary, "--version", NULL };
	posix_spawn_file_actions_t fa;
	char out[4096];
	size_t n = 0;
	int pfd[2], rc;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, binary, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		snprintf(err, errlen, "cannot run it: %s", strerror(rc));
		return -1;
	}

	/* The first 4 KiB are plenty ("rsync  version" is the first line). */
	long long deadline = mono_ms() + PROBE_TIMEOUT_MS;
	bool timed_out = false;
	for (;;) {
		long long left = deadline - mono_ms();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			timed_out = pr == 0;
			break;
		}
		ssize_t r = read(pfd[0], out + n, sizeof out - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == sizeof out - 1)
			break;
	}
	close(pfd[0]);
	out[n] = '\0';
	if (timed_out)
		kill(pid, SIGKILL);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out) {
		snprintf(err, errlen, "'%s --version' did not answer within %ds", binary,
		    PROBE_TIMEOUT_MS / 1000);
		return -1;
	}
	if (rsync_version_parse(out, v))
		return 0;
	char how[64];
	child_describe(status, how, sizeof how);
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	char q[200];
	snprintf(err, errlen, "'%s --version' (%s) printed no rsync version%s%s%s", binary, how,
	    *out ? ": '" : "", *out ? log_quote(out, q, sizeof q) : "", *out ? "'" : "");
	return -1;
}

int
rsync_version_check(const struct config *c, bool quiet)
{
	struct rsync_version v, min = RSYNC_VERSION_MIN;
	char err[512], have[32], need[32];
	int line = c->rsync_binary_line ? c->rsync_binary_line : c->end_line;

	if (c->nremotes == 0)
		return 0;	/* hooks only: rsync never runs */
	rsync_version_format(min, need, sizeof need);
	if (rsync_version_probe(c->rsync_binary, &v, err, sizeof err) < 0) {
		log_warn("%s:%d: [rsync] binary '%s': cannot tell its version (%s); syncd needs rsync %s "
		    "or later", c->file, line, c->rsync_binary, err, need);
		return 0;
	}
	rsync_version_format(v, have, sizeof have);
	if (rsync_version_cmp(v, min) < 0) {
		log_err("%s:%d: [rsync] binary '%s'%s is rsync %s, older than %s, the oldest rsync syncd "
		    "supports: install a newer rsync%s", c->file, line, c->rsync_binary,
		    c->rsync_binary_line ? "" : " (the default)", have, need,
		    c->rsync_binary_line ? " or point [rsync] binary at one" : " or set [rsync] binary to one");
		return -1;
	}
	if (!quiet)
		log_info("using rsync %s (%s)", have, c->rsync_binary);
	return 0;
}
