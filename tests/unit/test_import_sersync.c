/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syncctl import-sersync: the mapping helpers, and what the regexes and
 * rsync patterns they give exclude once syncd's own filter reads them. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "filter.h"
#include "import_sersync.h"
#include "suites.h"
#include "test_util.h"

static void
regex_is(const char *expr, const char *want)
{
	char *got = sersync_filter_regex(expr);

	ck_assert_ptr_nonnull(got);
	ck_assert_msg(!strcmp(got, want), "%s: got %s, want %s", expr, got, want);
	free(got);
}

static void
glob_is(const char *expr, const char *want)
{
	char *got = sersync_filter_glob(expr);

	if (!want)
		ck_assert_msg(!got, "%s: got %s, want none", expr, got);
	else
		ck_assert_msg(got && !strcmp(got, want), "%s: got %s, want %s", expr, got ? got : "none", want);
	free(got);
}

START_TEST(regex_anchored)
{
	regex_is("(.*)\\.svn", "^((.*)\\.svn)$");
	regex_is("^info/*", "^(info/*)$");
	/* a ^ and $ of its own, and the '/' sersync's deeper paths start with */
	regex_is("^/cache/.*$", "^(cache/.*)$");
	regex_is("a|b", "^(a|b)$");
	/* an escaped $ stays */
	regex_is("price\\$", "^(price\\$)$");
	/* Perl's \d, not inside brackets (POSIX reads a backslash there as itself) */
	regex_is("(.*)\\d+\\.log", "^((.*)[0-9]+\\.log)$");
	regex_is("x\\D", "^(x[^0-9])$");
	regex_is("[\\d]", "^([\\d])$");
	regex_is("[]d]\\d", "^([]d][0-9])$");
}
END_TEST

/* Excluded, or below an excluded directory: what syncd never pushes. */
static bool
excluded_tree(const struct filter *f, const char *path, bool is_dir)
{
	char buf[256];

	for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(buf, sizeof buf, "%.*s", (int)(s - path), path);
		if (filter_excluded(f, buf, true))
			return true;
	}
	return filter_excluded(f, path, is_dir);
}

static struct filter *
regex_filter(const char *expr)
{
	struct filter *f = filter_new();
	char *re = sersync_filter_regex(expr), err[128];

	ck_assert_ptr_nonnull(re);
	ck_assert_msg(filter_add_regex(f, re, err, sizeof err) == 0, "%s: %s", re, err);
	free(re);
	return f;
}

START_TEST(regex_meaning)
{
	/* what sersync's regex_match excluded, on syncd's relative paths */
	struct filter *svn = regex_filter("(.*)\\.svn"), *info = regex_filter("^info/*");

	ck_assert(filter_excluded(svn, ".svn", true));
	ck_assert(filter_excluded(svn, "a/b/.svn", true));
	ck_assert(excluded_tree(svn, "a/.svn/entries", false));
	ck_assert(!filter_excluded(svn, "a/b.svnx", false));
	ck_assert(filter_excluded(info, "info", true));
	ck_assert(excluded_tree(info, "info/a/b", false));
	/* ^ anchored at the top in sersync too: its deeper paths start with '/' */
	ck_assert(!filter_excluded(info, "x/info", true));
	ck_assert(!filter_excluded(info, "information", true));
	filter_free(svn);
	filter_free(info);
}
END_TEST

START_TEST(glob_forms)
{
	glob_is("(.*)\\.gz", "*.gz");
	glob_is(".*\\.tar-gz$", "*.tar-gz");
	glob_is("^info/*", "/info");
	glob_is("info/", "/info");
	glob_is("^info", "/info");
	glob_is("^static/.*", "/static/*");
	glob_is("^a\\.b/img/*", "/a.b/img");
	/* anything else stays a regex */
	glob_is("(.*)\\.(gz|bz2)", NULL);
	glob_is("(.*)\\.svn|x", NULL);
	glob_is("^\\./*", NULL);
	glob_is("^a.b/*", NULL);
	glob_is("foo[0-9]", NULL);
	glob_is("^info/*x", NULL);
	glob_is("", NULL);
}
END_TEST

/* An rsync pattern given for a pair excludes what the regex excludes. */
START_TEST(glob_meaning)
{
	static const char *const exprs[] = { "(.*)\\.gz", "^info/*", "^static/.*", "^a\\.b/img/*" };
	static const struct {
		const char *path;
		bool dir;
	} paths[] = {
		{ "a.gz", false }, { "d/a.gz", false }, { "a.gzip", false }, { ".gz", false }, { "x.gz", true },
		{ "x.gz/y", false }, { "info", true }, { "info", false }, { "info/a", false }, { "x/info", true },
		{ "information", true }, { "static", true }, { "static/a", false }, { "static/a/b", false },
		{ "x/static/a", false }, { "a.b/img", true }, { "a.b/img/c", false }, { "aXb/img", true },
		{ "a.b", true },
	};

	for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
		struct filter *re = regex_filter(exprs[i]), *gl = filter_new();
		char *g = sersync_filter_glob(exprs[i]);
		ck_assert_ptr_nonnull(g);
		ck_assert_int_eq(filter_add_glob(gl, g), 0);
		for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++)
			ck_assert_msg(excluded_tree(re, paths[k].path, paths[k].dir) ==
			    excluded_tree(gl, paths[k].path, paths[k].dir), "%s (%s) and %s disagree on %s",
			    exprs[i], g, g, paths[k].path);
		free(g);
		filter_free(re);
		filter_free(gl);
	}
}
END_TEST

START_TEST(crontab_pairs)
{
	/* the pairs sersync's own sample configuration makes */
	ck_assert(sersync_crontab_same("^info/*", "info/*"));
	ck_assert(sersync_crontab_same("(.*)\\.php", "*.php"));
	ck_assert(sersync_crontab_same("^info/*", "/info/"));
	ck_assert(sersync_crontab_same("^info/*", "info"));
	ck_assert(sersync_crontab_same("^info/.*", "/info/**"));
	ck_assert(sersync_crontab_same("^a\\.b/img/*", "a.b/img/***"));
	ck_assert(!sersync_crontab_same("(.*)\\.gz", "*.php"));
	ck_assert(!sersync_crontab_same("(.*)\\.gz", "gz"));
	ck_assert(!sersync_crontab_same("^info/*", "info/a"));
	ck_assert(!sersync_crontab_same("^info/*", "information/*"));
	ck_assert(!sersync_crontab_same("^info/*", "*.php"));
	ck_assert(!sersync_crontab_same("(.*)\\.svn|x", "*.svn"));
}
END_TEST

static void
name_is(char *got, const char *want)
{
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(names)
{
	name_is(sersync_remote_name("10.15.43.100", "app_rsync_server"), "10.15.43.100_app_rsync_server");
	name_is(sersync_remote_name("107.170.213.95", "/home/user2/target/"), "107.170.213.95_home_user2_target");
	name_is(sersync_remote_name("2001:db8::1", "www"), "2001_db8_1_www");
	name_is(sersync_remote_name("h", "a b\n[c]"), "h_a_b_c");
	name_is(sersync_remote_name("", "/"), "remote");
	name_is(sersync_instance_name("/etc/sersync/www_confxml.xml"), "www_confxml");
	name_is(sersync_instance_name("bbs.XML"), "bbs");
	name_is(sersync_instance_name("/app/sersync/confxml.xml"), "imported");
	name_is(sersync_instance_name("/x/my site.xml"), "imported");
	name_is(sersync_instance_name(".hidden.xml"), "imported");
	ck_assert(sersync_valid_name("www-2.old_1"));
	ck_assert(!sersync_valid_name("-x"));
	ck_assert(!sersync_valid_name(".x"));
	ck_assert(!sersync_valid_name("a/b"));
	ck_assert(!sersync_valid_name(""));
}
END_TEST

static void
include_is(const char *expr, const char *want, bool want_elsewhere)
{
	bool elsewhere = !want_elsewhere;
	char *got = sersync_include_regex(expr, "/srv/www", &elsewhere);

	ck_assert_ptr_nonnull(got);
	ck_assert_msg(!strcmp(got, want), "%s: got %s, want %s", expr, got, want);
	ck_assert_msg(elsewhere == want_elsewhere, "%s: elsewhere %d", expr, elsewhere);
	free(got);
}

START_TEST(include_forms)
{
	include_is("(.*)\\.php", "^((.*)\\.php)$", false);
	/* the watched directory in front, as text or escaped */
	include_is("^/srv/www/static/.*\\.sh$", "^(static/.*\\.sh)$", false);
	include_is("\\/srv\\/www\\/a\\d", "^(a[0-9])$", false);
	/* any directories and a slash: that slash may be the one after /srv/www */
	include_is("(.*)/images/.*", "^((.*/)?images/.*)$", false);
	include_is(".*/x", "^((.*/)?x)$", false);
	include_is("/srv/www/(.*)/a", "^((.*)/a)$", false);
	/* another absolute path: it never matched below /srv/www */
	include_is("/other/.*", "^(other/.*)$", true);
	include_is("/srv/wwwx/a", "^(srv/wwwx/a)$", true);
}
END_TEST

/* What sersync ran the command for, regex_match(E, "/srv/www/" PATH), is
 * what the include_regex lets through, searched in PATH. */
START_TEST(include_meaning)
{
	static const char *const exprs[] = {
		"(.*)\\.php", "^/srv/www/static/.*", "(.*)/images/.*", "/srv/www/(.*)/a", ".*/cache/(.*)\\.html",
	};
	static const char *const paths[] = {
		"a.php", "d/a.php", "a.phpx", ".php", "static", "static/x", "x/static/y", "images/a.png",
		"d/images/a.png", "imagesx/a", "a", "d/a", "d/e/a", "cache/i.html", "x/cache/i.html", "cache.html",
	};

	for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
		struct filter *f = filter_new();
		char *re = sersync_include_regex(exprs[i], "/srv/www", &(bool){ false }), *anch, err[128], abs[256];
		regex_t ref;
		ck_assert_ptr_nonnull(re);
		ck_assert_msg(filter_add_regex(f, re, err, sizeof err) == 0, "%s: %s", re, err);
		ck_assert_int_ge(asprintf(&anch, "^(%s)$", exprs[i][0] == '^' ? exprs[i] + 1 : exprs[i]), 0);
		ck_assert_int_eq(regcomp(&ref, anch, REG_EXTENDED | REG_NOSUB), 0);
		for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
			snprintf(abs, sizeof abs, "/srv/www/%s", paths[k]);
			bool sersync = regexec(&ref, abs, 0, NULL, 0) == 0;
			ck_assert_msg(filter_excluded(f, paths[k], false) == sersync, "%s (%s) on %s: sersync %s it",
			    exprs[i], re, paths[k], sersync ? "matched" : "did not match");
		}
		regfree(&ref);
		free(anch);
		free(re);
		filter_free(f);
	}
}
END_TEST

static void
cdn_is(const char *match, const char *watch, const char *want_re, const char *want_rep, bool want_elsewhere)
{
	char *re, *rep;
	bool elsewhere = !want_elsewhere;

	ck_assert_int_eq(sersync_cdn_regex(match, watch, &re, &rep, &elsewhere), 0);
	ck_assert_msg(!strcmp(re, want_re), "%s: got %s, want %s", match, re, want_re);
	ck_assert_msg(!strcmp(rep, want_rep), "%s: got %s, want %s", match, rep, want_rep);
	ck_assert_msg(elsewhere == want_elsewhere, "%s: elsewhere %d", match, elsewhere);
	free(re);
	free(rep);
}

START_TEST(cdn_forms)
{
	/* sersync's sample: it needs text of the watched directory */
	cdn_is("cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images", "/data0/htdocs/cms.xoyo.com/site",
	    "(cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images)(.*)$", "\\2\\3", true);
	/* the watched directory in front: anchored without it */
	cdn_is("^/srv/www/site([a-z]*)\\.x/(\\d+)", "/srv/www", "^(site([a-z]*)\\.x/([0-9]+))(.*)$", "\\2\\4",
	    false);
	/* no group: what follows the match only */
	cdn_is("images/", "/srv/www", "(images/)(.*)$", "\\2", false);
	/* anchored at the start of another path than /srv/www/ */
	cdn_is("^/data/(.*)", "/srv/www", "(^/data/(.*))(.*)$", "\\2\\3", true);

	char *re, *rep;
	bool elsewhere;
	ck_assert_int_eq(sersync_cdn_regex("(a)(b)(c)(d)(e)(f)(g)(h)", "/w", &re, &rep, &elsewhere), -1);
	ck_assert_ptr_null(re);
	ck_assert_ptr_null(rep);
}
END_TEST

/* The URL's tail sersync built, base + what[1] + what.suffix() of M searched
 * in "/srv/www/" PATH, is replace applied to path_regex's match in PATH. */
START_TEST(cdn_meaning)
{
	static const char *const matches[] = { "/srv/www/site([a-z]*)/", "images/([a-z]+)", "\\.jpg" };
	static const char *const paths[] = {
		"site/a.jpg", "siteab/c/d.jpg", "x/site/a", "images/abc/d.png", "d/images/x9", "a.jpg", "b.png",
	};

	for (size_t i = 0; i < sizeof matches / sizeof matches[0]; i++) {
		char *re, *rep, abs[256], want[256], got[256];
		regex_t ref, ours;
		regmatch_t m[10];
		bool elsewhere;
		ck_assert_int_eq(sersync_cdn_regex(matches[i], "/srv/www", &re, &rep, &elsewhere), 0);
		ck_assert(!elsewhere);
		ck_assert_int_eq(regcomp(&ref, matches[i], REG_EXTENDED), 0);
		ck_assert_int_eq(regcomp(&ours, re, REG_EXTENDED), 0);
		for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
			snprintf(abs, sizeof abs, "/srv/www/%s", paths[k]);
			bool sent = regexec(&ref, abs, 10, m, 0) == 0;
			if (sent)
				snprintf(want, sizeof want, "%.*s%s", m[1].rm_so < 0 ? 0 : (int)(m[1].rm_eo - m[1].rm_so),
				    m[1].rm_so < 0 ? "" : abs + m[1].rm_so, abs + m[0].rm_eo);
			ck_assert_msg((regexec(&ours, paths[k], 10, m, 0) == 0) == sent, "%s (%s) on %s", matches[i],
			    re, paths[k]);
			if (!sent)
				continue;
			/* replace: \N is group N */
			size_t o = 0;
			for (const char *r = rep; *r; r += 2) {
				int g = r[1] - '0';
				if (m[g].rm_so >= 0)
					o += (size_t)snprintf(got + o, sizeof got - o, "%.*s", (int)(m[g].rm_eo - m[g].rm_so),
					    paths[k] + m[g].rm_so);
			}
			got[o] = '\0';
			ck_assert_msg(!strcmp(got, want), "%s on %s: got %s, want %s", matches[i], paths[k], got, want);
		}
		regfree(&ref);
		regfree(&ours);
		free(re);
		free(rep);
	}
}
END_TEST

/* ------------------------------------------------- plugins as hooks -- */

struct imported {
	char dir[256];
	char *out, *diag;
	struct config cfg;	/* the output, loaded by syncd's parser */
	bool loaded;
};

/* Imports a confxml.xml watching /srv/www with one remote, whose <sersync>
 * turns plugin on (start = "true" or not) and whose <head> ends with the
 * plugins given, from line 6 on; then loads the output with config_load. */
static void
import_plugins(struct imported *r, const char *start, const char *plugin, const char *plugins)
{
	char xml[300], ini[300], *text;
	size_t olen = 0, dlen = 0;
	FILE *o, *d;

	memset(r, 0, sizeof *r);
	tu_mkdtemp(r->dir, sizeof r->dir);
	snprintf(xml, sizeof xml, "%s/c.xml", r->dir);
	ck_assert_int_ge(asprintf(&text, "<head version=\"2.5\">\n<sersync>\n"
	    "<localpath watch=\"/srv/www/\"><remote ip=\"192.0.2.1\" name=\"www\"/></localpath>\n"
	    "<plugin start=\"%s\" name=\"%s\"/>\n</sersync>\n%s</head>\n", start, plugin, plugins), 0);
	tu_write(xml, text, 0644);
	free(text);
	o = open_memstream(&r->out, &olen);
	d = open_memstream(&r->diag, &dlen);
	ck_assert_int_eq(import_sersync(xml, "www", "/st", "/cfg", o, d), 0);
	fclose(o);
	fclose(d);
	snprintf(ini, sizeof ini, "%s/www.ini", r->dir);
	tu_write(ini, r->out, 0644);
	r->loaded = config_load(ini, &r->cfg, NULL, 0) == 0;
	ck_assert_msg(r->loaded, "the output does not load:\n%s", r->out);
}

static void
imported_free(struct imported *r)
{
	if (r->loaded)
		config_free(&r->cfg);
	free(r->out);
	free(r->diag);
	tu_rmtree(r->dir);
}

#define out_has(r, text) ck_assert_msg(strstr((r)->out, text) != NULL, "no\n%s\nin\n%s", text, (r)->out)
#define diag_has(r, text) ck_assert_msg(strstr((r)->diag, text) != NULL, "no %s in\n%s", text, (r)->diag)

/* The section that starts with the line head ("[hook X]", or "; [hook X]"
 * when commented out) and ends before a line ";" alone or at the end, without
 * its comments (lines starting with ';', or ";;" when commented out), is
 * want. */
static void
section_is(const struct imported *r, const char *head, const char *want)
{
	bool commented = head[0] == ';';
	char *h, *got = NULL;
	size_t glen = 0;
	const char *p;

	ck_assert_int_ge(asprintf(&h, "\n%s\n", head), 0);
	p = strstr(r->out, h);
	ck_assert_msg(p != NULL, "no %s in\n%s", head, r->out);
	FILE *g = open_memstream(&got, &glen);
	for (p++; *p && strncmp(p, ";\n", 2); p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != '\0')) {
		size_t n = strcspn(p, "\n");
		if (commented ? strncmp(p, ";;", 2) : p[0] != ';')
			fprintf(g, "%.*s\n", (int)n, p);
	}
	fclose(g);
	ck_assert_msg(!strcmp(got, want), "%s is\n%s\nnot\n%s\nin\n%s", head, got, want, r->out);
	free(got);
	free(h);
}

START_TEST(hook_command_on)
{
	struct imported r;

	import_plugins(&r, "true", "command",
	    "<plugin name=\"command\">\n"
	    "<param prefix=\"/bin/sh\" suffix=\"\" ignoreError=\"true\"/>\n"
	    "<filter start=\"true\">\n"
	    "<include expression=\"(.*)\\.php\"/>\n"
	    "<include expression=\"^/srv/www/static/.*\\.sh$\"/>\n"
	    "</filter>\n"
	    "</plugin>\n"
	    "<plugin name=\"socket\"><localpath watch=\"/srv/www\"><deshost ip=\"192.0.2.5\" port=\"9\"/>"
	    "</localpath></plugin>\n");
	section_is(&r, "[hook command]",
	    "[hook command]\n"
	    "type = command\n"
	    "when = mirrored\n"
	    "run = /bin/sh\n"
	    "include_regex = ^((.*)\\.php)$\n"
	    "include_regex = ^(static/.*\\.sh)$\n"
	    "retries = 0\n");
	/* sersync's line, in a comment; /bin/sh runs the changed files: loudly */
	out_has(&r, ";   /bin/sh /srv/www/PATH >/dev/null 2>&1\n");
	diag_has(&r, "c.xml:7: warning: <param prefix=\"/bin/sh\">: /bin/sh runs each changed file that <filter> "
	    "lets through as a script");
	ck_assert_ptr_null(strstr(r.diag, "not support"));
	/* the other plugin is not on: commented out */
	section_is(&r, "; [hook socket]", "; [hook socket]\n; type = socket\n; when = changed\n"
	    "; connect = 192.0.2.5:9\n");
	diag_has(&r, "c.xml:13: warning: <plugin name=\"socket\"> is not on: only \"sersync2 -m socket\" ran it");
	/* as syncd reads it */
	ck_assert_int_eq(r.cfg.nhooks, 1);
	const struct hook_conf *h = &r.cfg.hooks[0];
	ck_assert_str_eq(h->name, "command");
	ck_assert_int_eq(h->type, HOOK_COMMAND);
	ck_assert(!h->when_changed);
	ck_assert_str_eq(h->run[0], "/bin/sh");
	ck_assert_ptr_null(h->run[1]);
	ck_assert_uint_eq(h->batch, 1);
	ck_assert_uint_eq(h->retries, 0);
	ck_assert_uint_eq(h->kinds, HK_ALL);
	ck_assert(filter_excluded(h->include, "a.php", false));
	ck_assert(filter_excluded(h->include, "d/a.php", false));
	ck_assert(!filter_excluded(h->include, "a.phps", false));
	ck_assert(filter_excluded(h->include, "static/x/y.sh", false));
	ck_assert(!filter_excluded(h->include, "x/static/y.sh", false));
	imported_free(&r);
}
END_TEST

START_TEST(hook_socket_on)
{
	struct imported r;

	import_plugins(&r, "true", "socket",
	    "<plugin name=\"socket\">\n"
	    "<localpath watch=\"/srv/www\">\n"
	    "<deshost ip=\"192.168.138.20\" port=\"8009\"/>\n"
	    "</localpath>\n"
	    "</plugin>\n");
	section_is(&r, "[hook socket]", "[hook socket]\ntype = socket\nwhen = mirrored\n"
	    "connect = 192.168.138.20:8009\n");
	diag_has(&r, "c.xml:8: warning: <plugin name=\"socket\">: [hook socket] writes one line per change");
	ck_assert_int_eq(r.cfg.nhooks, 1);
	ck_assert_int_eq(r.cfg.hooks[0].type, HOOK_SOCKET);
	ck_assert_str_eq(r.cfg.hooks[0].host, "192.168.138.20");
	ck_assert_uint_eq(r.cfg.hooks[0].port, 8009);
	imported_free(&r);

	/* with it on, sersync watched the plugin's own <localpath> */
	import_plugins(&r, "true", "socket",
	    "<plugin name=\"socket\"><localpath watch=\"/opt/tongbu\"><deshost ip=\"2001:db8::1\" port=\"8009\"/>"
	    "</localpath></plugin>\n");
	section_is(&r, "[hook socket]", "[hook socket]\ntype = socket\nwhen = mirrored\n"
	    "connect = [2001:db8::1]:8009\n");
	diag_has(&r, "c.xml:6: warning: with <plugin name=\"socket\"> on, sersync watched and pushed its "
	    "<localpath watch=\"/opt/tongbu\"> instead of <sersync><localpath watch=\"/srv/www\">");
	imported_free(&r);
}
END_TEST

START_TEST(hook_http_on)
{
	struct imported r;

	/* <deshost ip port> */
	import_plugins(&r, "true", "http",
	    "<plugin name=\"http\">\n"
	    "<localpath watch=\"/srv/www\">\n"
	    "<deshost ip=\"192.0.2.9\" port=\"8080\"/>\n"
	    "</localpath>\n"
	    "</plugin>\n");
	section_is(&r, "[hook http]", "[hook http]\ntype = http\nwhen = mirrored\nurl = http://192.0.2.9:8080/\n");
	diag_has(&r, "c.xml:8: warning: <plugin name=\"http\">: [hook http] POSTs a JSON document");
	ck_assert_int_eq(r.cfg.hooks[0].type, HOOK_HTTP);
	ck_assert_str_eq(r.cfg.hooks[0].url, "http://192.0.2.9:8080/");
	imported_free(&r);

	/* <deshost url>, what sersync 2.5's code read */
	import_plugins(&r, "true", "http",
	    "<plugin name=\"http\"><localpath watch=\"/srv/www\">"
	    "<deshost url=\"https://hooks.example.com/cb.php\" port=\"443\"/></localpath></plugin>\n");
	section_is(&r, "[hook http]", "[hook http]\ntype = http\nwhen = mirrored\n"
	    "url = https://hooks.example.com/cb.php\n");
	imported_free(&r);
}
END_TEST

START_TEST(hook_cdn_on)
{
	struct imported r;

	import_plugins(&r, "true", "refreshCDN",
	    "<plugin name=\"refreshCDN\">\n"
	    "<localpath watch=\"/srv/www/\">\n"
	    "<cdninfo domainname=\"ccms.chinacache.com\" port=\"80\" username=\"cdnuser\" passwd=\"s3cret-pw\"/>\n"
	    "<sendurl base=\"http://pic.xoyo.com/cms\"/>\n"
	    "<regexurl regex=\"false\" match=\"cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images\"/>\n"
	    "</localpath>\n"
	    "</plugin>\n");
	section_is(&r, "[hook refreshCDN]", "[hook refreshCDN]\ntype = cdn\nwhen = mirrored\n"
	    "url_template = http://pic.xoyo.com/cms/{path}\n");
	/* the credentials are the operator's to put in a file; the password is never copied */
	out_has(&r, "\n; credentials_file = /cfg/www.cdn-credentials\n");
	ck_assert_ptr_null(strstr(r.out, "s3cret-pw"));
	ck_assert_ptr_null(strstr(r.diag, "s3cret-pw"));
	diag_has(&r, "c.xml:6: warning: <plugin name=\"refreshCDN\">: ChinaCache's interface (ccms.chinacache.com) "
	    "cannot be reproduced");
	ck_assert_int_eq(r.cfg.hooks[0].type, HOOK_CDN);
	ck_assert_str_eq(r.cfg.hooks[0].url_template, "http://pic.xoyo.com/cms/{path}");
	ck_assert_uint_eq(r.cfg.hooks[0].batch, 1);
	imported_free(&r);

	/* <regexurl regex="true">: base + the first group + what follows the match */
	import_plugins(&r, "true", "refreshCDN",
	    "<plugin name=\"refreshCDN\"><localpath watch=\"/srv/www\">"
	    "<cdninfo domainname=\"ccms.chinacache.com\" port=\"80\" username=\"u\" passwd=\"p\"/>"
	    "<sendurl base=\"http://pic.xoyo.com/cms\"/>"
	    "<regexurl regex=\"true\" match=\"/srv/www/site([/a-zA-Z0-9]*)\\.xoyo\\.com/images\"/>"
	    "</localpath></plugin>\n");
	section_is(&r, "[hook refreshCDN]", "[hook refreshCDN]\ntype = cdn\nwhen = mirrored\n"
	    "url_template = http://pic.xoyo.com/cms{path}\n"
	    "path_regex = ^(site([/a-zA-Z0-9]*)\\.xoyo\\.com/images)(.*)$\n"
	    "replace = \\2\\3\n");
	ck_assert_str_eq(r.cfg.hooks[0].path_regex, "^(site([/a-zA-Z0-9]*)\\.xoyo\\.com/images)(.*)$");
	ck_assert_str_eq(r.cfg.hooks[0].replace, "\\2\\3");
	imported_free(&r);
}
END_TEST

/* Only "sersync2 -m NAME" ran a plugin that is not on: commented out, for a
 * watch-only instance, which syncd's parser takes once uncommented. */
START_TEST(hook_not_started)
{
	struct imported r;
	char ini[300], *text, *w;
	struct config cfg;

	import_plugins(&r, "false", "command",
	    "<plugin name=\"command\"><param prefix=\"/bin/true\" suffix=\"\"/></plugin>\n"
	    "<plugin name=\"socket\"><localpath watch=\"/opt/tongbu\"><deshost ip=\"192.0.2.5\" port=\"9\"/>"
	    "</localpath></plugin>\n");
	ck_assert_int_eq(r.cfg.nhooks, 0);
	ck_assert_ptr_null(strstr(r.out, "\n[hook"));
	section_is(&r, "; [hook command]", "; [hook command]\n; type = command\n; when = changed\n"
	    "; run = /bin/true\n; retries = 0\n");
	section_is(&r, "; [hook socket]", "; [hook socket]\n; type = socket\n; when = changed\n"
	    "; connect = 192.0.2.5:9\n");
	out_has(&r, "[source] path = /opt/tongbu (what sersync2 -m socket watched)");
	diag_has(&r, "c.xml:4: warning: <plugin start=\"false\" name=\"command\"> is off");
	diag_has(&r, "c.xml:6: warning: <plugin name=\"command\"> is not on: only \"sersync2 -m command\" ran it");
	diag_has(&r, "c.xml:7: warning: <plugin name=\"socket\"> is not on");

	/* the watch-only instance: [source] and the socket section uncommented */
	snprintf(ini, sizeof ini, "%s/www-socket.ini", r.dir);
	w = strstr(r.out, "\n; [hook socket]\n") + 1;
	FILE *f = open_memstream(&text, &(size_t){ 0 });
	fprintf(f, "[source]\npath = /opt/tongbu\n");
	for (; *w && strncmp(w, ";\n", 2); w += strcspn(w, "\n") + 1)
		if (!strncmp(w, "; ", 2))
			fprintf(f, "%.*s\n", (int)strcspn(w + 2, "\n"), w + 2);
	fclose(f);
	tu_write(ini, text, 0644);
	free(text);
	ck_assert_int_eq(config_load(ini, &cfg, NULL, 0), 0);
	ck_assert_uint_eq(cfg.nremotes, 0);
	ck_assert_uint_eq(cfg.nhooks, 1);
	ck_assert(cfg.hooks[0].when_changed);
	config_free(&cfg);
	imported_free(&r);
}
END_TEST

/* A command plugin that cannot run as a hook as it is: commented out with
 * a warning saying why, and the file still loads. */
START_TEST(hook_command_blocked)
{
	static const struct {
		const char *param, *why;
	} cases[] = {
		{ "<param prefix=\"php\" suffix=\"\"/>", "php is not an absolute path" },
		{ "<param prefix=\"/opt/x.sh\" suffix=\"--done\"/>", "<param suffix=\"--done\"> came after the path" },
		{ "<param prefix=\"/bin/echo $HOME |\"/>", "holds shell syntax" },
		{ "<param prefix=\"\"/>", "<param prefix> is empty" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct imported r;
		char *p;
		ck_assert_int_ge(asprintf(&p, "<plugin name=\"command\">%s</plugin>\n", cases[i].param), 0);
		import_plugins(&r, "true", "command", p);
		free(p);
		ck_assert_int_eq(r.cfg.nhooks, 0);
		ck_assert_msg(strstr(r.out, "\n; [hook command]\n; type = command\n") != NULL, "%s", r.out);
		diag_has(&r, cases[i].why);
		imported_free(&r);
	}
}
END_TEST

/* The whole conversion into memory: warnings in line order, nothing written
 * when the file is not usable. */
START_TEST(convert_file)
{
	char dir[256], xml[300], *out = NULL, *diag = NULL;
	size_t olen = 0, dlen = 0;
	FILE *o, *d;

	tu_mkdtemp(dir, sizeof dir);
	snprintf(xml, sizeof xml, "%s/c.xml", dir);
	tu_write(xml, "<head>\n<plugin name=\"socket\"/>\n<debug start=\"true\"/>\n<sersync>\n"
	    "<localpath watch=\"/srv/www/\"><remote ip=\"192.0.2.1\" name=\"www\"/></localpath>\n"
	    "</sersync>\n</head>\n", 0644);
	o = open_memstream(&out, &olen);
	d = open_memstream(&diag, &dlen);
	ck_assert_int_eq(import_sersync(xml, "www", "/st", NULL, o, d), 0);
	fclose(o);
	fclose(d);
	ck_assert_ptr_nonnull(strstr(out, "\n[source]\n; <localpath watch> (line 5)\npath = /srv/www\n"));
	ck_assert_ptr_nonnull(strstr(out, "\n[remote 192.0.2.1_www]\ntarget = rsync://192.0.2.1/www\n"));
	ck_assert_ptr_nonnull(strstr(out, "\ndelete = no\n"));	/* no <delete>: sersync never deleted */
	ck_assert_ptr_null(strstr(out, "\n[hook"));	/* not on */
	char *w2 = strstr(diag, ":2: warning: <plugin name=\"socket\"> is not on"), *w3 = strstr(diag, ":3: warning: <debug");
	ck_assert_msg(w2 && w3 && w2 < w3, "warnings: %s", diag);
	free(out);
	free(diag);

	tu_write(xml, "<head>\n<sersync>\n<localpath watch=\"/srv\"><remote ip=\"h\" name=\"m\"/>\n</sersync>\n", 0644);
	out = diag = NULL;
	o = open_memstream(&out, &olen);
	d = open_memstream(&diag, &dlen);
	ck_assert_int_eq(import_sersync(xml, "www", NULL, NULL, o, d), -1);
	fclose(o);
	fclose(d);
	ck_assert_str_eq(out, "");
	ck_assert_msg(strstr(diag, "c.xml:4:3: error: mismatched tag\n") != NULL, "%s", diag);
	free(out);
	free(diag);
	tu_rmtree(dir);
}
END_TEST

/* A <filter> expression that glibc would compile into gigabytes is not
 * imported (and not compiled): syncd would refuse it anyway. */
START_TEST(huge_regex_not_imported)
{
	char dir[256], xml[300], *out = NULL, *diag = NULL;
	size_t olen = 0, dlen = 0;
	FILE *o, *d;

	tu_mkdtemp(dir, sizeof dir);
	snprintf(xml, sizeof xml, "%s/c.xml", dir);
	tu_write(xml, "<head>\n<filter start=\"true\"><exclude expression=\"w++++++++++++++++++++++++\"/>"
	    "</filter>\n<sersync>\n<localpath watch=\"/srv/www/\"><remote ip=\"192.0.2.1\" name=\"www\"/>"
	    "</localpath>\n</sersync>\n</head>\n", 0644);
	o = open_memstream(&out, &olen);
	d = open_memstream(&diag, &dlen);
	ck_assert_int_eq(import_sersync(xml, "www", "/st", NULL, o, d), 0);
	fclose(o);
	fclose(d);
	ck_assert_msg(strstr(diag, ":2: warning: <exclude expression=\"w+++") &&
	    strstr(diag, "more than 50000") && strstr(diag, "not imported"), "%s", diag);
	ck_assert_ptr_null(strstr(out, "exclude_regex ="));
	free(out);
	free(diag);
	tu_rmtree(dir);
}
END_TEST

Suite *
import_sersync_suite(void)
{
	Suite *s = suite_create("import_sersync");
	TCase *tc = tcase_create("mapping");

	tcase_add_test(tc, regex_anchored);
	tcase_add_test(tc, regex_meaning);
	tcase_add_test(tc, glob_forms);
	tcase_add_test(tc, glob_meaning);
	tcase_add_test(tc, crontab_pairs);
	tcase_add_test(tc, names);
	tcase_add_test(tc, include_forms);
	tcase_add_test(tc, include_meaning);
	tcase_add_test(tc, cdn_forms);
	tcase_add_test(tc, cdn_meaning);
	tcase_add_test(tc, convert_file);
	tcase_add_test(tc, huge_regex_not_imported);
	suite_add_tcase(s, tc);
	tc = tcase_create("plugins");
	tcase_add_test(tc, hook_command_on);
	tcase_add_test(tc, hook_socket_on);
	tcase_add_test(tc, hook_http_on);
	tcase_add_test(tc, hook_cdn_on);
	tcase_add_test(tc, hook_not_started);
	tcase_add_test(tc, hook_command_blocked);
	suite_add_tcase(s, tc);
	return s;
}
