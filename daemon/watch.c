/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "watch.h"

#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "changeset.h"
#include "log.h"
#include "treewalk.h"

/* Pairing a MOVED_FROM with its MOVED_TO: both are queued by one rename, so
 * a short grace is plenty; an unpaired directory left the tree. */
#define MOVE_GRACE_MS 50
#define PATHBUF 8192

struct wd_slot {
	int wd;			/* 0: empty, -1: deleted */
	struct pnode *node;
};

/* --- wd -> node map (open addressing) --- */

static struct wd_slot *
map_find(const struct watch *w, int wd)
{
	if (!w->map_cap)
		return NULL;
	for (size_t i = (size_t)wd * 2654435761u & (w->map_cap - 1);; i = (i + 1) & (w->map_cap - 1)) {
		if (w->map[i].wd == wd)
			return &w->map[i];
		if (w->map[i].wd == 0)
			return NULL;
	}
}

static struct pnode *
map_get(const struct watch *w, int wd)
{
	struct wd_slot *s = map_find(w, wd);
	return s ? s->node : NULL;
}

static int map_put(struct watch *w, int wd, struct pnode *n);

static int
map_grow(struct watch *w)
{
	struct wd_slot *old = w->map;
	size_t oldcap = w->map_cap, cap = oldcap ? oldcap * 2 : 256;

	w->map = calloc(cap, sizeof *w->map);
	if (!w->map) {
		w->map = old;
		return -1;
	}
	w->map_cap = cap;
	w->map_used = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].wd > 0)
			map_put(w, old[i].wd, old[i].node);
	free(old);
	return 0;
}

static int
map_put(struct watch *w, int wd, struct pnode *n)
{
	struct wd_slot *s = map_find(w, wd);

	if (s) {
		s->node = n;
		return 0;
	}
	if ((w->map_used + 1) * 2 > w->map_cap && map_grow(w) < 0)
		return -1;
	for (size_t i = (size_t)wd * 2654435761u & (w->map_cap - 1);; i = (i + 1) & (w->map_cap - 1))
		if (w->map[i].wd <= 0) {
			if (w->map[i].wd == 0)
				w->map_used++;
			w->map[i].wd = wd;
			w->map[i].node = n;
			return 0;
		}
}

static void
map_del(struct watch *w, int wd)
{
	struct wd_slot *s = map_find(w, wd);
	if (s) {
		s->wd = -1;
		s->node = NULL;
	}
}

/* --- the directory tree --- */

/* The absolute path of n, or of its child name. */
static int
abs_path(const struct watch *w, const struct pnode *n, const char *name, char *buf, size_t len)
{
	char rel[PATHBUF];
	long l = ptree_path(n, rel, sizeof rel);

	if (l < 0 || (name && path_append(rel, (size_t)l, sizeof rel, name) < 0))
		return -1;
	return config_source_path(w->cfg, rel, buf, len) ? 0 : -1;
}

static void unmark_moved(struct watch *w, const struct pnode *n);

struct forget_ctx {
	struct watch *w;
	bool rm;
};

static void
forget_node(struct pnode *n, void *ctx)
{
	struct forget_ctx *f = ctx;

	if (f->rm)
		f->w->be->rm_dir(f->w, n->ival);
	map_del(f->w, n->ival);
	unmark_moved(f->w, n);
}

/* rm: the watches are still live (the directory left the tree or was
 * replaced); without it the backend has dropped them already. */
static void
forget_subtree(struct watch *w, struct pnode *n, bool rm)
{
	struct forget_ctx f = { w, rm };
	ptree_remove(&w->dirs, n, forget_node, &f);
}

bool
watch_dir_excluded(const struct watch *w, const char *dir)
{
	char p[PATHBUF];
	size_t n = strlen(dir);

	if (n >= sizeof p)
		return true;
	memcpy(p, dir, n + 1);
	/* From the top: the first excluded one decides. */
	for (char *s = p; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		bool ex = filter_excluded(w->cfg->filter, p, true);
		*s = '/';
		if (ex)
			return true;
	}
	return *p && filter_excluded(w->cfg->filter, p, true);
}

static void
emit(struct watch *w, const char *rel, unsigned kind)
{
	if (log_verbose()) {
		char q[PATHBUF];
		log_debug("change %s %s", kind == CH_DIR ? "dir" : (kind & CH_GONE) ? "gone" : "path",
		    log_quote(rel, q, sizeof q));
	}
	w->ops->change(w->ctx, rel, kind);
}

static void *
count_dir(void *ctx, void *dir, const char *path, const char *name, bool is_dir, bool excluded)
{
	if (excluded)
		return NULL;
	(*(size_t *)ctx)++;
	return ctx;
}

size_t
watch_count_tree(const struct config *cfg)
{
	size_t n = 1;
	struct tree_walker tw = { .entry = count_dir, .dirs_only = true, .ctx = &n };

	tree_walk_with(cfg, "", &n, &tw);
	return n;
}

/* A backend out of watches (ENOSPC) has said why: mirroring cannot go on. */
static int
add_watch(struct watch *w, const char *abs)
{
	char q[PATHBUF];
	int wd = w->be->add_dir(w, abs);

	if (wd < 0) {
		if (errno == ENOSPC) {
			w->failed = true;
			w->ops->fatal(w->ctx);
		} else if (errno != ENOENT && errno != ENOTDIR) {
			log_warn("cannot watch %s: %s", log_quote(abs, q, sizeof q), strerror(errno));
		}
	}
	return wd;
}

static void
unmark_moved(struct watch *w, const struct pnode *n)
{
	for (unsigned i = 0; i < w->nmoved; i++)
		if (w->moved_out[i] == n)
			w->moved_out[i] = w->moved_out[--w->nmoved];
}

/* Adds a watch for child name of parent (or parent itself if name is NULL);
 * returns its node, or NULL if it is gone, not a directory, or failed.
 * When it is a directory known under another name (moved), that name is
 * left in from (if not NULL; "" otherwise). */
static struct pnode *
watch_dir(struct watch *w, struct pnode *parent, const char *name, char *from, size_t fromlen)
{
	char abs[PATHBUF], q[PATHBUF];

	if (abs_path(w, parent, name, abs, sizeof abs) < 0) {
		log_warn("path too long under %s, not watched", w->cfg->source);
		return NULL;
	}
	if (from)
		from[0] = '\0';
	int wd = add_watch(w, abs);
	if (wd < 0)
		return NULL;
	struct pnode *n = map_get(w, wd);
	struct pnode *here = name ? ptree_child(&w->dirs, parent, name, strlen(name)) : parent;
	if (n == here && n) {
		unmark_moved(w, n);	/* it is back where it was */
		return n;
	}
	if (n && ptree_is_below(parent, n)) {
		/* Its own descendant (a bind mount of itself, or a race with a
		 * rename): linking it there would make a cycle. */
		log_warn("%s is the same directory as one above it; not watched twice",
		    log_quote(abs, q, sizeof q));
		return NULL;
	}
	if (here && here != &w->dirs.root) {
		/* Another directory sat here before (deleted or moved away). */
		bool inside = n && ptree_is_below(n, here);
		forget_subtree(w, here, true);
		if (inside) {
			/* This one was below it and lost its watch with it. */
			n = NULL;
			if ((wd = add_watch(w, abs)) < 0)
				return NULL;
		}
	}
	if (n) {
		/* Known under another name: it moved while we were not looking. */
		unmark_moved(w, n);
		if (from && ptree_path(n, from, fromlen) < 0)
			from[0] = '\0';
		if (ptree_move(&w->dirs, n, parent, name, strlen(name)) < 0)
			return NULL;
		return n;
	}
	n = name ? ptree_add_child(&w->dirs, parent, name, strlen(name)) : parent;
	if (!n || map_put(w, wd, n) < 0) {
		log_err("out of memory watching %s", log_quote(abs, q, sizeof q));
		w->be->rm_dir(w, wd);
		if (n && n != &w->dirs.root)
			ptree_remove(&w->dirs, n, NULL, NULL);
		return NULL;
	}
	n->ival = wd;
	return n;
}

/* True when the directory at abs has no subdirectory, which spares reading
 * it: 2 links ("." and its name) on a filesystem whose directory link count
 * is 2 + subdirectories (btrfs, overlayfs and network filesystems do not
 * keep it so).  Its watch is in place before this check, so a directory
 * made after it comes with an event.  On 100,000 directories, reading them
 * was two thirds of the startup (perf). */
static bool
is_leaf(struct watch *w, const char *abs)
{
	struct stat st;
	struct statfs sf;

	if (lstat(abs, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_nlink != 2)
		return false;
	if (w->leaf_ok < 0 || st.st_dev != w->leaf_dev) {
		w->leaf_dev = st.st_dev;
		w->leaf_ok = statfs(abs, &sf) == 0 && (sf.f_type == EXT4_SUPER_MAGIC ||
		    sf.f_type == XFS_SUPER_MAGIC || sf.f_type == TMPFS_MAGIC);
	}
	return w->leaf_ok == 1;
}

struct scan {
	struct watch *w;
	uint64_t gen;
	bool report;
};

static bool
scan_enter(void *ctx, void *dir, const char *path, const char *abs)
{
	struct scan *s = ctx;

	if (s->w->failed)
		return false;
	if (s->report && dir != &s->w->dirs.root)
		emit(s->w, path, CH_DIR);
	return !is_leaf(s->w, abs);
}

static void *
scan_entry(void *ctx, void *dir, const char *path, const char *name, bool is_dir, bool excluded)
{
	struct scan *s = ctx;

	if (excluded || s->w->failed)
		return NULL;
	struct pnode *c = watch_dir(s->w, dir, name, NULL, 0);
	if (c)
		c->uval = s->gen;
	return c;
}

static void
scan_leave(void *ctx, void *dir, bool complete)
{
	struct scan *s = ctx;
	struct pnode *n = dir;

	/* Children not seen on disk any more, or excluded now, go. */
	for (struct pnode *c = complete ? n->child : NULL, *next; c; c = next) {
		next = c->next;
		if (c->uval != s->gen)
			forget_subtree(s->w, c, true);
	}
}

/* Reads top and everything below it: every directory gets a watch (before it
 * is read), directories that are gone lose theirs, and with report set each
 * directory is reported as CH_DIR, which covers the files in it. */
static void
scan(struct watch *w, struct pnode *top, bool report)
{
	char rel[PATHBUF], q[PATHBUF];
	struct scan s = { w, ++w->gen, report };
	struct tree_walker tw = { scan_entry, scan_enter, scan_leave, true, &s };

	top->uval = s.gen;
	if (ptree_path(top, rel, sizeof rel) < 0)
		return;
	if (tree_walk_with(w->cfg, rel, top, &tw) < 0)
		log_err("out of memory scanning %s/%s", w->cfg->source, log_quote(rel, q, sizeof q));
}

static void *
report_dir(void *ctx, void *dir, const char *path, const char *name, bool is_dir, bool excluded)
{
	if (excluded)
		return NULL;
	emit(ctx, path, CH_DIR);
	return ctx;
}

/* Without a tree: rel and every directory below it, as CH_DIR. */
static void
report_tree(struct watch *w, const char *rel)
{
	char q[PATHBUF];
	struct tree_walker tw = { .entry = report_dir, .dirs_only = true, .ctx = w };

	emit(w, rel, CH_DIR);
	if (tree_walk_with(w->cfg, rel, w, &tw) < 0) {
		log_err("out of memory reading %s/%s: a full sync follows", w->cfg->source,
		    log_quote(rel, q, sizeof q));
		w->ops->lost(w->ctx);
	}
}

/* A directory was created in, or moved into, parent. */
static void
dir_appeared(struct watch *w, struct pnode *parent, const char *name, const char *rel,
    bool created, bool report)
{
	struct pnode *before = ptree_child(&w->dirs, parent, name, strlen(name));
	uint64_t before_wd = before ? (uint64_t)before->ival : 0;
	char from[PATHBUF];
	struct pnode *n = watch_dir(w, parent, name, from, sizeof from);

	if (!n) {
		/* Gone already (its deletion follows), or not a directory now. */
		struct stat st;
		char abs[PATHBUF];
		if (report && config_source_path(w->cfg, rel, abs, sizeof abs) &&
		    lstat(abs, &st) == 0 && !S_ISDIR(st.st_mode))
			emit(w, rel, CH_PATH);
		return;
	}
	if (created && n == before && (uint64_t)n->ival == before_wd) {
		/* A scan found and read it already; what came after has events. */
		if (report)
			emit(w, rel, CH_DIR);
		return;
	}
	if (report && from[0] && w->ops->moved)
		w->ops->moved(w->ctx, from, rel);
	scan(w, n, report);
}

/* A filesystem was mounted or unmounted at rel: what is there now is not
 * what the watch on that place sees, so it is watched and read again, and
 * sent as a whole.  A directory of the tree mounted at a second place in it
 * has one watch, under its first name: changes made through the second
 * one reach the mirror only with a full sync. */
static void
mount_changed(void *ctx, const char *rel)
{
	struct watch *w = ctx;
	char abs[PATHBUF], parent_rel[PATHBUF], q[PATHBUF];
	struct stat st;

	if (!*rel) {
		log_warn("a filesystem was mounted on or unmounted from %s itself: the watches see "
		    "what was there before; restart the instance", w->cfg->source);
		return;
	}
	if (w->failed || !config_source_path(w->cfg, rel, abs, sizeof abs) || lstat(abs, &st) < 0)
		return;
	bool isdir = S_ISDIR(st.st_mode);
	const char *slash = strrchr(rel, '/'), *name = slash ? slash + 1 : rel;
	snprintf(parent_rel, sizeof parent_rel, "%.*s", slash ? (int)(slash - rel) : 0, rel);
	struct pnode *parent = !w->be->add_dir ? NULL :
	    *parent_rel ? ptree_lookup(&w->dirs, parent_rel) : &w->dirs.root;
	if ((w->be->add_dir && !parent) || filter_excluded(w->cfg->filter, rel, isdir))
		return;		/* not watched: neither is what is mounted there */
	log_info("mount table: %s changed, reading it again", log_quote(abs, q, sizeof q));
	if (!isdir) {
		emit(w, rel, CH_PATH);
		return;
	}
	if (!w->be->add_dir) {
		if (w->be->mounted)
			w->be->mounted(w);
		report_tree(w, rel);
		return;
	}
	int wd = add_watch(w, abs);
	struct pnode *n = wd < 0 ? NULL : map_get(w, wd);
	struct pnode *here = ptree_child(&w->dirs, parent, name, strlen(name));
	if (n && n != here) {
		char first[PATHBUF];
		if (ptree_path(n, first, sizeof first) < 0)
			first[0] = '\0';
		log_warn("%s is the directory %s of the tree mounted a second time: changes made "
		    "through this name reach the mirrors only with a full sync",
		    log_quote(abs, q, sizeof q), first);
		emit(w, rel, CH_DIR);
		return;
	}
	dir_appeared(w, parent, name, rel, false, true);
}

static void
emit_unclosed(void *ctx, const char *rel)
{
	struct watch *w = ctx;

	if (log_verbose()) {
		char q[PATHBUF];
		log_debug("%s: written and still open: pushed as it is", log_quote(rel, q, sizeof q));
	}
	emit(w, rel, CH_PATH);
}

static void
unclosed_due(void *ctx)
{
	struct watch *w = ctx;
	uint64_t next = unclosed_expire(&w->unclosed, now_ms(), false, emit_unclosed, w);

	if (next != UINT64_MAX)
		timer_arm(&w->unclosed_timer, next);
}

void
watch_flush_unclosed(struct watch *w)
{
	unclosed_expire(&w->unclosed, now_ms(), true, emit_unclosed, w);
	timer_disarm(&w->unclosed_timer);
}

/* A regular file at rel waits for its close, or to be pushed as it is
 * after the [source] unclosed time. */
static void
wait_close(struct watch *w, const char *rel)
{
	if (unclosed_add(&w->unclosed, rel, now_ms()) < 0) {
		emit(w, rel, CH_PATH);	/* out of memory: pushed now, and at its close */
		return;
	}
	if (w->cfg->unclosed_ms && !w->unclosed_timer.due)
		timer_arm(&w->unclosed_timer, w->cfg->unclosed_ms);
}

/* A regular file at rel (abs, of size bytes) appeared.  Made by open(), it
 * is empty then and its close follows: it waits for that.  With contents it
 * is a name made by link() (git objects, maildir), or a file written
 * before we looked: pushed at once unless somebody still writes it. */
static void
file_created(struct watch *w, const char *rel, const char *abs, off_t size)
{
	if (size > 0 && unclosed_has_writer(abs) == 0)
		emit(w, rel, CH_PATH);
	else
		wait_close(w, rel);
}

/* What a file's write, close, deletion or move means for it waiting.  A
 * write waits for its close without asking who writes: the close usually
 * follows, and a truncate(2) by path, which has none, goes after the
 * unclosed time. */
static void
unclosed_seen(struct watch *w, const char *rel, uint32_t mask)
{
	if (mask & (WE_CLOSE_WRITE | WE_DELETE | WE_MOVED_FROM))
		unclosed_forget(&w->unclosed, rel);
	else if ((w->cfg->events & (EV_CLOSE_WRITE | EV_MODIFY)) == EV_CLOSE_WRITE &&
	    !unclosed_touch(&w->unclosed, rel, now_ms()))
		wait_close(w, rel);
}

static void
moves_expire(void *ctx)
{
	struct watch *w = ctx;

	/* Still unpaired: these directories left the tree; their watches
	 * would report changes under a path that no longer exists.  One that
	 * is back at its own name (moved away and back) stays. */
	while (w->nmoved) {
		struct pnode *n = w->moved_out[0];
		char abs[PATHBUF];
		unmark_moved(w, n);
		if (abs_path(w, n, NULL, abs, sizeof abs) == 0 && w->be->add_dir(w, abs) == n->ival)
			continue;
		forget_subtree(w, n, true);
	}
}

/* rsync receives NAME into ".NAME.XXXXXX" beside it (mkstemp's six letters
 * or digits) and renames that into place. */
static bool
is_rsync_temp(const char *tmp, const char *name)
{
	size_t n = strlen(name);

	if (strlen(tmp) != n + 8 || tmp[0] != '.' || memcmp(tmp + 1, name, n) || tmp[n + 1] != '.')
		return false;
	for (const char *p = tmp + n + 2; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

/* A tree rsync writes into (a relay's daemon module, a deploy by rsync) has
 * rsync's temporary files mirrored too: each costs a deletion in the next
 * push, and one whose writes pause is pushed as it is.  Said once: the
 * recipe moves them out of sight. */
static void
rsync_writes(struct watch *w, const struct wevent *ev, const char *rel)
{
	char q[PATHBUF], qt[PATHBUF];

	if (ev->mask & WE_MOVED_FROM) {
		w->moved_file_cookie = ev->cookie;
		snprintf(w->moved_file, sizeof w->moved_file, "%s", ev->name);
	} else if (ev->cookie == w->moved_file_cookie && is_rsync_temp(w->moved_file, ev->name)) {
		log_warn("%s was renamed into place from %s: rsync writes into the tree, and its "
		    "temporary files are mirrored too (a relay: see RELAYS in syncd.ini(5))",
		    log_quote(rel, q, sizeof q), log_quote(w->moved_file, qt, sizeof qt));
		w->rsync_said = true;
	}
}


/* The watch of n is gone: deleted, or a filesystem under it went away
 * (unmount); in the second case a directory is still there and must be
 * watched. */
static void
watch_lost(struct watch *w, struct pnode *n)
{
	struct pnode *parent = n->parent;
	char name[NAME_MAX + 1], rel[PATHBUF], abs[PATHBUF];
	struct stat st;

	snprintf(name, sizeof name, "%s", n->name);
	forget_subtree(w, n, false);
	long l = ptree_path(parent, rel, sizeof rel);
	if (l >= 0 && path_append(rel, (size_t)l, sizeof rel, name) >= 0 &&
	    config_source_path(w->cfg, rel, abs, sizeof abs) && lstat(abs, &st) == 0 &&
	    S_ISDIR(st.st_mode) && !filter_excluded(w->cfg->filter, rel, true))
		dir_appeared(w, parent, name, rel, false, true);
}

/* A directory rel left the tree or moved in it (cookie pairs it with its
 * MOVED_TO).  With a tree its watches wait for their pair; without, its
 * name waits for the same. */
static void
dir_moved_from(struct watch *w, struct pnode *parent, const char *name, const char *rel,
    uint32_t cookie)
{
	if (!w->be->add_dir) {
		free(w->move_from);
		w->move_from = strdup(rel);
		w->move_cookie = cookie;
		return;
	}
	struct pnode *d = ptree_child(&w->dirs, parent, name, strlen(name));
	if (d && w->nmoved < WATCH_MAX_MOVES) {
		w->moved_out[w->nmoved++] = d;
		if (!w->move_timer.due)
			timer_arm(&w->move_timer, MOVE_GRACE_MS);
	} else if (d) {
		forget_subtree(w, d, true);
	}
}

static void
dir_moved_to(struct watch *w, struct pnode *parent, const char *name, const char *rel,
    uint32_t cookie, bool report)
{
	if (w->be->add_dir) {
		dir_appeared(w, parent, name, rel, false, report);
		return;
	}
	if (report && cookie && cookie == w->move_cookie && w->move_from && w->ops->moved)
		w->ops->moved(w->ctx, w->move_from, rel);
	free(w->move_from);
	w->move_from = NULL;
	if (report)
		report_tree(w, rel);
}

static void
root_gone(struct watch *w)
{
	log_err("the source directory %s was deleted, moved or unmounted", w->cfg->source);
	w->failed = true;
	w->ops->fatal(w->ctx);
}

void
watch_apply(struct watch *w, const struct wevent *ev)
{
	const struct config *c = w->cfg;
	char rel[PATHBUF], q[PATHBUF];
	struct pnode *n = NULL;
	long l;

	if (w->failed)
		return;
	w->events++;
	if (ev->mask & WE_OVERFLOW) {
		w->overflows++;
		log_warn("%s event queue overflowed: events were lost; rescanning the tree and "
		    "running a full sync", w->be->name);
		if (w->be->add_dir)
			scan(w, &w->dirs.root, false);
		w->ops->lost(w->ctx);
		return;
	}
	if (ev->wd >= 0) {
		if (!(n = map_get(w, ev->wd)))
			return;		/* a watch we dropped; its last events trail behind */
		l = ptree_path(n, rel, sizeof rel);
	} else {
		l = snprintf(rel, sizeof rel, "%s", ev->dir);
		if (l >= (long)sizeof rel)
			l = -1;
	}
	bool is_root = n ? n == &w->dirs.root : l == 0;
	if (ev->mask & WE_IGNORED) {
		if (!n)
			return;
		if (is_root) {
			forget_subtree(w, n, false);
			root_gone(w);
		} else {
			watch_lost(w, n);
		}
		return;
	}
	if (!ev->name) {
		/* About the directory itself: its parent reports the rest. */
		if (is_root && (ev->mask & WE_SELF_GONE))
			root_gone(w);
		return;
	}
	if (l < 0 || path_append(rel, (size_t)l, sizeof rel, ev->name) < 0) {
		log_warn("path too long under %s, ignored", c->source);
		return;
	}
	bool isdir = ev->mask & WE_ISDIR;
	if (log_verbose())
		log_debug("event 0x%x %s", ev->mask, log_quote(rel, q, sizeof q));
	if (filter_excluded(c->filter, rel, isdir))
		return;
	if ((ev->mask & (WE_MOVED_FROM | WE_MOVED_TO)) && !isdir && !w->rsync_said)
		rsync_writes(w, ev, rel);

	if (ev->mask & WE_CREATE) {
		if (isdir && n) {
			dir_appeared(w, n, ev->name, rel, true, c->events & EV_CREATE_DIR);
		} else if (isdir) {
			if (c->events & EV_CREATE_DIR)
				emit(w, rel, CH_DIR);
		} else if (c->events & EV_CREATE_FILE) {
			emit(w, rel, CH_PATH);
		} else if (c->events & EV_CLOSE_WRITE) {
			/* Symlinks, hard links and special files never see a
			 * close_write: they are complete when they appear. */
			char abs[PATHBUF];
			struct stat st;
			if (config_source_path(c, rel, abs, sizeof abs) && lstat(abs, &st) == 0) {
				if (!S_ISREG(st.st_mode) || st.st_nlink > 1)
					emit(w, rel, CH_PATH);
				else
					file_created(w, rel, abs, st.st_size);
			}
		}
	}
	if (ev->mask & (WE_MODIFY | WE_CLOSE_WRITE | WE_DELETE | WE_MOVED_FROM))
		unclosed_seen(w, rel, ev->mask);
	if ((ev->mask & WE_CLOSE_WRITE) && (c->events & EV_CLOSE_WRITE))
		emit(w, rel, CH_PATH);
	if ((ev->mask & WE_MODIFY) && (c->events & EV_MODIFY))
		emit(w, rel, CH_PATH);
	/* A file still being written gets its new mode or owner with its
	 * close (or its push as it is): not half-written now. */
	if ((ev->mask & WE_ATTRIB) && (c->events & EV_ATTRIB) &&
	    (isdir || !unclosed_touch(&w->unclosed, rel, now_ms())))
		emit(w, rel, CH_PATH);
	if ((ev->mask & WE_DELETE) && (c->events & EV_DELETE))
		emit(w, rel, CH_PATH | CH_GONE);
	if (ev->mask & WE_MOVED_FROM) {
		if (c->events & EV_MOVE_FROM)
			emit(w, rel, CH_PATH | CH_GONE);
		if (isdir)
			dir_moved_from(w, n, ev->name, rel, ev->cookie);
	}
	if (ev->mask & WE_MOVED_TO) {
		if (isdir)
			dir_moved_to(w, n, ev->name, rel, ev->cookie, c->events & EV_MOVE_TO);
		else if (c->events & EV_MOVE_TO)
			emit(w, rel, CH_PATH);
	}
}

static void
on_readable(void *ctx, uint32_t events)
{
	struct watch *w = ctx;

	/* A bounded number of reads per wakeup keeps the loop responsive. */
	w->be->read(w, 16);
	/* Then none for coalesce_ms: the fd is registered EPOLLONESHOT, off
	 * until read_due.  (A mask of 0 is not off: epoll keeps
	 * EPOLLERR|EPOLLHUP, and fanotify's wakeups, which carry no poll
	 * flags, then woke the loop in vain for every event.) */
	if (w->be->coalesce_ms)
		timer_arm(&w->read_timer, w->be->coalesce_ms);
}

static void
read_due(void *ctx)
{
	struct watch *w = ctx;

	loop_mod(w->loop, &w->io, EPOLLIN | EPOLLONESHOT);
}

void
watch_drain(struct watch *w)
{
	w->be->read(w, 1 << 30);
}

/* Neither backend sees changes made by another machine: on a network or
 * FUSE filesystem, what other clients write never produces an event. */
static void
warn_if_remote_fs(const char *path)
{
	static const struct {
		long magic;
		const char *name;
	} fs[] = {
		{ 0x6969, "NFS" }, { 0x517B, "SMB" }, { (long)0xFF534D42, "CIFS" },
		{ (long)0xFE534D42, "SMB2" }, { 0x65735546, "FUSE" }, { 0x00c36400, "Ceph" },
		{ 0x01021997, "9p" }, { 0x47504653, "GPFS" }, { 0x0bd00bd0, "Lustre" },
	};
	struct statfs st;

	if (statfs(path, &st) < 0)
		return;
	for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
		if ((long)st.f_type == fs[i].magic)
			log_warn("%s is on %s: the kernel reports only changes made on this machine; "
			    "changes other clients make will reach the mirrors only with a full sync "
			    "([full_sync] every)", path, fs[i].name);
}

/* The backend [source] backend asks for: fanotify where it works (its open
 * says why not), else inotify. */
static int
backend_open(struct watch *w)
{
	if (w->cfg->backend != BACKEND_INOTIFY) {
		w->be = &watch_fanotify;
		if (w->be->open(w) == 0)
			return 0;
		log_info("watching with inotify instead (one watch per directory)");
	}
	w->be = &watch_inotify;
	return w->be->open(w);
}

void
watch_check(const struct config *cfg)
{
	struct watch w = { .fd = -1, .cfg = cfg };

	if (cfg->backend == BACKEND_INOTIFY)
		return;
	if (watch_fanotify.open(&w) < 0) {
		log_info("[source] backend = %s: a start would watch with inotify (one watch per "
		    "directory)", cfg->backend == BACKEND_AUTO ? "auto" : "fanotify");
		return;
	}
	watch_fanotify.close(&w);
}

int
watch_open(struct watch *w, struct loop *l, const struct config *cfg,
    const struct watch_backend *be, const struct watch_ops *ops, void *ctx)
{
	memset(w, 0, sizeof *w);
	w->fd = -1;
	w->leaf_ok = -1;
	w->loop = l;
	w->cfg = cfg;
	w->ops = ops;
	w->ctx = ctx;
	ptree_init(&w->dirs);
	w->be = be;
	if (be ? be->open(w) < 0 : backend_open(w) < 0)
		return -1;
	unclosed_init(&w->unclosed, cfg->unclosed_ms, cfg->unclosed_max_ms);
	if (timer_init(l, &w->move_timer, moves_expire, w) < 0 ||
	    timer_init(l, &w->unclosed_timer, unclosed_due, w) < 0 ||
	    timer_init(l, &w->read_timer, read_due, w) < 0)
		goto fail;
	if (w->be->add_dir) {
		if (!watch_dir(w, &w->dirs.root, NULL, NULL, 0)) {
			if (!w->failed)
				log_err("cannot watch %s: %s", cfg->source, strerror(errno));
			goto fail;
		}
		scan(w, &w->dirs.root, false);
		if (w->failed)
			goto fail;
	}
	warn_if_remote_fs(cfg->source);
	if (w->fd >= 0 &&
	    loop_add(l, &w->io, w->fd, EPOLLIN | (w->be->coalesce_ms ? EPOLLONESHOT : 0), on_readable, w) < 0)
		goto fail;
	/* Not fatal: without it only mounting inside the tree goes unseen. */
	mounts_open(&w->mounts, l, cfg->source, mount_changed, w);
	return 0;
fail:
	timer_close(&w->move_timer);
	timer_close(&w->unclosed_timer);
	timer_close(&w->read_timer);
	unclosed_free(&w->unclosed);
	w->be->close(w);
	ptree_clear(&w->dirs);
	free(w->map);
	w->map = NULL;
	return -1;
}

void
watch_close(struct watch *w)
{
	if (w->fd >= 0)
		loop_del(w->loop, &w->io);
	mounts_close(&w->mounts);
	timer_close(&w->move_timer);
	timer_close(&w->unclosed_timer);
	timer_close(&w->read_timer);
	unclosed_free(&w->unclosed);
	w->be->close(w);
	ptree_clear(&w->dirs);
	free(w->map);
	w->map = NULL;
	free(w->move_from);
	w->move_from = NULL;
}
