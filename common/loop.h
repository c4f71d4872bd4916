/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one event loop of a process: epoll over file descriptors, with timers
 * as timerfds, so the process sleeps until something happens (no polling). */
#ifndef SYNCD_LOOP_H
#define SYNCD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
typedef void (*io_fn)(void *ctx, uint32_t events);

struct io {
	int fd;
	io_fn fn;
	void *ctx;
};

struct loop {
	int epfd;
	bool stop;
	struct epoll_event *ready;	/* the batch being dispatched */
	int nready, cur;
};

struct timer {
	struct io io;
	struct loop *loop;
	void (*fn)(void *ctx);
	void *ctx;
	uint64_t due;		/* monotonic ms, 0 when disarmed */
};

int loop_init(struct loop *l);
void loop_close(struct loop *l);
int loop_add(struct loop *l, struct io *io, int fd, uint32_t events, io_fn fn, void *ctx);
int loop_mod(struct loop *l, struct io *io, uint32_t events);
/* Safe to call from a handler, also for an io with events pending in this round. */
void loop_del(struct loop *l, struct io *io);
/* Runs until loop->stop is set; returns -1 if epoll fails. */
int loop_run(struct loop *l);

int timer_init(struct loop *l, struct timer *t, void (*fn)(void *ctx), void *ctx);
void timer_close(struct timer *t);
/* Arms the timer to fire once, ms from now (0 fires at the next round). */
void timer_arm(struct timer *t, uint64_t ms);
void timer_disarm(struct timer *t);

uint64_t now_ms(void);
/* Wall-clock seconds, for what people read. */
uint64_t wall_ms(void);

#endif
