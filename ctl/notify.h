/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The receiving end of the sd_notify protocol: a datagram socket whose
 * path the workers get as NOTIFY_SOCKET.  The sender's pid comes from the
 * kernel (SCM_CREDENTIALS), so a worker cannot speak for another. */
#ifndef SYNCCTL_NOTIFY_H
#define SYNCCTL_NOTIFY_H

#include <sys/types.h>

#include "loop.h"

typedef void (*notify_fn)(void *ctx, pid_t pid, char *msg);

struct notify;

struct notify *notify_open(struct loop *l, const char *path, notify_fn fn, void *ctx);
/* Reads what is queued now: the last words of a worker that has exited
 * are read before its exit is handled, while its pid still names it. */
void notify_drain(struct notify *n);
void notify_close(struct notify *n);

#endif
