/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "strv.h"

extern char **environ;

static struct child *children;

size_t
child_count(void)
{
	size_t n = 0;
	for (struct child *c = children; c; c = c->next)
		n++;
	return n;
}

void
child_describe(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exit code %d", WEXITSTATUS(status));
}

static void keep_output(struct child *c, const char *buf, size_t n);
static void tail_add(struct child *c, const char *buf, size_t n);

/* At info level for output that is always logged, at debug for -v's. */
static void __attribute__((format(printf, 2, 3)))
log_line(const struct child *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->log_lines)
		log_info("%s: %s", c->label, msg);
	else
		log_debug("%s: %s", c->label, msg);
}

static void
finish_if_done(struct child *c)
{
	if (!c->exited || !c->out_done || c->in_buf)
		return;
	if (c->line_len)
		keep_output(c, "\n", 1);	/* a last line without its newline */
	if (c->unlogged)
		log_line(c, "%zu more bytes of output not logged (at most %d bytes of log a run)",
		    c->unlogged, CHILD_LOG_MAX);
	if (c->stalled) {
		/* Where its failure is described from: why it was killed. */
		char why[64];
		int n = snprintf(why, sizeof why, "no progress for %llus\n",
		    (unsigned long long)(c->stalled / 1000));
		tail_add(c, why, (size_t)n);
	}
	timer_close(&c->watch);
	for (struct child **pp = &children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->on_exit(c, c->status, c->ctx);
	free(c);
}

static void
close_input(struct child *c)
{
	if (!c->in_buf)
		return;
	loop_del(c->loop, &c->in_io);
	close(c->in_io.fd);
	free(c->in_buf);
	c->in_buf = NULL;
}

static void
tail_add(struct child *c, const char *buf, size_t n)
{
	if (n >= CHILD_TAIL - 1) {
		memcpy(c->tail, buf + n - (CHILD_TAIL - 1), CHILD_TAIL - 1);
		c->tail_len = CHILD_TAIL - 1;
	} else {
		size_t keep = c->tail_len + n > CHILD_TAIL - 1 ? CHILD_TAIL - 1 - n : c->tail_len;
		memmove(c->tail, c->tail + c->tail_len - keep, keep);
		memcpy(c->tail + keep, buf, n);
		c->tail_len = keep + n;
	}
	c->tail[c->tail_len] = '\0';
}

static void
keep_output(struct child *c, const char *buf, size_t n)
{
	if (c->on_output)
		c->on_output(buf, n, c->ctx);
	tail_add(c, buf, n);
	if (!log_verbose() && !c->log_lines)
		return;
	for (size_t i = 0; i < n; i++) {
		if (c->logged >= CHILD_LOG_MAX) {
			c->unlogged += c->line_len + n - i;
			c->line_len = 0;
			return;
		}
		if (buf[i] == '\n' || c->line_len == sizeof c->line - 1) {
			c->line[c->line_len] = '\0';
			log_line(c, "%s", c->line);
			c->logged += strlen(c->label) + c->line_len + 3;	/* "label: line\n" */
			c->line_len = 0;
			if (buf[i] == '\n')
				continue;
		}
		c->line[c->line_len++] = buf[i];
	}
}

/* Reads what is there; at EOF (or an error that ends the stream) the pipe
 * is closed and out_done set. */
static void
drain_output(struct child *c)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(c->out_io.fd, buf, sizeof buf);
		if (n > 0) {
			c->progress_at = now_ms();
			keep_output(c, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		break;
	}
	loop_del(c->loop, &c->out_io);
	close(c->out_io.fd);
	c->out_done = true;
}

static void
on_output(void *ctx, uint32_t events)
{
	struct child *c = ctx;

	(void)events;
	drain_output(c);
	if (c->out_done)
		finish_if_done(c);
}

static void
on_input(void *ctx, uint32_t events)
{
	struct child *c = ctx;

	while (c->in_off < c->in_len) {
		ssize_t n = write(c->in_io.fd, c->in_buf + c->in_off, c->in_len - c->in_off);
		if (n > 0) {
			c->in_off += (size_t)n;
			c->progress_at = now_ms();
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && !(events & (EPOLLERR | EPOLLHUP)))
			return;
		break;		/* EPIPE: the child stopped reading; its exit says why */
	}
	close_input(c);
	finish_if_done(c);
}

/* Between fork and exec: pass (if >= 0) becomes CHILD_PASS_FD, open across
 * the exec; err, the report pipe, moves out of its way. */
static bool
pass_on(int pass, int *err)
{
	if (pass < 0)
		return true;
	if (*err == CHILD_PASS_FD && (*err = fcntl(*err, F_DUPFD_CLOEXEC, CHILD_PASS_FD + 1)) < 0)
		return false;
	if (pass == CHILD_PASS_FD)
		return fcntl(pass, F_SETFD, 0) == 0;
	return dup2(pass, CHILD_PASS_FD) == CHILD_PASS_FD;
}

/* Between fork and exec: async-signal-safe calls only (libcurl may run a
 * resolver thread in the worker).  Reports why it failed on err. */
static _Noreturn void
exec_child(char *const argv[], char *const envp[], int in, int out, int err, int pass, pid_t worker)
{
	struct sigaction dflt = { .sa_handler = SIG_DFL }, old;
	sigset_t none;

	/* The worker blocks signals for its signalfd and ignores SIGPIPE (and
	 * what it was started with ignored): rsync must inherit neither. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			sigaction(sig, &dflt, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Its own group: child_kill reaches the ssh it runs, and a Ctrl-C
	 * meant for a worker in a terminal does not reach it. */
	setpgid(0, 0);
	/* Killed when the worker dies, however it dies: a run left behind
	 * would go on writing into the mirror next to the next worker's.  The
	 * signal comes when the thread that forked ends: this is the main
	 * thread, which ends with the process.  A worker gone before the
	 * prctl() would never send it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() == worker &&
	    dup2(in, 0) >= 0 && dup2(out, 1) >= 0 && dup2(out, 2) >= 0 &&
	    pass_on(pass, &err))
		execvpe(argv[0], argv, envp);
	int e = errno;
	ssize_t n = write(err, &e, sizeof e);
	(void)n;	/* a worker that is gone has nothing to hear */
	_exit(127);
}

char **
child_env_with(const char *const *vars)
{
	struct strv env = { 0 };

	for (char **e = environ; *e; e++) {
		const char *const *v = vars;
		for (; *v; v++)
			if (!strncmp(*e, *v, strcspn(*v, "=") + 1))
				break;
		if (!*v)
			strv_add(&env, *e);
	}
	for (const char *const *v = vars; *v; v++)
		strv_add(&env, *v);
	return strv_steal(&env);
}

struct child *
child_spawn(struct loop *l, char *const argv[], char *const envp[], int pass_fd, char *in_buf,
    size_t in_len, const char *label, child_exit_fn on_exit, void *ctx)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, e = 0;
	pid_t worker = getpid();
	struct child *c = calloc(1, sizeof *c);

	if (!c || pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(err, O_CLOEXEC) < 0) {
		log_err("%s: cannot create pipes: %s", label, strerror(errno));
		goto fail;
	}
	/* Not posix_spawn(), which cannot set the parent-death signal. */
	c->pid = fork();
	if (c->pid == 0)
		exec_child(argv, envp ? envp : environ, in[0], out[1], err[1], pass_fd, worker);
	if (c->pid < 0) {
		log_err("%s: cannot fork: %s", label, strerror(errno));
		goto fail;
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	in[0] = out[1] = err[1] = -1;
	/* Nothing to read once it runs the program: err closes on exec. */
	ssize_t n;
	while ((n = read(err[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	if (n == sizeof e) {
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		log_err("%s: cannot run %s: %s", label, argv[0], strerror(e));
		goto fail;
	}
	close(err[0]);
	err[0] = -1;
	c->loop = l;
	c->on_exit = on_exit;
	c->ctx = ctx;
	c->progress_at = now_ms();
	snprintf(c->label, sizeof c->label, "%s", label);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	c->in_buf = in_buf;
	c->in_len = in_len;
	in_buf = NULL;
	c->next = children;
	children = c;
	loop_add(l, &c->out_io, out[0], EPOLLIN, on_output, c);
	if (c->in_buf && c->in_len) {
		loop_add(l, &c->in_io, in[1], EPOLLOUT, on_input, c);
	} else {
		free(c->in_buf);
		c->in_buf = NULL;
		close(in[1]);
	}
	return c;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	free(in_buf);
	free(c);
	return NULL;
}

struct group_io {
	pid_t pgrp;
	long long sum;		/* -1: none could be read */
};

static void
add_io(const struct proc_ids *p, void *ctx)
{
	struct group_io *g = ctx;
	long long n;

	if (p->pgrp == g->pgrp && (n = proc_io(p->pid)) >= 0)
		g->sum = g->sum < 0 ? n : g->sum + n;
}

static void
check_progress(void *ctx)
{
	struct child *c = ctx;
	struct group_io g = { c->pid, -1 };
	uint64_t now = now_ms();
	siginfo_t si = { 0 };

	/* Ended on its own, the exit perhaps not reaped yet: that exit says
	 * what happened. */
	if (c->exited || (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid))
		return;
	/* Not only the child: a wrapper may wait while its rsync works.  A
	 * process that leaves the group changes the sum too: something
	 * happened.  What cannot be measured is never called stuck. */
	proc_each(add_io, &g);
	if (g.sum < 0 || g.sum != c->io) {
		c->io = g.sum;
		c->progress_at = now;
	}
	if (now - c->progress_at < c->stall_ms) {
		timer_arm(&c->watch, c->stall_ms / 4);
		return;
	}
	c->stalled = now - c->progress_at;
	log_warn("%s: killed: no progress for %llus (no output, no input taken, no I/O by its "
	    "processes)", c->label, (unsigned long long)(c->stalled / 1000));
	child_kill(c, SIGKILL);
}

void
child_watch(struct child *c, uint64_t ms)
{
	if (timer_init(c->loop, &c->watch, check_progress, c) < 0)
		return;		/* logged; it runs unwatched */
	c->stall_ms = ms;
	/* Not known yet: the first look counts as progress. */
	c->io = -1;
	timer_arm(&c->watch, ms / 4);
}

void
child_kill(struct child *c, int sig)
{
	if (!c->exited)
		kill(-c->pid, sig);
}

void
child_reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (struct child *c = children; c; c = c->next) {
			if (c->pid != pid)
				continue;
			c->exited = true;
			c->status = status;
			/* Nobody reads its stdin any more. */
			close_input(c);
			/* What it wrote is in the pipe; a descendant that keeps
			 * the pipe open must not keep the run going. */
			if (!c->out_done)
				drain_output(c);
			if (!c->out_done) {
				loop_del(c->loop, &c->out_io);
				close(c->out_io.fd);
				c->out_done = true;
			}
			finish_if_done(c);
			break;
		}
	}
}

void
child_kill_all(void)
{
	while (children) {
		struct child *c = children;
		children = c->next;
		if (!c->exited) {
			kill(-c->pid, SIGKILL);
			waitpid(c->pid, NULL, 0);
		}
		close_input(c);
		if (!c->out_done) {
			loop_del(c->loop, &c->out_io);
			close(c->out_io.fd);
		}
		timer_close(&c->watch);
		free(c);
	}
}
