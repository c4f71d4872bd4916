/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The worker's live figures, for people (text) and for tools (JSON). */
#ifndef SYNCD_STATUS_H
#define SYNCD_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct worker;

void status_text(const struct worker *w, FILE *f);
/* One JSON object and a newline.  Strings are escaped; bytes that are not
 * printable ASCII become \u00XX. */
void status_json(const struct worker *w, FILE *f);
/* Wall ms as "2025-01-31T12:00:00Z". */
void status_time(uint64_t wall, char *buf, size_t len);

#endif
