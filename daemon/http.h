/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HTTP requests from the event loop: libcurl's multi interface, its sockets
 * watched by our epoll (one struct io each) and its timeout kept in one of
 * our timers, so a request never blocks the worker and needs no thread.
 * One struct http (one multi handle, one connection cache) serves every
 * request of a process. */
#ifndef SYNCD_HTTP_H
#define SYNCD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

struct http;
struct http_req;
struct curl_slist;

/* A request ended: status is the HTTP status received (0 if none: the
 * transfer failed, err then says why), err is NULL when a whole response
 * came, whatever its status.  r is freed once this returns. */
typedef void (*http_done_fn)(struct http_req *r, long status, const char *err, void *ctx);

struct http_opts {
	const char *url;
	const char *method;		/* NULL or "GET", "POST", "HEAD", any token */
	const void *body;		/* POST: sent as it is (copied); NULL is empty */
	size_t body_len;
	const struct curl_slist *headers;	/* may be NULL; must outlive the request */
	const char *userpwd;		/* "user:password" for basic auth, or NULL */
	uint64_t timeout_ms;		/* of the whole request; 0: none */
};

struct http *http_open(struct loop *l);
/* Ends the requests still running without calling them back. */
void http_close(struct http *h);
/* Starts a request; NULL (after logging why) if it cannot be started. */
struct http_req *http_request(struct http *h, const struct http_opts *o, http_done_fn fn,
    void *ctx);
/* Ends a running request at once, without calling it back. */
void http_cancel(struct http_req *r);
/* Requests running. */
size_t http_running(const struct http *h);
/* The URL as it may be shown: without "user:password@". */
void http_url_display(const char *url, char *buf, size_t len);

#endif
