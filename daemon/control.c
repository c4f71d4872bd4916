#include "control.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "duration.h"
#include "log.h"
#include "remote.h"
#include "status.h"
#include "worker.h"

#define REQUEST_MAX 4096
#define CLIENTS_MAX 32
#define IDLE_MS 5000
#define FLUSH_DEFAULT_MS 60000
#define TICK_MS 100

struct client {
	struct control *ctl;
	struct io io;
	char in[REQUEST_MAX + 1];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	uint64_t deadline;	/* for the request, or for the flush */
	bool flushing;
	uint64_t flush_t, flush_start;
	struct client *next;
};

struct control {
	struct worker *w;
	char *path;
	int fd;
	struct io io;
	struct timer tick;
	struct client *clients;
	unsigned nclients;
};

static void
client_free(struct client *cl)
{
	struct control *ctl = cl->ctl;

	for (struct client **pp = &ctl->clients; *pp; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	ctl->nclients--;
	loop_del(&ctl->w->loop, &cl->io);
	close(cl->io.fd);
	free(cl->out);
	free(cl);
}

static void
on_writable(void *ctx, uint32_t events)
{
	struct client *cl = ctx;

	while (cl->outoff < cl->outlen) {
		ssize_t n = send(cl->io.fd, cl->out + cl->outoff, cl->outlen - cl->outoff, MSG_NOSIGNAL);
		if (n > 0) {
			cl->outoff += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && !(events & (EPOLLERR | EPOLLHUP)))
			return;
		break;
	}
	client_free(cl);
}

/* Sends text and closes once it is out. */
static void
reply(struct client *cl, const char *text, size_t len)
{
	cl->flushing = false;
	cl->out = malloc(len);
	if (!cl->out) {
		client_free(cl);
		return;
	}
	memcpy(cl->out, text, len);
	cl->outlen = len;
	cl->deadline = now_ms() + IDLE_MS;	/* a reader that never reads is dropped too */
	cl->io.fn = on_writable;
	loop_mod(&cl->ctl->w->loop, &cl->io, EPOLLOUT);
	on_writable(cl, 0);
}

static void __attribute__((format(printf, 2, 3)))
replyf(struct client *cl, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	reply(cl, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static bool
flush_done(struct client *cl)
{
	struct worker *w = cl->ctl->w;

	for (size_t i = 0; i < w->cfg->nremotes; i++)
		if (!remote_current(&w->remotes[i], cl->flush_t))
			return false;
	return true;
}

static void
flush_timeout(struct client *cl)
{
	struct worker *w = cl->ctl->w;
	char buf[4096];
	size_t o = 0;

	o += (size_t)snprintf(buf, sizeof buf, "error: timeout after %.3fs; not current:",
	    (double)(now_ms() - cl->flush_start) / 1000);
	for (size_t i = 0; i < w->cfg->nremotes && o < sizeof buf; i++) {
		const struct remote *r = &w->remotes[i];
		if (remote_current(r, cl->flush_t))
			continue;
		o += (size_t)snprintf(buf + o, sizeof buf - o, " %s (%s, %zu pending)", r->rc->name,
		    remote_state(r), changeset_count(&r->pending) + changeset_count(&r->inflight));
	}
	if (o < sizeof buf - 1)
		buf[o++] = '\n';
	reply(cl, buf, o < sizeof buf ? o : sizeof buf - 1);
}

void
control_progress(struct control *ctl)
{
	if (!ctl)
		return;
	for (struct client *cl = ctl->clients, *next; cl; cl = next) {
		next = cl->next;
		if (cl->flushing && flush_done(cl))
			replyf(cl, "ok: every change made before the flush is on every mirror (%.3fs)\n",
			    (double)(now_ms() - cl->flush_start) / 1000);
	}
}

static void
answer_status(struct client *cl, bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f) {
		replyf(cl, "error: out of memory\n");
		return;
	}
	if (json)
		status_json(cl->ctl->w, f);
	else {
		fputs("ok\n", f);
		status_text(cl->ctl->w, f);
	}
	if (fclose(f) != 0) {
		free(text);
		replyf(cl, "error: out of memory\n");
		return;
	}
	reply(cl, text, len);
	free(text);
}

static void
handle_request(struct client *cl, char *req)
{
	struct worker *w = cl->ctl->w;
	char *arg;

	req[strcspn(req, "\r\n")] = '\0';
	while (*req == ' ' || *req == '\t')
		req++;
	arg = req + strcspn(req, " \t");
	if (*arg)
		*arg++ = '\0';
	while (*arg == ' ' || *arg == '\t')
		arg++;
	if (!strcmp(req, "status") && (!*arg || !strcmp(arg, "--json"))) {
		answer_status(cl, *arg != '\0');
	} else if (!strcmp(req, "resync") && !*arg) {
		log_info("control: full sync of every remote requested");
		worker_resync(w);
		replyf(cl, "ok: full sync of every remote started\n");
	} else if (!strcmp(req, "pause") && !*arg) {
		worker_pause(w, true);
		replyf(cl, "ok: paused; changes are gathered and journaled, not pushed\n");
	} else if (!strcmp(req, "resume") && !*arg) {
		worker_pause(w, false);
		replyf(cl, "ok: resumed\n");
	} else if (!strcmp(req, "flush")) {
		uint64_t timeout = FLUSH_DEFAULT_MS;
		const char *why;
		if (*arg && duration_parse(arg, &timeout, &why) < 0) {
			replyf(cl, "error: flush %s: %s\n", arg, why);
			return;
		}
		/* Every change made before now is in the inotify queue: take
		 * it all in and push it without waiting for the batch timer. */
		worker_flush_begin(w);
		cl->flushing = true;
		cl->flush_start = now_ms();
		cl->flush_t = cl->flush_start;
		cl->deadline = cl->flush_start + timeout;
		loop_mod(&w->loop, &cl->io, 0);
		control_progress(cl->ctl);
	} else if (!strcmp(req, "help") && !*arg) {
		replyf(cl, "ok\nstatus [--json]\nresync\npause\nresume\nflush [TIMEOUT]\n");
	} else {
		char q[128];
		replyf(cl, "error: unknown command '%s' (known: status [--json], resync, pause, "
		    "resume, flush [TIMEOUT], help)\n", log_quote(req, q, sizeof q));
	}
}

static void
on_readable(void *ctx, uint32_t events)
{
	struct client *cl = ctx;

	for (;;) {
		ssize_t n = recv(cl->io.fd, cl->in + cl->inlen, REQUEST_MAX - cl->inlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			client_free(cl);	/* gone before asking anything */
			return;
		}
		cl->inlen += (size_t)n;
		cl->in[cl->inlen] = '\0';
		char *nl = memchr(cl->in, '\n', cl->inlen);
		if (nl) {
			*nl = '\0';
			if (memchr(cl->in, '\0', (size_t)(nl - cl->in)))
				replyf(cl, "error: NUL byte in the request\n");
			else
				handle_request(cl, cl->in);
			return;
		}
		if (cl->inlen == REQUEST_MAX) {
			replyf(cl, "error: request too long (at most %d bytes, one line)\n", REQUEST_MAX);
			return;
		}
	}
	(void)events;
}

static void
on_tick(void *ctx)
{
	struct control *ctl = ctx;
	uint64_t now = now_ms();

	for (struct client *cl = ctl->clients, *next; cl; cl = next) {
		next = cl->next;
		if (now < cl->deadline)
			continue;
		if (cl->flushing)
			flush_timeout(cl);
		else if (cl->out)
			client_free(cl);	/* it does not read its answer */
		else
			replyf(cl, "error: timeout waiting for a request\n");
	}
	if (ctl->clients)
		timer_arm(&ctl->tick, TICK_MS);
}

static void
on_accept(void *ctx, uint32_t events)
{
	struct control *ctl = ctx;

	(void)events;
	for (;;) {
		int fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("control socket %s: accept: %s", ctl->path, strerror(errno));
			return;
		}
		struct ucred cred;
		socklen_t len = sizeof cred;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    (cred.uid != 0 && cred.uid != geteuid())) {
			static const char denied[] = "error: permission denied\n";
			ssize_t w = send(fd, denied, sizeof denied - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)w;
			close(fd);
			continue;
		}
		struct client *cl = ctl->nclients < CLIENTS_MAX ? calloc(1, sizeof *cl) : NULL;
		if (!cl) {
			static const char busy[] = "error: too many clients\n";
			ssize_t w = send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)w;
			close(fd);
			continue;
		}
		cl->ctl = ctl;
		cl->deadline = now_ms() + IDLE_MS;
		if (loop_add(&ctl->w->loop, &cl->io, fd, EPOLLIN, on_readable, cl) < 0) {
			close(fd);
			free(cl);
			continue;
		}
		cl->next = ctl->clients;
		ctl->clients = cl;
		ctl->nclients++;
		if (!ctl->tick.due)
			timer_arm(&ctl->tick, TICK_MS);
	}
}

struct control *
control_open(struct worker *w, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *ctl = calloc(1, sizeof *ctl);

	if (!ctl)
		return NULL;
	ctl->w = w;
	ctl->fd = -1;
	if (strlen(path) >= sizeof sa.sun_path) {
		log_err("control socket %s: path too long", path);
		free(ctl);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	ctl->path = strdup(path);
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0)
		goto fail;
	/* A socket that answers belongs to a running worker of this name. */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
		close(probe);
		log_err("control socket %s answers: another worker of instance %s is running",
		    path, w->cfg->name);
		errno = EADDRINUSE;
		goto fail_quiet;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	if (bind(ctl->fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, 0660) < 0 ||
	    listen(ctl->fd, 16) < 0)
		goto fail;
	if (timer_init(&w->loop, &ctl->tick, on_tick, ctl) < 0 ||
	    loop_add(&w->loop, &ctl->io, ctl->fd, EPOLLIN, on_accept, ctl) < 0)
		goto fail_quiet;
	return ctl;
fail:
	log_err("control socket %s: %s", path, strerror(errno));
fail_quiet:
	timer_close(&ctl->tick);
	if (ctl->fd >= 0)
		close(ctl->fd);
	free(ctl->path);
	free(ctl);
	return NULL;
}

void
control_close(struct control *ctl)
{
	if (!ctl)
		return;
	for (struct client *cl = ctl->clients, *next; cl; cl = next) {
		next = cl->next;
		if (cl->flushing)
			replyf(cl, "error: the worker is stopping\n");	/* frees it once sent */
		else if (!cl->out)
			client_free(cl);
	}
	while (ctl->clients)
		client_free(ctl->clients);	/* what could not be sent at once */
	loop_del(&ctl->w->loop, &ctl->io);
	close(ctl->fd);
	unlink(ctl->path);
	timer_close(&ctl->tick);
	free(ctl->path);
	free(ctl);
}
