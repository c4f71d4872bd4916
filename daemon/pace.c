/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sched.h>

#include "pace.h"

void
pace_init(struct pace *p, unsigned n, uint64_t window_ms)
{
	*p = (struct pace){ .n = n < 1 ? 1 : n > PACE_MAX ? PACE_MAX : n, .window_ms = window_ms };
}

uint64_t
pace_wait(const struct pace *p, uint64_t now)
{
	uint64_t oldest = p->at[p->next];	/* of the last n */

	if (p->used < p->n || now >= oldest + p->window_ms)
		return 0;
	return oldest + p->window_ms - now;
}

void
pace_note(struct pace *p, uint64_t now)
{
	p->at[p->next] = now;
	p->next = (p->next + 1) % p->n;
	if (p->used < p->n)
		p->used++;
}

unsigned
pace_cpus(void)
{
	cpu_set_t set;
	int n;

	/* Not the machine's count: a worker pinned by its unit's
	 * CPUAffinity= or by taskset has only its own. */
	if (sched_getaffinity(0, sizeof set, &set) < 0 || (n = CPU_COUNT(&set)) < 1)
		return 1;
	return n > PACE_MAX ? PACE_MAX : (unsigned)n;
}
