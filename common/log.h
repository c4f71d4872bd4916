/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging to stderr with sd-daemon priority prefixes ("<3>...") where
 * something reads them: the journal (stderr is the stream JOURNAL_STREAM
 * names) or a supervisor that sets LOG_RELAY_ENV=1 for its workers; plain
 * "name: level: ..." otherwise (a terminal, a file, a pipe). */
#ifndef SYNCD_LOG_H
#define SYNCD_LOG_H

#include <stdarg.h>

enum log_level { LOG_LV_ERR = 3, LOG_LV_WARN = 4, LOG_LV_INFO = 6, LOG_LV_DEBUG = 7 };

#define LOG_RELAY_ENV "SYNCD_LOG_PREFIX"

void log_init(const char *ident, int verbose);
/* "name: level: ..." whatever stderr is: for a command, not a service. */
void log_plain(void);
/* Lines go to fd instead of stderr (the config fuzzer's parser errors go to
 * /dev/null, while sanitizer reports still reach stderr). */
void log_to(int fd);
int log_verbose(void);
void log_msg(enum log_level lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LV_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LV_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LV_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_verbose()) log_msg(LOG_LV_DEBUG, __VA_ARGS__); } while (0)

/* Makes a file name safe to put in a log line: bytes that are not printable
 * ASCII (newlines, invalid UTF-8 ...) become \xNN, a backslash becomes \\. */
const char *log_quote(const char *s, char *buf, unsigned len);

#endif
