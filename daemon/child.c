#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

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
keep_output(struct child *c, const char *buf, size_t n)
{
	if (c->on_output)
		c->on_output(buf, n, c->ctx);
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

struct child *
child_spawn(struct loop *l, char *const argv[], char *const envp[], char *in_buf,
    size_t in_len, const char *label, child_exit_fn on_exit, void *ctx)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, rc;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	struct child *c = calloc(1, sizeof *c);

	if (!c || pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		log_err("%s: cannot create pipes: %s", label, strerror(errno));
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out[1], 2);
	posix_spawnattr_init(&attr);
	/* The worker blocks signals for its signalfd; rsync must not inherit that. */
	sigemptyset(&none);
	sigfillset(&dflt);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETPGROUP);
	rc = posix_spawnp(&c->pid, argv[0], &fa, &attr, argv, envp ? envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	if (rc != 0) {
		log_err("%s: cannot run %s: %s", label, argv[0], strerror(rc));
		goto fail;
	}
	c->loop = l;
	c->on_exit = on_exit;
	c->ctx = ctx;
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
	}
	free(in_buf);
	free(c);
	return NULL;
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
		free(c);
	}
}
