/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rsync_exit.h"

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

void
rsync_last_words(const char *t, char *buf, size_t len)
{
	size_t n = strlen(t);
	int lines = 0;

	while (n && (t[n - 1] == '\n' || t[n - 1] == '\r'))
		n--;
	size_t start = n;
	while (start > 0 && lines < 3)
		if (t[--start] == '\n')
			lines++;
	if (t[start] == '\n')
		start++;
	size_t o = 0;
	for (size_t i = start; i < n && o + 4 < len; i++) {
		if (t[i] == '\n') {
			memcpy(buf + o, " | ", 3);
			o += 3;
		} else if (t[i] != '\r') {
			buf[o++] = t[i];
		}
	}
	buf[o] = '\0';
}
