/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The http and cdn hook types.  http: one POST per call, a JSON body naming
 * the call's changes.  cdn: one request per change to a URL made from a
 * template (sersync's refreshCDN, any CDN's purge API); a call of several
 * changes sends them one after the other.  Requests go through http.c, so
 * they run inside the worker's loop like everything else.  Each request
 * says which delivery it is in an X-Syncd-Delivery header (http: the call's
 * id, also in the body; cdn: the id of its one change). */
#include "hook.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "curl_api.h"

#include "buf.h"
#include "filter.h"
#include "http.h"
#include "http_fmt.h"
#include "log.h"
#include "worker.h"

struct http_hook {
	struct curl_slist *headers;
	char *userpwd;		/* cdn: "user:password" from credentials_file */
	regex_t re;		/* cdn: path_regex */
	bool has_re;
};

/* A running call. */
struct http_call {
	struct http_req *req;
	struct curl_slist *headers;	/* the hook's and X-Syncd-Delivery */
	size_t next;		/* cdn: the change to send after this one */
	char url[1024];		/* as shown in errors: no user:password */
};

/* Every hook of the worker shares one multi handle, hence one connection
 * cache: a purge per file reuses the connection of the one before. */
static struct http *shared;
static unsigned shared_users;

static struct http *
http_get(struct loop *l)
{
	if (!shared)
		shared = http_open(l);
	if (shared)
		shared_users++;
	return shared;
}

static void
http_put(void)
{
	if (shared && --shared_users == 0) {
		http_close(shared);
		shared = NULL;
	}
}

/* "Name: value" (or curl's "Name:" that removes a header it would send,
 * and "Name;" that sends an empty one), with a token for a name. */
static bool
header_ok(const char *s)
{
	const char *p = s;

	while (*p && (isalnum((unsigned char)*p) || strchr("!#$%&'*+-.^_`|~", *p)))
		p++;
	return p > s && (*p == ':' || *p == ';') && !strpbrk(s, "\r\n");
}

static bool
has_header(const struct curl_slist *l, const char *name)
{
	size_t n = strlen(name);

	for (; l; l = l->next)
		if (!strncasecmp(l->data, name, n) && (l->data[n] == ':' || l->data[n] == ';'))
			return true;
	return false;
}

static int
add_header(struct http_hook *hh, const char *line)
{
	struct curl_slist *l = curl_api.slist_append(hh->headers, line);

	if (!l)
		return -1;
	hh->headers = l;
	return 0;
}

/* The line end ("\n" or "\r\n") off line; returns the new length. */
static ssize_t
chomp(char *line, ssize_t len)
{
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	return len;
}

/* Frees a buffer that held a secret, wiped first (NULL is fine). */
static void
free_secret(char *s, size_t n)
{
	if (s)
		explicit_bzero(s, n);
	free(s);
}

/* key: the hook key that names path, for the error. */
static FILE *
open_file(const struct hook_conf *hc, const char *key, const char *path)
{
	FILE *f = fopen(path, "re");

	if (!f)
		log_err("hook %s: %s %s: %s", hc->name, key, path, strerror(errno));
	return f;
}

/* The lines of header_file; nothing of what it holds is ever logged. */
static int
read_header_file(const struct hook_conf *hc, struct http_hook *hh)
{
	FILE *f = open_file(hc, "header_file", hc->header_file);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, rc = 0;

	if (!f)
		return -1;
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		chomp(line, len);
		const char *p = line + strspn(line, " \t");
		if (!*p || *p == '#')
			continue;
		if (!header_ok(p)) {
			log_err("hook %s: %s:%d: not a header line (Name: value)", hc->name,
			    hc->header_file, lineno);
			rc = -1;
		} else if (add_header(hh, p) < 0) {
			log_err("hook %s: header_file %s: %s", hc->name, hc->header_file,
			    strerror(ENOMEM));
			rc = -1;
		}
	}
	if (rc == 0 && ferror(f)) {
		log_err("hook %s: header_file %s: %s", hc->name, hc->header_file, strerror(errno));
		rc = -1;
	}
	free_secret(line, cap);
	fclose(f);
	return rc;
}

static int
read_credentials(const struct hook_conf *hc, struct http_hook *hh)
{
	FILE *f = open_file(hc, "credentials_file", hc->credentials_file);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (!f)
		return -1;
	len = getline(&line, &cap, f);
	fclose(f);
	len = chomp(line, len);
	if (len <= 0 || !strchr(line, ':') || line[0] == ':') {
		log_err("hook %s: credentials_file %s: the first line must be user:password",
		    hc->name, hc->credentials_file);
		free_secret(line, cap);
		return -1;
	}
	hh->userpwd = line;
	return 0;
}

/* Header lists may hold secrets: wiped before they are freed. */
static void
free_headers(struct curl_slist *headers)
{
	for (struct curl_slist *l = headers; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_api.slist_free_all(headers);
}

static void
free_impl(struct http_hook *hh)
{
	free_headers(hh->headers);
	if (hh->userpwd)
		free_secret(hh->userpwd, strlen(hh->userpwd));
	if (hh->has_re)
		regfree(&hh->re);
	free(hh);
}

/* What the hook makes of its configuration: libcurl, the headers, the
 * files they come from.  Apart from open so that --check runs it too. */
static struct http_hook *
prepare(const struct hook_conf *hc)
{
	struct http_hook *hh = calloc(1, sizeof *hh);
	char err[256];

	if (!hh || curl_api_load() < 0) {
		if (!hh)
			log_err("hook %s: %s", hc->name, strerror(errno));
		free(hh);
		return NULL;
	}
	for (char **p = hc->headers; p && *p; p++) {
		if (!header_ok(*p)) {
			/* Not shown: a header may be a secret. */
			log_err("hook %s: a header is not \"Name: value\"", hc->name);
			goto fail;
		}
		if (add_header(hh, *p) < 0)
			goto nomem;
	}
	if (hc->header_file && read_header_file(hc, hh) < 0)
		goto fail;
	if (hc->type == HOOK_HTTP && !has_header(hh->headers, "Content-Type") &&
	    add_header(hh, "Content-Type: application/json") < 0)
		goto nomem;
	/* curl would wait a second for "100 Continue" before a big body. */
	if (!has_header(hh->headers, "Expect") && add_header(hh, "Expect:") < 0)
		goto nomem;
	if (hc->type == HOOK_CDN && hc->path_regex) {
		if (filter_regcomp(&hh->re, hc->path_regex, REG_EXTENDED, err, sizeof err) < 0) {
			log_err("hook %s: path_regex %s: %s", hc->name, hc->path_regex, err);
			goto fail;
		}
		hh->has_re = true;
	}
	if (hc->type == HOOK_CDN && hc->credentials_file && read_credentials(hc, hh) < 0)
		goto fail;
	return hh;
nomem:
	log_err("hook %s: %s", hc->name, strerror(ENOMEM));
fail:
	free_impl(hh);
	return NULL;
}

static int
hook_http_check(const struct hook_conf *hc)
{
	struct http_hook *hh = prepare(hc);

	if (!hh)
		return -1;
	free_impl(hh);
	return 0;
}

static int
hook_http_open(struct hook *h)
{
	struct http_hook *hh = prepare(h->hc);

	if (!hh)
		return -1;
	if (!http_get(&h->w->loop)) {
		free_impl(hh);
		return -1;
	}
	h->impl = hh;
	return 0;
}

static void
hook_http_close(struct hook *h)
{
	if (!h->impl)
		return;
	free_impl(h->impl);
	h->impl = NULL;
	http_put();
}

/* The hook's headers and the delivery id of one request, in hc. */
static int
set_headers(struct http_call *hc, const struct http_hook *hh, const char *id)
{
	char line[HOOK_ID_MAX + 32];

	free_headers(hc->headers);
	hc->headers = NULL;
	for (const struct curl_slist *l = hh->headers; l; l = l->next) {
		struct curl_slist *n = curl_api.slist_append(hc->headers, l->data);
		if (!n)
			return -1;
		hc->headers = n;
	}
	snprintf(line, sizeof line, "X-Syncd-Delivery: %s", id);
	struct curl_slist *n = curl_api.slist_append(hc->headers, line);
	if (!n)
		return -1;
	hc->headers = n;
	return 0;
}

static void
call_end(struct hook_call *c, bool ok, const char *why)
{
	struct http_call *hc = c->impl;

	if (hc)
		free_headers(hc->headers);
	free(c->impl);
	c->impl = NULL;
	hook_call_done(c, ok, why);
}

/* What a finished request means for its call; true when it succeeded. */
static bool
request_ok(struct hook_call *c, long status, const char *err)
{
	struct http_call *hc = c->impl;
	char why[1400];

	hc->req = NULL;
	if (!err && status >= 200 && status < 300)
		return true;
	if (err)
		snprintf(why, sizeof why, "%s: %s", hc->url, err);
	else
		snprintf(why, sizeof why, "%s: HTTP %ld", hc->url, status);
	call_end(c, false, why);
	return false;
}

static void
http_done(struct http_req *r, long status, const char *err, void *ctx)
{
	struct hook_call *c = ctx;

	(void)r;
	if (request_ok(c, status, err))
		call_end(c, true, NULL);
}

/* The remotes a change reached when the hook is told about it. */
static const char **
mirrored_to(const struct hook *h, size_t *n)
{
	const struct config *cfg = h->w->cfg;
	const char **v = calloc(cfg->nremotes + 1, sizeof *v);

	*n = 0;
	if (!v || h->hc->when_changed)
		return v;
	if (h->hc->remote) {
		v[(*n)++] = h->hc->remote;
		return v;
	}
	for (size_t i = 0; i < cfg->nremotes; i++)
		v[(*n)++] = cfg->remotes[i].name;
	return v;
}

static void
hook_http_start(struct hook_call *c)
{
	const struct hook *h = c->h;
	const struct http_hook *hh = h->impl;
	struct http_call *hc = calloc(1, sizeof *hc);
	struct buf body = { 0 };
	size_t nr;
	const char **remotes = mirrored_to(h, &nr);
	char id[HOOK_ID_MAX];

	hook_call_id(c, id, sizeof id);
	if (!hc || !remotes || set_headers(hc, hh, id) < 0) {
		if (hc)
			free_headers(hc->headers);
		free(hc);
		free(remotes);
		hook_call_done(c, false, strerror(ENOMEM));
		return;
	}
	http_body(&body, id, h->w->cfg->name, h->hc->name, remotes, nr, c->ev, c->n);
	free(remotes);
	if (body.oom) {
		buf_free(&body);
		free_headers(hc->headers);
		free(hc);
		hook_call_done(c, false, strerror(ENOMEM));
		return;
	}
	http_url_display(h->hc->url, hc->url, sizeof hc->url);
	struct http_opts o = {
		.url = h->hc->url, .method = "POST", .body = body.p, .body_len = body.len,
		.headers = hc->headers, .timeout_ms = h->hc->timeout_ms,
	};
	c->impl = hc;
	log_debug("hook %s: POST %s, %zu changes", h->hc->name, hc->url, c->n);
	hc->req = http_request(shared, &o, http_done, c);
	buf_free(&body);
	if (!hc->req)
		call_end(c, false, "the request could not be set up (see the log)");
}

static void cdn_done(struct http_req *r, long status, const char *err, void *ctx);

/* Sends the call's next change that the rewrite keeps; the call ends once
 * none is left. */
static void
cdn_next(struct hook_call *c)
{
	const struct hook *h = c->h;
	const struct hook_conf *conf = h->hc;
	const struct http_hook *hh = h->impl;
	struct http_call *hc = c->impl;

	while (hc->next < c->n) {
		const struct hook_event *ev = &c->ev[hc->next++];
		const char *path = ev->path;
		struct buf rw = { 0 }, url = { 0 };
		char id[HOOK_ID_MAX];
		/* A resync is the root: "" whatever the rewrite would make of it. */
		if (hh->has_re && ev->kind != HK_RESYNC) {
			/* No match: nothing to purge, the change counts as delivered. */
			if (!cdn_rewrite(&hh->re, conf->replace ? conf->replace : "\\0", path,
			    &rw)) {
				buf_free(&rw);
				continue;
			}
			buf_put(&rw, "", 1);
			path = rw.p;
		}
		cdn_url(&url, conf->url_template, path);
		buf_put(&url, "", 1);
		buf_free(&rw);
		hook_delivery_id(h, ev->seq, ev->seq, id, sizeof id);
		if (url.oom || set_headers(hc, hh, id) < 0) {
			buf_free(&url);
			call_end(c, false, strerror(ENOMEM));
			return;
		}
		http_url_display(url.p, hc->url, sizeof hc->url);
		struct http_opts o = {
			.url = url.p, .method = conf->method ? conf->method : "GET",
			.headers = hc->headers, .userpwd = hh->userpwd,
			.timeout_ms = conf->timeout_ms,
		};
		log_debug("hook %s: %s %s", conf->name, o.method, hc->url);
		hc->req = http_request(shared, &o, cdn_done, c);
		buf_free(&url);
		if (!hc->req)
			call_end(c, false, "the request could not be set up (see the log)");
		return;
	}
	call_end(c, true, NULL);
}

static void
cdn_done(struct http_req *r, long status, const char *err, void *ctx)
{
	struct hook_call *c = ctx;

	(void)r;
	if (request_ok(c, status, err))
		cdn_next(c);
}

static void
hook_cdn_start(struct hook_call *c)
{
	struct http_call *hc = calloc(1, sizeof *hc);

	if (!hc) {
		hook_call_done(c, false, strerror(ENOMEM));
		return;
	}
	c->impl = hc;
	cdn_next(c);
}

static void
hook_http_cancel(struct hook_call *c)
{
	struct http_call *hc = c->impl;

	if (!hc)
		return;
	http_cancel(hc->req);
	call_end(c, false, c->timed_out ? "timed out" : "cancelled: the worker stops");
}

const struct hook_ops hook_http_ops = {
	.check = hook_http_check,
	.open = hook_http_open,
	.close = hook_http_close,
	.start = hook_http_start,
	.cancel = hook_http_cancel,
};

const struct hook_ops hook_cdn_ops = {
	.check = hook_http_check,
	.open = hook_http_open,
	.close = hook_http_close,
	.start = hook_cdn_start,
	.cancel = hook_http_cancel,
};
