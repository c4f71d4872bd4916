/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SYNCD_DURATION_H
#define SYNCD_DURATION_H

#include <stdint.h>

/* Parses "250ms", "5s", "10min", "2h", "1d" (a bare number is seconds) into
 * milliseconds.  Returns 0 on success, -1 with *why set on error. */
int duration_parse(const char *s, uint64_t *ms, const char **why);

/* Formats ms in the largest whole unit, so duration_parse reads it back
 * ("10min", "1500ms"). */
void duration_format(uint64_t ms, char *buf, unsigned len);

#endif
