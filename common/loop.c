/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "loop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
loop_init(struct loop *l)
{
	memset(l, 0, sizeof *l);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		log_err("epoll_create1: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
loop_close(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int
loop_add(struct loop *l, struct io *io, int fd, uint32_t events, io_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	io->fd = fd;
	io->fn = fn;
	io->ctx = ctx;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_err("epoll_ctl(ADD, fd %d): %s", fd, strerror(errno));
		return -1;
	}
	return 0;
}

int
loop_mod(struct loop *l, struct io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0) {
		log_err("epoll_ctl(MOD, fd %d): %s", io->fd, strerror(errno));
		return -1;
	}
	return 0;
}

void
loop_del(struct loop *l, struct io *io)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	/* The io may be freed right after: forget events still queued for it. */
	for (int i = l->cur + 1; i < l->nready; i++)
		if (l->ready[i].data.ptr == io)
			l->ready[i].data.ptr = NULL;
}

int
loop_run(struct loop *l)
{
	struct epoll_event evs[64];

	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return -1;
		}
		l->ready = evs;
		l->nready = n;
		for (l->cur = 0; l->cur < n; l->cur++) {
			struct io *io = evs[l->cur].data.ptr;
			if (io)
				io->fn(io->ctx, evs[l->cur].events);
		}
		l->nready = 0;
	}
	return 0;
}

static void
timer_fired(void *ctx, uint32_t events)
{
	struct timer *t = ctx;
	uint64_t expirations;

	(void)events;
	if (read(t->io.fd, &expirations, sizeof expirations) < 0 && errno == EAGAIN)
		return;
	t->due = 0;
	t->fn(t->ctx);
}

int
timer_init(struct loop *l, struct timer *t, void (*fn)(void *ctx), void *ctx)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	t->loop = NULL;	/* what timer_close looks at */
	t->fn = fn;
	t->ctx = ctx;
	t->due = 0;
	if (fd < 0) {
		log_err("timerfd_create: %s", strerror(errno));
		return -1;
	}
	if (loop_add(l, &t->io, fd, EPOLLIN, timer_fired, t) < 0) {
		close(fd);
		return -1;
	}
	t->loop = l;
	return 0;
}

void
timer_close(struct timer *t)
{
	if (!t->loop)
		return;
	loop_del(t->loop, &t->io);
	close(t->io.fd);
	t->loop = NULL;
}

void
timer_arm(struct timer *t, uint64_t ms)
{
	struct itimerspec its = { 0 };

	if (ms == 0)
		its.it_value.tv_nsec = 1;	/* zero would disarm */
	else {
		its.it_value.tv_sec = (time_t)(ms / 1000);
		its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	}
	t->due = now_ms() + ms;
	timerfd_settime(t->io.fd, 0, &its, NULL);
}

void
timer_disarm(struct timer *t)
{
	struct itimerspec its = { 0 };

	t->due = 0;
	timerfd_settime(t->io.fd, 0, &its, NULL);
}
