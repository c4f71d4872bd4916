/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fanotify backend: one mark on the source's filesystem (and on each
 * filesystem mounted inside the tree) reports every directory entry event
 * with the file handle of its directory and the entry's name
 * (FAN_REPORT_DFID_NAME, Linux 5.9; renames as one event with both ends
 * with FAN_RENAME, 5.17).  No watch per directory, no walk at the start.
 *
 * A directory's handle is turned into a path below the source by opening
 * it (open_by_handle_at through a mount of the tree: the source's own, or
 * one mounted inside it, for a bind mount of another part of the same
 * filesystem) and asking the kernel its name; the answer is believed only
 * if that path below the source is the very same directory.  Answers,
 * "outside the source" and "excluded" too, are cached, so unrelated activity elsewhere on
 * the filesystem costs a hash lookup per event; a directory moved to, from
 * or in the tree empties the cache, as the names of the ones below it
 * change. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "log.h"
#include "mounts.h"
#include "watch.h"

#define PATHBUF 8192
#define CACHE_SLOTS 8192	/* at most half full: then emptied */
#define MAX_FS 32

struct fsmark {
	fsid_t fsid;
	char *path;		/* a mount of it at or below the source */
};

struct dentry_slot {
	uint32_t hash;
	unsigned char *key;	/* fsid, then the handle; NULL: empty */
	size_t keylen;
	char *rel;		/* below the source; NULL: outside it */
};

struct fan {
	char *src;		/* the source, resolved */
	size_t srclen;
	unsigned char root_key[sizeof(fsid_t) + sizeof(struct file_handle) + MAX_HANDLE_SZ];
	size_t root_keylen;	/* the source's own handle: known when it is gone */
	uint64_t mask;
	bool rename;		/* FAN_RENAME */
	struct fsmark mounts[MAX_FS];	/* [0]: the source */
	size_t nmounts;
	struct dentry_slot *cache;
	size_t cached;
	uint32_t cookie;
};

/* --- handle -> path cache --- */

static uint32_t
hash_bytes(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static void
cache_clear(struct fan *f)
{
	for (size_t i = 0; i < CACHE_SLOTS && f->cached; i++)
		if (f->cache[i].key) {
			free(f->cache[i].key);
			free(f->cache[i].rel);
			f->cache[i].key = NULL;
			f->cached--;
		}
	f->cached = 0;
}

static struct dentry_slot *
cache_slot(struct fan *f, const unsigned char *key, size_t keylen, uint32_t h)
{
	for (size_t i = h & (CACHE_SLOTS - 1);; i = (i + 1) & (CACHE_SLOTS - 1)) {
		struct dentry_slot *s = &f->cache[i];
		if (!s->key || (s->hash == h && s->keylen == keylen && !memcmp(s->key, key, keylen)))
			return s;
	}
}

static void
cache_put(struct fan *f, struct dentry_slot *s, const unsigned char *key, size_t keylen,
    uint32_t h, const char *rel)
{
	if (f->cached * 2 >= CACHE_SLOTS) {
		cache_clear(f);
		s = cache_slot(f, key, keylen, h);
	}
	unsigned char *k = malloc(keylen);
	char *r = rel ? strdup(rel) : NULL;
	if (!k || (rel && !r)) {
		free(k);
		free(r);
		return;		/* not cached: asked again next time */
	}
	memcpy(k, key, keylen);
	s->key = k;
	s->keylen = keylen;
	s->hash = h;
	s->rel = r;
	f->cached++;
}

/* The path below the source of the directory fh through the mount at
 * mnt: 1 found (in rel), 0 not below the source, -1 gone. */
static int
resolve_at(struct fan *f, const char *mnt, struct file_handle *fh, char *rel, size_t len)
{
	char link[64], path[PATHBUF];
	struct stat st, there;
	int mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (mfd < 0)
		return 0;
	int fd = open_by_handle_at(mfd, fh, O_PATH | O_CLOEXEC);
	int e = errno;
	close(mfd);
	if (fd < 0)
		return e == ESTALE || e == ENOENT ? -1 : 0;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	int rc = 0;
	path[n > 0 ? n : 0] = '\0';
	const char *r = path + f->srclen;
	if (n > 0 && !strncmp(path, f->src, f->srclen) && (!*r || *r == '/')) {
		/* A name outside the mount (a bind mount of a part of the
		 * filesystem) or of a directory hidden by a mount is not the
		 * way to it: the name must lead to the same directory. */
		if (fstat(fd, &st) == 0 && stat(path, &there) == 0 && there.st_dev == st.st_dev &&
		    there.st_ino == st.st_ino && (size_t)snprintf(rel, len, "%s", *r ? r + 1 : r) < len)
			rc = 1;
	}
	close(fd);
	return rc;
}

/* fsid, then the handle: a directory's key. */
static size_t
make_key(unsigned char *key, const fsid_t *fsid, const struct file_handle *fh)
{
	memcpy(key, fsid, sizeof *fsid);
	memcpy(key + sizeof *fsid, fh, sizeof *fh + fh->handle_bytes);
	return sizeof *fsid + sizeof *fh + fh->handle_bytes;
}

/* The directory of an event relative to the source, in rel; false if it
 * is outside it, excluded, or gone. */
static bool
resolve(struct watch *w, const struct fanotify_event_info_fid *fid, char *rel, size_t len)
{
	struct fan *f = w->be_state;
	struct file_handle *fh = (struct file_handle *)fid->handle;
	unsigned char key[sizeof(fsid_t) + sizeof *fh + MAX_HANDLE_SZ];

	if (fh->handle_bytes > MAX_HANDLE_SZ)
		return false;
	size_t keylen = make_key(key, (const fsid_t *)&fid->fsid, fh);
	if (keylen == f->root_keylen && !memcmp(key, f->root_key, keylen)) {
		rel[0] = '\0';
		return true;
	}
	uint32_t h = hash_bytes(key, keylen);
	struct dentry_slot *s = cache_slot(f, key, keylen, h);
	if (s->key) {
		if (!s->rel || (size_t)snprintf(rel, len, "%s", s->rel) >= len)
			return false;
		return true;
	}
	int found = 0;
	for (size_t i = 0; i < f->nmounts && found == 0; i++)
		if (!memcmp(&f->mounts[i].fsid, &fid->fsid, sizeof fid->fsid))
			found = resolve_at(f, f->mounts[i].path, fh, rel, len);
	if (found > 0 && watch_dir_excluded(w, rel))
		found = 0;	/* as good as outside */
	/* Gone too: a handle is never valid again once its directory is
	 * deleted, and the events of a tree being removed elsewhere would
	 * each ask again. */
	cache_put(f, s, key, keylen, h, found > 0 ? rel : NULL);
	return found > 0;
}

/* --- the filesystems of the tree --- */

static int
mark_fs(struct watch *w, const char *path, const char **why)
{
	struct fan *f = w->be_state;

	if (fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, f->mask, AT_FDCWD, path) == 0)
		return 0;
	if (f->rename && errno == EINVAL) {
		/* Before 5.17: the two ends of a rename come apart. */
		f->mask = (f->mask & ~(uint64_t)FAN_RENAME) | FAN_MOVED_FROM | FAN_MOVED_TO;
		f->rename = false;
		return mark_fs(w, path, why);
	}
	switch (errno) {
	case ENODEV: case EOPNOTSUPP:
		*why = "its filesystem has no file handles for fanotify to report (some network and "
		    "FUSE filesystems)";
		break;
	case EXDEV:
		*why = "its filesystem does not identify itself uniquely (a btrfs subvolume) or it is "
		    "an idmapped mount";
		break;
	case EPERM:
		*why = "marking a filesystem needs CAP_SYS_ADMIN in the initial user namespace";
		break;
	default:
		*why = strerror(errno);
	}
	return -1;
}

static void
add_mount(struct fan *f, const char *path, fsid_t fsid)
{
	if (f->nmounts == MAX_FS)
		return;
	char *p = strdup(path);
	if (!p)
		return;
	f->mounts[f->nmounts].path = p;
	f->mounts[f->nmounts++].fsid = fsid;
}

static void
mounts_free(struct fan *f)
{
	for (size_t i = 1; i < f->nmounts; i++)
		free(f->mounts[i].path);
	f->nmounts = f->nmounts ? 1 : 0;
}

/* The mounts below the source, from the mount table: every filesystem
 * among them is marked, and each is a way to name directories.  -1 with
 * why if one cannot be marked. */
static int
read_mounts(struct watch *w, const char **why, char *which, size_t len)
{
	struct fan *f = w->be_state;
	char *line = NULL;
	size_t cap = 0;
	FILE *mi = fopen("/proc/self/mountinfo", "re");
	int rc = 0;

	mounts_free(f);
	cache_clear(f);
	if (!mi)
		return 0;	/* then only the source's own filesystem is seen */
	while (rc == 0 && getline(&line, &cap, mi) > 0) {
		char *save, *tok = strtok_r(line, " ", &save);
		for (int i = 0; tok && i < 4; i++)
			tok = strtok_r(NULL, " ", &save);
		if (!tok)
			continue;
		mounts_unescape(tok);
		if (strncmp(tok, f->src, f->srclen) || tok[f->srclen] != '/')
			continue;
		struct statfs sf;
		if (statfs(tok, &sf) < 0)
			continue;
		bool known = false;
		for (size_t i = 0; i < f->nmounts; i++)
			known |= !memcmp(&f->mounts[i].fsid, &sf.f_fsid, sizeof sf.f_fsid);
		if (!known && mark_fs(w, tok, why) < 0) {
			snprintf(which, len, "%s", tok);
			rc = -1;
		}
		add_mount(f, tok, sf.f_fsid);
	}
	free(line);
	fclose(mi);
	return rc;
}

static void
fanotify_mounted(struct watch *w)
{
	const char *why;
	char which[PATHBUF];

	if (read_mounts(w, &why, which, sizeof which) < 0)
		log_warn("fanotify cannot see what changes under %s: %s; changes there reach the "
		    "mirrors only with a full sync", which, why);
}

/* --- events --- */

static void
fan_cleanup(struct watch *w)
{
	struct fan *f = w->be_state;

	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (!f)
		return;
	cache_clear(f);
	mounts_free(f);
	free(f->cache);
	free(f->src);
	free(f);
	w->be_state = NULL;
}

static int
fanotify_open(struct watch *w)
{
	const struct config *cfg = w->cfg;
	const char *why = NULL;
	char which[PATHBUF];
	struct statfs sf;
	struct fan *f = calloc(1, sizeof *f);

	w->be_state = f;
	if (!f || !(f->cache = calloc(CACHE_SLOTS, sizeof *f->cache)) ||
	    !(f->src = realpath(cfg->source, NULL))) {
		log_warn("fanotify: %s: %s", cfg->source, strerror(errno));
		goto fail;
	}
	f->srclen = strlen(f->src);
	if (f->srclen == 1)
		f->srclen = 0;	/* "/": every path is below it */
	if (statfs(f->src, &sf) < 0) {
		log_warn("fanotify: %s: %s", f->src, strerror(errno));
		goto fail;
	}
	struct {
		struct file_handle fh;
		unsigned char bytes[MAX_HANDLE_SZ];
	} root;
	int mount_id;
	root.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, f->src, &root.fh, &mount_id, 0) < 0) {
		why = errno == EOPNOTSUPP ? "its filesystem has no file handles for fanotify to "
		    "report (some network and FUSE filesystems)" : strerror(errno);
		log_warn("cannot watch %s with fanotify: %s", cfg->source, why);
		goto fail;
	}
	f->root_keylen = make_key(f->root_key, &sf.f_fsid, &root.fh);
	int mfd = open(f->src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = mfd < 0 ? -1 : open_by_handle_at(mfd, &root.fh, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		why = errno == EPERM ? "opening directories by handle needs CAP_DAC_READ_SEARCH in "
		    "the initial user namespace" : strerror(errno);
		log_warn("cannot watch %s with fanotify: %s", cfg->source, why);
		if (mfd >= 0)
			close(mfd);
		goto fail;
	}
	close(fd);
	close(mfd);
	f->mounts[0].path = f->src;
	f->mounts[0].fsid = sf.f_fsid;
	f->nmounts = 1;
	w->fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME,
	    O_RDONLY | O_LARGEFILE);
	if (w->fd < 0) {
		why = errno == EPERM ? "it needs CAP_SYS_ADMIN" :
		    errno == EINVAL ? "this kernel has no FAN_REPORT_DFID_NAME (Linux 5.9)" :
		    errno == ENOSYS ? "this kernel has no fanotify" : strerror(errno);
		log_warn("cannot watch %s with fanotify: %s", cfg->source, why);
		goto fail;
	}
	f->mask = FAN_CREATE | FAN_DELETE | FAN_RENAME | FAN_DELETE_SELF | FAN_MOVE_SELF | FAN_ONDIR;
	f->rename = true;
	if (cfg->events & (EV_CLOSE_WRITE | EV_MODIFY))
		f->mask |= FAN_CLOSE_WRITE | FAN_MODIFY;
	if (cfg->events & EV_ATTRIB)
		f->mask |= FAN_ATTRIB;
	if (mark_fs(w, f->src, &why) < 0) {
		log_warn("cannot watch %s with fanotify: %s", cfg->source, why);
		goto fail;
	}
	if (read_mounts(w, &why, which, sizeof which) < 0) {
		log_warn("cannot watch %s with fanotify: a filesystem is mounted at %s: %s",
		    cfg->source, which, why);
		goto fail;
	}
	log_info("fanotify watches %s: a mark on each filesystem of its %zu mount%s, no watch per "
	    "directory%s", cfg->source, f->nmounts, f->nmounts == 1 ? "" : "s",
	    f->rename ? "" : " (renames in two halves: a kernel before 5.17)");
	return 0;
fail:
	fan_cleanup(w);
	return -1;
}

/* Applies the event of mask about name in the directory fid, if below the
 * source (and not excluded): true then. */
static bool
apply(struct watch *w, uint32_t mask, const struct fanotify_event_info_fid *fid,
    const char *name, uint32_t cookie)
{
	char rel[PATHBUF];
	const char *dir = rel;

	if (!resolve(w, fid, rel, sizeof rel))
		return false;
	if (name && !strcmp(name, "."))
		name = NULL;
	if (!name) {
		/* About the directory itself: as its parent would say it. */
		if (!*dir) {
			if (mask & WE_SELF_GONE) {
				struct wevent ev = { .mask = mask, .wd = -1, .dir = "" };
				watch_apply(w, &ev);
			}
			return true;
		}
		if (mask & WE_SELF_GONE)
			return true;	/* its parent's event says it */
		char *slash = strrchr(rel, '/');
		name = slash ? slash + 1 : rel;
		if (slash)
			*slash = '\0';
		else
			dir = "";
	}
	struct wevent ev = { .mask = mask, .wd = -1, .dir = dir, .name = name, .cookie = cookie };
	watch_apply(w, &ev);
	return true;
}

static uint32_t
decode(uint64_t m)
{
	static const struct {
		uint64_t fan;
		uint32_t we;
	} kinds[] = {
		{ FAN_CREATE, WE_CREATE }, { FAN_DELETE, WE_DELETE }, { FAN_MOVED_FROM, WE_MOVED_FROM },
		{ FAN_MOVED_TO, WE_MOVED_TO }, { FAN_MODIFY, WE_MODIFY },
		{ FAN_CLOSE_WRITE, WE_CLOSE_WRITE }, { FAN_ATTRIB, WE_ATTRIB }, { FAN_ONDIR, WE_ISDIR },
		{ FAN_DELETE_SELF, WE_SELF_GONE }, { FAN_MOVE_SELF, WE_SELF_GONE },
	};
	uint32_t we = 0;

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (m & kinds[i].fan)
			we |= kinds[i].we;
	return we;
}

/* md: the metadata of the event at raw. */
static void
handle(struct watch *w, const struct fanotify_event_metadata *md, const char *raw)
{
	struct fan *f = w->be_state;
	const struct fanotify_event_info_fid *fid = NULL, *from = NULL, *to = NULL;
	const char *name = NULL, *from_name = NULL, *to_name = NULL;

	if (md->mask & FAN_Q_OVERFLOW) {
		cache_clear(f);
		struct wevent ev = { .mask = WE_OVERFLOW, .wd = -1 };
		watch_apply(w, &ev);
		return;
	}
	for (size_t off = md->metadata_len; off + sizeof(struct fanotify_event_info_header) <= md->event_len;) {
		const struct fanotify_event_info_fid *info = (const void *)(raw + off);
		if (info->hdr.len < sizeof *info + sizeof(struct file_handle))
			break;
		const struct file_handle *fh = (const void *)info->handle;
		const char *n = (const char *)(fh + 1) + fh->handle_bytes;
		bool named = info->hdr.info_type != FAN_EVENT_INFO_TYPE_DFID &&
		    info->hdr.info_type != FAN_EVENT_INFO_TYPE_FID;
		switch (info->hdr.info_type) {
		case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
			from = info, from_name = n;
			break;
		case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
			to = info, to_name = n;
			break;
		case FAN_EVENT_INFO_TYPE_DFID_NAME: case FAN_EVENT_INFO_TYPE_DFID:
			fid = info, name = named ? n : NULL;
			break;
		}
		off += info->hdr.len;
	}
	uint32_t mask = decode(md->mask);
	bool inside = false;
	if (md->mask & FAN_RENAME) {
		uint32_t cookie = ++f->cookie ? f->cookie : ++f->cookie;
		if (from)
			inside |= apply(w, WE_MOVED_FROM | (mask & WE_ISDIR), from, from_name, cookie);
		if (to)
			inside |= apply(w, WE_MOVED_TO | (mask & WE_ISDIR), to, to_name, cookie);
	}
	if (fid && (mask & ~WE_ISDIR))
		inside |= apply(w, mask, fid, name, 0);
	/* A directory moved to, from or in the tree: the ones below it have
	 * new names, or are in or out now.  Moved elsewhere they stay
	 * outside; deleted, their handles are never seen again. */
	if (inside && (mask & WE_ISDIR) && (md->mask & (FAN_RENAME | FAN_MOVED_FROM | FAN_MOVED_TO)))
		cache_clear(f);
}

static void
fanotify_read(struct watch *w, int rounds)
{
	char buf[65536] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));

	for (int round = 0; round < rounds && !w->failed; round++) {
		ssize_t len = read(w->fd, buf, sizeof buf);
		if (len < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_err("reading fanotify events: %s", strerror(errno));
			return;
		}
		/* Records are 4-aligned: the metadata (64-bit mask) is copied. */
		struct fanotify_event_metadata md;
		for (size_t off = 0; off + sizeof md <= (size_t)len && !w->failed; off += md.event_len) {
			memcpy(&md, buf + off, sizeof md);
			if (md.event_len < sizeof md || off + md.event_len > (size_t)len)
				break;
			if (md.vers == FANOTIFY_METADATA_VERSION)
				handle(w, &md, buf + off);
		}
	}
}

static void
fanotify_close(struct watch *w)
{
	fan_cleanup(w);
}

const struct watch_backend watch_fanotify = {
	"fanotify", fanotify_open, NULL, NULL, fanotify_read, fanotify_close, fanotify_mounted, 10,
};
