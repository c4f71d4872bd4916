/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sshmux.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* ssh binds the master's socket at PATH.XXXXXXXXXXXXXXXX first, then
 * renames it into place: both must fit a sun_path. */
#define SSH_TEMP_SUFFIX 17
/* where sshmux_retire moves a master's socket */
#define RETIRED ".retired"

int
sshmux_open(struct remote_conf *r, const char *scratch_dir)
{
	struct sockaddr_un sa;
	char *path, *p;

	if (r->kind != TARGET_SSH)
		return 0;
	for (char **o = r->ssh_options; o && *o; o++)
		if (strcasestr(*o, "ControlMaster") || strcasestr(*o, "ControlPath") ||
		    strcasestr(*o, "ControlPersist"))
			return 0;	/* the operator's own sharing, or none */
	if (asprintf(&path, "%s/%s.ssh", scratch_dir, r->name) < 0)
		return -1;
	if (strlen(path) + SSH_TEMP_SUFFIX + strlen(RETIRED) >= sizeof sa.sun_path) {
		log_warn("%s: no shared ssh connection: the control socket's path %s is too long "
		    "(a shorter --runtime-dir helps)", r->name, path);
		free(path);
		return 0;
	}
	/* ssh expands %-tokens in ControlPath: a literal % is %% */
	r->ssh_control = malloc(2 * strlen(path) + 1);
	if (!r->ssh_control) {
		free(path);
		return -1;
	}
	p = r->ssh_control;
	for (const char *s = path; *s; s++) {
		if (*s == '%')
			*p++ = '%';
		*p++ = *s;
	}
	*p = '\0';
	r->ssh_control_file = path;
	sshmux_close(r);
	return 0;
}

/* Runs "ssh -O exit" for at most two seconds: the master is local, but one
 * that hangs must not hold the worker.  file: its socket. */
static void
ask_master_exit(const struct remote_conf *r, const char *file)
{
	char *opt = NULL;
	pid_t pid;
	int status;

	if (access(file, F_OK) != 0)
		return;
	/* the path as ssh reads a ControlPath: its %s doubled */
	if (asprintf(&opt, "ControlPath=%s%s", r->ssh_control,
	    file == r->ssh_control_file ? "" : RETIRED) < 0)
		return;
	char *argv[] = { "ssh", "-o", opt, "-O", "exit", r->host, NULL };
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDWR);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (null >= 0 && dup2(null, 0) >= 0 && dup2(null, 1) >= 0 && dup2(null, 2) >= 0)
			execvp(argv[0], argv);
		_exit(127);
	}
	free(opt);
	if (pid < 0) {
		log_warn("%s: cannot stop the ssh master at %s: fork: %s", r->name, file,
		    strerror(errno));
	} else {
		int i = 0;

		while (waitpid(pid, &status, WNOHANG) == 0 && i++ < 200)
			nanosleep(&(struct timespec){ 0, 10 * 1000000 }, NULL);
		if (i > 200) {
			log_warn("%s: the ssh master at %s did not answer \"ssh -O exit\" "
			    "within 2s", r->name, file);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
	}
	/* gone with its master, or left by one that died */
	if (unlink(file) < 0 && errno != ENOENT)
		log_warn("%s: cannot remove %s: %s", r->name, file, strerror(errno));
}

void
sshmux_close(const struct remote_conf *r)
{
	char *retired;

	if (!r->ssh_control_file)
		return;
	ask_master_exit(r, r->ssh_control_file);
	if (asprintf(&retired, "%s" RETIRED, r->ssh_control_file) >= 0) {
		ask_master_exit(r, retired);
		free(retired);
	}
}

void
sshmux_retire(const struct remote_conf *r)
{
	char *retired;

	if (!r->ssh_control_file || asprintf(&retired, "%s" RETIRED, r->ssh_control_file) < 0)
		return;
	if (rename(r->ssh_control_file, retired) == 0)
		log_info("%s: the next run starts a new ssh connection (the last one failed)", r->name);
	else if (errno != ENOENT)
		log_warn("%s: cannot move %s to %s: %s", r->name, r->ssh_control_file, retired,
		    strerror(errno));
	free(retired);
}
