/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctl_send: a minimal client of the worker's control socket, for the tests.
 *
 *   ctl_send [--timeout S] SOCKET REQUEST
 *       sends REQUEST plus "\n", prints the reply (read until the worker
 *       closes the connection).  Exit status 0 if the reply starts with
 *       "ok", "{" or "#" (metrics), 1 otherwise ("error: ...", an empty reply), 2 if the
 *       connection failed, 3 if no complete reply came within S seconds
 *       (default 120).
 *   ctl_send [--timeout S] --raw N SOCKET
 *       sends N bytes of 'x' and no newline (going on reading while it
 *       writes, so a worker that answers and closes early is seen), prints
 *       the reply; exit status as above.
 *   ctl_send --idle SECONDS SOCKET
 *       connects and sends nothing; prints whatever arrives.  Exit status
 *       0 once the worker closes the connection, 3 if SECONDS pass with it
 *       still open, 2 if the connection failed.
 *   ctl_send --hangup SECONDS SOCKET REQUEST [LATER]
 *       a client that gives up: sends REQUEST plus "\n", waits SECONDS
 *       (printing what arrives), sends LATER plus "\n" if given and closes
 *       at once.  Exit status 0 if no reply came before LATER (or the
 *       end), 1 if one did, 2 if the connection failed.
 *
 * SIGPIPE is never raised (MSG_NOSIGNAL); a reset after the reply counts
 * as the end of the reply. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char reply[1 << 16];
static size_t reply_len;

static void
usage(void)
{
	fprintf(stderr, "usage: ctl_send [--timeout S] SOCKET REQUEST\n"
			"       ctl_send [--timeout S] --raw N SOCKET\n"
			"       ctl_send --idle SECONDS SOCKET\n"
			"       ctl_send --hangup SECONDS SOCKET REQUEST [LATER]\n");
	exit(2);
}

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
number(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || v < 0)
		usage();
	return v;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "ctl_send: %s: path too long\n", path);
		exit(2);
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "ctl_send: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return fd;
}

/* Read what is there; returns 1 at the end of the reply (EOF or reset),
 * 0 otherwise. */
static int
take(int fd)
{
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : 1;
	if (n == 0)
		return 1;
	fwrite(buf, 1, (size_t)n, stdout);
	fflush(stdout);
	size_t keep = sizeof reply - reply_len;
	if (keep > (size_t)n)
		keep = (size_t)n;
	memcpy(reply + reply_len, buf, keep);
	reply_len += keep;
	return 0;
}

/* Send out[0..len) while reading the reply, until the worker closes the
 * connection or the deadline passes.  Returns 1 if the reply ended, 0 on
 * timeout. */
static int
exchange(int fd, const char *out, size_t len, long long deadline)
{
	size_t sent = 0;
	int writing = len > 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN | (writing ? POLLOUT : 0), 0 };
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		int r = poll(&p, 1, left > 1000 ? 1000 : (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			if (take(fd))
				return 1;
		}
		if (writing && (p.revents & POLLOUT)) {
			ssize_t n = send(fd, out + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				writing = 0;	/* closed on us: read what it said */
			else if (n > 0 && (sent += (size_t)n) == len)
				writing = 0;
		}
	}
}

static int
verdict(void)
{
	if (reply_len >= 2 && !memcmp(reply, "ok", 2))
		return 0;
	if (reply_len >= 1 && (reply[0] == '{' || reply[0] == '#'))
		return 0;
	return 1;
}

int
main(int argc, char **argv)
{
	double timeout = 120;
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "--timeout")) {
		timeout = number(argv[2]);
		i = 3;
	}
	if (argc - i == 3 && !strcmp(argv[i], "--idle")) {
		long long deadline = now_ms() + (long long)(number(argv[i + 1]) * 1000);
		int fd = connect_to(argv[i + 2]);
		return exchange(fd, NULL, 0, deadline) ? 0 : 3;
	}
	if ((argc - i == 4 || argc - i == 5) && !strcmp(argv[i], "--hangup")) {
		long long deadline = now_ms() + (long long)(number(argv[i + 1]) * 1000);
		int fd = connect_to(argv[i + 2]);
		char line[4200];
		int n = snprintf(line, sizeof line, "%s\n", argv[i + 3]);
		if (n < 0 || (size_t)n >= sizeof line)
			usage();
		if (exchange(fd, line, (size_t)n, deadline) || reply_len)
			return 1;
		if (argc - i == 5) {
			n = snprintf(line, sizeof line, "%s\n", argv[i + 4]);
			if (n < 0 || (size_t)n >= sizeof line)
				usage();
			if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n)
				return 1;
		}
		close(fd);
		return 0;
	}
	if (argc - i == 3 && !strcmp(argv[i], "--raw")) {
		double n = number(argv[i + 1]);
		if (n > 1 << 30)
			usage();
		size_t len = (size_t)n;
		char *out = malloc(len ? len : 1);
		if (!out)
			return 2;
		memset(out, 'x', len);
		int fd = connect_to(argv[i + 2]);
		int ended = exchange(fd, out, len, now_ms() + (long long)(timeout * 1000));
		free(out);
		if (!ended) {
			fprintf(stderr, "ctl_send: no complete reply within %gs\n", timeout);
			return 3;
		}
		return verdict();
	}
	if (argc - i != 2)
		usage();

	size_t len = strlen(argv[i + 1]);
	char *out = malloc(len + 2);
	if (!out)
		return 2;
	memcpy(out, argv[i + 1], len);
	out[len++] = '\n';
	int fd = connect_to(argv[i]);
	int ended = exchange(fd, out, len, now_ms() + (long long)(timeout * 1000));
	free(out);
	if (!ended) {
		fprintf(stderr, "ctl_send: no complete reply within %gs\n", timeout);
		return 3;
	}
	return verdict();
}
