/* SPDX-License-Identifier: GPL-2.0-or-later */
/* [hook NAME] sections.  Which keys a hook may have depends on its type,
 * which may come after them, so each key's line is kept and the keys are
 * checked against the type once the whole file is read. */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "config_parse.h"
#include "filter.h"
#include "strv.h"

enum hkey {
	K_TYPE, K_WHEN, K_REMOTE, K_KINDS, K_INCLUDE, K_EXCLUDE, K_TIMEOUT, K_CONCURRENCY,
	K_BATCH, K_RETRIES, K_QUEUE, K_DIR_FILES, K_RUN, K_CONNECT, K_UNIX, K_URL, K_URL_TEMPLATE,
	K_PATH_REGEX, K_REPLACE, K_METHOD, K_HEADER, K_HEADER_FILE, K_CREDENTIALS, NKEYS
};

#define T(type) (1u << (type))
#define ANY (T(HOOK_COMMAND) | T(HOOK_SOCKET) | T(HOOK_HTTP) | T(HOOK_CDN))

static const struct {
	const char *name;
	unsigned types;
	bool repeat;
} keys[NKEYS] = {
	[K_TYPE] = { "type", ANY, false },
	[K_WHEN] = { "when", ANY, false },
	[K_REMOTE] = { "remote", ANY, false },
	[K_KINDS] = { "kinds", ANY, false },
	[K_INCLUDE] = { "include_regex", ANY, true },
	[K_EXCLUDE] = { "exclude_regex", ANY, true },
	[K_TIMEOUT] = { "timeout", ANY, false },
	[K_CONCURRENCY] = { "concurrency", ANY, false },
	[K_BATCH] = { "batch", T(HOOK_COMMAND) | T(HOOK_SOCKET) | T(HOOK_HTTP), false },
	[K_RETRIES] = { "retries", ANY, false },
	[K_QUEUE] = { "queue", ANY, false },
	[K_DIR_FILES] = { "dir_files", ANY, false },
	[K_RUN] = { "run", T(HOOK_COMMAND), false },
	[K_CONNECT] = { "connect", T(HOOK_SOCKET), false },
	[K_UNIX] = { "unix", T(HOOK_SOCKET), false },
	[K_URL] = { "url", T(HOOK_HTTP), false },
	[K_URL_TEMPLATE] = { "url_template", T(HOOK_CDN), false },
	[K_PATH_REGEX] = { "path_regex", T(HOOK_CDN), false },
	[K_REPLACE] = { "replace", T(HOOK_CDN), false },
	[K_METHOD] = { "method", T(HOOK_CDN), false },
	[K_HEADER] = { "header", T(HOOK_HTTP) | T(HOOK_CDN), true },
	[K_HEADER_FILE] = { "header_file", T(HOOK_HTTP) | T(HOOK_CDN), false },
	[K_CREDENTIALS] = { "credentials_file", T(HOOK_CDN), false },
};

static const char *const type_names[] = {
	[HOOK_COMMAND] = "command", [HOOK_SOCKET] = "socket", [HOOK_HTTP] = "http", [HOOK_CDN] = "cdn",
};

const char *
hook_type_name(enum hook_type t)
{
	return type_names[t];
}

struct hook_lines {
	int type_set;
	int line[NKEYS];	/* where each key was given, 0: not given */
};

void
hook_section(struct parse *p, const char *rest, int line)
{
	struct config *c = p->cfg;
	const char *name = rest;		/* trimmed at its end */

	while (isspace((unsigned char)*name))
		name++;
	if (!cfg_check_name(p, line, "hook", name))
		return;
	for (size_t i = 0; i < c->nhooks; i++)
		if (!strcmp(c->hooks[i].name, name)) {
			cfg_err(p, line, "hook '%s' is defined twice (first at line %d)", name, c->hooks[i].line);
			return;
		}
	struct hook_conf *h = realloc(c->hooks, (c->nhooks + 1) * sizeof *h);
	if (!h)
		return;
	c->hooks = h;
	struct hook_lines *hl = realloc(p->hook_lines, (c->nhooks + 1) * sizeof *hl);
	if (!hl)
		return;
	p->hook_lines = hl;
	memset(&hl[c->nhooks], 0, sizeof *hl);
	h = &c->hooks[c->nhooks++];
	*h = (struct hook_conf){
		.name = strdup(name), .line = line, .kinds = HK_ALL, .timeout_ms = 30000,
		.concurrency = 1, .retries = 10, .queue = 100000,
		.dir_files = 10000,
		.include = filter_new(), .exclude = filter_new(),
	};
	p->hook = h;
}

static void
parse_kinds(struct parse *p, struct hook_conf *h, const char *v)
{
	char *copy = strdup(v), *save = NULL;
	unsigned kinds = 0;

	for (char *tok = copy ? strtok_r(copy, ", \t", &save) : NULL; tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (!strcmp(tok, "update"))
			kinds |= HK_UPDATE;
		else if (!strcmp(tok, "delete"))
			kinds |= HK_DELETE;
		else if (!strcmp(tok, "dir"))
			kinds |= HK_DIR;
		else if (!strcmp(tok, "resync"))
			kinds |= HK_RESYNC;
		else if (!strcmp(tok, "all"))
			kinds |= HK_ALL;
		else {
			cfg_err(p, p->line, "kinds: unknown kind '%s' (known: update, delete, dir, resync, all)", tok);
			free(copy);
			return;
		}
	}
	free(copy);
	if (!kinds)
		cfg_err(p, p->line, "kinds: the list is empty");
	else
		h->kinds = kinds;
}

static bool
is_http_url(const char *v)
{
	return !strncmp(v, "http://", 7) || !strncmp(v, "https://", 8);
}

static void
set_value(struct parse *p, struct hook_conf *h, enum hkey k, const char *v)
{
	char err[256];
	const char *why = NULL;
	regex_t re;

	switch (k) {
	case K_TYPE:
		for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
			if (!strcmp(v, type_names[i])) {
				h->type = (enum hook_type)i;
				p->hook_lines[h - p->cfg->hooks].type_set = 1;
				return;
			}
		cfg_err(p, p->line, "type: '%s' is not a hook type (command, socket, http or cdn)", v);
		break;
	case K_WHEN:
		if (!strcmp(v, "mirrored") || !strcmp(v, "changed"))
			h->when_changed = v[0] == 'c';
		else
			cfg_err(p, p->line, "when: '%s' must be mirrored or changed", v);
		break;
	case K_REMOTE:
		cfg_set_str(&h->remote, v);
		break;
	case K_KINDS:
		parse_kinds(p, h, v);
		break;
	case K_INCLUDE:
	case K_EXCLUDE:
		if (!*v)
			cfg_err(p, p->line, "%s: empty expression", keys[k].name);
		else if (filter_add_regex(k == K_INCLUDE ? h->include : h->exclude, v, err, sizeof err) < 0)
			cfg_err(p, p->line, "%s: '%s': %s", keys[k].name, v, err);
		break;
	case K_TIMEOUT:
		if (cfg_duration(p, "timeout", v, &h->timeout_ms) && h->timeout_ms == 0)
			cfg_err(p, p->line, "timeout: must not be 0");
		break;
	case K_CONCURRENCY:
		cfg_number(p, "concurrency", v, &h->concurrency, 1, 64);
		break;
	case K_BATCH:
		cfg_number(p, "batch", v, &h->batch, 1, 100000);
		break;
	case K_RETRIES:
		cfg_number(p, "retries", v, &h->retries, 0, 1000);
		break;
	case K_QUEUE:
		cfg_number(p, "queue", v, &h->queue, 1, 10000000);
		break;
	case K_DIR_FILES:
		cfg_number(p, "dir_files", v, &h->dir_files, 0, 10000000);
		break;
	case K_RUN:
		strv_free(h->run);
		h->run = strv_split(v);
		if (!h->run || !h->run[0])
			cfg_err(p, p->line, "run: empty command");
		else if (h->run[0][0] != '/')
			cfg_err(p, p->line, "run: '%s' must be an absolute path (no shell and no PATH "
			    "search run it)", h->run[0]);
		break;
	case K_CONNECT:
		if (cfg_host_port(v, &h->host, &h->port, &why) < 0)
			cfg_err(p, p->line, "connect: '%s': %s", v, why);
		else if (!h->port)
			cfg_err(p, p->line, "connect: '%s' needs a port (host:port)", v);
		break;
	case K_UNIX:
		if (v[0] != '/')
			cfg_err(p, p->line, "unix: '%s' is not an absolute path", v);
		else if (strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			cfg_err(p, p->line, "unix: '%s' is longer than a socket path may be (%zu bytes)", v,
			    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		else
			cfg_set_str(&h->unix_path, v);
		break;
	case K_URL:
		if (!is_http_url(v))
			cfg_err(p, p->line, "url: '%s' must start with http:// or https://", v);
		else
			cfg_set_str(&h->url, v);
		break;
	case K_URL_TEMPLATE:
		if (!is_http_url(v))
			cfg_err(p, p->line, "url_template: '%s' must start with http:// or https://", v);
		else if (!strstr(v, "{path}"))
			cfg_err(p, p->line, "url_template: '%s' has no {path}", v);
		else
			cfg_set_str(&h->url_template, v);
		break;
	case K_PATH_REGEX:
		if (filter_regcomp(&re, v, REG_EXTENDED, err, sizeof err) < 0) {
			cfg_err(p, p->line, "path_regex: '%s': %s", v, err);
			break;
		}
		regfree(&re);
		cfg_set_str(&h->path_regex, v);
		break;
	case K_REPLACE:
		cfg_set_str(&h->replace, v);
		break;
	case K_METHOD:
		for (const char *s = v; *s; s++)
			if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' && *s != '_')
				why = "must be an HTTP method in capitals, such as GET, POST or PURGE";
		if (!*v || why)
			cfg_err(p, p->line, "method: '%s' %s", v, why ? why : "is empty");
		else
			cfg_set_str(&h->method, v);
		break;
	case K_HEADER: {
		const char *colon = strchr(v, ':'), *space = strpbrk(v, " \t");
		if (!colon || colon == v || (space && space < colon)) {
			cfg_err(p, p->line, "header: the value is not 'Name: value' (not shown: it may "
			    "hold a secret)");
			break;
		}
		struct strv sv = { 0 };
		strv_addv(&sv, h->headers);
		strv_add(&sv, v);
		strv_free(h->headers);
		h->headers = strv_steal(&sv);
		break;
	}
	case K_HEADER_FILE:
	case K_CREDENTIALS:
		if (v[0] != '/')
			cfg_err(p, p->line, "%s: '%s' is not an absolute path", keys[k].name, v);
		else
			cfg_set_str(k == K_HEADER_FILE ? &h->header_file : &h->credentials_file, v);
		break;
	case NKEYS:
		break;
	}
}

void
hook_key(struct parse *p, const char *name, const char *v)
{
	struct hook_conf *h = p->hook;
	size_t k;

	if (!h)
		return;		/* its header was wrong and reported */
	for (k = 0; k < NKEYS; k++)
		if (!strcmp(name, keys[k].name))
			break;
	if (k == NKEYS) {
		cfg_err(p, p->line, "unknown key '%s' in [hook %s] (known: type, when, remote, kinds, "
		    "include_regex, exclude_regex, timeout, concurrency, batch, retries, queue, dir_files, "
		    "run, "
		    "connect, unix, url, url_template, path_regex, replace, method, header, header_file, "
		    "credentials_file)", name, h->name);
		return;
	}
	struct hook_lines *hl = &p->hook_lines[h - p->cfg->hooks];
	if (!keys[k].repeat && hl->line[k]) {
		cfg_err(p, p->line, "'%s' is given twice in [hook %s] (first at line %d)", name, h->name,
		    hl->line[k]);
		return;
	}
	hl->line[k] = p->line;
	set_value(p, h, (enum hkey)k, v);
}

static void
check_hook(struct parse *p, struct hook_conf *h, const struct hook_lines *hl)
{
	static const enum hkey needed[] = {
		[HOOK_COMMAND] = K_RUN, [HOOK_SOCKET] = K_CONNECT, [HOOK_HTTP] = K_URL,
		[HOOK_CDN] = K_URL_TEMPLATE,
	};
	const struct config *c = p->cfg;
	const char *type = type_names[h->type];
	char what[300];

	if (!hl->type_set) {
		if (!hl->line[K_TYPE])
			cfg_err(p, h->line, "[hook %s] has no type (command, socket, http or cdn)", h->name);
		return;
	}
	for (size_t k = 0; k < NKEYS; k++)
		if (hl->line[k] && !(keys[k].types & T(h->type)))
			cfg_err(p, hl->line[k], "[hook %s]: %s does not apply to type = %s", h->name,
			    keys[k].name, type);
	if (h->type == HOOK_SOCKET) {
		if (!hl->line[K_CONNECT] == !hl->line[K_UNIX])
			cfg_err(p, h->line, "[hook %s]: a socket hook needs either connect = host:port or "
			    "unix = /path", h->name);
	} else if (!hl->line[needed[h->type]]) {
		cfg_err(p, h->line, "[hook %s]: a %s hook needs %s", h->name, type, keys[needed[h->type]].name);
	}
	if (!hl->line[K_PATH_REGEX] != !hl->line[K_REPLACE])
		cfg_err(p, hl->line[K_PATH_REGEX] + hl->line[K_REPLACE], "[hook %s]: path_regex and "
		    "replace go together", h->name);
	if (h->remote) {
		size_t i;
		for (i = 0; i < c->nremotes && strcmp(c->remotes[i].name, h->remote); i++)
			;
		if (i == c->nremotes)
			cfg_err(p, hl->line[K_REMOTE], "[hook %s]: remote '%s' is not defined", h->name,
			    h->remote);
		else if (h->when_changed)
			cfg_err(p, hl->line[K_REMOTE], "[hook %s]: remote applies only to when = mirrored",
			    h->name);
	}
	if (h->run && h->run[0] && h->run[0][0] == '/' && access(h->run[0], X_OK) < 0)
		cfg_err(p, hl->line[K_RUN], "[hook %s]: run: %s: %s", h->name, h->run[0], strerror(errno));
	if (h->header_file) {
		snprintf(what, sizeof what, "[hook %s]: header_file", h->name);
		cfg_check_secret(p, hl->line[K_HEADER_FILE], what, h->header_file);
	}
	if (h->credentials_file) {
		snprintf(what, sizeof what, "[hook %s]: credentials_file", h->name);
		cfg_check_secret(p, hl->line[K_CREDENTIALS], what, h->credentials_file);
	}
	if (!h->batch) {
		static const unsigned batch[] = {
			[HOOK_COMMAND] = 1, [HOOK_SOCKET] = 1000, [HOOK_HTTP] = 100, [HOOK_CDN] = 1,
		};
		h->batch = batch[h->type];
	}
}

void
hook_check_all(struct parse *p)
{
	for (size_t i = 0; i < p->cfg->nhooks; i++)
		check_hook(p, &p->cfg->hooks[i], &p->hook_lines[i]);
}

void
hook_conf_free(struct hook_conf *h)
{
	free(h->name);
	free(h->remote);
	filter_free(h->include);
	filter_free(h->exclude);
	strv_free(h->run);
	free(h->host);
	free(h->unix_path);
	free(h->url);
	free(h->url_template);
	free(h->path_regex);
	free(h->replace);
	free(h->method);
	strv_free(h->headers);
	free(h->header_file);
	free(h->credentials_file);
}
