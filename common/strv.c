/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "strv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
strv_push(struct strv *s, char *str)
{
	if (!str || s->oom) {
		free(str);
		s->oom = 1;
		return;
	}
	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->v, cap * sizeof *v);
		if (!v) {
			free(str);
			s->oom = 1;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void
strv_add(struct strv *s, const char *str)
{
	strv_push(s, str ? strdup(str) : NULL);
}

void
strv_addf(struct strv *s, const char *fmt, ...)
{
	char *str = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&str, fmt, ap) < 0)
		str = NULL;
	va_end(ap);
	strv_push(s, str);
}

void
strv_addv(struct strv *s, char *const *v)
{
	for (; v && *v; v++)
		strv_add(s, *v);
}

char **
strv_steal(struct strv *s)
{
	char **v = s->v;

	if (s->oom) {
		strv_free(v);
		v = NULL;
	} else if (!v) {
		v = calloc(1, sizeof *v);
	}
	s->v = NULL;
	s->n = s->cap = 0;
	s->oom = 0;
	return v;
}

void
strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

char **
strv_split(const char *str)
{
	struct strv s = { 0 };

	while (*str) {
		size_t skip = strspn(str, " \t"), len;
		str += skip;
		len = strcspn(str, " \t");
		if (len)
			strv_push(&s, strndup(str, len));
		str += len;
	}
	return strv_steal(&s);
}

char **
strv_dup(char *const *v)
{
	struct strv s = { 0 };

	strv_addv(&s, v);
	return strv_steal(&s);
}
