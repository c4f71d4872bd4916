/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Following the mount table under the source tree (mounts.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "mounts.h"

struct mount_seen {
	long id;
	char *rel;
	int mark;
};

void
mounts_unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static char *
read_table(int fd)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);

	if (!buf || lseek(fd, 0, SEEK_SET) < 0)
		goto fail;
	for (;;) {
		if (len + 1 >= cap) {
			char *b = realloc(buf, cap * 2);
			if (!b)
				goto fail;
			buf = b;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
fail:
	log_warn("reading /proc/self/mountinfo: %s", strerror(errno ? errno : ENOMEM));
	free(buf);
	return NULL;
}

static struct mount_seen *
find(struct mounts *m, long id)
{
	for (size_t i = 0; i < m->nseen; i++)
		if (m->seen[i].id == id)
			return &m->seen[i];
	return NULL;
}

/* Marks the mounts at or below the root that the table holds now: those
 * not known yet are added (and reported if report is set); mark is set on
 * every one present.  -1 when the table cannot be read. */
static int
scan_table(struct mounts *m, int mark, int report)
{
	char *table = read_table(m->fd), *save = NULL;

	if (!table)
		return -1;
	for (char *line = strtok_r(table, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		long id;
		int off = 0;
		/* id parent major:minor root mountpoint ... */
		if (sscanf(line, "%ld %*d %*s %*s %n", &id, &off) < 1 || !off)
			continue;
		char *point = line + off, *end = strchr(point, ' ');
		if (end)
			*end = '\0';
		mounts_unescape(point);
		if (strncmp(point, m->root, m->rootlen) ||
		    (point[m->rootlen] != '/' && point[m->rootlen] != '\0'))
			continue;
		const char *rel = point[m->rootlen] ? point + m->rootlen + 1 : "";
		struct mount_seen *s = find(m, id);
		if (!s) {
			struct mount_seen *t = realloc(m->seen, (m->nseen + 1) * sizeof *t);
			char *r = strdup(rel);
			if (!t || !r) {
				free(r);
				if (t)
					m->seen = t;
				log_err("out of memory following the mount table");
				continue;
			}
			m->seen = t;
			s = &m->seen[m->nseen++];
			*s = (struct mount_seen){ .id = id, .rel = r };
			if (report)
				m->changed(m->ctx, rel);
		}
		s->mark = mark;
	}
	free(table);
	return 0;
}

static void
on_change(void *ctx, uint32_t events)
{
	struct mounts *m = ctx;
	int mark = ++m->gen;

	(void)events;
	if (scan_table(m, mark, 1) < 0)
		return;
	/* The ones not in the table any more were unmounted. */
	for (size_t i = 0; i < m->nseen;) {
		struct mount_seen *s = &m->seen[i];
		if (s->mark == mark) {
			i++;
			continue;
		}
		char *rel = s->rel;
		*s = m->seen[--m->nseen];
		m->changed(m->ctx, rel);
		free(rel);
	}
}

int
mounts_open(struct mounts *m, struct loop *l, const char *root,
    void (*changed)(void *ctx, const char *rel), void *ctx)
{
	memset(m, 0, sizeof *m);
	m->loop = l;
	m->changed = changed;
	m->ctx = ctx;
	m->fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	m->root = realpath(root, NULL);
	if (m->fd < 0 || !m->root) {
		log_warn("cannot follow the mount table (%s: %s): a filesystem mounted inside %s "
		    "later is not watched", m->fd < 0 ? "/proc/self/mountinfo" : root,
		    strerror(errno), root);
		goto fail;
	}
	m->rootlen = strlen(m->root);
	if (!strcmp(m->root, "/"))
		m->rootlen = 0;
	if (scan_table(m, 0, 0) < 0 || loop_add(l, &m->io, m->fd, EPOLLPRI, on_change, m) < 0)
		goto fail;
	m->followed = true;
	return 0;
fail:
	mounts_close(m);
	return -1;
}

void
mounts_close(struct mounts *m)
{
	if (m->followed)
		loop_del(m->loop, &m->io);
	m->followed = false;
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	for (size_t i = 0; i < m->nseen; i++)
		free(m->seen[i].rel);
	free(m->seen);
	m->seen = NULL;
	m->nseen = 0;
	free(m->root);
	m->root = NULL;
}
