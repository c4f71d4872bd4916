/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify_listen PATH: a minimal sd_notify receiver for the tests.  Binds a
 * datagram socket at PATH and prints each message it gets, one line per
 * assignment, prefixed with the sender's pid ("1234 READY=1"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[4096];
	int fd, one = 1;

	if (argc != 2 || strlen(argv[1]) >= sizeof sa.sun_path) {
		fprintf(stderr, "usage: notify_listen PATH\n");
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
		fprintf(stderr, "notify_listen: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(struct ucred))];
		} c;
		struct iovec iov = { buf, sizeof buf - 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &c,
			.msg_controllen = sizeof c };
		ssize_t n = recvmsg(fd, &m, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		buf[n] = '\0';
		pid_t pid = 0;
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		if (h && h->cmsg_type == SCM_CREDENTIALS)
			pid = ((struct ucred *)(void *)CMSG_DATA(h))->pid;
		for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
		    line = strtok_r(NULL, "\n", &save))
			printf("%d %s\n", (int)pid, line);
	}
}
