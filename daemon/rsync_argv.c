/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rsync_argv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

/* How long a shared ssh connection stays after its last run. */
#define SSH_CONTROL_PERSIST "10m"

static const char *connector;

void
rsync_argv_set_connector(const char *self)
{
	connector = self;
}

static unsigned
seconds(uint64_t ms)
{
	return ms ? (unsigned)((ms + 999) / 1000) : 0;
}

/* rsync splits its -e string on spaces itself; inside single quotes a
 * doubled quote stands for one. */
static void
quote_for_e(FILE *f, const char *arg)
{
	fputc('\'', f);
	for (; *arg; arg++) {
		if (*arg == '\'')
			fputc('\'', f);
		fputc(*arg, f);
	}
	fputc('\'', f);
}

static char *
ssh_command(const struct remote_conf *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs("ssh -o BatchMode=yes", f);
	if (r->timeout_ms)
		fprintf(f, " -o ConnectTimeout=%u", seconds(r->timeout_ms));
	if (r->port)
		fprintf(f, " -p %u", r->port);
	if (r->ssh_key) {
		fputs(" -i ", f);
		quote_for_e(f, r->ssh_key);
	}
	for (char **o = r->ssh_options; o && *o; o++) {
		fputc(' ', f);
		quote_for_e(f, *o);
	}
	/* The connection the remote's runs share (daemon/sshmux.h): after the
	 * operator's options, as ssh keeps the first value of each.  An idle
	 * master goes after ControlPersist; keepalives end one whose link died
	 * within about the timeout, so runs do not keep landing on it. */
	if (r->ssh_control) {
		char *path = NULL;

		fputs(" -o ControlMaster=auto -o ControlPersist=" SSH_CONTROL_PERSIST " -o ", f);
		if (asprintf(&path, "ControlPath=%s", r->ssh_control) >= 0)
			quote_for_e(f, path);
		free(path);
		if (r->timeout_ms)
			fprintf(f, " -o ServerAliveInterval=%u -o ServerAliveCountMax=3",
			    seconds(r->timeout_ms) / 3 ? seconds(r->timeout_ms) / 3 : 1);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* rsync appends its own words (host, "rsync --server --daemon ."), which
 * the connector ignores. */
static char *
connector_command(const struct remote_conf *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	quote_for_e(f, connector);
	fputs(" --rsyncd-connect ", f);
	quote_for_e(f, r->host);
	fprintf(f, " %u %u", r->port ? r->port : 873, seconds(r->timeout_ms));
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static const char *
host_part(const struct remote_conf *r, char *buf, size_t len)
{
	if (strchr(r->host, ':'))
		snprintf(buf, len, "[%s]", r->host);
	else
		snprintf(buf, len, "%s", r->host);
	return buf;
}

char *
rsync_destination(const struct remote_conf *r)
{
	char host[300], *dst = NULL;
	const char *user = r->user ? r->user : "", *at = r->user ? "@" : "";
	int rc = -1;

	switch (r->kind) {
	case TARGET_RSYNCD:
		if (r->port)
			rc = asprintf(&dst, "rsync://%s%s%s:%u/%s/", user, at,
			    host_part(r, host, sizeof host), r->port, r->path);
		else
			rc = asprintf(&dst, "rsync://%s%s%s/%s/", user, at,
			    host_part(r, host, sizeof host), r->path);
		break;
	case TARGET_SSH:
		rc = asprintf(&dst, "%s%s%s:%s/", user, at, host_part(r, host, sizeof host), r->path);
		break;
	case TARGET_LOCAL:
		rc = asprintf(&dst, "%s/", r->path);
		break;
	}
	return rc < 0 ? NULL : dst;
}

/* opt is among the options, alone or as opt=VALUE. */
static bool
has_option(char *const *opts, const char *opt)
{
	size_t n = strlen(opt);

	for (; opts && *opts; opts++)
		if (!strncmp(*opts, opt, n) && ((*opts)[n] == '\0' || (*opts)[n] == '='))
			return true;
	return false;
}

/* r's runs connect through the connector, when the worker has one: an
 * rsync:// remote without an operator's --sockopts. */
static bool
through_connector(const struct config *c, const struct remote_conf *r)
{
	return r->kind == TARGET_RSYNCD && !has_option(c->rsync_options, "--sockopts");
}

char **
rsync_argv_opener(const struct config *c, const struct remote_conf *r)
{
	struct strv s = { 0 };

	if (!connector || !through_connector(c, r))
		return NULL;
	strv_add(&s, connector);
	strv_add(&s, "--rsyncd-connect");
	strv_add(&s, r->host);
	strv_addf(&s, "%u", r->port ? r->port : 873);
	strv_addf(&s, "%u", seconds(r->timeout_ms));
	return strv_steal(&s);
}

/* A verify's copy of the options: without --update (-u), which skips a
 * file the mirror has newer, whatever it holds, and without --quiet (-q),
 * which silences the lines a verify reads.  In a cluster ("-artuz") a
 * letter after one that takes an argument ("-T/tmp/qu") is that argument. */
static void
add_verify_options(struct strv *s, char *const *opts)
{
	for (; opts && *opts; opts++) {
		const char *o = *opts;
		if (!strcmp(o, "--update") || !strcmp(o, "--quiet"))
			continue;
		if (o[0] != '-' || o[1] == '-') {
			strv_add(s, o);
			continue;
		}
		char *copy = strdup(o), *out = copy + 1;
		if (!copy) {
			strv_add(s, NULL);	/* out of memory: no argv at all */
			return;
		}
		for (const char *p = o + 1; *p; p++) {
			if (strchr("BeTfM@", *p)) {
				strcpy(out, p);
				out += strlen(p);
				break;
			}
			if (*p != 'u' && *p != 'q')
				*out++ = *p;
		}
		*out = '\0';
		if (copy[1])
			strv_add(s, copy);
		free(copy);
	}
}

/* The operator chose the checksum or the compression: rsync negotiates
 * nothing or what is left, as told. */
static bool
operator_chooses(char *const *opts)
{
	static const char *const chooses[] = { "--checksum-choice", "--cc", "--compress-choice",
		"--zc", "--old-compress", "--new-compress" };

	for (size_t i = 0; i < sizeof chooses / sizeof chooses[0]; i++)
		if (has_option(opts, chooses[i]))
			return true;
	return false;
}

/* Between rsync 3.2.0 or newer on both ends, the checksum and the
 * compression are negotiated at the start of each run: the server sends
 * its lists, waits for the client's and only then sends its checksum
 * seed, a round trip before the file list.  Named on the command line,
 * neither side sends a list and the seed comes with the compat flags: at
 * 50 ms RTT a one-file push reaches the mirror after 215 ms instead of
 * 265 (docs/BENCHMARKS.md).  So a run asks rsync what it negotiated, and
 * the remote's later runs name that, which changes nothing the mirror
 * receives.  rsync prints "negotiated" only after a negotiation, which an
 * rsync too old for these options does not hold; a failed run forgets
 * (remote.c), in case the remote's rsync changed, and one that named them
 * and failed on them (a daemon that refuses them) ends the naming for the
 * remote, else every other run would fail.  Not for a local target: there
 * a round trip costs nothing. */
static void
add_choices(struct strv *s, const struct config *c, const struct remote_conf *r,
    enum rsync_mode mode)
{
	if (r->kind == TARGET_LOCAL || r->nstr_off || operator_chooses(c->rsync_options))
		return;
	if (*r->nstr_checksum) {
		strv_addf(s, "--checksum-choice=%s", r->nstr_checksum);
		if (*r->nstr_compress)
			strv_addf(s, "--compress-choice=%s", r->nstr_compress);
	} else if (mode != RSYNC_VERIFY) {
		/* Two lines ahead of the rest; a verify reads every line. */
		strv_add(s, "--debug=NSTR");
	}
}

/* The word after prefix at the start of a line of output into buf: false
 * if there is none, or it does not fit. */
static bool
said_word(const char *output, const char *prefix, char *buf, size_t len)
{
	size_t n = strlen(prefix);

	for (const char *p = output; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, prefix, n))
			continue;
		size_t w = strspn(p + n, "abcdefghijklmnopqrstuvwxyz0123456789");
		if (!w || w >= len)
			return false;
		memcpy(buf, p + n, w);
		buf[w] = '\0';
		return true;
	}
	return false;
}

void
rsync_argv_learn(struct remote_conf *r, const char *output)
{
	char checksum[sizeof r->nstr_checksum], compress[sizeof r->nstr_compress] = "";

	if (!said_word(output, "Client negotiated checksum: ", checksum, sizeof checksum))
		return;
	said_word(output, "Client negotiated compress: ", compress, sizeof compress);
	memcpy(r->nstr_checksum, checksum, sizeof checksum);
	memcpy(r->nstr_compress, compress, sizeof compress);
}

bool
rsync_argv_forget(struct remote_conf *r, const char *output)
{
	bool named = *r->nstr_checksum;

	r->nstr_checksum[0] = r->nstr_compress[0] = '\0';
	/* "The server is configured to refuse --checksum-choice" (code 4),
	 * "--checksum-choice=xxh128: unknown option" (code 1) */
	if (named && (strstr(output, "checksum-choice") || strstr(output, "compress-choice")))
		r->nstr_off = true;
	return named;
}

/* subdir, link_dest: RSYNC_LINK's; from: RSYNC_DELETE's. */
static char **
build(const struct config *c, const struct remote_conf *r, enum rsync_mode mode,
    const char *exclude_file, int verbose, const char *subdir, const char *link_dest,
    const char *from)
{
	struct strv s = { 0 };
	unsigned timeout = seconds(r->timeout_ms);

	strv_add(&s, c->rsync_binary);
	if (mode == RSYNC_VERIFY)
		add_verify_options(&s, c->rsync_options);
	else
		strv_addv(&s, c->rsync_options);
	if (mode == RSYNC_LINK) {
		/* Exactly the listed entries of one directory, each new file
		 * hardlinked from link_dest where that has the same contents:
		 * compared by checksum, since size and mtime miss a rewrite of
		 * the same size within the mtime's granularity (a second, or a
		 * jiffy).  Nothing is deleted here. */
		strv_add(&s, "--files-from=-");
		strv_add(&s, "--relative");
		strv_add(&s, "--no-recursive");
		strv_add(&s, "--dirs");
		strv_add(&s, "--checksum");
		strv_addf(&s, "--link-dest=%s", link_dest);
	} else if (mode == RSYNC_PRUNE || mode == RSYNC_DELETE) {
		/* What the listed directories hold on the mirror and the
		 * source does not goes; nothing is created or updated, so a
		 * deletion sends no file of its siblings. */
		strv_add(&s, "--files-from=-");
		strv_add(&s, "--relative");
		strv_add(&s, "--no-recursive");
		strv_add(&s, "--dirs");
		strv_add(&s, "--existing");
		strv_add(&s, "--ignore-existing");
		strv_add(&s, "--delete");
		strv_add(&s, "--force");
		/* A directory that went meanwhile has its own deletion. */
		strv_add(&s, "--ignore-missing-args");
		if (mode == RSYNC_DELETE) {
			/* The empty copies' own attributes are not the
			 * source's: none of them goes to the mirror. */
			strv_add(&s, "--omit-dir-times");
			strv_add(&s, "--no-perms");
			strv_add(&s, "--no-owner");
			strv_add(&s, "--no-group");
			strv_add(&s, "--no-acls");
			strv_add(&s, "--no-xattrs");
		}
	} else if (mode != RSYNC_FULL && mode != RSYNC_VERIFY) {
		/* Exactly the listed paths: "dir/" syncs one level of dir, a
		 * missing path is a deletion; nothing recurses on its own. */
		strv_add(&s, "--files-from=-");
		strv_add(&s, "--relative");
		strv_add(&s, "--no-recursive");
		strv_add(&s, "--dirs");
		/* We know these paths changed: rsync's size-and-mtime quick
		 * check misses a rewrite of the same size within one second. */
		strv_add(&s, "--ignore-times");
		if (c->rsync_delete) {
			strv_add(&s, "--delete");
			strv_add(&s, "--force");
		}
		/* A receiver that rejects the mode-0 entries of deleted paths
		 * gets its deletions in an RSYNC_PRUNE run instead. */
		if (c->rsync_delete && mode == RSYNC_PUSH)
			strv_add(&s, "--delete-missing-args");
		else
			strv_add(&s, "--ignore-missing-args");
	} else {
		strv_add(&s, "--recursive");
		if (c->rsync_delete) {
			strv_add(&s, "--delete");
			strv_add(&s, "--force");
		}
		if (mode == RSYNC_VERIFY) {
			/* Every file compared by its checksum, nothing changed,
			 * each difference a line.  That is --itemize-changes
			 * without its " -> target" after a symlink's name, which a
			 * name holding " -> " would make ambiguous. */
			strv_add(&s, "--dry-run");
			strv_add(&s, "--checksum");
			strv_add(&s, "--out-format=%i %n");
		}
	}
	strv_add(&s, "--from0");
	/* "sent N bytes ...": the bytes sent, for the metrics. */
	if (mode != RSYNC_VERIFY)
		strv_add(&s, "--info=stats1");
	add_choices(&s, c, r, mode);
	if (exclude_file)
		strv_addf(&s, "--exclude-from=%s", exclude_file);
	if (timeout)
		strv_addf(&s, "--timeout=%u", timeout);
	if (verbose && mode != RSYNC_VERIFY)
		strv_add(&s, "--itemize-changes");
	if (r->kind == TARGET_RSYNCD) {
		/* rsync's daemon protocol trades small messages; with Nagle on,
		 * each exchange can wait for a delayed ACK (40 ms on Linux), and
		 * a one-file push took ~140 ms instead of ~15 ms.  rsync buffers
		 * its own writes, so no tiny packets result.  The daemon's end
		 * has the same problem, which only quick ACKs from this end
		 * avoid: the connector (connector.c).  An operator's own --sockopts
		 * wins over both. */
		if (!through_connector(c, r)) {
			if (timeout)
				strv_addf(&s, "--contimeout=%u", timeout);
		} else if (connector) {
			char *e = connector_command(r);
			if (e)
				strv_add(&s, "-e");
			strv_add(&s, e ? e : NULL);
			free(e);
		} else {
			if (timeout)
				strv_addf(&s, "--contimeout=%u", timeout);
			strv_add(&s, "--sockopts=TCP_NODELAY");
		}
		if (r->password_file)
			strv_addf(&s, "--password-file=%s", r->password_file);
	} else if (r->kind == TARGET_SSH) {
		char *e = ssh_command(r);
		if (e)
			strv_add(&s, "-e");
		strv_add(&s, e ? e : NULL);
		free(e);
	}
	char *dst = rsync_destination(r);
	if (!dst) {
		strv_add(&s, NULL);	/* out of memory: no argv at all */
	} else if (subdir) {
		strv_addf(&s, "%s/%s/", c->source, subdir);
		strv_addf(&s, "%s%s/", dst, subdir);
	} else {
		strv_addf(&s, "%s/", from ? from : c->source);
		strv_add(&s, dst);
	}
	free(dst);
	return strv_steal(&s);
}

char **
rsync_argv(const struct config *c, const struct remote_conf *r, enum rsync_mode mode,
    const char *exclude_file, int verbose)
{
	return build(c, r, mode, exclude_file, verbose, NULL, NULL, NULL);
}

char **
rsync_argv_link(const struct config *c, const struct remote_conf *r, const char *subdir,
    const char *link_dest, int verbose)
{
	return build(c, r, RSYNC_LINK, NULL, verbose, subdir, link_dest, NULL);
}

char **
rsync_argv_delete(const struct config *c, const struct remote_conf *r, const char *exclude_file,
    int verbose, const char *from)
{
	return build(c, r, RSYNC_DELETE, exclude_file, verbose, NULL, NULL, from);
}
