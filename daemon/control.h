/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The worker's control socket, RUNTIME/NAME.sock: one request line per
 * connection (status, status --json, resync, pause, resume, flush [TIMEOUT],
 * verify [--json] [--timeout TIMEOUT] [REMOTE...]), answered and closed.  Clients are served from the event loop with bounded
 * buffers and deadlines, so a malformed, huge or silent one never blocks
 * mirroring. */
#ifndef SYNCD_CONTROL_H
#define SYNCD_CONTROL_H

struct worker;
struct control;

/* Listens at path; NULL after logging why (another worker may own it). */
struct control *control_open(struct worker *w, const char *path);
void control_close(struct control *c);
/* The mirrors made progress, or a verify ended: answer the flushes and
 * verifies that are satisfied. */
void control_progress(struct control *c);

#endif
