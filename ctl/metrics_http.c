/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "metrics_http.h"

#include <errno.h>
#include <ini.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "config_parse.h"
#include "instance.h"
#include "log.h"
#include "metrics.h"
#include "supervisor.h"

#define REQUEST_MAX 8192
#define CLIENT_TIMEOUT_S 5
/* Children answering at once; more clients get 503 (a flood of
 * connections must not fork without end). */
#define SCRAPES_MAX 4

struct settings {
	const char *file;
	char *listen;
	int errors;
};

static int
setting(void *ctx, const char *section, const char *name, const char *value)
{
	struct settings *s = ctx;

	if (!strcmp(section, "metrics") && !strcmp(name, "listen")) {
		free(s->listen);
		s->listen = strdup(value);
	} else {
		log_err("%s: unknown setting [%s] %s", s->file, section, name);
		s->errors++;
	}
	return 1;
}

/* A listening socket for "[ADDRESS:]PORT", or -1 after logging why.  A
 * bare port may be 0: any free one (for tests), which the log names. */
static int
listen_on(const char *file, const char *spec)
{
	char *host = NULL, port[16];
	unsigned p = 0;
	const char *why = NULL;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE }, *ai = NULL;
	int fd = -1, one = 1, rc;

	bool bare = *spec && strlen(spec) <= 5 && spec[strspn(spec, "0123456789")] == '\0';

	if (bare)
		host = strdup("127.0.0.1"), p = (unsigned)atoi(spec);
	else if (cfg_host_port(spec, &host, &p, &why) < 0)
		host = NULL;
	if (!host || p > 65535 || (!bare && !p)) {
		log_err("%s: [metrics] listen = %s: %s", file, spec,
		    why ? why : "want [ADDRESS:]PORT, e.g. 127.0.0.1:9469");
		free(host);
		return -1;
	}
	snprintf(port, sizeof port, "%u", p);
	if ((rc = getaddrinfo(host, port, &hints, &ai))) {
		log_err("%s: [metrics] listen = %s: %s", file, spec, gai_strerror(rc));
		free(host);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		log_err("%s: [metrics] listen = %s: %s", file, spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	} else {
		/* Port 0 is any free one: the log says which. */
		struct sockaddr_storage sa;
		socklen_t len = sizeof sa;
		if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
			p = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port :
			    ((struct sockaddr_in *)&sa)->sin_port);
		log_info("metrics: listening on http://%s%s%s:%u/metrics", strchr(host, ':') ? "[" : "",
		    host, strchr(host, ':') ? "]" : "", p);
	}
	freeaddrinfo(ai);
	free(host);
	return fd;
}

static void
respond(int fd, const char *status, const char *type, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, type, len);

	if (write_all(fd, head, (size_t)n) == 0)
		write_all(fd, body, len);
}

/* In the child: reads the request, answers it. */
static void
serve(struct supervisor *sv, int fd)
{
	struct timeval tv = { CLIENT_TIMEOUT_S, 0 };
	char req[REQUEST_MAX + 1];
	size_t len = 0;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	/* All of the head, so that closing leaves nothing unread (which
	 * would reset the connection under the answer). */
	while (len < REQUEST_MAX && (n = read(fd, req + len, REQUEST_MAX - len)) > 0) {
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[len] = '\0';
	const char *path = req + strcspn(req, " ");
	path += *path == ' ';
	size_t plen = strcspn(path, " ?\r\n");
	if (strncmp(req, "GET ", 4) && strncmp(req, "HEAD ", 5)) {
		respond(fd, "405 Method Not Allowed", "text/plain", "only GET\n", 9);
		return;
	}
	if (plen != 8 || strncmp(path, "/metrics", 8)) {
		respond(fd, "404 Not Found", "text/plain", "only /metrics\n", 14);
		return;
	}
	char *own = NULL, *body = NULL, **names = NULL;
	size_t olen = 0, blen = 0, k = 0, count = 0;
	FILE *m = open_memstream(&own, &olen);
	if (m) {
		metrics_own(sv, m);
		fclose(m);
	}
	for (struct instance *in = sv->instances; in; in = in->next)
		count++;
	names = calloc(count + 1, sizeof *names);
	/* Every instance's socket: one not ours (syncd@NAME) answers too. */
	for (struct instance *in = sv->instances; names && in; in = in->next)
		if (!in->removed)
			names[k++] = in->name;
	m = open_memstream(&body, &blen);
	if (m) {
		metrics_write(m, own ? own : "", names, sv->paths->runtime_dir);
		fclose(m);
	}
	if (body)
		respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body,
		    strncmp(req, "HEAD ", 5) ? blen : 0);
	else
		respond(fd, "500 Internal Server Error", "text/plain", "out of memory\n", 14);
	free(names);
	free(own);
	free(body);
}

static void
on_accept(void *ctx, uint32_t events)
{
	struct supervisor *sv = ctx;
	int fd;

	(void)events;
	while ((fd = accept4(sv->http_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		if (sv->scrapes >= SCRAPES_MAX) {
			static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
			    "Content-Length: 0\r\nConnection: close\r\n\r\n";
			ssize_t n = send(fd, busy, sizeof busy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			(void)n;
			close(fd);
			continue;
		}
		pid_t pid = fork();
		if (pid == 0) {
			/* A supervisor started again while this child still
			 * asks workers must find the port free. */
			close(sv->http_fd);
			serve(sv, fd);
			close(fd);
			_exit(0);
		}
		if (pid < 0)
			log_err("metrics: fork: %s", strerror(errno));
		else
			sv->scrapes++;
		close(fd);	/* the child has it; reap() collects the child */
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
		log_warn("metrics: accept: %s", strerror(errno));
}

int
metrics_http_open(struct supervisor *sv, const char *config_dir)
{
	struct settings s = { 0 };
	char *file;
	int rc = 0;

	sv->http_fd = -1;
	if (asprintf(&file, "%s/syncctl.ini", config_dir) < 0)
		return -1;
	s.file = file;
	FILE *f = fopen(file, "re");
	if (!f && errno == ENOENT) {
		free(file);
		return 0;
	}
	if (!f) {
		log_err("%s: %s", file, strerror(errno));
		free(file);
		return -1;
	}
	int line = ini_parse_file(f, setting, &s);
	fclose(f);
	if (line) {
		log_err("%s:%d: not a line of an ini file", file, line);
		rc = -1;
	} else if (s.errors) {
		rc = -1;
	} else if (s.listen && *s.listen) {
		if ((sv->http_fd = listen_on(file, s.listen)) < 0 ||
		    loop_add(&sv->loop, &sv->http_io, sv->http_fd, EPOLLIN, on_accept, sv) < 0)
			rc = -1;
	}
	free(s.listen);
	free(file);
	return rc;
}

void
metrics_http_close(struct supervisor *sv)
{
	if (sv->http_fd < 0)
		return;
	loop_del(&sv->loop, &sv->http_io);
	close(sv->http_fd);
	sv->http_fd = -1;
}
