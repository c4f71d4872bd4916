/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "connector.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "loop.h"
#include "opening.h"

/* rsync's daemon writes its compat flags, its checksum and compression
 * lists and its checksum seed as separate small writes, with no request
 * from the client in between.  A daemon without `socket options =
 * TCP_NODELAY` (most of them) holds each such write until the previous one
 * is acknowledged, and the client, which has nothing to send, acknowledges
 * only when its delayed-ACK timer fires: 40 ms per push on Linux.  rsync
 * cannot ask for quick ACKs (its --sockopts has no TCP_QUICKACK), so the
 * worker connects through this connector: rsync runs it as its remote shell
 * ("daemon over a remote shell", the same protocol on the wire) and it
 * acknowledges every read at once.  TCP_QUICKACK does not stick, hence
 * after each read. */

/* A push is a few request-and-answer exchanges of a segment or two, too few
 * for duplicate ACKs to resend a lost one: TCP resends it after its
 * retransmission timeout, at least 200 ms on Linux, and over a lossy link
 * those are the slowest pushes (50 mirrors at 0.5 % loss: p99 510-537 ms,
 * 487-492 ms with this; bench/fanout).  Our own segments are resent
 * sooner: the timeout's floor is set just above the 40 ms for which a Linux
 * peer delays an ACK at first (a later one, up to 200 ms, costs a segment
 * sent twice, not the push).  The daemon's segments keep its timeout.
 * Linux 6.15 and later; older kernels refuse it and keep 200 ms. */
#ifndef TCP_RTO_MIN_US
#define TCP_RTO_MIN_US 45
#endif
#define RTO_MIN_US 50000

int
connector_socket(int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int on = 1, rto_min_us = RTO_MIN_US;

	/* Before the connect: the timeout of the handshake's segments is
	 * computed with the floor of then. */
	if (fd >= 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
		setsockopt(fd, IPPROTO_TCP, TCP_RTO_MIN_US, &rto_min_us, sizeof rto_min_us);
	}
	return fd;
}

void
connector_socket_ready(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
}

bool
connector_socket_resent(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    len >= offsetof(struct tcp_info, tcpi_total_retrans) + sizeof ti.tcpi_total_retrans &&
	    ti.tcpi_total_retrans > 0;
}

void
connector_socket_close(int fd)
{
	char b[4096];

	while (recv(fd, b, sizeof b, MSG_DONTWAIT) > 0)
		;
	close(fd);
}

/* TCP sends a SYN again after a second, its first timeout for a peer whose
 * round trip it does not know yet, and asks again for a SYN-ACK lost no
 * sooner: over a link that loses 0.5 % each way, about 1 % of the pushes
 * took a second longer (bench/fanout).  A connect not made in
 * CONNECT_AGAIN_MS gets a second one beside it, as Happy Eyeballs (RFC 8305)
 * starts its next attempt after 250 ms: the first made is used and the other
 * closed; one not made by then never reaches the daemon (the kernel answers
 * its SYN-ACK with a reset).  A refusal is an answer: no second then. */
#define CONNECT_AGAIN_MS 250

/* A connect started; errno says why not. */
static int
connect_start(const struct addrinfo *a)
{
	int fd = connector_socket(a->ai_family), e;

	if (fd < 0 || connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* One address; errno says why not. */
static int
try_connect(const struct addrinfo *a, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = connect_start(a), .events = POLLOUT },
		{ .fd = -1, .events = POLLOUT } };
	uint64_t started = now_ms();
	bool again = false;	/* the second started, or tried */
	int err = 0, fd = -1;

	if (p[0].fd < 0)
		return -1;
	while (fd < 0 && (p[0].fd >= 0 || p[1].fd >= 0)) {
		uint64_t waited = now_ms() - started;
		if (timeout_ms > 0 && waited >= (uint64_t)timeout_ms) {
			err = ETIMEDOUT;
			break;
		}
		if (!again && waited >= CONNECT_AGAIN_MS) {
			again = true;
			p[1].fd = connect_start(a);
			continue;
		}
		int wait = timeout_ms > 0 ? timeout_ms - (int)waited : -1;
		if (!again && (wait < 0 || wait > CONNECT_AGAIN_MS - (int)waited))
			wait = CONNECT_AGAIN_MS - (int)waited;
		int rc = poll(p, 2, wait);
		if (rc < 0 && errno != EINTR) {
			err = errno;
			break;
		}
		for (int i = 0; rc > 0 && i < 2 && fd < 0; i++) {
			int e = 0;
			socklen_t len = sizeof e;
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
				e = errno;
			if (!e) {
				fd = p[i].fd;
				p[i].fd = -1;
				break;
			}
			close(p[i].fd);
			p[i].fd = -1;
			err = e;
			again = true;
		}
	}
	for (int i = 0; i < 2; i++)
		if (p[i].fd >= 0)
			connector_socket_close(p[i].fd);
	if (fd < 0) {
		errno = err;
		return -1;
	}
	connector_socket_ready(fd);
	return fd;
}

static int
connect_to(const char *host, const char *port, int timeout_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int rc = getaddrinfo(host, port, &hints, &res), fd = -1;

	if (rc) {
		fprintf(stderr, "syncd connector: %s port %s: %s\n", host, port, gai_strerror(rc));
		return -1;
	}
	for (const struct addrinfo *a = res; a && fd < 0; a = a->ai_next)
		fd = try_connect(a, timeout_ms);
	if (fd < 0)
		fprintf(stderr, "syncd connector: failed to connect to %s port %s: %s\n", host, port,
		    strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* Whether the environment has the variable NAME=VALUE says. */
static bool
env_says(const char *name_value)
{
	size_t n = strcspn(name_value, "=");
	char name[64];

	snprintf(name, sizeof name, "%.*s", (int)n, name_value);
	const char *v = getenv(name);
	return v && !strcmp(v, name_value + n + 1);
}

/* The socket to the worker, which keeps it until a run takes it. */
static int
hand_over(int fd)
{
	char byte = 0, ctl[CMSG_SPACE(sizeof fd)];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
		.msg_controllen = sizeof ctl };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	memset(ctl, 0, sizeof ctl);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof fd);
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	if (sendmsg(CHILD_PASS_FD, &m, MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "syncd connector: handing the connection over: %s\n", strerror(errno));
		return 255;
	}
	return 0;
}

/* The connection opened ahead, if this run was given one. */
static int
connected_fd(void)
{
	int type, domain;
	socklen_t len = sizeof type, dlen = sizeof domain;

	if (!env_says(CONNECTOR_FD_ENV))
		return -1;
	if (getsockopt(CHILD_PASS_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM ||
	    getsockopt(CHILD_PASS_FD, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) < 0 ||
	    (domain != AF_INET && domain != AF_INET6)) {
		fprintf(stderr, "syncd connector: descriptor %d: not a connection\n", CHILD_PASS_FD);
		return -1;
	}
	return CHILD_PASS_FD;
}

/* Keeps a run's opening where the worker reads it for the next connection
 * it opens ahead.  Unkept, the next run sends its own opening: nothing to
 * report to rsync, whose output is read as its own. */
static void
learn(const char *path, const char *b, size_t n)
{
	char tmp[4096];
	int fd;

	if (snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid()) >= (int)sizeof tmp ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return;
	int rc = write_all(fd, b, n);
	if (close(fd) < 0 || rc < 0 || rename(tmp, path) < 0)
		unlink(tmp);
}

/* The copy between rsync (0 and 1) and the daemon.  In the opening
 * (opening.h) it watches both ways: an opening sent ahead is checked against
 * rsync's bytes, which are dropped as long as they match, and the daemon's
 * answers reach rsync only once rsync has sent what they answer (its
 * greeting at once, the module's answer after the module, the rest after the
 * arguments).  Should rsync say anything else, or the daemon answer the
 * module otherwise than with OK, the copy starts over on a connection of its
 * own, which gets all of rsync's bytes and from which what rsync already had
 * is read again and dropped. */
struct relay {
	int sock;
	const char *host, *port;
	int timeout_ms;
	const char *learn;	/* where a run's opening is kept, or NULL */
	char sent[OPENING_MAX];	/* sent ahead on sock */
	size_t sent_len;	/* 0: nothing (any more) */
	size_t sent_lines;	/* its greeting and module lines */
	char cl[OPENING_MAX];	/* rsync's first bytes */
	size_t cl_len;
	char sv[OPENING_MAX];	/* the daemon's first bytes on sock */
	size_t sv_len, given;	/* given: of sv, what rsync has had */
	bool watching;		/* in the opening still */
};

/* A line of the daemon's into sv, a byte at a time: nothing past it is
 * taken from the socket. */
static int
reread_line(struct relay *r)
{
	struct pollfd p = { .fd = r->sock, .events = POLLIN };

	while (r->sv_len < sizeof r->sv) {
		if (poll(&p, 1, r->timeout_ms > 0 ? 2 * r->timeout_ms : -1) <= 0 ||
		    read(r->sock, r->sv + r->sv_len, 1) != 1)
			return -1;
		if (r->sv[r->sv_len++] == '\n')
			return 0;
	}
	return -1;
}

static int
start_over(struct relay *r)
{
	size_t greeting = opening_line(r->sv, r->sv_len);
	bool had_answer = r->given > greeting;

	if (r->learn && opening_answer_len(r->sv, r->sv_len) < 0)
		unlink(r->learn);	/* the daemon asks more now: not ahead again */
	connector_socket_close(r->sock);
	r->sent_len = 0;
	r->sock = connect_to(r->host, r->port, r->timeout_ms);
	if (r->sock < 0 || write_all(r->sock, r->cl, r->cl_len) < 0)
		return -1;
	r->sv_len = 0;
	if (r->given && reread_line(r) < 0)
		return -1;
	while (had_answer && opening_answer_len(r->sv, r->sv_len) == 0)
		if (reread_line(r) < 0)
			return -1;
	if (had_answer && opening_answer_len(r->sv, r->sv_len) < 0) {
		fprintf(stderr, "syncd connector: %s: the daemon answered a second connection otherwise\n",
		    r->host);
		return -1;
	}
	r->given = r->sv_len;
	return 0;
}

/* Passes on what rsync may have of the daemon's bytes. */
static int
give(struct relay *r)
{
	size_t to = r->sv_len;

	if (r->sent_len) {
		size_t matched = r->cl_len < r->sent_len ? r->cl_len : r->sent_len;
		long answer = opening_answer_len(r->sv, r->sv_len);
		to = opening_line(r->sv, r->sv_len);
		if (matched >= r->sent_lines && answer < 0)
			return start_over(r);
		if (matched >= r->sent_lines && answer > 0)
			to = matched < r->sent_len ? (size_t)answer : r->sv_len;
	}
	if (to > r->given && write_all(1, r->sv + r->given, to - r->given) < 0)
		return -1;	/* rsync is gone */
	if (to > r->given)
		r->given = to;
	return 0;
}

/* The opening is over when rsync has all of the daemon's answer and has
 * sent all of its own. */
static void
watch_opening(struct relay *r)
{
	long sv = opening_answer_len(r->sv, r->sv_len), cl;

	if (r->sent_len) {
		r->watching = r->cl_len < r->sent_len || r->given < r->sv_len || sv <= 0;
		return;
	}
	cl = opening_len(r->cl, r->cl_len);
	if (cl > 0 && sv > 0 && r->learn)
		learn(r->learn, r->cl, (size_t)cl);
	r->watching = !(cl < 0 || sv < 0 || (cl > 0 && sv > 0) || r->cl_len == sizeof r->cl);
}

/* From the daemon, in the opening: 0, 1 when the daemon is done, -1 when
 * the copy cannot go on. */
static int
opening_from_daemon(struct relay *r)
{
	if (r->sv_len == sizeof r->sv && r->sent_len)
		return start_over(r);	/* an answer too long to be one */
	if (r->sv_len == sizeof r->sv) {
		r->watching = false;
		return 0;
	}
	ssize_t n = read(r->sock, r->sv + r->sv_len, sizeof r->sv - r->sv_len);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0) {
		fprintf(stderr, "syncd connector: read from %s: %s\n", r->host, strerror(errno));
		return -1;
	}
	if (n == 0)
		return r->sent_len ? start_over(r) : 1;
	r->sv_len += (size_t)n;
	return give(r);
}

/* From rsync, in the opening: 0, 1 when rsync has said all it will, -1
 * when the copy cannot go on. */
static int
opening_from_rsync(struct relay *r)
{
	size_t from = r->cl_len;

	if (from == sizeof r->cl && r->sent_len)
		return start_over(r);
	if (from == sizeof r->cl) {
		r->watching = false;
		return 0;
	}
	ssize_t n = read(0, r->cl + from, sizeof r->cl - from);
	if (n <= 0)
		return n < 0 && errno == EINTR ? 0 : 1;
	r->cl_len += (size_t)n;
	if (r->sent_len) {
		size_t upto = r->cl_len < r->sent_len ? r->cl_len : r->sent_len;
		if (from < upto && memcmp(r->cl + from, r->sent + from, upto - from))
			return start_over(r);
		from = from > r->sent_len ? from : r->sent_len;
	}
	if (r->cl_len > from && write_all(r->sock, r->cl + from, r->cl_len - from) < 0) {
		fprintf(stderr, "syncd connector: write to %s: %s\n", r->host, strerror(errno));
		return -1;
	}
	return give(r);
}

static int
relay_run(struct relay *r)
{
	struct pollfd p[2] = { { .fd = 0, .events = POLLIN }, { .fd = -1, .events = POLLIN } };
	char buf[65536];
	int on = 1, rc;

	for (;;) {
		p[1].fd = r->sock;	/* started over, maybe */
		/* rsync's --timeout ends rsync, not this process: a daemon
		 * that went silent (a link that black-holes) must not keep it
		 * waiting forever.  A live run sends keep-alives at half the
		 * timeout. */
		rc = poll(p, 2, r->timeout_ms > 0 ? 2 * r->timeout_ms : -1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			fprintf(stderr, "syncd connector: %s: %s\n", r->host,
			    rc ? strerror(errno) : "nothing moved for twice the timeout");
			return 255;
		}
		if (p[1].revents) {
			if (r->watching) {
				rc = opening_from_daemon(r);
			} else {
				ssize_t n = read(r->sock, buf, sizeof buf);
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0)
					fprintf(stderr, "syncd connector: read from %s: %s\n", r->host,
					    strerror(errno));
				/* 0: the daemon is done, rsync reads the end */
				rc = n < 0 ? -1 : n == 0 ? 1 : write_all(1, buf, (size_t)n);
			}
			if (rc)
				return rc < 0 ? 255 : 0;
			setsockopt(r->sock, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
		}
		if (p[0].revents) {
			if (r->watching) {
				rc = opening_from_rsync(r);
			} else {
				ssize_t n = read(0, buf, sizeof buf);
				if (n < 0 && errno == EINTR)
					continue;
				rc = n <= 0;
				if (n > 0 && write_all(r->sock, buf, (size_t)n) < 0) {
					fprintf(stderr, "syncd connector: write to %s: %s\n", r->host,
					    strerror(errno));
					rc = -1;
				}
			}
			if (rc < 0)
				return 255;
			if (rc) {
				/* rsync has said all it will; the daemon's end
				 * still comes. */
				shutdown(r->sock, SHUT_WR);
				p[0].fd = -1;
			}
		}
		if (r->watching)
			watch_opening(r);
	}
}

int
connector_main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "syncd connector: usage: syncd --rsyncd-connect HOST PORT TIMEOUT_S [rsync's words]\n");
		return 2;
	}
	static struct relay r;
	r.host = argv[0];
	r.port = argv[1];
	r.timeout_ms = atoi(argv[2]) * 1000;
	const char *sent = getenv(CONNECTOR_SENT_VAR);
	long n = sent ? opening_unhex(sent, r.sent) : -1;
	r.sock = connected_fd();
	if (r.sock < 0) {
		r.sock = connect_to(r.host, r.port, r.timeout_ms);
		/* Not sent ahead on a connection opened ahead: sent with the
		 * connect, a few hundred bytes into an empty socket buffer. */
		if (r.sock >= 0 && n > 0 && write_all(r.sock, r.sent, (size_t)n) < 0) {
			fprintf(stderr, "syncd connector: write to %s: %s\n", r.host, strerror(errno));
			close(r.sock);
			r.sock = -1;
		}
	}
	if (r.sock >= 0 && env_says(CONNECTOR_OPEN_ENV))
		return hand_over(r.sock);
	if (r.sock < 0) {
		/* rsync writes before it reads: taking that until rsync ends
		 * keeps its write from failing (EPIPE, "protocol data stream",
		 * code 12) now and then; with nothing to read it says "did not
		 * see server greeting" (code 5) every time. */
		char b[4096];
		ssize_t got;
		close(1);
		while ((got = read(0, b, sizeof b)) > 0 || (got < 0 && errno == EINTR))
			;
		return 255;	/* what ssh says when it cannot connect */
	}
	if (n > 0) {
		r.sent_len = (size_t)n;
		r.sent_lines = opening_line(r.sent, r.sent_len);
		r.sent_lines += opening_line(r.sent + r.sent_lines, r.sent_len - r.sent_lines);
	}
	r.learn = getenv(CONNECTOR_LEARN_VAR);
	r.watching = r.sent_len || r.learn;
	/* rsync waits for its remote shell in steps of 20 ms once the
	 * transfer is over, and this process would end only just after that:
	 * 20 ms more per push.  Connected, it ends now and a child of its
	 * own copies the bytes, in the same process group (the worker's stall
	 * watch, its kill).  Its pipes end it with rsync. */
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "syncd connector: fork: %s\n", strerror(errno));
		return 255;
	}
	if (pid > 0)
		return 0;
	return relay_run(&r);
}
