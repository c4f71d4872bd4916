/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NULL-terminated string vectors: argv for the programs we spawn (never a
 * shell command line) and the whitespace-split lists of the config. */
#ifndef SYNCD_STRV_H
#define SYNCD_STRV_H

#include <stddef.h>

struct strv {
	char **v;		/* always NULL-terminated once anything was added */
	size_t n, cap;
	int oom;		/* an add failed: the vector is incomplete */
};

void strv_add(struct strv *s, const char *str);
void strv_addf(struct strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strv_addv(struct strv *s, char *const *v);
/* Hands over the vector (NULL when an add failed) and resets s. */
char **strv_steal(struct strv *s);
void strv_free(char **v);
/* Splits on spaces and tabs; NULL on ENOMEM. */
char **strv_split(const char *str);
char **strv_dup(char *const *v);

#endif
