/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "linkpass.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "push.h"
#include "rsync_argv.h"
#include "strv.h"
#include "treewalk.h"

#define PATHBUF 8192

void
moves_add(struct moves *m, const char *from, const char *to)
{
	if (m->n >= MOVES_MAX)
		return;
	struct move *v = realloc(m->v, (m->n + 1) * sizeof *v);
	if (!v)
		return;
	m->v = v;
	v[m->n].from = strdup(from);
	v[m->n].to = strdup(to);
	if (!v[m->n].from || !v[m->n].to) {
		move_free(&v[m->n]);
		return;
	}
	m->n++;
}

void
moves_append(struct moves *dst, const struct moves *src)
{
	for (size_t i = 0; i < src->n; i++)
		moves_add(dst, src->v[i].from, src->v[i].to);
}

bool
moves_take(struct moves *m, struct move *out)
{
	if (!m->n)
		return false;
	*out = m->v[0];
	memmove(m->v, m->v + 1, --m->n * sizeof *m->v);
	return true;
}

void
move_free(struct move *mv)
{
	free(mv->from);
	free(mv->to);
	mv->from = mv->to = NULL;
}

void
moves_clear(struct moves *m)
{
	for (size_t i = 0; i < m->n; i++)
		move_free(&m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

int
linkpass_link_dest(const char *from, const char *to, char *buf, size_t len)
{
	size_t o = 0;

	/* One ".." for each component of to climbs from DEST/to/ to DEST/. */
	for (const char *p = to; p; p = strchr(p + 1, '/')) {
		if (o + 3 >= len)
			return -1;
		memcpy(buf + o, "../", 3);
		o += 3;
	}
	int n = snprintf(buf + o, len - o, "%s", from);
	return n < 0 || (size_t)n >= len - o ? -1 : 0;
}

struct tree_list {
	struct buf *list;
	size_t skip;		/* strlen("to/") */
};

static void
add_sent(void *ctx, const char *path, bool is_dir, bool excluded)
{
	struct tree_list *t = ctx;

	(void)is_dir;
	if (excluded)
		return;
	buf_put(t->list, "./", 2);
	buf_put(t->list, path + t->skip, strlen(path + t->skip) + 1);
}

/* Every entry below SOURCE/to that a push would send, as "./sub" relative
 * to to, NUL-separated. */
static int
list_tree(const struct config *c, const char *to, struct buf *list)
{
	struct tree_list t = { list, strlen(to) + 1 };

	return tree_walk(c, to, true, add_sent, &t) < 0 || list->oom ? -1 : 0;
}

/* Hardlinked files share their data until a push replaces one by a new
 * file, as rsync does; one that writes into files in place would also
 * change the old copy, which a mirror without deletions keeps. */
static bool
writes_in_place(const struct config *c)
{
	for (char **o = c->rsync_options; o && *o; o++)
		if (!strcmp(*o, "--inplace") || !strncmp(*o, "--append", 8))
			return true;
	return false;
}

bool
linkpass_names_safe(const struct remote_conf *r, const char *path)
{
	if (r->kind == TARGET_LOCAL)
		return true;
	if (r->kind == TARGET_RSYNCD)
		return !strpbrk(path, "*?[");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p < 0x80 && !isalnum(*p) && !strchr("._-+/@%=,:~", *p))
			return false;
	return true;
}

struct child *
linkpass_start(struct loop *l, const struct config *c, const struct remote_conf *r,
    const struct move *mv, child_exit_fn on_exit, void *ctx)
{
	char dest[PATHBUF], label[128];
	struct buf list = { 0 };
	char **argv = NULL;
	struct child *ch = NULL;

	if (writes_in_place(c) || !linkpass_names_safe(r, mv->to) ||
	    !linkpass_names_safe(r, mv->from))
		return NULL;
	snprintf(label, sizeof label, "%s link pass", r->name);
	if (linkpass_link_dest(mv->from, mv->to, dest, sizeof dest) < 0 ||
	    list_tree(c, mv->to, &list) < 0 ||
	    !(argv = rsync_argv_link(c, r, mv->to, dest, log_verbose()))) {
		log_warn("%s: cannot prepare it (path too long or out of memory)", label);
		buf_free(&list);
		return NULL;
	}
	if (!list.len) {
		buf_free(&list);	/* an empty directory: nothing to link */
		strv_free(argv);
		return NULL;
	}
	ch = push_run(l, r, argv, list.p, list.len, label, false, on_exit, ctx);
	strv_free(argv);
	return ch;
}
