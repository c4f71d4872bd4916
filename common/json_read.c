/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "json_read.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Deeper than any status: a hostile text must not exhaust the stack. */
#define DEPTH_MAX 32

struct reader {
	const char *p;
};

static void
skip_space(struct reader *r)
{
	r->p += strspn(r->p, " \t\r\n");
}

/* Takes c if it comes next; never steps past the end. */
static bool
eat(struct reader *r, char c)
{
	if (*r->p != c)
		return false;
	r->p++;
	return true;
}

static int
hex4(const char *p, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
		    c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
		    c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (d == 16)
			return -1;
		*out = *out * 16 + d;
	}
	return 0;
}

/* A string at r->p (after its quote); NULL if malformed. */
static char *
read_string(struct reader *r)
{
	size_t len = 0;
	unsigned u;

	/* Its end first: what it holds is never longer than how it is written. */
	while (r->p[len] && r->p[len] != '"')
		len += r->p[len] == '\\' && r->p[len + 1] ? 2 : 1;
	char *s = malloc(len + 1), *o = s;
	const char *end = r->p + len;
	if (!s || !*end)
		goto bad;
	while (r->p < end) {
		char c = *r->p++;
		if ((unsigned char)c < 0x20)
			goto bad;
		if (c != '\\') {
			*o++ = c;
			continue;
		}
		c = *r->p++;
		switch (c) {
		case '"': case '\\': case '/': *o++ = c; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (end - r->p < 4 || hex4(r->p, &u) < 0 || !u)
				goto bad;
			r->p += 4;
			if (u < 0x100) {
				*o++ = (char)u;
			} else if (u < 0x800) {
				*o++ = (char)(0xc0 | u >> 6);
				*o++ = (char)(0x80 | (u & 0x3f));
			} else {
				*o++ = (char)(0xe0 | u >> 12);
				*o++ = (char)(0x80 | (u >> 6 & 0x3f));
				*o++ = (char)(0x80 | (u & 0x3f));
			}
			break;
		default:
			goto bad;
		}
	}
	*o = '\0';
	r->p = end + 1;
	return s;
bad:
	free(s);
	return NULL;
}

static struct jnode *read_value(struct reader *r, int depth);

/* The members of an array or object, up to close. */
static int
read_members(struct reader *r, struct jnode *n, char close, int depth)
{
	struct jnode **tail = &n->child;

	skip_space(r);
	if (eat(r, close))
		return 0;
	for (;;) {
		char *key = NULL;
		skip_space(r);
		if (close == '}') {
			if (!eat(r, '"') || !(key = read_string(r)))
				return -1;
			skip_space(r);
			if (!eat(r, ':')) {
				free(key);
				return -1;
			}
		}
		struct jnode *m = read_value(r, depth + 1);
		if (!m) {
			free(key);
			return -1;
		}
		m->key = key;
		*tail = m;
		tail = &m->next;
		skip_space(r);
		if (eat(r, ','))
			continue;
		return eat(r, close) ? 0 : -1;
	}
}

static struct jnode *
read_value(struct reader *r, int depth)
{
	struct jnode *n = calloc(1, sizeof *n);
	char *end;

	if (!n || depth > DEPTH_MAX)
		goto bad;
	skip_space(r);
	switch (*r->p) {
	case '{':
	case '[':
		n->type = *r->p == '{' ? J_OBJ : J_ARR;
		r->p++;
		if (read_members(r, n, n->type == J_OBJ ? '}' : ']', depth) < 0)
			goto bad;
		return n;
	case '"':
		r->p++;
		n->type = J_STR;
		if (!(n->str = read_string(r)))
			goto bad;
		return n;
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = { "true", "false", "null" };
		for (int i = 0; i < 3; i++)
			if (!strncmp(r->p, words[i], strlen(words[i]))) {
				n->type = i < 2 ? J_BOOL : J_NULL;
				n->num = i == 0;
				r->p += strlen(words[i]);
				return n;
			}
		goto bad;
	}
	default:
		n->type = J_NUM;
		n->num = strtod(r->p, &end);
		if (end == r->p || !*r->p || !strchr("-0123456789", *r->p))
			goto bad;
		r->p = end;
		return n;
	}
bad:
	json_free(n);
	return NULL;
}

struct jnode *
json_parse(const char *text)
{
	struct reader r = { text };
	struct jnode *n = read_value(&r, 0);

	if (n)
		skip_space(&r);
	if (n && *r.p) {
		json_free(n);
		return NULL;
	}
	return n;
}

void
json_free(struct jnode *n)
{
	while (n) {
		struct jnode *next = n->next;
		json_free(n->child);
		free(n->key);
		free(n->str);
		free(n);
		n = next;
	}
}

const struct jnode *
json_get(const struct jnode *obj, const char *key)
{
	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (const struct jnode *m = obj->child; m; m = m->next)
		if (m->key && !strcmp(m->key, key))
			return m;
	return NULL;
}
