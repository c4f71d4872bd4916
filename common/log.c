#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *log_ident = "syncd";
static int log_verb;
static int log_tty;
static int log_fd = STDERR_FILENO;

void
log_init(const char *ident, int verbose)
{
	log_ident = ident;
	log_verb = verbose;
	log_tty = isatty(STDERR_FILENO);
}

void
log_plain(void)
{
	log_tty = 1;
}

void
log_to(int fd)
{
	log_fd = fd;
}

int
log_verbose(void)
{
	return log_verb;
}

void
log_msg(enum log_level lv, const char *fmt, ...)
{
	static const char *names[8] = { "emergency", "alert", "critical", "error", "warning", "notice",
		"info", "debug" };
	char buf[8192];
	int saved = errno, n;
	va_list ap;

	if (log_tty)
		n = snprintf(buf, sizeof buf, "%s: %s: ", log_ident, names[lv]);
	else
		n = snprintf(buf, sizeof buf, "<%d>%s: ", (int)lv, log_ident);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line keeps lines from several processes whole. */
	size_t len = strnlen(buf, sizeof buf - 2);
	buf[len++] = '\n';
	ssize_t w = write(log_fd, buf, len);
	(void)w;
	errno = saved;
}

const char *
log_quote(const char *s, char *buf, unsigned len)
{
	unsigned o = 0;

	for (; *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\\') {
			buf[o++] = '\\';
			buf[o++] = '\\';
		} else if (c < 0x20 || c >= 0x7f) {
			o += (unsigned)snprintf(buf + o, len - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	if (*s && o + 4 <= len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}
