/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the parsers of the configuration's sections share: config.c reads
 * the file and the plain sections, hook_conf.c the [hook NAME] sections. */
#ifndef SYNCD_CONFIG_PARSE_H
#define SYNCD_CONFIG_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

struct seen {
	char *key;		/* "section\nname" */
	int line;
};

struct hook_lines;

struct parse {
	struct config *cfg;
	const char *file;
	const char *text;	/* the whole file */
	size_t len, pos;	/* pos: where the next line starts */
	int line;
	int errors;
	bool gave_up;		/* too many errors: the rest was not read */
	int syntax_line;	/* a line inih rejected that we did not */
	struct remote_conf *remote;	/* of the section being read */
	struct hook_conf *hook;		/* of the section being read */
	struct hook_lines *hook_lines;	/* where each hook's keys were, by hook */
	char section[256];
	int source_line, events_line;
	struct seen *seen;
	size_t nseen;
	char *err;		/* the first error, for the caller */
	size_t errlen;
};

/* Logs "file:line: msg"; the first one is also kept for the caller. */
void cfg_err(struct parse *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *cfg_trim(char *s);
/* Names of remotes and hooks (what: "remote", "hook"): letters, digits,
 * '_', '.' and '-', at most CFG_NAME_MAX of them: a remote's state files are
 * named after it (NAME.journal, NAME.verify-excludes...), and a file name
 * holds at most 255 bytes.  False after reporting. */
#define CFG_NAME_MAX 200
bool cfg_check_name(struct parse *p, int line, const char *what, const char *s);
/* False (after reporting) when a single-valued key is given again. */
bool cfg_first_time(struct parse *p, const char *section, const char *name);
bool cfg_bool(struct parse *p, const char *name, const char *v, bool *out);
bool cfg_duration(struct parse *p, const char *name, const char *v, uint64_t *out);
void cfg_set_str(char **dst, const char *v);
void cfg_number(struct parse *p, const char *name, const char *v, unsigned *out, unsigned min,
    unsigned max);
/* host:port, [v6]:port; -1 with *why set. */
int cfg_host_port(const char *s, char **host, unsigned *port, const char **why);
/* Fails (after reporting) when a file holding a secret cannot be read or
 * can be read by others. */
void cfg_check_secret(struct parse *p, int line, const char *what, const char *file);

/* [hook NAME] (hook_conf.c). */
void hook_section(struct parse *p, const char *name, int line);
void hook_key(struct parse *p, const char *name, const char *v);
void hook_check_all(struct parse *p);
void hook_conf_free(struct hook_conf *h);

#endif
