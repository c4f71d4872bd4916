/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "statelock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "log.h"

/* Two locks, for two reasons.  The exclusion is a flock() on the directory
 * itself: it needs no file written, so a read-only or full state directory
 * is still guarded.  Its fd is close-on-exec, so no rsync or hook child
 * (nor an orphan of a killed worker) keeps it past its exec.  The kernel
 * drops it when the worker exits however it exits, before its parent is
 * told: a supervisor that restarts a worker once the old one is reaped is
 * never refused.  A flock has no owner to ask, so STATE/lock carries a
 * POSIX record lock too, where it can be written: F_GETLK names its
 * holder's pid for the refusal. */

static void
refuse(const char *state_dir, const char *instance, const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0)
		log_err("state directory %s is in use by another worker of instance %s "
		    "(pid %d holds %s): not starting a second one", state_dir, instance,
		    (int)fl.l_pid, path);
	else	/* pid 0: a process of another pid namespace */
		log_err("state directory %s is in use by another worker of instance %s "
		    "(its pid is unknown here): not starting a second one", state_dir, instance);
	if (fd >= 0)
		close(fd);
}

int
statelock_take(struct statelock *l, const char *state_dir, const char *instance)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char *path = NULL;

	l->file = -1;
	l->dir = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dir < 0) {
		log_err("cannot open %s: %s", state_dir, strerror(errno));
		return -1;
	}
	if (asprintf(&path, "%s/lock", state_dir) < 0) {
		log_err("out of memory");
		goto fail;
	}
	if (flock(l->dir, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			refuse(state_dir, instance, path);
		else
			log_err("cannot lock %s: %s", state_dir, strerror(errno));
		goto fail;
	}
	/* Only for the pid: the directory's lock is what excludes. */
	l->file = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (l->file >= 0 && fcntl(l->file, F_SETLK, &fl) < 0) {
		close(l->file);
		l->file = -1;
	}
	free(path);
	return 0;
fail:
	free(path);
	statelock_release(l);
	return -1;
}

void
statelock_release(struct statelock *l)
{
	if (l->file >= 0)
		close(l->file);
	if (l->dir >= 0)
		close(l->dir);
	l->file = l->dir = -1;
}
