/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How long to wait before the next attempt after failures in a row:
 * min_backoff doubling up to max_backoff, with jitter so that things that
 * failed together (mirrors, hooks) do not retry in step. */
#ifndef SYNCD_BACKOFF_H
#define SYNCD_BACKOFF_H

#include <stdint.h>
#include <stdlib.h>

#include "config.h"

static inline uint64_t
backoff_delay(const struct config *cfg, unsigned failures)
{
	uint64_t delay = cfg->min_backoff_ms;

	for (unsigned i = 1; i < failures && delay < cfg->max_backoff_ms; i++)
		delay *= 2;
	if (delay > cfg->max_backoff_ms)
		delay = cfg->max_backoff_ms;
	return delay - delay / 4 + (delay / 2 ? (uint64_t)random() % (delay / 2 + 1) : 0);
}

#endif
