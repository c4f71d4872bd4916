/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The http and cdn hooks: what they send (the JSON body, lossless for names
 * that are not UTF-8; the cdn URL, its encoding and regex rewrite) and the
 * curl glue, against a small HTTP server running in the same event loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <regex.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "curl_api.h"

#include "buf.h"
#include "hook.h"
#include "http.h"
#include "http_fmt.h"
#include "suites.h"
#include "test_util.h"
#include "worker.h"

/* buf as a C string, for comparing. */
static const char *
str(struct buf *b)
{
	buf_put(b, "", 1);
	b->len--;
	return b->p;
}

static void
json_is(const char *in, const char *want, bool valid)
{
	struct buf b = { 0 };

	ck_assert_int_eq(json_put_utf8(&b, in), valid);
	ck_assert_str_eq(str(&b), want);
	buf_free(&b);
}

START_TEST(json_text)
{
	json_is("", "\"\"", true);
	json_is("a/b c.txt", "\"a/b c.txt\"", true);
	json_is("q\"b\\s", "\"q\\\"b\\\\s\"", true);
	json_is("n\nt\tr\r\b\f", "\"n\\nt\\tr\\r\\b\\f\"", true);
	json_is("\x01x\x1f\x7f", "\"\\u0001x\\u001f\\u007f\"", true);
	/* valid UTF-8 stays as it is, 2, 3 and 4 bytes */
	json_is("caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80\"",
	    true);
	json_is("\xef\xbf\xbd", "\"\xef\xbf\xbd\"", true);	/* U+FFFD itself is valid */
}
END_TEST

#define FFFD "\xef\xbf\xbd"

START_TEST(json_invalid_utf8)
{
	json_is("\xff\xfe", "\"" FFFD FFFD "\"", false);
	json_is("a\x80z", "\"a" FFFD "z\"", false);
	json_is("\xc0\x80", "\"" FFFD FFFD "\"", false);		/* overlong NUL */
	json_is("\xc1\xbf", "\"" FFFD FFFD "\"", false);		/* overlong */
	json_is("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"", false);	/* overlong / */
	json_is("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"", false);	/* surrogate */
	json_is("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"", false); /* > U+10FFFF */
	json_is("\xf5\x80", "\"" FFFD FFFD "\"", false);
	json_is("x\xe2\x82", "\"x" FFFD FFFD "\"", false);		/* cut short at the end */
	json_is("\xe2\x82" "a", "\"" FFFD FFFD "a\"", false);	/* cut short by ASCII */
	json_is("\xc3\xa9\xff\xc3\xa9", "\"\xc3\xa9" FFFD "\xc3\xa9\"", false);
	json_is("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"", true);	/* U+10FFFF */
}
END_TEST

static void
b64_is(const char *in, size_t n, const char *want)
{
	struct buf b = { 0 };

	base64_put(&b, in, n);
	ck_assert_str_eq(str(&b), want);
	buf_free(&b);
}

START_TEST(base64)
{
	b64_is("", 0, "");
	b64_is("f", 1, "Zg==");
	b64_is("fo", 2, "Zm8=");
	b64_is("foo", 3, "Zm9v");
	b64_is("foob", 4, "Zm9vYg==");
	b64_is("fooba", 5, "Zm9vYmE=");
	b64_is("foobar", 6, "Zm9vYmFy");
	b64_is("\xff\xfe\xfd", 3, "//79");
	b64_is("\xfb\xff", 2, "+/8=");
}
END_TEST

/* What hook.c would say; the real one is linked in. */
START_TEST(json_body)
{
	struct hook_event ev[] = {
		{ .path = "a/new file.txt", .kind = HK_UPDATE },
		{ .path = "gone\nline", .kind = HK_DELETE },
		{ .path = "d/caf\xc3\xa9\xff", .kind = HK_DIR },
		{ .path = "", .kind = HK_RESYNC },
	};
	const char *remotes[] = { "web1", "web2" };
	struct buf b = { 0 };

	http_body(&b, "www/notify/7-10", "www", "notify", remotes, 2, ev, 4);
	ck_assert_str_eq(str(&b),
	    "{\"delivery\":\"www/notify/7-10\",\"instance\":\"www\",\"hook\":\"notify\",\"remotes\":[\"web1\",\"web2\"],"
	    "\"events\":[{\"kind\":\"update\",\"path\":\"a/new file.txt\"},"
	    "{\"kind\":\"delete\",\"path\":\"gone\\nline\"},"
	    "{\"kind\":\"dir\",\"path\":\"d/caf\xc3\xa9" FFFD "\",\"path_base64\":\"ZC9jYWbDqf8=\"},"
	    "{\"kind\":\"resync\",\"path\":\"\"}]}");
	buf_free(&b);

	http_body(&b, "www/seen/1-1", "www", "seen", NULL, 0, ev, 1);
	ck_assert_str_eq(str(&b),
	    "{\"delivery\":\"www/seen/1-1\",\"instance\":\"www\",\"hook\":\"seen\",\"remotes\":[],"
	    "\"events\":[{\"kind\":\"update\",\"path\":\"a/new file.txt\"}]}");
	buf_free(&b);
}
END_TEST

static void
enc_is(const char *in, const char *want)
{
	struct buf b = { 0 };

	url_encode_path(&b, in);
	ck_assert_str_eq(str(&b), want);
	buf_free(&b);
}

START_TEST(url_encoding)
{
	enc_is("", "");
	enc_is("a/b/c.html", "a/b/c.html");
	enc_is("AZaz09-._~/", "AZaz09-._~/");
	enc_is("with space", "with%20space");
	enc_is("new\nline", "new%0Aline");
	enc_is("100%", "100%25");
	enc_is("?#[]@!$&'()*+,;=:", "%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%3A");
	enc_is("caf\xc3\xa9", "caf%C3%A9");
	enc_is("\xff\xfe", "%FF%FE");
	enc_is("$(touch CANARY)", "%24%28touch%20CANARY%29");
	enc_is("\x7f\x01", "%7F%01");
}
END_TEST

static void
url_is(const char *tmpl, const char *path, const char *want)
{
	struct buf b = { 0 };

	cdn_url(&b, tmpl, path);
	ck_assert_str_eq(str(&b), want);
	buf_free(&b);
}

START_TEST(url_template)
{
	url_is("http://cdn/{path}", "a b", "http://cdn/a%20b");
	url_is("http://cdn/purge?u=/{path}&again={path}", "x/y", "http://cdn/purge?u=/x/y&again=x/y");
	url_is("http://cdn/fixed", "a", "http://cdn/fixed");
	url_is("{path}", "p", "p");
	url_is("http://cdn/{pat}{path}}", "p", "http://cdn/{pat}p}");
	url_is("http://cdn/{path}", "", "http://cdn/");
}
END_TEST

static void
rewrite_is(const char *re, const char *replace, const char *path, const char *want)
{
	regex_t r;
	struct buf b = { 0 };

	ck_assert_int_eq(regcomp(&r, re, REG_EXTENDED), 0);
	if (want) {
		ck_assert_int_eq(cdn_rewrite(&r, replace, path, &b), 1);
		ck_assert_str_eq(str(&b), want);
	} else {
		ck_assert_int_eq(cdn_rewrite(&r, replace, path, &b), 0);
		ck_assert_uint_eq(b.len, 0);
	}
	buf_free(&b);
	regfree(&r);
}

START_TEST(url_rewrite)
{
	/* sersync's regexurl: www/(.*) on the site's URL */
	rewrite_is("^static/(.*)$", "img/\\1", "static/a/b.png", "img/a/b.png");
	rewrite_is("^static/(.*)$", "img/\\1", "other/a.png", NULL);
	rewrite_is("^([^/]+)/(.*)\\.(php|html)$", "\\3/\\1/\\2", "site/p/index.html",
	    "html/site/p/index");
	rewrite_is("b+", "[\\0]", "abbbc", "[bbb]");	/* \0: the match, not the path */
	rewrite_is("^(x)?(a)", "<\\1|\\2|\\9>", "abc", "<|a|>");	/* unmatched groups: empty */
	rewrite_is("^a", "back\\\\slash\\q", "a", "back\\slash\\q");
	rewrite_is("^a", "end\\", "a", "end\\");
	rewrite_is("^a", "", "a", "");
	rewrite_is("new.line", "\\0", "new\nline", "new\nline");	/* no REG_NEWLINE */
}
END_TEST

START_TEST(url_display)
{
	char b[128];

	http_url_display("http://user:pw@host:8080/p?q=a@b", b, sizeof b);
	ck_assert_str_eq(b, "http://host:8080/p?q=a@b");
	http_url_display("https://host/a@b", b, sizeof b);
	ck_assert_str_eq(b, "https://host/a@b");
	http_url_display("http://a@b@host/", b, sizeof b);
	ck_assert_str_eq(b, "http://host/");
	http_url_display("no scheme", b, sizeof b);
	ck_assert_str_eq(b, "no scheme");
}
END_TEST

/* ---- the curl glue, against a server in the same loop ---- */

struct conn {
	struct io io;
	char req[8192];
	size_t len;
	bool answered;
};

static struct srv {
	struct loop loop;
	int lfd;
	struct io lio;
	unsigned port;
	char url[64];		/* see srv_url */
	int status;		/* answer; 0: never answer */
	struct conn conns[8];
	int nconns;
	char last[8192];	/* the last request, head and body */
	/* what the client got */
	int done;
	long got_status;
	char got_err[CURL_ERROR_SIZE];
	struct timer guard, canceller;
	struct http_req *cancel_me;
	bool timed_out;
} S;

static void
conn_ready(void *ctx, uint32_t events)
{
	struct conn *c = ctx;
	ssize_t n = read(c->io.fd, c->req + c->len, sizeof c->req - 1 - c->len);

	if (n <= 0) {
		loop_del(&S.loop, &c->io);
		close(c->io.fd);
		c->io.fd = -1;
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	char *end = strstr(c->req, "\r\n\r\n");
	if (!end || c->answered)
		return;
	const char *cl = strcasestr(c->req, "\r\nContent-Length:");
	size_t body = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
	if (c->len < (size_t)(end + 4 - c->req) + body)
		return;
	memcpy(S.last, c->req, c->len + 1);
	if (!S.status)
		return;
	char ans[128];
	int m = snprintf(ans, sizeof ans, "HTTP/1.1 %d X\r\nContent-Length: 2\r\n"
	    "Connection: close\r\n\r\nok", S.status);
	ck_assert_int_eq(write(c->io.fd, ans, (size_t)m), m);
	c->answered = true;
}

static void
srv_accept(void *ctx, uint32_t events)
{
	int fd = accept4(S.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_lt(S.nconns, 8);
	struct conn *c = &S.conns[S.nconns++];
	ck_assert_int_eq(loop_add(&S.loop, &c->io, fd, EPOLLIN, conn_ready, c), 0);
}

static void
guard_fired(void *ctx)
{
	S.timed_out = true;
	S.loop.stop = true;
}

static void
srv_setup(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof a;

	memset(&S, 0, sizeof S);
	ck_assert_int_eq(loop_init(&S.loop), 0);
	S.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(S.lfd, 0);
	ck_assert_int_eq(bind(S.lfd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(S.lfd, 8), 0);
	ck_assert_int_eq(getsockname(S.lfd, (struct sockaddr *)&a, &alen), 0);
	S.port = ntohs(a.sin_port);
	ck_assert_int_eq(loop_add(&S.loop, &S.lio, S.lfd, EPOLLIN, srv_accept, NULL), 0);
	ck_assert_int_eq(timer_init(&S.loop, &S.guard, guard_fired, NULL), 0);
	timer_arm(&S.guard, 5000);
	S.status = 200;
}

static void
srv_teardown(void)
{
	for (int i = 0; i < S.nconns; i++)
		if (S.conns[i].io.fd >= 0) {
			loop_del(&S.loop, &S.conns[i].io);
			close(S.conns[i].io.fd);
		}
	timer_close(&S.guard);
	timer_close(&S.canceller);
	loop_del(&S.loop, &S.lio);
	close(S.lfd);
	loop_close(&S.loop);
}

static void
got(struct http_req *r, long status, const char *err, void *ctx)
{
	S.done++;
	S.got_status = status;
	snprintf(S.got_err, sizeof S.got_err, "%s", err ? err : "");
	S.loop.stop = true;
}

static void
run(struct http *h, const struct http_opts *o)
{
	ck_assert_ptr_nonnull(http_request(h, o, got, NULL));
	ck_assert_uint_eq(http_running(h), 1);
	loop_run(&S.loop);
	ck_assert_int_eq(S.done, 1);
	ck_assert_uint_eq(http_running(h), 0);
}

/* http://127.0.0.1:PORT/PATH of the server, in S.url. */
static const char *
srv_url(const char *path)
{
	snprintf(S.url, sizeof S.url, "http://127.0.0.1:%u/%s", S.port, path);
	return S.url;
}

START_TEST(post_ok)
{
	struct http *h = http_open(&S.loop);
	struct curl_slist *hdr = curl_api.slist_append(NULL, "X-Token: t0k");

	ck_assert_ptr_nonnull(h);
	struct http_opts o = { .url = srv_url("hook"), .method = "POST", .body = "{\"a\":1}",
		.body_len = 7, .headers = hdr, .timeout_ms = 3000 };
	run(h, &o);
	ck_assert_int_eq(S.got_status, 200);
	ck_assert_str_eq(S.got_err, "");
	ck_assert_ptr_nonnull(strstr(S.last, "POST /hook HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(S.last, "\r\nX-Token: t0k\r\n"));
	ck_assert_ptr_nonnull(strstr(S.last, "\r\n\r\n{\"a\":1}"));
	http_close(h);
	curl_api.slist_free_all(hdr);
}
END_TEST

START_TEST(status_503)
{
	struct http *h = http_open(&S.loop);

	S.status = 503;
	struct http_opts o = { .url = srv_url("x"), .timeout_ms = 3000 };
	run(h, &o);
	ck_assert_int_eq(S.got_status, 503);
	ck_assert_str_eq(S.got_err, "");
	ck_assert_ptr_nonnull(strstr(S.last, "GET /x HTTP/1.1\r\n"));
	http_close(h);
}
END_TEST

START_TEST(purge_with_auth)
{
	struct http *h = http_open(&S.loop);

	struct http_opts o = { .url = srv_url("a%20b"), .method = "PURGE", .userpwd = "user:pass",
		.timeout_ms = 3000 };
	run(h, &o);
	ck_assert_int_eq(S.got_status, 200);
	ck_assert_ptr_nonnull(strstr(S.last, "PURGE /a%20b HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(S.last, "\r\nAuthorization: Basic dXNlcjpwYXNz\r\n"));
	http_close(h);
}
END_TEST

START_TEST(post_empty)
{
	struct http *h = http_open(&S.loop);

	struct http_opts o = { .url = srv_url("e"), .method = "POST", .timeout_ms = 3000 };
	run(h, &o);
	ck_assert_int_eq(S.got_status, 200);
	ck_assert_ptr_nonnull(strstr(S.last, "POST /e HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strcasestr(S.last, "\r\nContent-Length: 0\r\n"));
	http_close(h);
}
END_TEST

START_TEST(refused)
{
	struct http *h = http_open(&S.loop);

	/* a port nobody listens on any more */
	loop_del(&S.loop, &S.lio);
	close(S.lfd);
	S.lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct http_opts o = { .url = srv_url(""), .timeout_ms = 3000 };
	run(h, &o);
	ck_assert_int_eq(S.got_status, 0);
	ck_assert_msg(S.got_err[0], "no error text");
	http_close(h);
}
END_TEST

START_TEST(times_out)
{
	struct http *h = http_open(&S.loop);
	uint64_t t0 = now_ms();

	S.status = 0;	/* never answers */
	struct http_opts o = { .url = srv_url("slow"), .method = "POST", .body = "x", .body_len = 1,
		.timeout_ms = 300 };
	run(h, &o);
	ck_assert_int_eq(S.got_status, 0);
	ck_assert_msg(strcasestr(S.got_err, "timed out") || strcasestr(S.got_err, "timeout"),
	    "error: %s", S.got_err);
	ck_assert_uint_ge(now_ms() - t0, 250);
	ck_assert_uint_lt(now_ms() - t0, 3000);
	http_close(h);
}
END_TEST

static void
cancel_fired(void *ctx)
{
	http_cancel(S.cancel_me);
	S.cancel_me = NULL;
	timer_arm(&S.guard, 300);	/* then see that nothing calls back */
}

START_TEST(cancel)
{
	struct http *h = http_open(&S.loop);

	S.status = 0;
	struct http_opts o = { .url = srv_url("hang"), .timeout_ms = 3000 };
	S.cancel_me = http_request(h, &o, got, NULL);
	ck_assert_ptr_nonnull(S.cancel_me);
	ck_assert_int_eq(timer_init(&S.loop, &S.canceller, cancel_fired, NULL), 0);
	timer_arm(&S.canceller, 200);
	loop_run(&S.loop);
	ck_assert_int_eq(S.done, 0);
	ck_assert_uint_eq(http_running(h), 0);
	ck_assert_ptr_nonnull(strstr(S.last, "GET /hang HTTP/1.1\r\n"));
	http_close(h);
}
END_TEST

/* Several at once, then a close with one still running (no call back). */
START_TEST(parallel_and_close)
{
	struct http *h = http_open(&S.loop);

	struct http_opts o = { .url = srv_url("p"), .timeout_ms = 3000 };
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(http_request(h, &o, got, NULL));
	while (S.done < 3 && !S.timed_out) {
		S.loop.stop = false;
		loop_run(&S.loop);
	}
	ck_assert_int_eq(S.done, 3);
	S.status = 0;
	ck_assert_ptr_nonnull(http_request(h, &o, got, NULL));
	http_close(h);
	ck_assert_int_eq(S.done, 3);
}
END_TEST

/* ---- opening a hook: the files it reads ---- */

static char dir[256];

static void
open_setup(void)
{
	tu_mkdtemp(dir, sizeof dir);
}

static void
open_teardown(void)
{
	tu_rmtree(dir);
}

/* Opens and closes a hook of hc, as hook_init() would; returns what open
 * said. */
static int
try_open(struct hook_conf *hc)
{
	struct worker w = { 0 };
	struct config cfg = { .name = "unit" };
	struct hook h = { .w = &w, .hc = hc };
	int rc;

	w.cfg = &cfg;
	ck_assert_int_eq(loop_init(&w.loop), 0);
	h.ops = hc->type == HOOK_CDN ? &hook_cdn_ops : &hook_http_ops;
	rc = h.ops->open(&h);
	ck_assert(rc == 0 ? h.impl != NULL : h.impl == NULL);
	h.ops->close(&h);
	loop_close(&w.loop);
	return rc;
}

START_TEST(open_files)
{
	char hf[300], cf[300];
	char *hdrs[] = { "X-A: 1", NULL };
	struct hook_conf hc = { .name = "t", .type = HOOK_HTTP, .url = "http://127.0.0.1/",
		.headers = hdrs, .header_file = hf };

	snprintf(hf, sizeof hf, "%s/headers", dir);
	snprintf(cf, sizeof cf, "%s/cred", dir);
	ck_assert_int_eq(try_open(&hc), -1);		/* no such file */
	tu_write(hf, "# comment\n\n   \n  # indented comment\nAuthorization: Bearer x\r\n"
	    "X-Empty:\n", 0600);
	ck_assert_int_eq(try_open(&hc), 0);
	tu_write(hf, "Authorization: Bearer x\nnot a header\n", 0600);
	ck_assert_int_eq(try_open(&hc), -1);
	tu_write(hf, "Bad Name: x\n", 0600);
	ck_assert_int_eq(try_open(&hc), -1);
	tu_write(hf, "", 0600);
	ck_assert_int_eq(try_open(&hc), 0);

	hc.type = HOOK_CDN;
	hc.url = NULL;
	hc.url_template = "http://127.0.0.1/{path}";
	hc.credentials_file = cf;
	ck_assert_int_eq(try_open(&hc), -1);		/* no such file */
	tu_write(cf, "user:pw\n", 0600);
	ck_assert_int_eq(try_open(&hc), 0);
	tu_write(cf, "", 0600);
	ck_assert_int_eq(try_open(&hc), -1);
	tu_write(cf, "no colon\n", 0600);
	ck_assert_int_eq(try_open(&hc), -1);
	tu_write(cf, "user:pw\n", 0600);
	hc.path_regex = "^(a";
	hc.replace = "\\1";
	ck_assert_int_eq(try_open(&hc), -1);
	hc.path_regex = "^(a)";
	ck_assert_int_eq(try_open(&hc), 0);
}
END_TEST

Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("format");
	TCase *net = tcase_create("curl");

	tcase_add_test(tc, json_text);
	tcase_add_test(tc, json_invalid_utf8);
	tcase_add_test(tc, base64);
	tcase_add_test(tc, json_body);
	tcase_add_test(tc, url_encoding);
	tcase_add_test(tc, url_template);
	tcase_add_test(tc, url_rewrite);
	tcase_add_test(tc, url_display);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(net, srv_setup, srv_teardown);
	tcase_add_test(net, post_ok);
	tcase_add_test(net, status_503);
	tcase_add_test(net, purge_with_auth);
	tcase_add_test(net, post_empty);
	tcase_add_test(net, refused);
	tcase_add_test(net, times_out);
	tcase_add_test(net, cancel);
	tcase_add_test(net, parallel_and_close);
	suite_add_tcase(s, net);
	TCase *op = tcase_create("open");
	tcase_add_checked_fixture(op, open_setup, open_teardown);
	tcase_add_test(op, open_files);
	suite_add_tcase(s, op);
	return s;
}
