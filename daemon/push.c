/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "push.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "connector.h"
#include "excludes.h"
#include "fsutil.h"
#include "log.h"
#include "opening.h"
#include "preconnect.h"
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

/* rsync's --timeout ends a run whose connection carried nothing for the
 * remote's timeout, and a live run sends keep-alives at half that: a run
 * that moved nothing for twice as long is stuck where rsync's own timeout
 * cannot see (a wrapper, an ssh before rsync speaks), and rsync's own,
 * clearer error comes first wherever it can. */
#define STALL_TIMEOUTS 2

/* For -v: the argv on one line, each word quoted where needed. */
static void
log_argv(const char *label, char *const *argv)
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

struct child *
push_run(struct loop *l, const struct remote_conf *r, char *const *argv, char *input,
    size_t input_len, const char *label, bool learn, child_exit_fn on_exit, void *ctx)
{
	const char *sent, *vars[4] = { 0 };
	size_t sent_len = 0, n = 0;
	char *sent_var = NULL, *learn_var = NULL, **env = NULL;

	log_argv(label, argv);
	int fd = r->pre ? preconn_take(r->pre, learn, &sent, &sent_len) : -1;
	if (fd >= 0)
		vars[n++] = CONNECTOR_FD_ENV;
	if (sent_len && (sent_var = malloc(sizeof CONNECTOR_SENT_VAR + 2 * sent_len + 1))) {
		opening_hex(sent, sent_len, stpcpy(sent_var, CONNECTOR_SENT_VAR "="));
		vars[n++] = sent_var;
	}
	if (r->pre && learn) {
		if (asprintf(&learn_var, "%s=%s", CONNECTOR_LEARN_VAR, r->pre->learn_path) < 0)
			learn_var = NULL;
		else
			vars[n++] = learn_var;
	}
	/* Without the bytes sent the connector would misread the daemon. */
	bool unusable = sent_len && !sent_var;
	if (n)
		env = child_env_with(vars);
	free(sent_var);
	free(learn_var);
	if (fd >= 0 && (!env || unusable)) {
		close(fd);	/* out of memory: the run connects itself */
		fd = -1;
	}
	struct child *ch = child_spawn(l, argv, env, fd, input, input_len, label, on_exit, ctx);
	strv_free(env);
	if (fd >= 0)
		close(fd);
	if (ch)
		child_watch(ch, STALL_TIMEOUTS * r->timeout_ms);
	return ch;
}

/* from: RSYNC_DELETE's source. */
static struct child *
start(struct loop *l, const struct config *c, const struct remote_conf *r, enum rsync_mode mode,
    const char *exclude_file, const char *from, char *input, size_t input_len,
    child_exit_fn on_exit, void *ctx)
{
	char label[128];
	char **argv = mode == RSYNC_DELETE ?
	    rsync_argv_delete(c, r, exclude_file, log_verbose(), from) :
	    rsync_argv(c, r, mode, exclude_file, log_verbose());

	snprintf(label, sizeof label, "%s %s", r->name, mode == RSYNC_FULL ? "full sync" :
	    mode == RSYNC_PRUNE ? "prune" : mode == RSYNC_DELETE ? "delete" :
	    mode == RSYNC_VERIFY ? "verify" : "push");
	if (!argv) {
		log_err("%s: out of memory building the rsync command", label);
		free(input);
		return NULL;
	}
	struct child *ch = push_run(l, r, argv, input, input_len, label,
	    mode == RSYNC_PUSH || mode == RSYNC_PUSH_KEEP, on_exit, ctx);
	strv_free(argv);
	return ch;
}

/* Lists the entries of cs: "path" or "dir/"; below a path that is gone
 * nothing is listed, its deletion on the mirror takes it all.  With
 * skip_missing a path that is gone is not listed either. */
static void
list_entries(const struct config *c, const struct changeset *cs, bool skip_missing,
    struct buf *list, struct excludes *ex, size_t *paths)
{
	char rel[PATHBUF], abs[PATHBUF];
	bool regex = filter_has_regex(c->filter);
	const struct pnode *top = &cs->tree.root;

	for (const struct pnode *n = top->child; n;) {
		const struct pnode *next = ptree_next(n, top);
		long len;
		if ((!n->flags && !n->child) || (len = ptree_path(n, rel, sizeof rel)) < 0) {
			n = next;
			continue;
		}
		struct stat st;
		bool have_stat = false, is_dir = false;
		if (((n->flags & CH_DIR) || n->child || skip_missing) &&
		    config_source_path(c, rel, abs, sizeof abs)) {
			have_stat = lstat(abs, &st) == 0;
			is_dir = have_stat && S_ISDIR(st.st_mode);
		}
		bool dir = (n->flags & CH_DIR) && is_dir;
		if (n->flags && (have_stat || !skip_missing)) {
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

/* Writes the rules of ex (or none) and starts the run of list.  When it
 * cannot, *paths is not left 0: that means nothing to run. */
static struct child *
start_listed(struct loop *l, const struct config *c, const struct remote_conf *r,
    enum rsync_mode mode, struct buf *list, struct excludes *ex, const char *exclude_file,
    const char *from, size_t *paths, child_exit_fn on_exit, void *ctx)
{
	struct child *ch;
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
		ch = NULL;
	} else {
		ch = start(l, c, r, mode, exclude_file, from, list->p, list->len, on_exit, ctx);
	}
	if (!ch && !*paths)
		*paths = 1;
	return ch;
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
	list_entries(c, cs, keep_missing, &list, &ex, paths);
	if (!*paths && !list.oom) {
		excludes_free(&ex);
		buf_free(&list);
		return NULL;
	}
	return start_listed(l, c, r, keep_missing ? RSYNC_PUSH_KEEP : RSYNC_PUSH, &list, &ex,
	    exclude_file, NULL, paths, on_exit, ctx);
}

/* The deleted paths of cs, each in names as the child of its nearest
 * existing parent that leads to it (a/b for a deleted a/b/c when b is gone
 * too), and those parents, flagged, in parents (the root: its own
 * flag).  A deletion below what is now a file or a symlink is left out: the
 * push of that one replaces it all. */
static int
deletions(const struct config *c, const struct changeset *cs, struct ptree *names,
    struct ptree *parents)
{
	char rel[PATHBUF], abs[PATHBUF];
	const struct pnode *top = &cs->tree.root;
	struct stat st;

	for (const struct pnode *n = top->child; n; n = ptree_next(n, top)) {
		if (!n->flags || ptree_path(n, rel, sizeof rel) < 0 ||
		    !config_source_path(c, rel, abs, sizeof abs) || lstat(abs, &st) == 0 ||
		    (errno != ENOENT && errno != ENOTDIR))
			continue;
		char parent[PATHBUF];
		memcpy(parent, rel, strlen(rel) + 1);
		for (;;) {
			char *slash = strrchr(parent, '/');
			if (slash)
				*slash = '\0';
			else
				parent[0] = '\0';
			bool found = !*parent;
			if (!found && config_source_path(c, parent, abs, sizeof abs) &&
			    lstat(abs, &st) == 0) {
				if (!S_ISDIR(st.st_mode))
					break;
				found = true;
			}
			if (found) {
				struct pnode *a = ptree_make(names, rel), *b = ptree_make(parents, parent);
				if (!a || !b)
					return -1;
				a->flags = b->flags = 1;
				break;
			}
			memcpy(rel, parent, strlen(parent) + 1);	/* gone too: its name goes */
		}
	}
	return 0;
}

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	if (ftw->level > 0 && remove(path) < 0 && errno != ENOENT) {
		log_err("cannot remove %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* empty (made empty first: a crash may have left some) holds an empty
 * directory for each parent and the directories above it. */
static int
empty_copies(const char *empty, const struct ptree *parents)
{
	char rel[PATHBUF], abs[PATHBUF];

	if (nftw(empty, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return -1;
	for (const struct pnode *n = &parents->root; n; n = ptree_next(n, &parents->root)) {
		if (!n->flags || n->child)
			continue;	/* made with the ones below it */
		if (ptree_path(n, rel, sizeof rel) < 0 ||
		    snprintf(abs, sizeof abs, "%s/%s", empty, rel) >= (int)sizeof abs) {
			log_err("%s: path too long", empty);
			return -1;
		}
		if (make_dirs(abs, 0700) < 0)
			return -1;
	}
	return 0;
}

struct child *
push_deletions(struct loop *l, const struct config *c, const struct remote_conf *r,
    const struct changeset *cs, const char *exclude_file, const char *empty, size_t *paths,
    child_exit_fn on_exit, void *ctx)
{
	char rel[PATHBUF];
	const char *from = empty;
	struct buf list = { 0 };
	struct excludes ex;
	struct ptree names, parents;

	*paths = 0;
	ptree_init(&names);
	ptree_init(&parents);
	excludes_init(&ex, c);
	if (deletions(c, cs, &names, &parents) < 0)
		list.oom = 1;
	/* rsync reads only empty copies of the parents on this side: reading
	 * the source's, with an lstat of every entry, was two thirds of a
	 * deletion in a directory of 50,000 files (0.46 s of 0.65 s).  The
	 * source's do as well, only slower, when the copies cannot be made. */
	else if (names.count && empty_copies(empty, &parents) < 0)
		from = NULL;
	/* After the configured excludes, which keep what they match: the
	 * parents and the directories above them (rsync applies the rules to
	 * the listed names too), the deleted names, then nothing else of the
	 * parents.  Each parent is listed whole, but rsync sends no file list
	 * of it (on both ends it still reads it). */
	for (const struct pnode *n = parents.root.child; n; n = ptree_next(n, &parents.root))
		if (ptree_path(n, rel, sizeof rel) >= 0)
			excludes_add_anchored(&ex, '+', rel, "/");
	for (const struct pnode *n = &names.root; n; n = ptree_next(n, &names.root))
		if (n->flags && ptree_path(n, rel, sizeof rel) >= 0) {
			excludes_add_anchored(&ex, '+', rel, "");
			(*paths)++;
		}
	for (const struct pnode *n = &parents.root; n; n = ptree_next(n, &parents.root)) {
		long len = ptree_path(n, rel, sizeof rel);
		if (n->flags && len >= 0) {
			list_add(&list, rel, (size_t)len, true);
			excludes_add_anchored(&ex, '-', rel, "/*");
		}
	}
	ptree_clear(&names);
	ptree_clear(&parents);
	if (!*paths && !list.oom) {
		excludes_free(&ex);
		buf_free(&list);
		return NULL;
	}
	return start_listed(l, c, r, RSYNC_DELETE, &list, &ex, exclude_file, from, paths, on_exit,
	    ctx);
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

	size_t paths = 1;

	excludes_init(&ex, c);
	list_add(&list, dir, strlen(dir), true);
	if (tree_walk(c, dir, true, add_dir, &d) < 0)
		list.oom = 1;
	return start_listed(l, c, r, RSYNC_PRUNE, &list, &ex, exclude_file, NULL, &paths, on_exit,
	    ctx);
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
	return start(l, c, r, mode, exclude_file, NULL, NULL, 0, on_exit, ctx);
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
