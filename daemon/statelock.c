#include "statelock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* A POSIX record lock rather than flock(): F_GETLK names the holder, and
 * record locks are not inherited across fork, so no rsync or hook child
 * (nor an orphan left by a killed worker) ever holds it.  The kernel drops
 * it when the worker exits however it exits, before its parent is told:
 * a supervisor that restarts a worker once the old one is reaped is never
 * refused.  The worker opens this file nowhere else (closing any fd on it
 * would drop the lock). */
int
statelock_take(const char *state_dir, const char *instance)
{
	char *path = NULL;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = -1;

	if (asprintf(&path, "%s/lock", state_dir) < 0) {
		log_err("out of memory");
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		log_err("cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	/* The holder may exit between the two calls: try again then. */
	for (int tries = 0; tries < 3; tries++) {
		fl.l_type = F_WRLCK;
		if (fcntl(fd, F_SETLK, &fl) == 0) {
			free(path);
			return fd;
		}
		if (errno != EAGAIN && errno != EACCES) {
			log_err("cannot lock %s: %s", path, strerror(errno));
			goto fail;
		}
		if (fcntl(fd, F_GETLK, &fl) < 0) {
			log_err("cannot lock %s: %s", path, strerror(errno));
			goto fail;
		}
		if (fl.l_type == F_UNLCK)
			continue;
		/* pid 0: a process outside our pid namespace. */
		if (fl.l_pid > 0)
			log_err("state directory %s is in use by another worker of instance %s "
			    "(pid %d holds %s): not starting a second one", state_dir, instance,
			    (int)fl.l_pid, path);
		else
			log_err("state directory %s is in use by another worker of instance %s "
			    "(a process of another pid namespace holds %s): not starting a second one",
			    state_dir, instance, path);
		goto fail;
	}
	log_err("cannot lock %s: its holder keeps changing", path);
fail:
	if (fd >= 0)
		close(fd);
	free(path);
	return -1;
}
