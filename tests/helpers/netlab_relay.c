/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netlab_relay LISTEN-ADDR PORT TARGET-ADDR PORT CONTROL-FILE: the network
 * lab's (tests/helpers/netlab) delaying TCP relay, for kernels without
 * sch_netem.  Each connection accepted on LISTEN is joined to one to
 * TARGET; every chunk read from either side is held for the one-way delay
 * before it is written to the other, so a request and its answer cost one
 * round trip.  CONTROL-FILE holds "DELAY_MS JITTER_MS STALL" and is read
 * again on SIGHUP: jitter adds a uniform -J..+J ms to each chunk's delay
 * without reordering (a chunk never leaves before the one read before it),
 * and STALL 1 stops every byte in both directions (connections stay open,
 * the senders' buffers fill up) until a STALL 0.
 *
 * The relay terminates TCP: the handshake and TCP's own acknowledgements are
 * not delayed, only the data, and throughput is not bounded by the window
 * over the round trip (the rate is tc's job).  What a real handshake costs
 * is added: no byte of a new connection moves before three one-way delays
 * (SYN, SYN-ACK, ACK) have passed since it was accepted, so a server's
 * greeting reaches the client two round trips after its connect() began, as
 * on a real link (the client's first bytes reach the server at that time
 * too, half a round trip later than on a real link: a server that speaks
 * first does not wait for them before its greeting). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 512
#define CHUNK (64 * 1024)
#define MAX_QUEUED (4 * 1024 * 1024) /* per direction: then stop reading */

struct chunk {
	struct chunk *next;
	long long due;  /* ms, CLOCK_MONOTONIC */
	size_t len, off;
	int eof;        /* the reader's end closed: shut the writer's down */
	char data[];
};

struct dir {           /* the bytes from fd[i] to fd[1 - i] */
	struct chunk *head, *tail;
	size_t queued;
	long long last_due;
	int read_eof, done;
};

struct conn {
	int fd[2];         /* 0: the client, 1: the target */
	struct dir dir[2];
	long long open_at; /* ms: the emulated handshake is over */
};

static struct conn *conns[MAX_CONNS];
static int nconns;
static long delay_ms, jitter_ms;
static int stalled;
static volatile sig_atomic_t reload;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
read_control(const char *path)
{
	FILE *f = fopen(path, "r");
	long d = 0, j = 0;
	int s = 0;

	if (!f) {
		fprintf(stderr, "netlab_relay: %s: %s\n", path, strerror(errno));
		return;
	}
	if (fscanf(f, "%ld %ld %d", &d, &j, &s) != 3 || d < 0 || j < 0)
		fprintf(stderr, "netlab_relay: %s: want DELAY_MS JITTER_MS STALL\n", path);
	else {
		delay_ms = d;
		jitter_ms = j;
		stalled = s != 0;
	}
	fclose(f);
}

static void
on_hup(int sig)
{
	reload = 1;
}

static int
parse_addr(struct sockaddr_in *sa, const char *addr, const char *port)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)atoi(port));
	return inet_pton(AF_INET, addr, &sa->sin_addr) == 1 ? 0 : -1;
}

static void
conn_free(int i)
{
	struct conn *c = conns[i];

	for (int d = 0; d < 2; d++) {
		struct chunk *ch, *next;

		for (ch = c->dir[d].head; ch; ch = next) {
			next = ch->next;
			free(ch);
		}
		close(c->fd[d]);
	}
	free(c);
	conns[i] = conns[--nconns];
}

static void
accept_one(int lfd, const struct sockaddr_in *target)
{
	struct conn *c;
	int cfd, tfd, one = 1;

	cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (nconns == MAX_CONNS) {
		close(cfd);
		return;
	}
	/* the target is on the namespace's loopback: connecting blocks for
	 * no time worth an asynchronous connect */
	tfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (tfd < 0 || connect(tfd, (const struct sockaddr *)target, sizeof *target) < 0) {
		fprintf(stderr, "netlab_relay: connect to the target: %s\n", strerror(errno));
		if (tfd >= 0)
			close(tfd);
		close(cfd);
		return;
	}
	c = calloc(1, sizeof *c);
	if (!c) {
		close(tfd);
		close(cfd);
		return;
	}
	c->fd[0] = cfd;
	c->fd[1] = tfd;
	c->open_at = now_ms() + 3 * delay_ms;
	for (int d = 0; d < 2; d++) {
		fcntl(c->fd[d], F_SETFL, O_NONBLOCK);
		/* the delay is ours: no Nagle on top of it */
		setsockopt(c->fd[d], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	conns[nconns++] = c;
}

/* Reads what fd[d] has into a new chunk; -1 when the connection is broken. */
static int
dir_read(struct conn *c, int d)
{
	struct dir *q = &c->dir[d];
	struct chunk *ch;
	long long due;
	ssize_t n;

	ch = malloc(sizeof *ch + CHUNK);
	if (!ch)
		return -1;
	n = read(c->fd[d], ch->data, CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		free(ch);
		return 0;
	}
	if (n < 0) {
		free(ch);
		return -1;
	}
	/* a small read keeps a small chunk: a trickle must not hold 64 KiB a byte */
	if (n < CHUNK) {
		struct chunk *fit = realloc(ch, sizeof *ch + (size_t)n);

		if (fit)
			ch = fit;
	}
	due = now_ms();
	if (due < c->open_at)
		due = c->open_at;
	due += delay_ms;
	if (jitter_ms)
		due += random() % (2 * jitter_ms + 1) - jitter_ms;
	if (due < q->last_due)
		due = q->last_due;
	q->last_due = due;
	ch->next = NULL;
	ch->due = due;
	ch->len = (size_t)n;
	ch->off = 0;
	ch->eof = n == 0;
	q->read_eof = n == 0;
	if (q->tail)
		q->tail->next = ch;
	else
		q->head = ch;
	q->tail = ch;
	q->queued += (size_t)n;
	return 0;
}

/* Writes the due chunks to fd[1 - d]; 1 if one is due but the socket is
 * full, -1 when the connection is broken. */
static int
dir_flush(struct conn *c, int d, long long now)
{
	struct dir *q = &c->dir[d];
	struct chunk *ch;
	ssize_t n;

	while ((ch = q->head) && ch->due <= now) {
		if (ch->eof) {
			shutdown(c->fd[1 - d], SHUT_WR);
			q->done = 1;
		} else {
			n = write(c->fd[1 - d], ch->data + ch->off, ch->len - ch->off);
			if (n < 0 && errno == EAGAIN)
				return 1;
			if (n < 0)
				return -1;
			ch->off += (size_t)n;
			if (ch->off < ch->len)
				return 1;
			q->queued -= ch->len;
		}
		q->head = ch->next;
		if (!q->head)
			q->tail = NULL;
		free(ch);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in la, ta;
	struct pollfd pfd[1 + 2 * MAX_CONNS];
	struct sigaction sa = { .sa_handler = on_hup };
	sigset_t block, empty;
	int lfd, one = 1;

	if (argc != 6 || parse_addr(&la, argv[1], argv[2]) < 0 || parse_addr(&ta, argv[3], argv[4]) < 0) {
		fprintf(stderr, "usage: netlab_relay LISTEN-ADDR PORT TARGET-ADDR PORT CONTROL-FILE\n");
		return 2;
	}
	srandom((unsigned)getpid());
	read_control(argv[5]);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigemptyset(&empty);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, NULL);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(lfd, (struct sockaddr *)&la, sizeof la) < 0 || listen(lfd, 128) < 0) {
		fprintf(stderr, "netlab_relay: %s:%s: %s\n", argv[1], argv[2], strerror(errno));
		return 1;
	}
	for (;;) {
		long long now = now_ms(), next = -1;
		int n = 0, timeout;

		if (reload) {
			reload = 0;
			read_control(argv[5]);
		}
		pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < nconns; i++) {
			struct conn *c = conns[i];
			short ev[2] = { 0, 0 };
			int broken = 0;

			for (int d = 0; d < 2 && !broken && !stalled; d++) {
				int r = dir_flush(c, d, now);

				if (r < 0)
					broken = 1;
				else if (r > 0)
					ev[1 - d] |= POLLOUT;
				else if (c->dir[d].head && (next < 0 || c->dir[d].head->due < next))
					next = c->dir[d].head->due;
				if (!c->dir[d].read_eof && c->dir[d].queued < MAX_QUEUED)
					ev[d] |= POLLIN;
			}
			if (broken || (c->dir[0].done && c->dir[1].done)) {
				conn_free(i--);
				continue;
			}
			/* a socket with nothing to wait for is left out: a hung-up
			 * one would wake the loop at once, again and again */
			pfd[n++] = (struct pollfd){ .fd = ev[0] ? c->fd[0] : -1, .events = ev[0] };
			pfd[n++] = (struct pollfd){ .fd = ev[1] ? c->fd[1] : -1, .events = ev[1] };
		}
		timeout = next < 0 ? -1 : (int)(next > now ? next - now : 0);
		if (ppoll(pfd, (nfds_t)n, timeout < 0 ? NULL : &(struct timespec){ timeout / 1000,
		    (long)(timeout % 1000) * 1000000 }, &empty) <= 0)
			continue;
		if (pfd[0].revents & POLLIN)
			accept_one(lfd, &ta);
		/* pfd[1 + 2i] is conns[i], as no connection was added or removed
		 * in between but the accepted one, which is last */
		for (int i = (n - 1) / 2 - 1; i >= 0; i--) {
			struct conn *c = conns[i];
			int broken = 0;

			for (int d = 0; d < 2; d++) {
				short re = pfd[1 + 2 * i + d].revents;

				if ((re & (POLLIN | POLLHUP | POLLERR)) && !c->dir[d].read_eof)
					broken |= dir_read(c, d) < 0;
			}
			if (broken)
				conn_free(i);
		}
	}
}
