#include "batch.h"

void
batch_init(struct batch *b, uint64_t settle_ms, uint64_t max_delay_ms, size_t max_files)
{
	b->settle_ms = settle_ms;
	b->max_delay_ms = max_delay_ms;
	b->max_files = max_files;
	batch_reset(b);
}

bool
batch_note(struct batch *b, uint64_t now, size_t entries)
{
	if (!b->first)
		b->first = now;
	b->last = now;
	return entries >= b->max_files;
}

uint64_t
batch_due_in(const struct batch *b, uint64_t now, bool mirror_free)
{
	if (!b->first)
		return UINT64_MAX;
	uint64_t due = (mirror_free ? b->first : b->last) + b->settle_ms;
	if (b->first + b->max_delay_ms < due)
		due = b->first + b->max_delay_ms;
	return due > now ? due - now : 0;
}

void
batch_reset(struct batch *b)
{
	b->first = b->last = 0;
}
