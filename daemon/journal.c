/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

#define HEADER "syncd-journal 1\n"
#define HEADER_LEN (sizeof HEADER - 1)
#define PATHBUF 8192

static void
put_entries(struct buf *b, const struct changeset *cs)
{
	char rel[PATHBUF];
	const struct pnode *top = &cs->tree.root;

	for (const struct pnode *n = top->child; n; n = ptree_next(n, top)) {
		long len;
		if (!n->flags || (len = ptree_path(n, rel, sizeof rel)) < 0)
			continue;
		char kind = (n->flags & CH_DIR) ? 'D' : (n->flags & CH_GONE) ? 'G' : 'P';
		buf_put(b, &kind, 1);
		buf_put(b, rel, (size_t)len + 1);
	}
}

/* Turns it off, said once: while off, its attempts to come back fail
 * quietly (the remote paces them). */
static void
broken(struct journal *j, const char *what)
{
	if (!j->err)
		log_warn("journal %s: %s: %s; the journal is off: pending changes are kept in memory "
		    "only until it can be written again", j->path, what, strerror(errno));
	else
		log_debug("journal %s: %s: %s; still off", j->path, what, strerror(errno));
	j->err = errno ? errno : EIO;
}

int
journal_put(struct journal *j, struct buf *b, bool sync)
{
	if (b->oom) {
		buf_free(b);
		errno = ENOMEM;
		broken(j, "cannot build a record");
		return -1;
	}
	if (j->err || !b->len) {
		buf_free(b);
		return j->err ? -1 : 0;
	}
	size_t len = b->len;
	int rc = write_all(j->fd, b->p, len);
	buf_free(b);
	if (rc < 0 || (sync && fdatasync(j->fd) < 0)) {
		broken(j, "cannot write");
		return -1;
	}
	j->size += (off_t)len;
	return 0;
}

/* Hands each whole record to rec; a last one without its NUL was torn. */
static void
replay(struct journal *j, const char *data, size_t len, journal_rec_fn *rec, void *ctx)
{
	const char *p = data + HEADER_LEN, *end = data + len;

	while (p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		if (!nul) {
			log_warn("journal %s: dropped a torn last record (%zu bytes): the worker "
			    "stopped while writing it, and what it held was not done yet",
			    j->path, (size_t)(end - p));
			break;
		}
		if (!rec(ctx, *p, p + 1))
			log_warn("journal %s: skipped a record of unknown kind 0x%02x", j->path,
			    (unsigned char)*p);
		p = nul + 1;
	}
}

int
journal_load(struct journal *j, const char *path, journal_rec_fn *rec, void *ctx)
{
	struct buf b = { 0 };
	char chunk[65536];
	ssize_t n;
	int rw_err = 0;

	j->size = j->compacted = 0;
	j->err = 0;
	j->found = false;
	if (!(j->path = strdup(path))) {
		j->err = ENOMEM;
		log_err("journal %s: out of memory; the journal is off", path);
		return -1;
	}
	j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		/* A read-only state dir: what it holds still goes out. */
		rw_err = errno;
		j->fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (j->fd < 0) {
		errno = rw_err;
		broken(j, "cannot open");
		return -1;
	}
	while ((n = read(j->fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			buf_put(&b, chunk, (size_t)n);
	if (n < 0 || b.oom) {
		buf_free(&b);
		broken(j, "cannot read");
	} else if (b.len >= HEADER_LEN && !memcmp(b.p, HEADER, HEADER_LEN)) {
		j->found = true;
		replay(j, b.p, b.len, rec, ctx);
	} else if (b.len) {
		log_warn("journal %s: not a syncd journal (or of another version); ignored", path);
	}
	buf_free(&b);
	if (rw_err) {
		close(j->fd);
		j->fd = -1;
		errno = rw_err;
		broken(j, "cannot open for writing");
	}
	return j->err ? -1 : 0;
}

struct changes {
	struct journal *j;
	struct changeset *into;
	uint64_t now;
	bool *full;
	size_t *replayed;
};

static bool
change_rec(void *ctx, char kind, const char *path)
{
	struct changes *c = ctx;
	unsigned flags = 0;

	switch (kind) {
	case 'P': flags = CH_PATH; break;
	case 'D': flags = CH_DIR; break;
	case 'G': flags = CH_PATH | CH_GONE; break;
	case 'F': *c->full = true; return true;
	default: return false;
	}
	if (!*path)
		return true;
	if (changeset_add(c->into, path, flags, c->now) < 0)
		log_err("journal %s: out of memory replaying it", c->j->path);
	else
		(*c->replayed)++;
	return true;
}

int
journal_open(struct journal *j, const char *path, struct changeset *into, uint64_t now,
    bool *full, size_t *replayed)
{
	struct changes c = { j, into, now, full, replayed };

	*replayed = 0;
	if (journal_load(j, path, change_rec, &c) < 0)
		return -1;
	/* Start from a clean copy: drops a torn tail and foreign contents. */
	return journal_rewrite(j, (const struct changeset *const[]){ into }, 1, *full);
}

int
journal_append(struct journal *j, const struct changeset *cs, bool sync)
{
	struct buf b = { 0 };

	put_entries(&b, cs);
	return journal_put(j, &b, sync);
}

int
journal_append_full(struct journal *j, bool sync)
{
	struct buf b = { 0 };

	journal_record(&b, 'F', "");
	return journal_put(j, &b, sync);
}

int
journal_sync(struct journal *j)
{
	if (j->err)
		return -1;
	if (j->fd >= 0 && fdatasync(j->fd) < 0) {
		broken(j, "cannot write");
		return -1;
	}
	return 0;
}

void
journal_record(struct buf *b, char kind, const char *text)
{
	buf_put(b, &kind, 1);
	buf_put(b, text, strlen(text) + 1);
}

int
journal_rewrite(struct journal *j, const struct changeset *const *sets, size_t n, bool full)
{
	struct buf b = { 0 };

	if (full)
		journal_record(&b, 'F', "");
	for (size_t i = 0; i < n; i++)
		put_entries(&b, sets[i]);
	return journal_replace(j, &b);
}

int
journal_replace(struct journal *j, struct buf *records)
{
	struct buf b = { 0 };
	char *tmp = NULL;
	int fd = -1;

	if (!j->path) {
		buf_free(records);
		return -1;
	}
	buf_put(&b, HEADER, HEADER_LEN);
	buf_put(&b, records->p, records->len);
	b.oom |= records->oom;
	buf_free(records);
	if (b.oom || asprintf(&tmp, "%s.new", j->path) < 0) {
		buf_free(&b);
		errno = ENOMEM;
		broken(j, "cannot rewrite");
		return -1;
	}
	/* Write aside, then rename: a crash leaves the old or the new one. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, b.p, b.len) < 0 || fdatasync(fd) < 0 ||
	    rename(tmp, j->path) < 0) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(tmp);
		buf_free(&b);
		errno = saved;
		broken(j, "cannot rewrite");
		return -1;
	}
	free(tmp);
	if (j->fd >= 0)
		close(j->fd);
	j->fd = fd;
	/* The new file was opened for writing only; appends need O_APPEND. */
	if (fcntl(fd, F_SETFL, O_APPEND) < 0) {
		buf_free(&b);
		broken(j, "cannot reopen");
		return -1;
	}
	j->size = j->compacted = (off_t)b.len;
	buf_free(&b);
	if (j->err)
		log_info("journal %s: on again, with what is pending (%lld bytes)", j->path,
		    (long long)j->size);
	j->err = 0;
	return 0;
}

void
journal_reset(struct journal *j)
{
	if (j->err || j->size == (off_t)HEADER_LEN)
		return;
	if (ftruncate(j->fd, (off_t)HEADER_LEN) < 0) {
		broken(j, "cannot truncate");
		return;
	}
	j->size = j->compacted = (off_t)HEADER_LEN;
}

bool
journal_drop(struct journal *j)
{
	struct stat st;

	if (!j->err || j->fd < 0 || fstat(j->fd, &st) < 0 || !st.st_size)
		return false;
	if (ftruncate(j->fd, 0) < 0) {
		log_debug("journal %s: cannot drop its stale records: %s", j->path, strerror(errno));
		return false;
	}
	return true;
}

bool
journal_bloated(const struct journal *j)
{
	return !j->err && j->size > 4 * j->compacted + (1 << 20);
}

void
journal_close(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	free(j->path);
	j->path = NULL;
}
