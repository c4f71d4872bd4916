/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "duration.h"
#include "log.h"
#include "strv.h"
#include "config_parse.h"

#define MAX_LINE 4000
/* A configuration is a few KiB: anything larger is no configuration, and
 * is never read into memory whole. */
#define MAX_SIZE (1 << 20)
/* Past this many errors the file is likely no configuration at all: the
 * rest is not read, so that junk gives a few lines, not one per line. */
#define MAX_ERRORS 20

/* Debian's inih turns its compile-time limits (200-byte lines, multi-line
 * values) into variables; weak references keep the binary loadable with an
 * inih that lacks them. */
#pragma weak ini_max_line
#pragma weak ini_allow_multiline

void
cfg_err(struct parse *p, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_err("%s:%d: %s", p->file, line, msg);
	if (!p->errors++ && p->err)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->file, line, msg);
}

const char *
cfg_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

bool
cfg_check_name(struct parse *p, int line, const char *what, const char *s)
{
	size_t n = strlen(s);

	if (!n) {
		cfg_err(p, line, "[%s] needs a name: [%s NAME]", what, what);
		return false;
	}
	if (n > CFG_NAME_MAX) {
		cfg_err(p, line, "%s name '%.20s...' is %zu characters long: at most %d are allowed", what,
		    s, n, CFG_NAME_MAX);
		return false;
	}
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_.-", *c)) {
			cfg_err(p, line, "%s name '%s' may only hold letters, digits, '_', '.' and '-'",
			    what, s);
			return false;
		}
	return true;
}

/* A section header, seen by our line reader since inih never reports a
 * section that holds no keys. */
static void
on_section(struct parse *p, const char *name)
{
	static const char *const plain[] = { "source", "rsync", "batch", "retry", "full_sync", "verify",
		"instance" };
	struct config *c = p->cfg;

	p->remote = NULL;
	p->hook = NULL;
	snprintf(p->section, sizeof p->section, "%s", name);
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
		if (!strcmp(name, plain[i])) {
			for (size_t j = 0; j < p->nseen; j++)
				if (!strncmp(p->seen[j].key, "[", 1) && !strcmp(p->seen[j].key + 1, name)) {
					cfg_err(p, p->line, "section [%s] appears twice (first at line %d)",
					    name, p->seen[j].line);
					return;
				}
			struct seen *s = realloc(p->seen, (p->nseen + 1) * sizeof *s);
			if (!s)
				return;
			p->seen = s;
			if (asprintf(&s[p->nseen].key, "[%s", name) >= 0)
				s[p->nseen++].line = p->line;
			if (!strcmp(name, "source"))
				p->source_line = p->line;
			return;
		}
	if (!strncmp(name, "hook", 4) && (!name[4] || isspace((unsigned char)name[4]))) {
		hook_section(p, name + 4, p->line);
		return;
	}
	if (strncmp(name, "remote", 6) != 0 || (name[6] && !isspace((unsigned char)name[6]))) {
		cfg_err(p, p->line, "unknown section [%s] (known: source, remote NAME, rsync, batch, "
		    "retry, full_sync, verify, instance, hook NAME)", name);
		return;
	}
	const char *rname = name + 6;	/* name is trimmed at its end */
	while (isspace((unsigned char)*rname))
		rname++;
	if (!cfg_check_name(p, p->line, "remote", rname))
		return;
	for (size_t i = 0; i < c->nremotes; i++)
		if (!strcmp(c->remotes[i].name, rname)) {
			cfg_err(p, p->line, "remote '%s' is defined twice (first at line %d)", rname,
			    c->remotes[i].line);
			return;
		}
	struct remote_conf *r = realloc(c->remotes, (c->nremotes + 1) * sizeof *r);
	if (!r)
		return;
	c->remotes = r;
	r = &c->remotes[c->nremotes++];
	memset(r, 0, sizeof *r);
	r->name = strdup(rname);
	r->line = p->line;
	r->timeout_ms = 100000;
	p->remote = r;
}

/* inih's line reader: the next line of the text read before, counted and
 * checked for what inih would mangle. */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char line[MAX_LINE + 2];

	if (p->errors >= MAX_ERRORS && !p->gave_up && p->pos < p->len) {
		cfg_err(p, p->line, "too many errors: the rest of the file is not read");
		p->gave_up = true;
	}
	if (p->gave_up || p->pos == p->len)
		return NULL;
	const char *s = p->text + p->pos, *nl = memchr(s, '\n', p->len - p->pos);
	size_t n = nl ? (size_t)(nl - s) + 1 : p->len - p->pos;
	p->pos += n;
	p->line++;
	if (n - (nl != NULL) > MAX_LINE || n + 1 > (size_t)num) {
		cfg_err(p, p->line, "line is longer than %d characters", num - 2 < MAX_LINE ? num - 2 : MAX_LINE);
		snprintf(str, (size_t)num, ";\n");
		return str;
	}
	const char *nul = memchr(s, '\0', n);
	if (nul) {
		cfg_err(p, p->line, "NUL byte at column %zu: a configuration is text", (size_t)(nul - s) + 1);
		snprintf(str, (size_t)num, ";\n");
		return str;
	}
	memcpy(str, s, n);
	str[n] = '\0';
	memcpy(line, s, n);
	line[n] = '\0';
	char *t = line + strspn(line, " \t");
	if (*t == '[') {
		char *end = strchr(t, ']');
		if (end) {
			*end = '\0';
			on_section(p, cfg_trim(t + 1));
		} else {
			/* inih says so only when nothing else went wrong, and
			 * files the keys below under the section before */
			cfg_err(p, p->line, "no ']' in '%s': not a section header", cfg_trim(t));
			p->syntax_line = p->line;
		}
	} else if (*t && *t != ';' && *t != '#' && *t != '\n' && *t != '\r' && !strpbrk(t, "=:")) {
		cfg_err(p, p->line, "expected 'key = value', '[section]' or a comment");
		p->syntax_line = p->line;
		snprintf(str, (size_t)num, ";\n");
	}
	return str;
}

/* Single-valued keys may be given once. */
bool
cfg_first_time(struct parse *p, const char *section, const char *name)
{
	char *key;

	if (asprintf(&key, "%s\n%s", section, name) < 0)
		return true;
	for (size_t i = 0; i < p->nseen; i++)
		if (!strcmp(p->seen[i].key, key)) {
			cfg_err(p, p->line, "'%s' is given twice in [%s] (first at line %d)", name, section,
			    p->seen[i].line);
			free(key);
			return false;
		}
	struct seen *s = realloc(p->seen, (p->nseen + 1) * sizeof *s);
	if (!s) {
		free(key);
		return true;
	}
	p->seen = s;
	s[p->nseen].key = key;
	s[p->nseen++].line = p->line;
	return true;
}

bool
cfg_bool(struct parse *p, const char *name, const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };

	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = true, true;
		if (!strcasecmp(v, no[i]))
			return *out = false, true;
	}
	cfg_err(p, p->line, "%s: '%s' is not a boolean (use yes or no)", name, v);
	return false;
}

bool
cfg_duration(struct parse *p, const char *name, const char *v, uint64_t *out)
{
	const char *why;

	if (duration_parse(v, out, &why) < 0) {
		cfg_err(p, p->line, "%s: '%s': %s", name, v, why);
		return false;
	}
	return true;
}

void
cfg_set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
}

static void
parse_events(struct parse *p, const char *v)
{
	static const struct {
		const char *name;
		unsigned bits;
	} names[] = {
		{ "create_dir", EV_CREATE_DIR }, { "create_file", EV_CREATE_FILE },
		{ "close_write", EV_CLOSE_WRITE }, { "move_from", EV_MOVE_FROM },
		{ "move_to", EV_MOVE_TO }, { "move", EV_MOVE_FROM | EV_MOVE_TO },
		{ "delete", EV_DELETE }, { "attrib", EV_ATTRIB }, { "modify", EV_MODIFY },
		{ "all", ~0u },
	};
	unsigned bits = 0;
	char *copy = strdup(v), *save = NULL;

	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		size_t i;
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (!strcmp(tok, names[i].name))
				break;
		if (i == sizeof names / sizeof names[0]) {
			cfg_err(p, p->line, "events: unknown event '%s' (known: create_dir, create_file, "
			    "close_write, move_from, move_to, move, delete, attrib, modify, all)", tok);
			free(copy);
			return;
		}
		bits |= names[i].bits;
	}
	free(copy);
	if (!bits) {
		cfg_err(p, p->line, "events: the list is empty");
		return;
	}
	p->cfg->events = bits & (EV_CREATE_DIR | EV_CREATE_FILE | EV_CLOSE_WRITE | EV_MOVE_FROM |
	    EV_MOVE_TO | EV_DELETE | EV_ATTRIB | EV_MODIFY);
}

static void
source_key(struct parse *p, const char *name, const char *v)
{
	struct config *c = p->cfg;
	char err[256];

	if (!strcmp(name, "path")) {
		if (!cfg_first_time(p, "source", name))
			return;
		if (v[0] != '/') {
			cfg_err(p, p->line, "path: '%s' is not an absolute path", v);
			return;
		}
		cfg_set_str(&c->source, v);
		size_t n = strlen(c->source);
		while (n > 1 && c->source[n - 1] == '/')
			c->source[--n] = '\0';
		c->source_line = p->line;
	} else if (!strcmp(name, "events")) {
		if (cfg_first_time(p, "source", name))
			parse_events(p, v);
	} else if (!strcmp(name, "exclude")) {
		if (!*v)
			cfg_err(p, p->line, "exclude: empty pattern");
		else if (filter_add_glob(c->filter, v) < 0)
			cfg_err(p, p->line, "exclude: out of memory");
	} else if (!strcmp(name, "exclude_regex")) {
		if (!*v)
			cfg_err(p, p->line, "exclude_regex: empty expression");
		else if (filter_add_regex(c->filter, v, err, sizeof err) < 0)
			cfg_err(p, p->line, "exclude_regex: '%s': %s", v, err);
	} else if (!strcmp(name, "unclosed") || !strcmp(name, "unclosed_max")) {
		if (cfg_first_time(p, "source", name))
			cfg_duration(p, name, v, name[8] ? &c->unclosed_max_ms : &c->unclosed_ms);
	} else if (!strcmp(name, "backend")) {
		if (!cfg_first_time(p, "source", name))
			return;
		if (!strcmp(v, "inotify"))
			c->backend = BACKEND_INOTIFY;
		else if (!strcmp(v, "auto"))
			c->backend = BACKEND_AUTO;
		else if (!strcmp(v, "fanotify"))
			c->backend = BACKEND_FANOTIFY;
		else
			cfg_err(p, p->line, "backend: '%s' is not one of inotify, fanotify, auto", v);
	} else {
		cfg_err(p, p->line, "unknown key '%s' in [source] (known: path, events, exclude, "
		    "exclude_regex, unclosed, unclosed_max, backend)", name);
	}
}

static int
parse_port(const char *s, unsigned *port)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 1 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

int
cfg_host_port(const char *s, char **hostp, unsigned *portp, const char **why)
{
	char *copy = strdup(s), *host = copy, *port = NULL;

	if (!copy) {
		*why = "out of memory";
		return -1;
	}
	if (*host == '[') {
		char *close = strchr(host, ']');
		if (!close) {
			*why = "missing ']' after an IPv6 address";
			goto bad;
		}
		*close = '\0';
		host++;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1]) {
			*why = "unexpected text after ']'";
			goto bad;
		}
	} else if ((port = strchr(host, ':'))) {
		*port++ = '\0';
		if (strchr(port, ':')) {
			*why = "an IPv6 address must be written in brackets, e.g. [::1]";
			goto bad;
		}
	}
	if (!*host || strpbrk(host, " \t/")) {
		*why = "missing or invalid host name";
		goto bad;
	}
	if (port && parse_port(port, portp) < 0) {
		*why = "the port must be a number from 1 to 65535";
		goto bad;
	}
	*hostp = strdup(host);
	free(copy);
	return 0;
bad:
	free(copy);
	return -1;
}

/* [user@]host[:port] */
static int
parse_authority(struct remote_conf *r, const char *a, size_t len, const char **why)
{
	char *auth = strndup(a, len), *host = auth, *at = strrchr(auth, '@');
	int rc = -1;

	if (at) {
		*at = '\0';
		if (!*auth) {
			*why = "empty user name before '@'";
			goto out;
		}
		r->user = strdup(auth);
		host = at + 1;
	}
	rc = cfg_host_port(host, &r->host, &r->port, why);
out:
	free(auth);
	return rc;
}

static void
parse_target(struct parse *p, struct remote_conf *r, const char *v)
{
	const char *why = NULL, *rest;

	cfg_set_str(&r->target, v);
	if (!strncmp(v, "rsync://", 8) || !strncmp(v, "ssh://", 6)) {
		bool daemon = v[0] == 'r';
		rest = v + (daemon ? 8 : 6);
		const char *slash = strchr(rest, '/');
		if (!slash) {
			why = daemon ? "missing '/module' after the host" : "missing '/path' after the host";
		} else if (parse_authority(r, rest, (size_t)(slash - rest), &why) == 0) {
			if (daemon) {
				r->kind = TARGET_RSYNCD;
				while (*slash == '/')
					slash++;
				r->path = strdup(slash);
				size_t n = strlen(r->path);
				while (n && r->path[n - 1] == '/')
					r->path[--n] = '\0';
				if (!*r->path)
					why = "missing module name after the host";
			} else {
				r->kind = TARGET_SSH;
				r->path = strdup(slash);
				size_t n = strlen(r->path);
				while (n > 1 && r->path[n - 1] == '/')
					r->path[--n] = '\0';
			}
		}
	} else if (v[0] == '/') {
		r->kind = TARGET_LOCAL;
		r->path = strdup(v);
		size_t n = strlen(r->path);
		while (n > 1 && r->path[n - 1] == '/')
			r->path[--n] = '\0';
	} else {
		why = "must be rsync://[user@]host[:port]/module[/dir], ssh://[user@]host[:port]/path "
		      "or an absolute local path";
	}
	if (why)
		cfg_err(p, p->line, "target '%s': %s", v, why);
}

static void
remote_key(struct parse *p, const char *name, const char *v)
{
	struct remote_conf *r = p->remote;

	if (!r)
		return;		/* its header was wrong and reported */
	if (strcmp(name, "target") && strcmp(name, "password_file") && strcmp(name, "ssh_key") &&
	    strcmp(name, "ssh_options") && strcmp(name, "timeout") && strcmp(name, "preconnect")) {
		cfg_err(p, p->line, "unknown key '%s' in [remote %s] (known: target, password_file, "
		    "ssh_key, ssh_options, timeout, preconnect)", name, r->name);
		return;
	}
	if (!cfg_first_time(p, p->section, name))
		return;
	if (!strcmp(name, "target"))
		parse_target(p, r, v);
	else if (!strcmp(name, "password_file")) {
		cfg_set_str(&r->password_file, v);
		r->password_file_line = p->line;
	} else if (!strcmp(name, "ssh_key")) {
		cfg_set_str(&r->ssh_key, v);
		r->ssh_key_line = p->line;
	} else if (!strcmp(name, "ssh_options")) {
		strv_free(r->ssh_options);
		r->ssh_options = strv_split(v);
		r->ssh_options_line = p->line;
	} else if (!strcmp(name, "preconnect")) {
		cfg_duration(p, name, v, &r->preconnect_ms);
		r->preconnect_line = p->line;
	} else if (cfg_duration(p, name, v, &r->timeout_ms) && r->timeout_ms < 1000)
		cfg_err(p, p->line, "timeout: must be at least 1s (rsync counts whole seconds)");
}

bool
config_rsync_option_ours(const char *opt)
{
	static const char *const ours[] = {
		"--files-from", "--from0", "--delete", "--exclude-from", "--include-from",
		"--password-file", "--rsh", "-e", "--timeout", "--contimeout", "--remove-source-files",
		"--ignore-missing-args", "--no-recursive", "--no-r",
	};

	for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
		size_t n = strlen(ours[i]);
		if (!strncmp(opt, ours[i], n) && (ours[i][1] != '-' || opt[n] == '\0' ||
		    opt[n] == '=' || !strcmp(ours[i], "--delete")))
			return true;
	}
	return false;
}

static void
rsync_key(struct parse *p, const char *name, const char *v)
{
	struct config *c = p->cfg;

	if (strcmp(name, "binary") && strcmp(name, "options") && strcmp(name, "delete") &&
	    strcmp(name, "max_parallel") && strcmp(name, "lane_after")) {
		cfg_err(p, p->line, "unknown key '%s' in [rsync] (known: binary, options, delete, "
		    "max_parallel, lane_after)", name);
		return;
	}
	if (!cfg_first_time(p, "rsync", name))
		return;
	if (!strcmp(name, "max_parallel")) {
		cfg_number(p, name, v, &c->max_parallel, 1, 1000);
	} else if (!strcmp(name, "lane_after")) {
		cfg_duration(p, name, v, &c->lane_after_ms);
	} else if (!strcmp(name, "binary")) {
		if (!*v) {
			cfg_err(p, p->line, "binary: empty");
		} else {
			cfg_set_str(&c->rsync_binary, v);
			c->rsync_binary_line = p->line;
		}
	} else if (!strcmp(name, "delete")) {
		cfg_bool(p, name, v, &c->rsync_delete);
	} else {
		char **opts = strv_split(v);
		for (char **o = opts; o && *o; o++) {
			if ((*o)[0] != '-') {
				cfg_err(p, p->line, "options: '%s' is not an option; syncd adds the source "
				    "and the target itself", *o);
				break;
			}
			if (config_rsync_option_ours(*o)) {
				cfg_err(p, p->line, "options: %s is set by syncd itself (see [rsync] "
				    "delete and [remote] timeout, password_file, ssh_key)", *o);
				break;
			}
		}
		strv_free(c->rsync_options);
		c->rsync_options = opts;
	}
}

void
cfg_number(struct parse *p, const char *name, const char *v, unsigned *out, unsigned min, unsigned max)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (!isdigit((unsigned char)*v) || *end || errno || n < min || n > max)
		cfg_err(p, p->line, "%s: '%s' must be a whole number from %u to %u", name, v, min, max);
	else
		*out = (unsigned)n;
}

static void
instance_key(struct parse *p, const char *name, const char *v)
{
	static const struct {
		const char *name;
		size_t off;
	} durs[] = {
		{ "start_timeout", offsetof(struct supervision, start_timeout_ms) },
		{ "watchdog", offsetof(struct supervision, watchdog_ms) },
		{ "stop_timeout", offsetof(struct supervision, stop_timeout_ms) },
		{ "restart_delay", offsetof(struct supervision, restart_delay_ms) },
		{ "restart_delay_max", offsetof(struct supervision, restart_delay_max_ms) },
		{ "restart_interval", offsetof(struct supervision, restart_interval_ms) },
	};
	struct supervision *s = &p->cfg->sup;

	if (!strcmp(name, "autostart")) {
		if (cfg_first_time(p, "instance", name))
			cfg_bool(p, name, v, &s->autostart);
		return;
	}
	if (!strcmp(name, "restart_limit")) {
		if (cfg_first_time(p, "instance", name))
			cfg_number(p, name, v, &s->restart_limit, 1, 1000);
		return;
	}
	for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++)
		if (!strcmp(name, durs[i].name)) {
			if (cfg_first_time(p, "instance", name))
				cfg_duration(p, name, v, (uint64_t *)((char *)s + durs[i].off));
			return;
		}
	cfg_err(p, p->line, "unknown key '%s' in [instance] (known: autostart, start_timeout, watchdog, "
	    "stop_timeout, restart_delay, restart_delay_max, restart_limit, restart_interval)", name);
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	struct config *c = p->cfg;

	if (!strcmp(section, "source"))
		source_key(p, name, value);
	else if (!strncmp(section, "remote", 6))
		remote_key(p, name, value);
	else if (!strncmp(section, "hook", 4))
		hook_key(p, name, value);
	else if (!strcmp(section, "rsync"))
		rsync_key(p, name, value);
	else if (!strcmp(section, "batch")) {
		if (!strcmp(name, "settle") || !strcmp(name, "max_delay") || !strcmp(name, "max_files")) {
			if (!cfg_first_time(p, section, name))
				return 1;
			if (!strcmp(name, "settle"))
				cfg_duration(p, name, value, &c->settle_ms);
			else if (!strcmp(name, "max_delay"))
				cfg_duration(p, name, value, &c->max_delay_ms);
			else
				cfg_number(p, name, value, &c->max_files, 1, 10000000);
		} else
			cfg_err(p, p->line, "unknown key '%s' in [batch] (known: settle, max_delay, max_files)", name);
	} else if (!strcmp(section, "retry")) {
		if (!strcmp(name, "min_backoff") || !strcmp(name, "max_backoff")) {
			if (cfg_first_time(p, section, name))
				cfg_duration(p, name, value, name[1] == 'i' ? &c->min_backoff_ms : &c->max_backoff_ms);
		} else if (!strcmp(name, "fail_log")) {
			if (!cfg_first_time(p, section, name))
				return 1;
			if (value[0] != '/' && strcmp(value, "none"))
				cfg_err(p, p->line, "fail_log: '%s' is not an absolute path (or none)", value);
			else {
				cfg_set_str(&c->fail_log, value);
				c->fail_log_line = p->line;
			}
		} else
			cfg_err(p, p->line, "unknown key '%s' in [retry] (known: min_backoff, max_backoff, "
			    "fail_log)", name);
	} else if (!strcmp(section, "full_sync")) {
		if (!strcmp(name, "on_start")) {
			if (cfg_first_time(p, section, name))
				cfg_bool(p, name, value, &c->full_on_start);
		} else if (!strcmp(name, "every")) {
			if (cfg_first_time(p, section, name))
				cfg_duration(p, name, value, &c->full_every_ms);
		} else
			cfg_err(p, p->line, "unknown key '%s' in [full_sync] (known: on_start, every)", name);
	} else if (!strcmp(section, "verify")) {
		if (strcmp(name, "every"))
			cfg_err(p, p->line, "unknown key '%s' in [verify] (known: every)", name);
		else if (cfg_first_time(p, section, name))
			cfg_duration(p, name, value, &c->verify_every_ms);
	} else if (!strcmp(section, "instance")) {
		instance_key(p, name, value);
	} else if (!*section) {
		cfg_err(p, p->line, "'%s' must be inside a section such as [source]", name);
	}
	/* Unknown sections were reported at their header. */
	return 1;
}

/* Why posix_spawnp could not run prog, NULL if it could: a regular file we
 * may execute, found in PATH when prog has no '/' (where a directory or
 * another file of that name is passed over, as posix_spawnp passes it). */
static const char *
not_runnable(const char *prog)
{
	struct stat st;

	if (strchr(prog, '/')) {
		if (stat(prog, &st) < 0)
			return strerror(errno);
		if (S_ISDIR(st.st_mode))
			return strerror(EISDIR);
		if (!S_ISREG(st.st_mode))
			return "not a regular file";
		return access(prog, X_OK) < 0 ? strerror(errno) : NULL;
	}
	const char *path = getenv("PATH");
	char *copy = strdup(path ? path : "/usr/bin:/bin"), *save = NULL, buf[4096];
	bool found = false;

	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof buf, "%s/%s", *d ? d : ".", prog);
		found = stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0;
	}
	free(copy);
	return found ? NULL : "no executable file of that name in PATH";
}

static bool
is_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strcmp(dir, "/") || (!strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0'));
}

void
cfg_check_secret(struct parse *p, int line, const char *what, const char *file)
{
	struct stat st;

	if (stat(file, &st) < 0)
		cfg_err(p, line, "%s %s: %s", what, file, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		cfg_err(p, line, "%s %s is not a regular file", what, file);
	else if (st.st_mode & 077)
		cfg_err(p, line, "%s %s has mode %04o: it must not be accessible by group or others "
		    "(chmod 600 it)", what, file,
		    (unsigned)(st.st_mode & 07777));
	else if (access(file, R_OK) < 0)
		cfg_err(p, line, "%s %s: %s", what, file, strerror(errno));
}

static void
check_remote(struct parse *p, struct remote_conf *r)
{
	struct config *c = p->cfg;

	if (!r->target) {
		cfg_err(p, r->line, "[remote %s] has no target", r->name);
		return;
	}
	if (r->password_file) {
		if (r->kind != TARGET_RSYNCD)
			cfg_err(p, r->password_file_line, "[remote %s]: password_file applies only to rsync:// targets", r->name);
		else {
			char what[300];
			snprintf(what, sizeof what, "[remote %s]: password_file", r->name);
			cfg_check_secret(p, r->password_file_line, what, r->password_file);
		}
	}
	if (r->ssh_key) {
		if (r->kind != TARGET_SSH)
			cfg_err(p, r->ssh_key_line, "[remote %s]: ssh_key applies only to ssh:// targets", r->name);
		else if (access(r->ssh_key, R_OK) < 0)
			cfg_err(p, r->ssh_key_line, "[remote %s]: ssh_key %s: %s", r->name, r->ssh_key, strerror(errno));
	}
	if (r->ssh_options && r->kind != TARGET_SSH)
		cfg_err(p, r->ssh_options_line, "[remote %s]: ssh_options apply only to ssh:// targets", r->name);
	if (r->preconnect_ms && r->kind != TARGET_RSYNCD)
		cfg_err(p, r->preconnect_line, "[remote %s]: preconnect applies only to rsync:// targets "
		    "(ssh:// targets share one connection already)", r->name);
	if (r->kind == TARGET_LOCAL && c->source &&
	    (is_below(r->path, c->source) || is_below(c->source, r->path)))
		cfg_err(p, r->line, "[remote %s]: target %s and the source %s must not contain each other",
		    r->name, r->path, c->source);
}

static void
set_defaults(struct config *c)
{
	c->events = EV_DEFAULT;
	c->unclosed_ms = 1000;
	c->unclosed_max_ms = 30000;
	c->filter = filter_new();
	c->rsync_binary = strdup("rsync");
	c->rsync_options = strv_split(DEFAULT_RSYNC_OPTIONS);
	c->rsync_delete = true;
	/* Fifty mirrors at once, each run ~3 pipes: ~200 of the usual 1024 fds. */
	c->max_parallel = 64;
	c->lane_after_ms = 500;
	c->settle_ms = 20;
	c->max_delay_ms = 1000;
	c->max_files = 10000;
	c->min_backoff_ms = 1000;
	c->max_backoff_ms = 300000;
	c->full_on_start = true;
	c->full_every_ms = 0;
	c->sup = (struct supervision){
		.autostart = true, .start_timeout_ms = 90000, .watchdog_ms = 30000,
		.stop_timeout_ms = 15000, .restart_delay_ms = 1000, .restart_delay_max_ms = 60000,
		.restart_limit = 5, .restart_interval_ms = 60000,
	};
}

/* The worker creates the fail log's directory as it starts (make_dirs), and
 * writes a lost fail log off with one warning: the nearest part of the path
 * that exists must be a directory it may write in, or the file itself. */
static void
check_fail_log(struct parse *p)
{
	struct config *c = p->cfg;
	struct stat st;

	if (!c->fail_log || !strcmp(c->fail_log, "none"))
		return;
	if (stat(c->fail_log, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			cfg_err(p, c->fail_log_line, "fail_log %s is a directory: name a file in it",
			    c->fail_log);
		else if (access(c->fail_log, W_OK) < 0)
			cfg_err(p, c->fail_log_line, "fail_log %s: %s", c->fail_log, strerror(errno));
		return;
	}
	char *dir = strdup(c->fail_log), *slash;
	int e = 0;
	/* Up to the nearest part that exists (fail_log is absolute). */
	while (dir) {
		slash = strrchr(dir, '/');
		slash[slash == dir] = '\0';	/* "/x" leaves "/" */
		if (stat(dir, &st) == 0) {
			e = !S_ISDIR(st.st_mode) ? ENOTDIR : access(dir, W_OK | X_OK) < 0 ? errno : 0;
			break;
		}
		if ((errno != ENOENT && errno != ENOTDIR) || !strcmp(dir, "/")) {
			e = errno;
			break;
		}
	}
	if (!dir)
		cfg_err(p, c->fail_log_line, "fail_log: out of memory");
	else if (e)
		cfg_err(p, c->fail_log_line, "fail_log %s: cannot create its directory: %s: %s",
		    c->fail_log, dir, strerror(e));
	free(dir);
}

/* What no single line says: a file that gave up is not judged as a whole. */
static void
check_all(struct parse *p)
{
	struct config *c = p->cfg;
	int endline = c->end_line;

	if (!c->source && !p->source_line)
		cfg_err(p, endline, "no [source] section: say which directory to watch with [source] path = /dir");
	else if (!c->source && p->source_line)
		cfg_err(p, p->source_line, "[source] has no path");
	if (c->nremotes == 0 && c->nhooks == 0)
		cfg_err(p, endline, "no [remote NAME] section: nothing to mirror to (an instance that "
		    "only runs hooks needs a [hook NAME] section)");
	for (size_t i = 0; i < c->nremotes; i++)
		check_remote(p, &c->remotes[i]);
	hook_check_all(p);
	check_fail_log(p);
	if (c->max_delay_ms < c->settle_ms)
		cfg_err(p, endline, "[batch] max_delay (%llums) is shorter than settle (%llums)",
		    (unsigned long long)c->max_delay_ms, (unsigned long long)c->settle_ms);
	if (c->min_backoff_ms == 0 || c->max_backoff_ms < c->min_backoff_ms)
		cfg_err(p, endline, "[retry] needs 0 < min_backoff <= max_backoff");
	if (c->sup.restart_delay_ms == 0 || c->sup.restart_delay_max_ms < c->sup.restart_delay_ms)
		cfg_err(p, endline, "[instance] needs 0 < restart_delay <= restart_delay_max");
	if (c->sup.start_timeout_ms == 0 || c->sup.stop_timeout_ms == 0 || c->sup.restart_interval_ms == 0)
		cfg_err(p, endline, "[instance] start_timeout, stop_timeout and restart_interval must not be 0");
	if (c->sup.watchdog_ms && c->sup.watchdog_ms < 200)
		cfg_err(p, endline, "[instance] watchdog must be 0 (off) or at least 200ms");
	const char *why = not_runnable(c->rsync_binary);
	if (why)
		cfg_err(p, c->rsync_binary_line ? c->rsync_binary_line : endline,
		    "[rsync] binary '%s' was not found or is not executable: %s", c->rsync_binary, why);
}

char *
config_read(const char *file, size_t *len, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO must not hang the open waiting for a writer. */
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), e = 0;
	const char *why = NULL;
	char *text = NULL;
	size_t n = 0, cap;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		e = errno;
	else if (S_ISDIR(st.st_mode))
		e = EISDIR;
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	/* Its size is a hint (files in /proc say 0): the reads stop at the cap. */
	cap = e || why ? 0 : (st.st_size < MAX_SIZE ? (size_t)st.st_size : MAX_SIZE) + 1;
	while (cap && n <= MAX_SIZE) {
		if (n == cap) {
			char *bigger = realloc(text, cap = cap * 2 > MAX_SIZE + 1 ? MAX_SIZE + 1 : cap * 2);
			if (!bigger) {
				e = ENOMEM;
				break;
			}
			text = bigger;
		} else if (!text && !(text = malloc(cap))) {
			e = ENOMEM;
			break;
		}
		ssize_t r = read(fd, text + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			e = r < 0 ? errno : 0;
			break;
		}
		n += (size_t)r;
	}
	if (!e && !why && n > MAX_SIZE)
		why = "larger than 1 MiB: not a configuration";
	if (fd >= 0)
		close(fd);
	if (e || why) {
		snprintf(err, errlen, "%s: %s", file, why ? why : strerror(e));
		free(text);
		return NULL;
	}
	text[n] = '\0';	/* n < cap: a read that fills the buffer is followed by another */
	*len = n;
	return text;
}

/* config_read, logging what keeps a file from being read. */
static char *
read_logged(const char *file, size_t *len, struct config *c, char *err, size_t errlen)
{
	char why[1024];
	char *text = config_read(file, len, why, sizeof why);

	if (!text) {
		log_err("%s", why);
		if (err)
			snprintf(err, errlen, "%s", why);
		memset(c, 0, sizeof *c);
	}
	return text;
}

/* config_parse, but c is left to the caller, errors or not.  The number of
 * errors, -1 when the reading gave up. */
static int
parse_all(const char *file, const char *text, size_t len, struct config *c, char *err, size_t errlen)
{
	struct parse p = { .cfg = c, .file = file, .text = text, .len = len, .err = err, .errlen = errlen };
	const char *base = strrchr(file, '/');

	memset(c, 0, sizeof *c);
	set_defaults(c);
	c->file = strdup(file);
	base = base ? base + 1 : file;
	size_t n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".ini"))
		n -= 4;
	c->name = strndup(base, n);

	if (&ini_max_line)
		ini_max_line = MAX_LINE + 2;
	if (&ini_allow_multiline)
		ini_allow_multiline = false;
	int rc = ini_parse_stream(read_line, &p, handler, &p);
	if (rc > 0 && rc != p.syntax_line && !p.errors)
		cfg_err(&p, rc, "expected 'key = value', '[section]' or a comment");
	else if (rc < 0)
		cfg_err(&p, p.line, "cannot parse (out of memory)");

	c->end_line = p.line ? p.line : 1;
	if (!p.gave_up)
		check_all(&p);
	for (size_t i = 0; i < p.nseen; i++)
		free(p.seen[i].key);
	free(p.seen);
	free(p.hook_lines);
	return p.gave_up ? -1 : p.errors;
}

int
config_load(const char *file, struct config *c, char *err, size_t errlen)
{
	size_t len;
	char *text = read_logged(file, &len, c, err, errlen);

	if (!text)
		return -1;
	int rc = config_parse(file, text, len, c, err, errlen);
	free(text);
	return rc;
}

int
config_load_all(const char *file, struct config *c)
{
	size_t len;
	char *text = read_logged(file, &len, c, NULL, 0);

	if (!text)
		return -1;
	int n = parse_all(file, text, len, c, NULL, 0);
	free(text);
	if (n < 0)
		config_free(c);
	return n;
}

int
config_parse(const char *file, const char *text, size_t len, struct config *c, char *err, size_t errlen)
{
	if (parse_all(file, text, len, c, err, errlen)) {
		config_free(c);
		return -1;
	}
	return 0;
}

/* Where PrivateTmp= gives the unit a /tmp and /var/tmp of its own. */
static const char *
private_tmp(const char *path)
{
	return is_below(path, "/tmp") ? "/tmp" : is_below(path, "/var/tmp") ? "/var/tmp" : NULL;
}

static void
warn_private_tmp(const struct config *c, int line, const char *what, const char *path,
    const char *effect)
{
	const char *dir = private_tmp(path);

	if (dir)
		log_warn("%s:%d: %s %s is under %s: the shipped units (syncd@.service, "
		    "syncctl.service) run the worker with PrivateTmp=, which gives it a %s of "
		    "its own: %s", c->file, line, what, path, dir, dir, effect);
}

void
config_warn_private_tmp(const struct config *c)
{
	if (c->source)
		warn_private_tmp(c, c->source_line, "[source] path", c->source,
		    "it would watch an empty directory there, or find no source and be restarted "
		    "in vain; move the tree elsewhere");
	for (size_t i = 0; i < c->nremotes; i++)
		if (c->remotes[i].kind == TARGET_LOCAL && c->remotes[i].path) {
			char what[300];
			snprintf(what, sizeof what, "[remote %s] target", c->remotes[i].name);
			warn_private_tmp(c, c->remotes[i].line, what, c->remotes[i].path,
			    "the mirror would land where nothing outside the unit sees it, and "
			    "vanish when the unit stops");
		}
	if (c->fail_log)
		warn_private_tmp(c, c->fail_log_line, "[retry] fail_log", c->fail_log,
		    "the fail log would be written where nobody reads it, and lost when the "
		    "unit stops");
	for (size_t i = 0; i < c->nhooks; i++) {
		for (char **a = c->hooks[i].run; a && *a; a++) {
			char what[300];
			snprintf(what, sizeof what, "[hook %s] run", c->hooks[i].name);
			warn_private_tmp(c, c->hooks[i].line, what, *a,
			    "the command would not find it there, or write where nothing else "
			    "looks");
		}
		if (c->hooks[i].unix_path) {
			char what[300];
			snprintf(what, sizeof what, "[hook %s] unix", c->hooks[i].name);
			warn_private_tmp(c, c->hooks[i].line, what, c->hooks[i].unix_path,
			    "the worker would not find the socket there");
		}
	}
}

void
config_free(struct config *c)
{
	for (size_t i = 0; i < c->nremotes; i++) {
		struct remote_conf *r = &c->remotes[i];
		free(r->name);
		free(r->target);
		free(r->user);
		free(r->host);
		free(r->path);
		free(r->password_file);
		free(r->ssh_key);
		strv_free(r->ssh_options);
		free(r->ssh_control);
		free(r->ssh_control_file);
	}
	free(c->remotes);
	for (size_t i = 0; i < c->nhooks; i++)
		hook_conf_free(&c->hooks[i]);
	free(c->hooks);
	free(c->file);
	free(c->name);
	free(c->source);
	filter_free(c->filter);
	free(c->rsync_binary);
	free(c->fail_log);
	strv_free(c->rsync_options);
	memset(c, 0, sizeof *c);
}

/* Joined by hand: the watcher calls this for every directory and created
 * file, and snprintf was half of its instructions when it started on
 * 20,000 directories (callgrind). */
bool
config_source_path(const struct config *c, const char *rel, char *buf, size_t len)
{
	size_t sl = strlen(c->source), rl = strlen(rel), n = sl + (rl ? 1 + rl : 0);

	if (n + 1 > len)
		return false;
	memcpy(buf, c->source, sl);
	if (rl) {
		buf[sl] = '/';
		memcpy(buf + sl + 1, rel, rl);
	}
	buf[n] = '\0';
	return true;
}

/* Where a local target really is, though it may not exist yet (rsync
 * creates its last component): its real path, or its parent's with its
 * name, or as written. */
static char *
real_target(const char *path)
{
	char *real = realpath(path, NULL), *parent;
	const char *name = strrchr(path, '/');

	if (real || errno != ENOENT || !name || name == path)
		return real ? real : strdup(path);
	parent = strndup(path, (size_t)(name - path));
	real = parent ? realpath(parent, NULL) : NULL;
	free(parent);
	if (!real)
		return strdup(path);
	parent = real;
	if (asprintf(&real, "%s%s", !strcmp(parent, "/") ? "" : parent, name) < 0)
		real = NULL;
	free(parent);
	return real;
}

int
config_check_source(struct config *c)
{
	struct stat st;
	char *real = realpath(c->source, NULL);
	int e = !real ? errno : stat(real, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	int rc = 0;

	if (e) {
		free(real);
		log_err("%s:%d: path: %s: %s", c->file, c->source_line, c->source, strerror(e));
		return 1;
	}
	/* Through links, paths that look apart may not be. */
	for (size_t i = 0; i < c->nremotes; i++) {
		const struct remote_conf *r = &c->remotes[i];
		char *t = r->kind == TARGET_LOCAL ? real_target(r->path) : NULL;
		if (t && (is_below(t, real) || is_below(real, t))) {
			log_err("%s:%d: [remote %s]: target %s and the source %s must not contain each "
			    "other: following links, they are %s and %s", c->file, r->line, r->name,
			    r->path, c->source, t, real);
			rc = 2;
		}
		free(t);
	}
	if (!rc && strcmp(real, c->source)) {
		log_info("%s:%d: path: %s leads to %s: that directory is watched and mirrored (a link "
		    "changed later is followed at the next start)", c->file, c->source_line, c->source,
		    real);
		free(c->source);
		c->source = real;
		real = NULL;
	}
	free(real);
	return rc;
}
