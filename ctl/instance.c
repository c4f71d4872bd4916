/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "instance.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "proc.h"
#include "strv.h"
#include "supervisor.h"

bool
instance_active(const struct instance *in)
{
	return in->pol.pid != 0;
}

static void on_timer(void *ctx);

struct instance *
instance_new(struct supervisor *sv, const char *name, const char *file)
{
	struct instance *in = calloc(1, sizeof *in);

	if (!in)
		return NULL;
	in->sv = sv;
	in->name = strdup(name);
	in->file = strdup(file);
	if (!in->name || !in->file || timer_init(&sv->loop, &in->timer, on_timer, in) < 0) {
		instance_free(in);
		return NULL;
	}
	return in;
}

static void
close_output(struct instance *in)
{
	if (!in->out_open)
		return;
	loop_del(&in->sv->loop, &in->out);
	close(in->out.fd);
	in->out_open = false;
	in->linelen = 0;
}

void
instance_free(struct instance *in)
{
	if (!in)
		return;
	close_output(in);
	timer_close(&in->timer);
	free(in->name);
	free(in->file);
	free(in->content);
	free(in);
}

bool
instance_load(struct instance *in)
{
	struct config cfg;

	free(in->content);
	in->content = config_read(in->file, &in->content_len, in->error, sizeof in->error);
	in->loaded = in->content != NULL;
	if (!in->content) {
		log_err("%s", in->error);
		return false;
	}
	/* What is judged is what reload compares with later. */
	if (config_parse(in->file, in->content, in->content_len, &cfg, in->error, sizeof in->error) < 0)
		return false;
	in->sup = cfg.sup;
	config_free(&cfg);
	in->error[0] = '\0';
	return true;
}

bool
instance_changed(const struct instance *in)
{
	char err[1024];
	size_t len;
	char *now = config_read(in->file, &len, err, sizeof err);
	bool changed = !now ? in->loaded : !in->loaded || len != in->content_len ||
	    memcmp(now, in->content, len) != 0;

	free(now);
	return changed;
}

bool
instance_file_valid(const struct instance *in, char *err, size_t len)
{
	struct config cfg;
	size_t n;
	char *now = config_read(in->file, &n, err, len);

	if (!now)
		return false;
	int rc = config_parse(in->file, now, n, &cfg, err, len);
	free(now);
	if (rc < 0)
		return false;
	config_free(&cfg);
	return true;
}

/* Text from the worker, for status: no tabs or newlines. */
static void
copy_text(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < len; i++)
		dst[i] = (src[i] == '\t' || src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
	dst[i] = '\0';
}

/* A worker's log line, "<N>syncd[NAME]: text", logged again at its level. */
static void
relog(struct instance *in, char *line)
{
	int lv = LOG_LV_INFO;

	if (line[0] == '<' && line[1] >= '0' && line[1] <= '7' && line[2] == '>') {
		lv = line[1] - '0';
		line += 3;
	}
	/* "syncd[NAME]: " says again what our "NAME: " says. */
	size_t n = strlen(in->name);
	if (!strncmp(line, "syncd[", 6) && !strncmp(line + 6, in->name, n) && !strncmp(line + 6 + n, "]: ", 3))
		line += 9 + n;
	if (lv <= LOG_LV_ERR)
		copy_text(in->last_log, sizeof in->last_log, line);
	log_msg((enum log_level)lv, "%s: %s", in->name, line);
}

/* Reads what the worker wrote, at most max_reads chunks: a chatty worker
 * must not starve the others (epoll calls again while there is more). */
static void
read_output(struct instance *in, unsigned max_reads)
{
	char buf[4096];

	for (unsigned reads = 0; reads < max_reads; reads++) {
		ssize_t n = read(in->out.fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || in->linelen == sizeof in->line - 1) {
				/* a line too long goes out in pieces */
				in->line[in->linelen] = '\0';
				relog(in, in->line);
				in->linelen = 0;
			}
			if (buf[i] != '\n')
				in->line[in->linelen++] = buf[i] ? buf[i] : ' ';
		}
		if (reads + 1 == max_reads)
			return;
	}
	if (in->linelen) {
		in->line[in->linelen] = '\0';
		relog(in, in->line);
	}
	close_output(in);
}

static void
on_output(void *ctx, uint32_t events)
{
	(void)events;
	read_output(ctx, 16);
}

static void
exec_worker(struct instance *in, pid_t parent, int out)
{
	const struct paths *p = in->sv->paths;
	char *const argv[] = {
		(char *)p->syncd, "--config", in->file, "--state-dir", (char *)p->state_dir,
		"--runtime-dir", (char *)p->runtime_dir, NULL,
	};
	char num[32];
	sigset_t none;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* A worker must not outlive its supervisor: a new one would start a
	 * second worker on the same tree. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(1);
	/* Its own session: what it starts (each rsync run in a process group
	 * of its own, the ssh that run starts) stays in it, for
	 * kill_leftovers() to find. */
	if (setsid() < 0)
		_exit(1);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(1);
	setenv("NOTIFY_SOCKET", in->sv->notify_path, 1);
	/* relog() reads each line's level from its "<N>" */
	setenv(LOG_RELAY_ENV, "1", 1);
	if (in->sup.watchdog_ms) {
		snprintf(num, sizeof num, "%llu", (unsigned long long)in->sup.watchdog_ms * 1000);
		setenv("WATCHDOG_USEC", num, 1);
		snprintf(num, sizeof num, "%d", (int)getpid());
		setenv("WATCHDOG_PID", num, 1);
	} else {
		unsetenv("WATCHDOG_USEC");
		unsetenv("WATCHDOG_PID");
	}
	execv(p->syncd, argv);
	dprintf(2, "<3>cannot run %s: %s\n", p->syncd, strerror(errno));
	_exit(127);
}

/* A worker of this instance that we did not start answers on its socket
 * (systemd's syncd@NAME, or one run by hand): a second one would fail on
 * its state-dir lock, and we would restart it into that lock forever. */
static bool
runs_outside(struct instance *in)
{
	char *sock;
	bool there;

	if (asprintf(&sock, "%s/%s.sock", in->sv->paths->runtime_dir, in->name) < 0)
		return false;
	if ((there = ctl_listening(sock)))
		log_warn("%s: a worker already runs outside syncctl (it answers on %s): not started; "
		    "stop it where it runs (systemctl stop syncd@%s) to run it here", in->name, sock,
		    in->name);
	free(sock);
	return there;
}

static void spawn(struct instance *in);

/* Feeds one event to the policy and carries out what it asks for: the
 * log line first, then the signal, the timer and the spawn (whose outcome
 * is the next event). */
static void
step(struct instance *in, enum pol_event ev, const char *why, pid_t pid)
{
	struct pol_input e = { ev, now_ms(), why, in->last_log, pid };
	struct pol_effects fx;
	pid_t worker = in->pol.pid;

	policy_step(&in->pol, &in->sup, &e, &fx);
	if (fx.level)
		log_msg((enum log_level)fx.level, "%s: %s", in->name, fx.log);
	if (fx.set_error)
		memcpy(in->error, fx.error, sizeof in->error);
	if (fx.sig && worker) {
		kill(worker, fx.sig);
		if (fx.cont)
			kill(worker, SIGCONT);
	}
	if (fx.timer == PT_ARM)
		timer_arm(&in->timer, fx.timer_ms);
	else if (fx.timer == PT_DISARM)
		timer_disarm(&in->timer);
	if (fx.spawn)
		spawn(in);
	supervisor_changed(in->sv);
}

static void
spawn(struct instance *in)
{
	int pfd[2];
	pid_t parent = getpid();

	in->last_log[0] = '\0';
	if (!instance_load(in)) {
		step(in, PE_INVALID, in->error, 0);
		return;
	}
	if (runs_outside(in)) {
		step(in, PE_OUTSIDE, NULL, 0);
		return;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		log_err("%s: pipe: %s", in->name, strerror(errno));
		step(in, PE_SPAWN_FAILED, "cannot start: no pipe", 0);
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_err("%s: fork: %s", in->name, strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		step(in, PE_SPAWN_FAILED, "cannot start: fork failed", 0);
		return;
	}
	if (pid == 0)
		exec_worker(in, parent, pfd[1]);
	close(pfd[1]);
	close_output(in);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	if (loop_add(&in->sv->loop, &in->out, pfd[0], EPOLLIN, on_output, in) == 0)
		in->out_open = true;
	else
		close(pfd[0]);
	in->status[0] = '\0';
	step(in, PE_SPAWNED, NULL, pid);
}

static void
on_timer(void *ctx)
{
	step(ctx, PE_TIMER, NULL, 0);
}

void
instance_notify(struct instance *in, char *msg)
{
	char *save = NULL;

	for (char *l = strtok_r(msg, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(l, "READY=1"))
			step(in, PE_READY, NULL, 0);
		else if (!strcmp(l, "WATCHDOG=1"))
			step(in, PE_PING, NULL, 0);
		else if (!strcmp(l, "WATCHDOG=trigger"))
			step(in, PE_TRIGGER, NULL, 0);
		else if (!strncmp(l, "STATUS=", 7))
			copy_text(in->status, sizeof in->status, l + 7);
		else if (!strcmp(l, "STOPPING=1"))
			log_info("%s: stopping", in->name);
	}
}

void
instance_invalid(struct instance *in)
{
	step(in, PE_INVALID, in->error, 0);
}

struct leftovers {
	pid_t session;
	unsigned live;
};

static bool
left_behind(const struct proc_ids *p, const struct leftovers *lo)
{
	return p->session == lo->session && p->pid != lo->session;
}

static void
count_live(const struct proc_ids *p, void *ctx)
{
	struct leftovers *lo = ctx;

	if (left_behind(p, lo) && p->state != 'Z')
		lo->live++;
}

static void
kill_in_session(const struct proc_ids *p, void *ctx)
{
	/* The whole group: what a run forks meanwhile goes too. */
	if (left_behind(p, ctx))
		kill(-p->pgrp, SIGKILL);
}

/* A worker that was killed (by us, by an operator, by the OOM killer)
 * leaves its runs behind: an rsync dies with it (it asks for that), but
 * not the ssh or the local receiver that rsync started.  Every process of
 * its session goes.  The worker is a zombie until reaped: its pid, the
 * session's id, cannot be given to another process meanwhile. */
static void
kill_leftovers(struct instance *in)
{
	struct leftovers lo = { in->pol.pid, 0 };

	/* Counted before the kills: a group killed early in the walk holds
	 * processes found later, already dead (the count read 0 so). */
	int rc = proc_each(count_live, &lo), e = errno;

	if (proc_each(kill_in_session, &lo) < 0) {
		rc = -1;
		e = errno;
	}
	if (rc < 0)
		log_err("%s: /proc: %s: what the worker started may be left", in->name, strerror(e));
	if (lo.live)
		log_warn("%s: killed %u process%s the worker left behind (its rsync runs and what they "
		    "started)", in->name, lo.live, lo.live == 1 ? "" : "es");
}

void
instance_exited(struct instance *in)
{
	char how[96];
	int ws;

	kill_leftovers(in);
	while (waitpid(in->pol.pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(ws))
		snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(ws));
	else if (WIFSIGNALED(ws))
		snprintf(how, sizeof how, "killed by signal %d (SIG%s)", WTERMSIG(ws),
		    sigabbrev_np(WTERMSIG(ws)) ? sigabbrev_np(WTERMSIG(ws)) : "?");
	else
		snprintf(how, sizeof how, "gone (wait status %#x)", (unsigned)ws);
	if (in->pol.abort_reason)
		snprintf(in->last_exit, sizeof in->last_exit, "%s, %s", in->pol.abort_reason, how);
	else
		snprintf(in->last_exit, sizeof in->last_exit, "%s", how);
	if (in->out_open)
		read_output(in, UINT_MAX);	/* its last words, up to what its rsyncs still hold open */
	close_output(in);
	in->status[0] = '\0';
	step(in, PE_EXITED, in->last_exit, 0);
}

void
instance_start(struct instance *in)
{
	step(in, PE_START, NULL, 0);
}

void
instance_stop(struct instance *in)
{
	step(in, PE_STOP, NULL, 0);
}

void
instance_restart(struct instance *in)
{
	step(in, PE_RESTART, NULL, 0);
}

static bool
valid_instance_name(const char *s, size_t n)
{
	if (!n || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-@", s[i]))
			return false;
	return true;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
instance_scan(const char *dir)
{
	struct strv names = { 0 };
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d && errno != ENOENT)
		log_err("%s: %s", dir, strerror(errno));
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n <= 4 || strcmp(e->d_name + n - 4, ".ini"))
			continue;
		if (!valid_instance_name(e->d_name, n - 4)) {
			log_warn("%s/%s: ignored: an instance name may only hold letters, digits, "
			    "'_', '.', '-' and '@'", dir, e->d_name);
			continue;
		}
		strv_addf(&names, "%.*s", (int)(n - 4), e->d_name);
	}
	if (d)
		closedir(d);
	if (names.n > 1 && !names.oom)
		qsort(names.v, names.n, sizeof *names.v, by_name);
	return strv_steal(&names);
}
