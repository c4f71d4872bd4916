/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sending end of the sd_notify protocol, as sd_notify(3) describes it
 * for programs that do not link libsystemd.  Both programs only tell their
 * supervisor (systemd or syncctl) how they are: a datagram to the socket in
 * NOTIFY_SOCKET.  Without libsystemd every run of the worker's binary, the
 * connector rsync starts for each push among them, loads five libraries
 * fewer (libgcrypt, liblzma, libzstd, liblz4, libcap): about 1 ms of CPU a
 * start, and none of their code in a process that runs as root. */
#ifndef SYNCD_SDNOTIFY_H
#define SYNCD_SDNOTIFY_H

#include <stdint.h>

/* Sends STATE ("READY=1", "STATUS=...").  0 when there is no supervisor to
 * tell (no NOTIFY_SOCKET), 1 when sent, -1 with errno when it failed. */
int sdnotify_send(const char *state);

/* The watchdog period the supervisor asks for (WATCHDOG_USEC, for this
 * process when WATCHDOG_PID names one), in microseconds; 0: no watchdog. */
uint64_t sdnotify_watchdog_usec(void);

#endif
