/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rsync_exit.h"

#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>

/* What rsync or ssh print when only a person can help. */
static const char *const operator_errors[] = {
	"@ERROR: auth failed",
	"@ERROR: Unknown module",
	"@ERROR: access denied",
	"@ERROR: chroot failed",
	"password file must not be other-accessible",
	"could not open password file",
	"Permission denied (publickey",
	"Host key verification failed",
	"REMOTE HOST IDENTIFICATION HAS CHANGED",
	"Could not resolve hostname",
	"unknown option",
};

enum rsync_outcome
rsync_outcome(int status, const char *output)
{
	if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);
		if (code == 0 || code == 24)
			return RSYNC_OK;
		for (size_t i = 0; i < sizeof operator_errors / sizeof operator_errors[0]; i++)
			if (strstr(output, operator_errors[i]))
				return RSYNC_OPERATOR;
		if (code == 23)
			return RSYNC_PARTIAL;
		if (code == 1 || code == 127 || code == 126)
			return RSYNC_OPERATOR;	/* usage error, or rsync not runnable */
	}
	return RSYNC_RETRY;
}

const char *
rsync_outcome_name(enum rsync_outcome o)
{
	static const char *const names[] = { "ok", "partial", "retry", "operator" };
	return names[o];
}

/* A line of --info=stats1, not a reason. */
static bool
stats_line(const char *l)
{
	return !strncmp(l, "sent ", 5) || !strncmp(l, "total size is ", 14);
}

unsigned long long
rsync_sent_bytes(const char *t)
{
	unsigned long long n = 0;
	const char *l = NULL;

	for (const char *p = t; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, "sent ", 5))
			l = p + 5;
	/* With its thousands separators: "1,234" or "1.234". */
	for (; l && *l && *l != ' '; l++)
		if (*l >= '0' && *l <= '9')
			n = n * 10 + (unsigned long long)(*l - '0');
		else if (*l != ',' && *l != '.')
			return 0;
	return n;
}

void
rsync_last_words(const char *t, char *buf, size_t len)
{
	const char *line[3] = { NULL }, *p = t;
	size_t o = 0;

	/* The last three lines that are not blank nor statistics. */
	for (; *p; p += strcspn(p, "\n"), p += *p == '\n') {
		if (p[strspn(p, "\r")] == '\n' || p[strspn(p, "\r")] == '\0' || stats_line(p))
			continue;
		line[0] = line[1];
		line[1] = line[2];
		line[2] = p;
	}
	for (int k = 0; k < 3 && len; k++) {
		if (!line[k])
			continue;
		if (o && o + 4 < len) {
			memcpy(buf + o, " | ", 3);
			o += 3;
		}
		for (p = line[k]; *p && *p != '\n' && o + 1 < len; p++)
			if (*p != '\r')
				buf[o++] = *p;
	}
	if (len)
		buf[o] = '\0';
}
