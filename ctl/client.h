/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The client side of a control socket: one request line, the whole answer,
 * within a deadline (a stopped worker must not hang syncctl). */
#ifndef SYNCCTL_CLIENT_H
#define SYNCCTL_CLIENT_H

#include <stdbool.h>

/* The answer (malloc'd, NUL-terminated), or NULL with errno set:
 * ENOENT/ECONNREFUSED when nothing listens, ETIMEDOUT. */
char *ctl_request(const char *path, const char *request, int timeout_ms);
/* Something listens on path (without waiting for it to answer: the
 * supervisor's event loop asks). */
bool ctl_listening(const char *path);

#endif
