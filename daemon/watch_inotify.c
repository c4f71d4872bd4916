/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The inotify backend: one watch per directory, named by its wd. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"
#include "watch.h"

#define PATHBUF 8192

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
limit_reached(struct watch *w, const char *path)
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
	size_t dirs = watch_count_tree(w->cfg);
	size_t want = (size_t)(limit > 0 ? limit : 0) + 2 * dirs;
	log_err("cannot watch %s: %s: the inotify watch limit %s is %ld and this tree needs one "
	    "watch per directory: %zu directories (%zu watched now, other programs of this user "
	    "hold the rest); raise it, e.g. sysctl -w %s=%zu, or watch with fanotify "
	    "([source] backend = fanotify)", log_quote(path, q, sizeof q), strerror(ENOSPC), name,
	    limit, dirs, watch_count(w), name, want);
}

static int
inotify_open(struct watch *w)
{
	const struct config *cfg = w->cfg;

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
	return 0;
}

static int
inotify_add_dir(struct watch *w, const char *abs)
{
	int wd = inotify_add_watch(w->fd, abs, w->mask);

	if (wd < 0 && errno == ENOSPC) {
		limit_reached(w, abs);
		errno = ENOSPC;
	}
	return wd;
}

static void
inotify_rm_dir(struct watch *w, int wd)
{
	inotify_rm_watch(w->fd, wd);
}

static const struct {
	uint32_t in, we;
} kinds[] = {
	{ IN_CREATE, WE_CREATE }, { IN_DELETE, WE_DELETE }, { IN_MOVED_FROM, WE_MOVED_FROM },
	{ IN_MOVED_TO, WE_MOVED_TO }, { IN_MODIFY, WE_MODIFY }, { IN_CLOSE_WRITE, WE_CLOSE_WRITE },
	{ IN_ATTRIB, WE_ATTRIB }, { IN_ISDIR, WE_ISDIR }, { IN_IGNORED, WE_IGNORED },
	{ IN_DELETE_SELF, WE_SELF_GONE }, { IN_MOVE_SELF, WE_SELF_GONE },
	{ IN_UNMOUNT, WE_SELF_GONE }, { IN_Q_OVERFLOW, WE_OVERFLOW },
};

static void
inotify_read(struct watch *w, int rounds)
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
			struct wevent we = { .wd = ev->wd, .name = ev->len ? ev->name : NULL,
			    .cookie = ev->cookie };
			for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
				if (ev->mask & kinds[i].in)
					we.mask |= kinds[i].we;
			if (ev->mask & IN_Q_OVERFLOW)
				log_info("fs.inotify.max_queued_events = %ld",
				    read_long("/proc/sys/fs/inotify/max_queued_events"));
			watch_apply(w, &we);
			p += sizeof *ev + ev->len;
		}
	}
}

static void
inotify_close(struct watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

const struct watch_backend watch_inotify = {
	"inotify", inotify_open, inotify_add_dir, inotify_rm_dir, inotify_read, inotify_close, NULL, 0,
};
