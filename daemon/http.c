/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "http.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "curl_api.h"

#include "log.h"

/* One socket curl asked us to watch. */
struct http_sock {
	struct io io;
	struct http *h;
	struct http_sock *prev, *next;
};

struct http_req {
	struct http *h;
	CURL *easy;
	http_done_fn fn;
	void *ctx;
	char errbuf[CURL_ERROR_SIZE];
	struct http_req *prev, *next;
};

struct http {
	struct loop *loop;
	CURLM *multi;
	struct timer timer;	/* curl's own timeout */
	struct http_sock *socks;
	struct http_req *reqs;
	size_t nreqs;
};

#define LINK(head, e) do { \
	(e)->prev = NULL; (e)->next = (head); \
	if (head) (head)->prev = (e); \
	(head) = (e); \
} while (0)
#define UNLINK(head, e) do { \
	if ((e)->prev) (e)->prev->next = (e)->next; else (head) = (e)->next; \
	if ((e)->next) (e)->next->prev = (e)->prev; \
} while (0)

/* Calls back the requests curl finished. */
static void
http_check(struct http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_api.multi_info_read(h->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *e = m->easy_handle;
		CURLcode res = m->data.result;	/* m is gone once e is removed */
		char *priv = NULL;
		long status = 0;
		char err[CURL_ERROR_SIZE];

		curl_api.easy_getinfo(e, CURLINFO_PRIVATE, &priv);
		struct http_req *r = (struct http_req *)priv;
		curl_api.easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		if (res != CURLE_OK)
			snprintf(err, sizeof err, "%s",
			    r->errbuf[0] ? r->errbuf : curl_api.easy_strerror(res));
		curl_api.multi_remove_handle(h->multi, e);
		curl_api.easy_cleanup(e);
		UNLINK(h->reqs, r);
		h->nreqs--;
		/* The callback may start or cancel other requests: r is out of
		 * every list by now, and the next message is read afresh. */
		r->fn(r, status, res != CURLE_OK ? err : NULL, r->ctx);
		free(r);
	}
}

static void
sock_ready(void *ctx, uint32_t events)
{
	struct http_sock *hs = ctx;
	struct http *h = hs->h;
	int flags = 0, running;

	if (events & (EPOLLIN | EPOLLHUP))
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & EPOLLERR)
		flags |= CURL_CSELECT_ERR;
	/* hs may be freed inside (CURL_POLL_REMOVE). */
	curl_api.multi_socket_action(h->multi, hs->io.fd, flags, &running);
	http_check(h);
}

static int
sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http *h = userp;
	struct http_sock *hs = socketp;
	uint32_t ev = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (hs) {
			loop_del(h->loop, &hs->io);
			curl_api.multi_assign(h->multi, s, NULL);
			UNLINK(h->socks, hs);
			free(hs);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (hs)
		return loop_mod(h->loop, &hs->io, ev);
	if (!(hs = calloc(1, sizeof *hs))) {
		log_err("http: socket %d: %s", s, strerror(errno));
		return -1;
	}
	hs->h = h;
	if (loop_add(h->loop, &hs->io, s, ev, sock_ready, hs) < 0) {
		free(hs);
		return -1;
	}
	LINK(h->socks, hs);
	curl_api.multi_assign(h->multi, s, hs);
	return 0;
}

static void
timer_fired(void *ctx)
{
	struct http *h = ctx;
	int running;

	curl_api.multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_check(h);
}

/* curl must not be driven from inside its own callback: a timeout of 0
 * becomes the next round of the loop. */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http *h = userp;

	(void)multi;
	if (timeout_ms < 0)
		timer_disarm(&h->timer);
	else
		timer_arm(&h->timer, (uint64_t)timeout_ms);
	return 0;
}

struct http *
http_open(struct loop *l)
{
	struct http *h;
	CURLcode rc;

	if (curl_api_load() < 0)
		return NULL;
	if ((rc = curl_api.global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		log_err("curl_global_init: %s", curl_api.easy_strerror(rc));
		return NULL;
	}
	if (!(h = calloc(1, sizeof *h))) {
		log_err("http: %s", strerror(errno));
		curl_api.global_cleanup();
		return NULL;
	}
	h->loop = l;
	if (timer_init(l, &h->timer, timer_fired, h) < 0)
		goto fail;
	if (!(h->multi = curl_api.multi_init())) {
		log_err("curl_multi_init failed");
		goto fail;
	}
	curl_api.multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_api.multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_api.multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_api.multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
fail:
	timer_close(&h->timer);
	free(h);
	curl_api.global_cleanup();
	return NULL;
}

static void
req_free(struct http_req *r)
{
	struct http *h = r->h;

	curl_api.multi_remove_handle(h->multi, r->easy);
	curl_api.easy_cleanup(r->easy);
	UNLINK(h->reqs, r);
	h->nreqs--;
	free(r);
}

void
http_close(struct http *h)
{
	if (!h)
		return;
	while (h->reqs)
		req_free(h->reqs);
	curl_api.multi_cleanup(h->multi);
	/* Sockets of cached connections curl did not hand back. */
	while (h->socks) {
		struct http_sock *hs = h->socks;
		loop_del(h->loop, &hs->io);
		UNLINK(h->socks, hs);
		free(hs);
	}
	timer_close(&h->timer);
	free(h);
	curl_api.global_cleanup();
}

static size_t
discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static CURLcode
set_method(CURL *e, const struct http_opts *o)
{
	const char *m = o->method ? o->method : (o->body ? "POST" : "GET");
	CURLcode rc = CURLE_OK;

	if (!strcmp(m, "GET"))
		return curl_api.easy_setopt(e, CURLOPT_HTTPGET, 1L);
	if (!strcmp(m, "HEAD"))
		return curl_api.easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (!strcmp(m, "POST") || o->body) {
		/* POSTFIELDSIZE first: COPYPOSTFIELDS copies that many bytes. */
		rc |= curl_api.easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
		rc |= curl_api.easy_setopt(e, CURLOPT_COPYPOSTFIELDS, o->body ? o->body : "");
	}
	if (strcmp(m, "POST"))
		rc |= curl_api.easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
	return rc;
}

struct http_req *
http_request(struct http *h, const struct http_opts *o, http_done_fn fn, void *ctx)
{
	struct http_req *r = calloc(1, sizeof *r);
	CURLcode rc = CURLE_OK;
	CURLMcode mrc;
	char shown[512];

	http_url_display(o->url, shown, sizeof shown);
	if (!r || !(r->easy = curl_api.easy_init())) {
		log_err("http: %s: cannot set up a request: %s", shown,
		    r ? "curl_easy_init failed" : strerror(errno));
		free(r);
		return NULL;
	}
	r->h = h;
	r->fn = fn;
	r->ctx = ctx;
	CURL *e = r->easy;
	rc |= curl_api.easy_setopt(e, CURLOPT_URL, o->url);
	rc |= curl_api.easy_setopt(e, CURLOPT_PRIVATE, (char *)r);
	rc |= curl_api.easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	/* signals are the worker's (signalfd); SIGPIPE is ignored there */
	rc |= curl_api.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	rc |= curl_api.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	rc |= curl_api.easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	rc |= curl_api.easy_setopt(e, CURLOPT_USERAGENT, "syncd/" SYNCD_VERSION);
	rc |= curl_api.easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	if (o->timeout_ms)
		rc |= curl_api.easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	if (o->headers)
		rc |= curl_api.easy_setopt(e, CURLOPT_HTTPHEADER, o->headers);
	if (o->userpwd) {
		rc |= curl_api.easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		rc |= curl_api.easy_setopt(e, CURLOPT_USERPWD, o->userpwd);
	}
	rc |= set_method(e, o);
	if (rc != CURLE_OK) {
		log_err("http: %s: cannot set up a request (curl_easy_setopt failed)", shown);
		curl_api.easy_cleanup(e);
		free(r);
		return NULL;
	}
	if ((mrc = curl_api.multi_add_handle(h->multi, e)) != CURLM_OK) {
		log_err("http: %s: curl_multi_add_handle: %s", shown, curl_api.multi_strerror(mrc));
		curl_api.easy_cleanup(e);
		free(r);
		return NULL;
	}
	LINK(h->reqs, r);
	h->nreqs++;
	return r;
}

void
http_cancel(struct http_req *r)
{
	if (r)
		req_free(r);
}

size_t
http_running(const struct http *h)
{
	return h->nreqs;
}

void
http_url_display(const char *url, char *buf, size_t len)
{
	const char *host = strstr(url, "://"), *end, *at = NULL;

	if (host) {
		host += 3;
		end = host + strcspn(host, "/?#");
		for (const char *p = host; p < end; p++)
			if (*p == '@')
				at = p;
	}
	if (at)
		snprintf(buf, len, "%.*s%s", (int)(host - url), url, at + 1);
	else
		snprintf(buf, len, "%s", url);
}
