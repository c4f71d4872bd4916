/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "http_fmt.h"

#include <stdio.h>
#include <string.h>

#define PUTS(b, s) buf_put((b), (s), sizeof(s) - 1)

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), 0 if the byte at s does not start
 * one. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* The second byte's range is what rules out the bad forms. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;	/* also stops at the NUL */
	return n;
}

bool
json_put_utf8(struct buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	bool valid = true;
	char esc[8];

	PUTS(b, "\"");
	while (*s) {
		size_t n = utf8_len(s);
		if (n == 0) {
			PUTS(b, "\xef\xbf\xbd");	/* U+FFFD */
			valid = false;
			s++;
			continue;
		}
		if (n > 1) {
			buf_put(b, s, n);
			s += n;
			continue;
		}
		switch (*s) {
		case '"': PUTS(b, "\\\""); break;
		case '\\': PUTS(b, "\\\\"); break;
		case '\n': PUTS(b, "\\n"); break;
		case '\r': PUTS(b, "\\r"); break;
		case '\t': PUTS(b, "\\t"); break;
		case '\b': PUTS(b, "\\b"); break;
		case '\f': PUTS(b, "\\f"); break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				snprintf(esc, sizeof esc, "\\u%04x", *s);
				buf_put(b, esc, 6);
			} else {
				buf_put(b, s, 1);
			}
		}
		s++;
	}
	PUTS(b, "\"");
	return valid;
}

void
base64_put(struct buf *b, const void *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = p;
	char out[4];

	for (; n >= 3; s += 3, n -= 3) {
		out[0] = tab[s[0] >> 2];
		out[1] = tab[(s[0] & 3) << 4 | s[1] >> 4];
		out[2] = tab[(s[1] & 15) << 2 | s[2] >> 6];
		out[3] = tab[s[2] & 63];
		buf_put(b, out, 4);
	}
	if (n) {
		unsigned v1 = n > 1 ? s[1] : 0;
		out[0] = tab[s[0] >> 2];
		out[1] = tab[(s[0] & 3) << 4 | v1 >> 4];
		out[2] = n > 1 ? tab[(v1 & 15) << 2] : '=';
		out[3] = '=';
		buf_put(b, out, 4);
	}
}

void
http_body(struct buf *b, const char *delivery, const char *instance, const char *hook,
    const char *const *remotes, size_t nremotes, const struct hook_event *ev, size_t n)
{
	PUTS(b, "{\"delivery\":");
	json_put_utf8(b, delivery);
	PUTS(b, ",\"instance\":");
	json_put_utf8(b, instance);
	PUTS(b, ",\"hook\":");
	json_put_utf8(b, hook);
	PUTS(b, ",\"remotes\":[");
	for (size_t i = 0; i < nremotes; i++) {
		if (i)
			PUTS(b, ",");
		json_put_utf8(b, remotes[i]);
	}
	PUTS(b, "],\"events\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			PUTS(b, ",");
		PUTS(b, "{\"kind\":");
		json_put_utf8(b, hook_kind_name(ev[i].kind));
		PUTS(b, ",\"path\":");
		if (!json_put_utf8(b, ev[i].path)) {
			/* "path" lost bytes: the exact name travels beside it. */
			PUTS(b, ",\"path_base64\":\"");
			base64_put(b, ev[i].path, strlen(ev[i].path));
			PUTS(b, "\"");
		}
		PUTS(b, "}");
	}
	PUTS(b, "]}");
}

static bool
url_keep(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}

void
url_encode_path(struct buf *b, const char *str)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	char esc[3] = { '%' };

	for (; *s; s++) {
		if (url_keep(*s)) {
			buf_put(b, s, 1);
			continue;
		}
		esc[1] = hex[*s >> 4];
		esc[2] = hex[*s & 15];
		buf_put(b, esc, 3);
	}
}

void
cdn_url(struct buf *b, const char *tmpl, const char *path)
{
	const char *p;

	while ((p = strstr(tmpl, "{path}"))) {
		buf_put(b, tmpl, (size_t)(p - tmpl));
		url_encode_path(b, path);
		tmpl = p + 6;
	}
	buf_put(b, tmpl, strlen(tmpl));
}

int
cdn_rewrite(const regex_t *re, const char *replace, const char *path, struct buf *out)
{
	regmatch_t m[10];

	if (regexec(re, path, 10, m, 0) != 0)
		return 0;
	for (const char *r = replace; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '9') {
			const regmatch_t *g = &m[r[1] - '0'];
			if (g->rm_so >= 0 && g->rm_eo >= g->rm_so)
				buf_put(out, path + g->rm_so, (size_t)(g->rm_eo - g->rm_so));
			r++;
		} else if (r[0] == '\\' && r[1] == '\\') {
			buf_put(out, r, 1);
			r++;
		} else {
			buf_put(out, r, 1);
		}
	}
	return 1;
}
