/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What an rsync exit means for the remote: done, retry the batch soon, or
 * wait for an operator (a wrong password does not fix itself). */
#ifndef SYNCD_RSYNC_EXIT_H
#define SYNCD_RSYNC_EXIT_H

#include <stddef.h>

enum rsync_outcome {
	RSYNC_OK,		/* 0, or 24: files vanished, their deletion is queued */
	RSYNC_PARTIAL,		/* 23: some paths failed; retry them */
	RSYNC_RETRY,		/* connection, timeout, protocol: back off and retry */
	RSYNC_OPERATOR,		/* auth, module, password file, usage: retry rarely */
};

/* status as from waitpid; output: the end of what rsync printed. */
enum rsync_outcome rsync_outcome(int status, const char *output);
const char *rsync_outcome_name(enum rsync_outcome o);
/* The bytes rsync says it sent ("sent 1,234 bytes  received ..." of
 * --info=stats1, the last such line of output), 0 if it did not say. */
unsigned long long rsync_sent_bytes(const char *output);
/* The last three lines of output t (where rsync says why it failed) on one
 * line, joined by " | ", into buf; rsync's statistics lines are left out. */
void rsync_last_words(const char *t, char *buf, size_t len);

#endif
