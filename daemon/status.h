/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The worker's live figures, for people (text), for tools (JSON) and for
 * monitoring (metrics), all from the table of common/field.h. */
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
/* Prometheus' text format 0.0.4: the instance's, its remotes' and its
 * hooks' figures (see common/field.c), computed now. */
void status_metrics(const struct worker *w, FILE *f);
/* Wall ms as "2025-01-31T12:00:00Z". */
void status_time(uint64_t wall, char *buf, size_t len);

#endif
