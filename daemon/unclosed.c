/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unclosed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#define PATHBUF 8192

/* A read lease is refused (EAGAIN) while the file is open for writing
 * anywhere: the one question the kernel answers without a scan of
 * /proc/PID/fd.  It is dropped at once, so a writer that opens the file
 * meanwhile waits microseconds (the lease break's SIGIO stays blocked in
 * the worker).  O_NONBLOCK: an open that would break another program's
 * lease fails instead of waiting for it. */
int
unclosed_has_writer(const char *abs)
{
	int fd = open(abs, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	int rc = fcntl(fd, F_SETLEASE, F_RDLCK), e = errno;
	if (rc == 0)
		fcntl(fd, F_SETLEASE, F_UNLCK);
	close(fd);
	return rc == 0 ? 0 : e == EAGAIN ? 1 : -1;
}

void
unclosed_init(struct unclosed *u, uint64_t quiet_ms, uint64_t max_ms)
{
	ptree_init(&u->index);
	u->v = NULL;
	u->n = u->cap = 0;
	u->quiet_ms = quiet_ms;
	u->max_ms = max_ms;
}

void
unclosed_free(struct unclosed *u)
{
	ptree_clear(&u->index);
	free(u->v);
	u->v = NULL;
	u->n = u->cap = 0;
}

static struct unclosed_file *
find(const struct unclosed *u, const char *rel)
{
	const struct pnode *node = u->n ? ptree_lookup(&u->index, rel) : NULL;

	return node && node->flags ? &u->v[node->ival] : NULL;
}

bool
unclosed_touch(struct unclosed *u, const char *rel, uint64_t now)
{
	struct unclosed_file *f = find(u, rel);

	if (f)
		f->last = now;
	return f != NULL;
}

int
unclosed_add(struct unclosed *u, const char *rel, uint64_t now)
{
	if (unclosed_touch(u, rel, now))
		return 0;
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct unclosed_file *v = realloc(u->v, cap * sizeof *v);
		if (!v)
			return -1;
		u->v = v;
		u->cap = cap;
	}
	struct pnode *node = ptree_make(&u->index, rel);
	if (!node)
		return -1;
	node->flags = 1;
	node->ival = (int32_t)u->n;
	u->v[u->n++] = (struct unclosed_file){ node, now, now };
	return 0;
}

static void
remove_at(struct unclosed *u, size_t i)
{
	struct pnode *node = u->v[i].node;

	node->flags = 0;
	ptree_prune(&u->index, node);
	u->v[i] = u->v[--u->n];
	if (i < u->n)
		u->v[i].node->ival = (int32_t)i;
}

void
unclosed_forget(struct unclosed *u, const char *rel)
{
	const struct pnode *top = u->n ? ptree_lookup(&u->index, rel) : NULL;

	if (!top)
		return;
	if (!top->child) {
		if (top->flags)
			remove_at(u, (size_t)top->ival);
		return;
	}
	/* A directory: what waits below it now has another name, or none. */
	for (size_t i = 0; i < u->n;)
		if (ptree_is_below(u->v[i].node, top))
			remove_at(u, i);
		else
			i++;
}

uint64_t
unclosed_expire(struct unclosed *u, uint64_t now, bool all, unclosed_fn fn, void *ctx)
{
	char rel[PATHBUF];
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < u->n;) {
		const struct unclosed_file *f = &u->v[i];
		uint64_t due = f->last + u->quiet_ms;
		if (f->first + u->max_ms < due)
			due = f->first + u->max_ms;
		if (!all && due > now) {
			if (due - now < next)
				next = due - now;
			i++;
			continue;
		}
		if (ptree_path(f->node, rel, sizeof rel) >= 0)
			fn(ctx, rel);
		remove_at(u, i);
	}
	return next;
}
