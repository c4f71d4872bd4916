#include "excludes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "strv.h"

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

/* An anchored rule matching exactly this path.  rsync reads backslashes as
 * escapes only in patterns that hold a wildcard character. */
static void
add_exact(struct excludes *e, const char *path)
{
	bool wild = strpbrk(path, "*?[") != NULL;

	put(e, "- /", 3);
	for (const char *p = path; *p; p++) {
		if (wild && strchr("*?[\\", *p))
			put(e, "\\", 1);
		put(e, p, 1);
	}
	end_rule(e);
}

void
excludes_scan(struct excludes *e, const struct config *c, const char *dir, bool recursive)
{
	struct strv todo = { 0 };
	char *abs = NULL;

	strv_add(&todo, dir);
	while (todo.n > 0 && !todo.oom) {
		char *rel = todo.v[--todo.n];
		todo.v[todo.n] = NULL;
		free(abs);
		if (asprintf(&abs, "%s%s%s", c->source, *rel ? "/" : "", rel) < 0) {
			abs = NULL;
			free(rel);
			e->rules.oom = 1;
			break;
		}
		DIR *d = opendir(abs);
		if (!d) {
			/* Gone or replaced since the change was seen: rsync will
			 * see the same and delete or skip it. */
			if (errno != ENOENT && errno != ENOTDIR)
				log_warn("cannot read %s: %s", abs, strerror(errno));
			free(rel);
			continue;
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char *path;
			if (asprintf(&path, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0) {
				e->rules.oom = 1;
				break;
			}
			bool is_dir = de->d_type == DT_DIR;
			if (de->d_type == DT_UNKNOWN) {
				struct stat st;
				is_dir = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISDIR(st.st_mode);
			}
			if (filter_excluded(c->filter, path, is_dir))
				add_exact(e, path);
			else if (is_dir && recursive)
				strv_add(&todo, path);
			free(path);
		}
		closedir(d);
		free(rel);
	}
	free(abs);
	if (todo.oom)
		e->rules.oom = 1;
	strv_free(strv_steal(&todo));
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
