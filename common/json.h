/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The little JSON writing that status --json needs. */
#ifndef SYNCD_JSON_H
#define SYNCD_JSON_H

#include <stdio.h>

/* A JSON string; bytes that are not printable ASCII (invalid UTF-8 in a
 * file name) become \u00XX so the output is always valid JSON. */
void json_str(FILE *f, const char *s);

#endif
