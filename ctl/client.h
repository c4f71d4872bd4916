/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The client side of a control socket: one request line, the whole answer,
 * within a deadline (a stopped worker must not hang syncctl). */
#ifndef SYNCCTL_CLIENT_H
#define SYNCCTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

/* The answer (malloc'd, NUL-terminated), or NULL with errno set:
 * ENOENT/ECONNREFUSED when nothing listens, ETIMEDOUT. */
char *ctl_request(const char *path, const char *request, int timeout_ms);
/* The same request to each of paths (NULL ones skipped), all at once and
 * within one deadline; replies[i] is the answer or NULL (errno: the last
 * failure's). */
void ctl_request_all(char *const *paths, size_t n, const char *request, int timeout_ms,
    char **replies);
/* Something listens on path (without waiting for it to answer: the
 * supervisor's event loop asks). */
bool ctl_listening(const char *path);

#endif
