/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "excludes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "treewalk.h"

static void
put(struct excludes *e, const char *s, size_t n)
{
	buf_put(&e->rules, s, n);
}

static void
end_rule(struct excludes *e)
{
	put(e, "", 1);
}

void
excludes_init(struct excludes *e, const struct config *c)
{
	memset(e, 0, sizeof *e);
	for (size_t i = 0; i < filter_glob_count(c->filter); i++) {
		const char *g = filter_glob(c->filter, i);
		put(e, "- ", 2);
		put(e, g, strlen(g));
		end_rule(e);
	}
}

void
excludes_add_anchored(struct excludes *e, char sign, const char *path, const char *tail)
{
	bool wild = strpbrk(path, "*?[") || strpbrk(tail, "*?[");
	char head[3] = { sign, ' ', '/' };

	put(e, head, 3);
	for (const char *p = path; *p; p++) {
		if (wild && strchr("*?[\\", *p))
			put(e, "\\", 1);
		put(e, p, 1);
	}
	if (!*path && *tail == '/')
		tail++;		/* a slash and a star after the root's own one */
	put(e, tail, strlen(tail));
	end_rule(e);
}

void
excludes_add_exact(struct excludes *e, const char *path)
{
	excludes_add_anchored(e, '-', path, "");
}

static void
add_excluded(void *ctx, const char *path, bool is_dir, bool excluded)
{
	(void)is_dir;
	if (excluded)
		excludes_add_exact(ctx, path);
}

void
excludes_scan(struct excludes *e, const struct config *c, const char *dir, bool recursive)
{
	if (tree_walk(c, dir, recursive, add_excluded, e) < 0)
		e->rules.oom = 1;
}

int
excludes_write(struct excludes *e, const char *file)
{
	if (e->rules.oom) {
		log_err("%s: out of memory building the exclude rules", file);
		return -1;
	}
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_err("cannot create %s: %s", file, strerror(errno));
		return -1;
	}
	if (write_all(fd, e->rules.p, e->rules.len) < 0) {
		log_err("cannot write %s: %s", file, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		log_err("cannot write %s: %s", file, strerror(errno));
		return -1;
	}
	return 0;
}

void
excludes_free(struct excludes *e)
{
	buf_free(&e->rules);
}
