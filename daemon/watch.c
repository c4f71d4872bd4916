/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "changeset.h"
#include "log.h"

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
		inotify_rm_watch(f->w->fd, n->ival);
	map_del(f->w, n->ival);
	unmark_moved(f->w, n);
}

/* rm: the watches are still live (the directory left the tree or was
 * replaced); without it the kernel has dropped them already. */
static void
forget_subtree(struct watch *w, struct pnode *n, bool rm)
{
	struct forget_ctx f = { w, rm };
	ptree_remove(&w->dirs, n, forget_node, &f);
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

static const struct config *count_cfg;
static size_t count_srclen, count_dirs_seen;

static int
count_one(const char *fpath, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type != FTW_D)
		return FTW_CONTINUE;
	const char *rel = fpath + count_srclen;
	if (*rel == '/')
		rel++;
	if (*rel && filter_excluded(count_cfg->filter, rel, true))
		return FTW_SKIP_SUBTREE;
	count_dirs_seen++;
	return FTW_CONTINUE;
}

static long
read_long(const char *file)
{
	long v = -1;
	FILE *f = fopen(file, "re");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void
watch_limit_reached(struct watch *w, const char *path)
{
	char q[PATHBUF];
	const char *name = "fs.inotify.max_user_watches";
	long limit = read_long("/proc/sys/fs/inotify/max_user_watches");
	/* In a user namespace (a container) its own limit may be the lower one. */
	long ns = read_long("/proc/sys/user/max_inotify_watches");

	if (ns >= 0 && (limit < 0 || ns < limit)) {
		limit = ns;
		name = "user.max_inotify_watches";
	}
	count_cfg = w->cfg;
	count_srclen = strlen(w->cfg->source);
	count_dirs_seen = 0;
	nftw(w->cfg->source, count_one, 32, FTW_PHYS | FTW_ACTIONRETVAL);
	size_t want = (size_t)(limit > 0 ? limit : 0) + 2 * count_dirs_seen;
	log_err("cannot watch %s: %s: the inotify watch limit %s is %ld and this tree needs one "
	    "watch per directory: %zu directories (%zu watched now, other programs of this user "
	    "hold the rest); raise it, e.g. sysctl -w %s=%zu",
	    log_quote(path, q, sizeof q), strerror(ENOSPC), name, limit, count_dirs_seen,
	    watch_count(w), name, want);
	w->failed = true;
	w->ops->fatal(w->ctx);
}

static int
add_watch(struct watch *w, const char *abs)
{
	char q[PATHBUF];
	int wd = inotify_add_watch(w->fd, abs, w->mask);

	if (wd < 0) {
		if (errno == ENOSPC)
			watch_limit_reached(w, abs);
		else if (errno != ENOENT && errno != ENOTDIR)
			log_warn("cannot watch %s: %s", log_quote(abs, q, sizeof q), strerror(errno));
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
		inotify_rm_watch(w->fd, wd);
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

/* Reads top and everything below it: every directory gets a watch (before it
 * is read), directories that are gone lose theirs, and with report set each
 * directory is reported as CH_DIR, which covers the files in it. */
static void
scan(struct watch *w, struct pnode *top, bool report)
{
	char rel[PATHBUF], abs[PATHBUF], child[PATHBUF], q[PATHBUF];
	struct pnode **todo = NULL;
	size_t ntodo = 0, cap = 0;
	uint64_t gen = ++w->gen;

	top->uval = gen;
	for (struct pnode *n = top; n && !w->failed; n = ntodo ? todo[--ntodo] : NULL) {
		long rl = ptree_path(n, rel, sizeof rel);
		if (rl < 0 || !config_source_path(w->cfg, rel, abs, sizeof abs))
			continue;
		memcpy(child, rel, (size_t)rl + 1);
		if (report && n != &w->dirs.root)
			emit(w, rel, CH_DIR);
		bool leaf = is_leaf(w, abs);
		DIR *d = leaf ? NULL : opendir(abs);
		if (!d && !leaf) {
			if (errno != ENOENT && errno != ENOTDIR)
				log_warn("cannot read %s: %s", log_quote(abs, q, sizeof q), strerror(errno));
			continue;
		}
		struct dirent *de;
		while (d && (de = readdir(d)) && !w->failed) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
				continue;
			if (de->d_type == DT_UNKNOWN) {
				struct stat st;
				if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
				    !S_ISDIR(st.st_mode))
					continue;
			}
			if (path_append(child, (size_t)rl, sizeof child, de->d_name) < 0)
				continue;
			if (filter_excluded(w->cfg->filter, child, true))
				continue;
			struct pnode *c = watch_dir(w, n, de->d_name, NULL, 0);
			if (!c)
				continue;
			c->uval = gen;
			if (ntodo == cap) {
				cap = cap ? cap * 2 : 64;
				struct pnode **t = realloc(todo, cap * sizeof *t);
				if (!t) {
					log_err("out of memory scanning %s", log_quote(abs, q, sizeof q));
					break;
				}
				todo = t;
			}
			todo[ntodo++] = c;
		}
		if (d)
			closedir(d);
		/* Children not seen on disk any more, or excluded now, go. */
		for (struct pnode *c = n->child, *next; c; c = next) {
			next = c->next;
			if (c->uval != gen)
				forget_subtree(w, c, true);
		}
	}
	free(todo);
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
	struct pnode *parent = *parent_rel ? ptree_lookup(&w->dirs, parent_rel) : &w->dirs.root;
	if (!parent || filter_excluded(w->cfg->filter, rel, isdir))
		return;		/* not watched: neither is what is mounted there */
	log_info("mount table: %s changed, reading it again", log_quote(abs, q, sizeof q));
	if (!isdir) {
		emit(w, rel, CH_PATH);
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
	if (mask & (IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM))
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
		if (abs_path(w, n, NULL, abs, sizeof abs) == 0 &&
		    inotify_add_watch(w->fd, abs, w->mask) == n->ival)
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
rsync_writes(struct watch *w, const struct inotify_event *ev, const char *rel)
{
	char q[PATHBUF], qt[PATHBUF];

	if (ev->mask & IN_MOVED_FROM) {
		w->moved_file_cookie = ev->cookie;
		snprintf(w->moved_file, sizeof w->moved_file, "%s", ev->name);
	} else if (ev->cookie == w->moved_file_cookie && is_rsync_temp(w->moved_file, ev->name)) {
		log_warn("%s was renamed into place from %s: rsync writes into the tree, and its "
		    "temporary files are mirrored too (a relay: see RELAYS in syncd.ini(5))",
		    log_quote(rel, q, sizeof q), log_quote(w->moved_file, qt, sizeof qt));
		w->rsync_said = true;
	}
}

static void
handle(struct watch *w, const struct inotify_event *ev)
{
	const struct config *c = w->cfg;
	char rel[PATHBUF], q[PATHBUF];
	struct pnode *n;

	if (ev->mask & IN_Q_OVERFLOW) {
		w->overflows++;
		long max = read_long("/proc/sys/fs/inotify/max_queued_events");
		log_warn("inotify event queue overflowed (fs.inotify.max_queued_events = %ld): "
		    "events were lost; rescanning the tree and running a full sync", max);
		scan(w, &w->dirs.root, false);
		w->ops->lost(w->ctx);
		return;
	}
	n = map_get(w, ev->wd);
	if (!n)
		return;		/* a watch we dropped; its last events trail behind */
	if (ev->mask & IN_IGNORED) {
		if (n == &w->dirs.root) {
			forget_subtree(w, n, false);
			goto root_gone;
		}
		/* Deleted, or a filesystem under it went away (unmount): in the
		 * second case a directory is still there and must be watched. */
		struct pnode *parent = n->parent;
		char name[NAME_MAX + 1];
		snprintf(name, sizeof name, "%s", n->name);
		forget_subtree(w, n, false);
		long l = ptree_path(parent, rel, sizeof rel);
		if (l >= 0 && path_append(rel, (size_t)l, sizeof rel, name) >= 0) {
			char abs[PATHBUF];
			struct stat st;
			if (config_source_path(c, rel, abs, sizeof abs) && lstat(abs, &st) == 0 &&
			    S_ISDIR(st.st_mode) && !filter_excluded(c->filter, rel, true))
				dir_appeared(w, parent, name, rel, false, true);
		}
		return;
	}
	if (n == &w->dirs.root && (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)))
		goto root_gone;
	if (!ev->len)
		return;		/* about the directory itself: its parent reports it */
	long l = ptree_path(n, rel, sizeof rel);
	if (l < 0 || path_append(rel, (size_t)l, sizeof rel, ev->name) < 0) {
		log_warn("path too long under %s, ignored", c->source);
		return;
	}
	bool isdir = ev->mask & IN_ISDIR;
	if (log_verbose())
		log_debug("event 0x%x %s", ev->mask, log_quote(rel, q, sizeof q));
	if (filter_excluded(c->filter, rel, isdir))
		return;
	if ((ev->mask & (IN_MOVED_FROM | IN_MOVED_TO)) && !isdir && !w->rsync_said)
		rsync_writes(w, ev, rel);

	if (ev->mask & IN_CREATE) {
		if (isdir) {
			dir_appeared(w, n, ev->name, rel, true, c->events & EV_CREATE_DIR);
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
	if (ev->mask & (IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM))
		unclosed_seen(w, rel, ev->mask);
	if ((ev->mask & IN_CLOSE_WRITE) && (c->events & EV_CLOSE_WRITE))
		emit(w, rel, CH_PATH);
	if ((ev->mask & IN_MODIFY) && (c->events & EV_MODIFY))
		emit(w, rel, CH_PATH);
	/* A file still being written gets its new mode or owner with its
	 * close (or its push as it is): not half-written now. */
	if ((ev->mask & IN_ATTRIB) && (c->events & EV_ATTRIB) &&
	    (isdir || !unclosed_touch(&w->unclosed, rel, now_ms())))
		emit(w, rel, CH_PATH);
	if ((ev->mask & IN_DELETE) && (c->events & EV_DELETE))
		emit(w, rel, CH_PATH | CH_GONE);
	if (ev->mask & IN_MOVED_FROM) {
		if (c->events & EV_MOVE_FROM)
			emit(w, rel, CH_PATH | CH_GONE);
		struct pnode *d = isdir ? ptree_child(&w->dirs, n, ev->name, ev->len ? strlen(ev->name) : 0) : NULL;
		if (d && w->nmoved < WATCH_MAX_MOVES) {
			w->moved_out[w->nmoved++] = d;
			if (!w->move_timer.due)
				timer_arm(&w->move_timer, MOVE_GRACE_MS);
		} else if (d) {
			forget_subtree(w, d, true);
		}
	}
	if (ev->mask & IN_MOVED_TO) {
		if (isdir)
			dir_appeared(w, n, ev->name, rel, false, c->events & EV_MOVE_TO);
		else if (c->events & EV_MOVE_TO)
			emit(w, rel, CH_PATH);
	}
	return;
root_gone:
	log_err("the source directory %s was deleted, moved or unmounted", c->source);
	w->failed = true;
	w->ops->fatal(w->ctx);
}

static void
read_events(struct watch *w, int rounds)
{
	char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (int round = 0; round < rounds && !w->failed; round++) {
		ssize_t len = read(w->fd, buf, sizeof buf);
		if (len < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_err("reading inotify events: %s", strerror(errno));
			return;
		}
		for (char *p = buf; p < buf + len && !w->failed;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			w->events++;
			handle(w, ev);
			p += sizeof *ev + ev->len;
		}
	}
}

static void
on_readable(void *ctx, uint32_t events)
{
	(void)events;
	/* A bounded number of reads per wakeup keeps the loop responsive. */
	read_events(ctx, 16);
}

void
watch_drain(struct watch *w)
{
	read_events(w, 1 << 30);
}

/* inotify sees only changes made through this kernel: on a network or FUSE
 * filesystem, what other clients write never produces an event. */
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
			log_warn("%s is on %s: inotify reports only changes made on this machine; "
			    "changes other clients make will reach the mirrors only with a full sync "
			    "([full_sync] every)", path, fs[i].name);
}

int
watch_open(struct watch *w, struct loop *l, const struct config *cfg,
    const struct watch_ops *ops, void *ctx)
{
	memset(w, 0, sizeof *w);
	w->leaf_ok = -1;
	w->loop = l;
	w->cfg = cfg;
	w->ops = ops;
	w->ctx = ctx;
	ptree_init(&w->dirs);
	w->mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |
	    IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;
	/* Writes are watched with close_write too: a file that is written
	 * and not closed, or truncated by path, has no close_write. */
	if (cfg->events & EV_CLOSE_WRITE)
		w->mask |= IN_CLOSE_WRITE | IN_MODIFY;
	if (cfg->events & EV_MODIFY)
		w->mask |= IN_MODIFY;
	if (cfg->events & EV_ATTRIB)
		w->mask |= IN_ATTRIB;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		if (errno == EMFILE)
			log_err("inotify_init1: %s: the limit fs.inotify.max_user_instances is reached",
			    strerror(errno));
		else
			log_err("inotify_init1: %s", strerror(errno));
		return -1;
	}
	unclosed_init(&w->unclosed, cfg->unclosed_ms, cfg->unclosed_max_ms);
	if (timer_init(l, &w->move_timer, moves_expire, w) < 0 ||
	    timer_init(l, &w->unclosed_timer, unclosed_due, w) < 0)
		goto fail;
	if (!watch_dir(w, &w->dirs.root, NULL, NULL, 0)) {
		if (!w->failed)
			log_err("cannot watch %s: %s", cfg->source, strerror(errno));
		goto fail;
	}
	warn_if_remote_fs(cfg->source);
	scan(w, &w->dirs.root, false);
	if (w->failed)
		goto fail;
	if (loop_add(l, &w->io, w->fd, EPOLLIN, on_readable, w) < 0)
		goto fail;
	/* Not fatal: without it only mounting inside the tree goes unseen. */
	mounts_open(&w->mounts, l, cfg->source, mount_changed, w);
	return 0;
fail:
	timer_close(&w->move_timer);
	timer_close(&w->unclosed_timer);
	unclosed_free(&w->unclosed);
	close(w->fd);
	ptree_clear(&w->dirs);
	free(w->map);
	w->map = NULL;
	return -1;
}

void
watch_close(struct watch *w)
{
	loop_del(w->loop, &w->io);
	mounts_close(&w->mounts);
	timer_close(&w->move_timer);
	timer_close(&w->unclosed_timer);
	unclosed_free(&w->unclosed);
	close(w->fd);
	ptree_clear(&w->dirs);
	free(w->map);
	w->map = NULL;
}
