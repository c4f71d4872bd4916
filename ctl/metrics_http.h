/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The supervisor's HTTP listener for Prometheus: GET /metrics, off unless
 * CONFIG_DIR/syncctl.ini says where to listen:
 *
 *     [metrics]
 *     listen = 127.0.0.1:9469
 *
 * ([ADDRESS:]PORT; the address is 127.0.0.1 when left out; a bare 0 is any
 * free port of 127.0.0.1, which the log names).  Each request
 * is answered by a child process that asks the workers: a worker slow to
 * answer never holds up the supervisor's event loop. */
#ifndef SYNCCTL_METRICS_HTTP_H
#define SYNCCTL_METRICS_HTTP_H

struct supervisor;

/* 0: listening, or nothing to listen on; -1 after logging why (a bad
 * setting, an address in use). */
int metrics_http_open(struct supervisor *sv, const char *config_dir);
void metrics_http_close(struct supervisor *sv);

#endif
