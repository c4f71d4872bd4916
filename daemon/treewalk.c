/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "treewalk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "filter.h"
#include "log.h"
#include "pathtree.h"

#define PATHBUF 8192

struct walk_item {
	char *path;
	void *dir;
};

struct walk_stack {
	struct walk_item *v;
	size_t n, cap;
	bool oom;
};

static void
stack_push(struct walk_stack *s, const char *path, void *dir)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct walk_item *v = realloc(s->v, cap * sizeof *v);
		if (!v) {
			s->oom = true;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	char *p = strdup(path);
	if (!p) {
		s->oom = true;
		return;
	}
	s->v[s->n].path = p;
	s->v[s->n++].dir = dir;
}

/* Reads one directory, pushing what entry walks into; false if it could
 * not be read. */
static bool
read_dir(const struct config *c, struct walk_item *it, const struct tree_walker *tw,
    struct walk_stack *s)
{
	char abs[PATHBUF], path[PATHBUF];

	errno = ENAMETOOLONG;
	if (!config_source_path(c, it->path, abs, sizeof abs))
		goto warn;
	if (tw->enter && !tw->enter(tw->ctx, it->dir, it->path, abs))
		return true;
	DIR *d = opendir(abs);
	if (!d)
		goto warn;
	struct dirent *de;
	size_t rl = strlen(it->path);
	memcpy(path, it->path, rl + 1);	/* it fit abs, so it fits path */
	while ((de = readdir(d)) && !s->oom) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (tw->dirs_only && de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		/* Below a directory that could be opened, a name fits. */
		if (path_append(path, rl, sizeof path, de->d_name) < 0)
			continue;
		bool is_dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;
			is_dir = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISDIR(st.st_mode);
		}
		if (tw->dirs_only && !is_dir)
			continue;
		bool excluded = filter_excluded(c->filter, path, is_dir);
		void *sub = tw->entry(tw->ctx, it->dir, path, de->d_name, is_dir, excluded);
		if (sub && is_dir)
			stack_push(s, path, sub);
	}
	closedir(d);
	return true;
warn:
	if (errno != ENOENT && errno != ENOTDIR)
		log_warn("cannot read %s/%s: %s", c->source, it->path, strerror(errno));
	return false;
}

int
tree_walk_with(const struct config *c, const char *dir, void *top, const struct tree_walker *tw)
{
	struct walk_stack s = { 0 };

	stack_push(&s, dir, top);
	while (s.n > 0) {
		struct walk_item it = s.v[--s.n];
		bool complete = !s.oom && read_dir(c, &it, tw, &s);
		if (tw->leave)
			tw->leave(tw->ctx, it.dir, complete);
		free(it.path);
	}
	free(s.v);
	return s.oom ? -1 : 0;
}

struct visit_ctx {
	tree_visit_fn visit;
	void *ctx;
	bool recursive;
};

static void *
visit_entry(void *ctx, void *dir, const char *path, const char *name, bool is_dir, bool excluded)
{
	struct visit_ctx *v = ctx;

	v->visit(v->ctx, path, is_dir, excluded);
	return v->recursive && !excluded ? v : NULL;
}

int
tree_walk(const struct config *c, const char *dir, bool recursive, tree_visit_fn visit, void *ctx)
{
	struct visit_ctx v = { visit, ctx, recursive };
	struct tree_walker tw = { .entry = visit_entry, .ctx = &v };

	return tree_walk_with(c, dir, &v, &tw);
}
