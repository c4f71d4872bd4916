/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One authenticated ssh connection per ssh:// remote, shared by its runs:
 * OpenSSH's control master, its socket RUNTIME/NAME/REMOTE.ssh.  The first
 * run's ssh becomes the master and stays (ControlPersist), the next ones
 * ride on it; a master that died leaves a socket nobody answers, which the
 * next ssh removes before it becomes the master itself.  The worker stops
 * the master as it exits, and as it starts the one a killed predecessor
 * left (whose key or options may have changed since).  A master that
 * hangs (stopped, or stuck on a link that is gone) would hang every run
 * that rides on it until its deadline: after a run failed on the
 * connection the master is retired, the next run starts a new one. */
#ifndef SYNCD_SSHMUX_H
#define SYNCD_SSHMUX_H

#include "config.h"

/* Sets r->ssh_control for an ssh:// remote whose ssh_options do not manage
 * connection sharing themselves, and stops a master left at that path:
 * -1 on ENOMEM. */
int sshmux_open(struct remote_conf *r, const char *scratch_dir);
/* Stops r's master and the retired one (if any) and removes their sockets. */
void sshmux_close(const struct remote_conf *r);
/* After a run failed on the connection (rsync's RSYNC_RETRY): the master's
 * socket moves to REMOTE.ssh.retired (runs on it go on), so the next run
 * starts a new master; the retired one is stopped with the worker, or goes
 * by itself once idle (ControlPersist) or its link is dead (keepalives).
 * It replaces an earlier retired master, which is left to go by itself. */
void sshmux_retire(const struct remote_conf *r);

#endif
