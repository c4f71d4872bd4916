/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How a line starts: "<3>text" for the journal, which tags it itself;
 * "<3>ident: text" for a supervisor that reads the level (syncctl relays
 * its workers' lines); "ident: error: text" for anyone else. */
enum log_style { LOG_STYLE_PLAIN, LOG_STYLE_RELAY, LOG_STYLE_JOURNAL };

static const char *log_ident = "syncd";
static int log_verb;
static enum log_style log_style;
static int log_fd = STDERR_FILENO;

/* systemd sets JOURNAL_STREAM to "DEV:INO" of the stream it connects
 * stderr to; inherited by a child whose stderr is something else, so the
 * variable alone proves nothing (systemd.exec(5)). */
static int
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *ident, int verbose)
{
	const char *relay = getenv(LOG_RELAY_ENV);

	log_ident = ident;
	log_verb = verbose;
	if (stderr_is_journal())
		log_style = LOG_STYLE_JOURNAL;
	else if (relay && !strcmp(relay, "1"))
		log_style = LOG_STYLE_RELAY;
	else
		log_style = LOG_STYLE_PLAIN;
}

void
log_plain(void)
{
	log_style = LOG_STYLE_PLAIN;
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

	if (log_style == LOG_STYLE_JOURNAL)
		n = snprintf(buf, sizeof buf, "<%d>", (int)lv);
	else if (log_style == LOG_STYLE_RELAY)
		n = snprintf(buf, sizeof buf, "<%d>%s: ", (int)lv, log_ident);
	else
		n = snprintf(buf, sizeof buf, "%s: %s: ", log_ident, names[lv]);
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
