/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "opening.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define GREETING "@RSYNCD: "

size_t
opening_line(const char *b, size_t n)
{
	const char *nl = memchr(b, '\n', n);

	return nl ? (size_t)(nl - b) + 1 : 0;
}

/* A greeting line (of len bytes) of protocol 30 or later: arguments ended
 * by NULs, which is what tells where the opening ends. */
static bool
greeting_ok(const char *b, size_t len)
{
	char line[64], *end;

	if (len < sizeof GREETING || len >= sizeof line || strncmp(b, GREETING, sizeof GREETING - 1))
		return false;
	memcpy(line, b, len);
	line[len] = '\0';
	long proto = strtol(line + sizeof GREETING - 1, &end, 10);
	return end != line + sizeof GREETING - 1 && proto >= 30;
}

/* The greeting at the start of b[0..*n), *n capped at OPENING_MAX: its
 * length, 0 while incomplete, -1 when it is none that can be sent ahead. */
static long
greeting(const char *b, size_t *n)
{
	size_t g;

	if (*n > OPENING_MAX)
		*n = OPENING_MAX;
	g = opening_line(b, *n);
	if (!g)
		return *n == OPENING_MAX || (*n && b[0] != '@') ? -1 : 0;
	return greeting_ok(b, g) ? (long)g : -1;
}

long
opening_len(const char *b, size_t n)
{
	long gl = greeting(b, &n);
	size_t g = (size_t)gl, m, at;

	if (gl <= 0)
		return gl;
	m = opening_line(b + g, n - g);
	if (!m)
		return n == OPENING_MAX ? -1 : 0;
	if (m == 1 || b[g] == '#')
		return -1;	/* the module list, not a module */
	at = g + m;
	for (bool first = true;; first = false) {
		const char *nul = memchr(b + at, '\0', n - at);
		if (!nul)
			return n == OPENING_MAX ? -1 : 0;
		size_t len = (size_t)(nul - (b + at));
		if (first && (len != 8 || memcmp(b + at, "--server", 8)))
			return -1;
		at += len + 1;
		if (!len)
			return (long)at;
	}
}

long
opening_answer_len(const char *b, size_t n)
{
	long g = greeting(b, &n);

	if (g <= 0)
		return g;
	for (size_t at = (size_t)g;;) {
		size_t len = opening_line(b + at, n - at);
		if (!len)
			return n == OPENING_MAX ? -1 : 0;
		if (len == sizeof "@RSYNCD: OK" && !memcmp(b + at, "@RSYNCD: OK\n", len))
			return (long)(at + len);
		/* A challenge, an error, an exit: what rsync itself must see. */
		if (b[at] == '@')
			return -1;
		at += len;	/* the motd */
	}
}

void
opening_hex(const char *b, size_t n, char *out)
{
	static const char digit[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		*out++ = digit[(unsigned char)b[i] >> 4];
		*out++ = digit[(unsigned char)b[i] & 15];
	}
	*out = '\0';
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long
opening_unhex(const char *hex, char *out)
{
	size_t n = 0;

	for (; hex[0] && hex[1] && n < OPENING_MAX; hex += 2) {
		int hi = nibble(hex[0]), lo = nibble(hex[1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[n++] = (char)(hi << 4 | lo);
	}
	if (*hex || !n || opening_len(out, n) != (long)n)
		return -1;
	return (long)n;
}
