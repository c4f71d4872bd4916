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
#include "strv.h"

#define PATHBUF 8192

int
tree_walk(const struct config *c, const char *dir, bool recursive, tree_visit_fn visit, void *ctx)
{
	struct strv todo = { 0 };
	char abs[PATHBUF], path[PATHBUF];

	strv_add(&todo, dir);
	while (todo.n > 0 && !todo.oom) {
		char *rel = todo.v[--todo.n];
		todo.v[todo.n] = NULL;
		errno = ENAMETOOLONG;
		DIR *d = config_source_path(c, rel, abs, sizeof abs) ? opendir(abs) : NULL;
		if (!d) {
			if (errno != ENOENT && errno != ENOTDIR)
				log_warn("cannot read %s/%s: %s", c->source, rel, strerror(errno));
			free(rel);
			continue;
		}
		struct dirent *de;
		size_t rl = strlen(rel);
		memcpy(path, rel, rl + 1);	/* rel fit abs, so it fits path */
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
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
			bool excluded = filter_excluded(c->filter, path, is_dir);
			visit(ctx, path, is_dir, excluded);
			if (!excluded && is_dir && recursive)
				strv_add(&todo, path);
		}
		closedir(d);
		free(rel);
	}
	int rc = todo.oom ? -1 : 0;
	strv_free(strv_steal(&todo));
	return rc;
}
