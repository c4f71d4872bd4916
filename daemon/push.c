#include "push.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "excludes.h"
#include "log.h"
#include "rsync_argv.h"
#include "strv.h"
#include "treewalk.h"

#define PATHBUF 8192

/* Each path goes in as "./path": rsync's --files-from skips lines that
 * start with '#' or ';' as comments, even NUL-separated ones. */
static void
list_add(struct buf *l, const char *path, size_t n, bool slash)
{
	buf_put(l, "./", 2);
	buf_put(l, path, n);
	if (slash && n)
		buf_put(l, "/", 1);
	buf_put(l, "", 1);
}

void
push_log_argv(const char *label, char *const *argv)
{
	char line[8192], q[2048];
	size_t o = 0;

	if (!log_verbose())
		return;
	for (; *argv && o < sizeof line - 1; argv++) {
		log_quote(*argv, q, sizeof q);
		bool plain = *q && !strpbrk(q, " \t'\"$`*?[;&|<>()");
		int n = snprintf(line + o, sizeof line - o, plain ? "%s%s" : "%s'%s'", o ? " " : "", q);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	log_debug("%s: running %s", label, line);
}

static struct child *
start(struct loop *l, const struct config *c, const struct remote_conf *r, enum rsync_mode mode,
    const char *exclude_file, char *input, size_t input_len, child_exit_fn on_exit, void *ctx)
{
	char label[128];
	char **argv = rsync_argv(c, r, mode, exclude_file, log_verbose());

	snprintf(label, sizeof label, "%s %s", r->name, mode == RSYNC_FULL ? "full sync" :
	    mode == RSYNC_PRUNE ? "prune" : mode == RSYNC_VERIFY ? "verify" : "push");
	if (!argv) {
		log_err("%s: out of memory building the rsync command", label);
		free(input);
		return NULL;
	}
	push_log_argv(label, argv);
	struct child *ch = child_spawn(l, argv, NULL, input, input_len, label, on_exit, ctx);
	strv_free(argv);
	return ch;
}

/* Lists the entries of cs: "path" or "dir/"; below a path that is gone
 * nothing is listed, its deletion on the mirror takes it all. */
static void
list_entries(const struct config *c, const struct changeset *cs, bool root_dir,
    struct buf *list, struct excludes *ex, size_t *paths)
{
	char rel[PATHBUF], abs[PATHBUF];
	bool regex = filter_has_regex(c->filter);
	const struct pnode *top = &cs->tree.root;

	if (root_dir) {
		list_add(list, "", 0, false);
		(*paths)++;
		if (regex)
			excludes_scan(ex, c, "", false);
	}
	for (const struct pnode *n = top->child; n;) {
		const struct pnode *next = ptree_next(n, top);
		long len;
		if ((!n->flags && !n->child) || (len = ptree_path(n, rel, sizeof rel)) < 0) {
			n = next;
			continue;
		}
		struct stat st;
		bool have_stat = false, is_dir = false;
		if (((n->flags & CH_DIR) || n->child) && config_source_path(c, rel, abs, sizeof abs)) {
			have_stat = lstat(abs, &st) == 0;
			is_dir = have_stat && S_ISDIR(st.st_mode);
		}
		bool dir = (n->flags & CH_DIR) && is_dir;
		if (n->flags) {
			list_add(list, rel, (size_t)len, dir);
			(*paths)++;
		}
		if (dir && regex)
			excludes_scan(ex, c, rel, false);
		if (n->child && !is_dir && (have_stat || errno == ENOENT || errno == ENOTDIR)) {
			/* Gone, or now a file or a symlink: its own push or
			 * deletion settles everything below it (a directory
			 * that went had its deletion reported), and listing a
			 * path through a file is an error to rsync, through a
			 * symlink it would send what that points to.  Also when
			 * only entries below it are listed: the one above may
			 * have been pushed in an earlier batch. */
			const struct pnode *skip = n;
			next = NULL;
			for (; skip != top && !next; skip = skip->parent)
				next = skip->next;
		}
		n = next;
	}
}

/* Into out, as CH_DIR entries, the nearest existing parent of every path
 * of cs that is gone; *root_dir is set when that parent is the root. */
static int
parents_of_deletions(const struct config *c, const struct changeset *cs, struct changeset *out,
    bool *root_dir)
{
	char rel[PATHBUF], abs[PATHBUF];
	const struct pnode *top = &cs->tree.root;
	struct stat st;

	for (const struct pnode *n = top->child; n; n = ptree_next(n, top)) {
		if (!n->flags || ptree_path(n, rel, sizeof rel) < 0)
			continue;
		if (!config_source_path(c, rel, abs, sizeof abs) || lstat(abs, &st) == 0 ||
		    (errno != ENOENT && errno != ENOTDIR))
			continue;
		for (;;) {
			char *slash = strrchr(rel, '/');
			if (!slash) {
				*root_dir = true;
				break;
			}
			*slash = '\0';
			if (config_source_path(c, rel, abs, sizeof abs) && lstat(abs, &st) == 0) {
				if (changeset_add(out, rel, CH_DIR, n->uval) < 0)
					return -1;
				break;
			}
		}
	}
	return 0;
}

/* Writes the rules of ex (or none) and starts the run of list. */
static struct child *
start_listed(struct loop *l, const struct config *c, const struct remote_conf *r,
    enum rsync_mode mode, struct buf *list, struct excludes *ex, const char *exclude_file,
    child_exit_fn on_exit, void *ctx)
{
	int rc = 0;

	if (list->oom) {
		log_err("%s: out of memory building the path list", r->name);
		rc = -1;
	} else if (ex->rules.len && exclude_file) {
		rc = excludes_write(ex, exclude_file);
	} else {
		/* No rules, no file: mirroring then needs nothing written locally. */
		exclude_file = NULL;
	}
	excludes_free(ex);
	if (rc < 0) {
		buf_free(list);
		return NULL;
	}
	return start(l, c, r, mode, exclude_file, list->p, list->len, on_exit, ctx);
}

struct child *
push_batch(struct loop *l, const struct config *c, const struct remote_conf *r,
    const struct changeset *cs, bool keep_missing, const char *exclude_file, size_t *paths,
    child_exit_fn on_exit, void *ctx)
{
	struct buf list = { 0 };
	struct excludes ex;

	excludes_init(&ex, c);
	*paths = 0;
	list_entries(c, cs, false, &list, &ex, paths);
	return start_listed(l, c, r, keep_missing ? RSYNC_PUSH_KEEP : RSYNC_PUSH, &list, &ex,
	    exclude_file, on_exit, ctx);
}

struct child *
push_deletions(struct loop *l, const struct config *c, const struct remote_conf *r,
    const struct changeset *cs, const char *exclude_file, size_t *paths, child_exit_fn on_exit,
    void *ctx)
{
	struct buf list = { 0 };
	struct excludes ex;
	struct changeset parents;
	bool root_dir = false;

	*paths = 0;
	changeset_init(&parents);
	excludes_init(&ex, c);
	if (parents_of_deletions(c, cs, &parents, &root_dir) < 0)
		list.oom = 1;
	else
		list_entries(c, &parents, root_dir, &list, &ex, paths);
	changeset_clear(&parents);
	if (!*paths) {
		excludes_free(&ex);
		buf_free(&list);
		return NULL;
	}
	return start_listed(l, c, r, RSYNC_PRUNE, &list, &ex, exclude_file, on_exit, ctx);
}

struct dir_list {
	struct buf *list;
	struct excludes *ex;
	bool regex;
};

static void
add_dir(void *ctx, const char *path, bool is_dir, bool excluded)
{
	struct dir_list *d = ctx;

	if (is_dir && !excluded)
		list_add(d->list, path, strlen(path), true);
	else if (excluded && d->regex)
		excludes_add_exact(d->ex, path);
}

struct child *
push_prune_tree(struct loop *l, const struct config *c, const struct remote_conf *r,
    const char *dir, const char *exclude_file, child_exit_fn on_exit, void *ctx)
{
	struct buf list = { 0 };
	struct excludes ex;
	struct dir_list d = { &list, &ex, filter_has_regex(c->filter) };

	excludes_init(&ex, c);
	list_add(&list, dir, strlen(dir), true);
	if (tree_walk(c, dir, true, add_dir, &d) < 0)
		list.oom = 1;
	return start_listed(l, c, r, RSYNC_PRUNE, &list, &ex, exclude_file, on_exit, ctx);
}

/* A run over the whole tree, RSYNC_FULL or RSYNC_VERIFY: both exclude
 * exactly what live pushes exclude. */
static struct child *
whole_tree(struct loop *l, const struct config *c, const struct remote_conf *r,
    enum rsync_mode mode, const char *exclude_file, child_exit_fn on_exit, void *ctx)
{
	struct excludes ex;

	excludes_init(&ex, c);
	if (filter_has_regex(c->filter))
		excludes_scan(&ex, c, "", true);
	if (!ex.rules.len)
		exclude_file = NULL;
	int rc = exclude_file ? excludes_write(&ex, exclude_file) : 0;
	excludes_free(&ex);
	if (rc < 0)
		return NULL;
	return start(l, c, r, mode, exclude_file, NULL, 0, on_exit, ctx);
}

struct child *
push_full(struct loop *l, const struct config *c, const struct remote_conf *r,
    const char *exclude_file, child_exit_fn on_exit, void *ctx)
{
	return whole_tree(l, c, r, RSYNC_FULL, exclude_file, on_exit, ctx);
}

struct child *
push_verify(struct loop *l, const struct config *c, const struct remote_conf *r,
    const char *exclude_file, child_exit_fn on_exit, void *ctx)
{
	return whole_tree(l, c, r, RSYNC_VERIFY, exclude_file, on_exit, ctx);
}
