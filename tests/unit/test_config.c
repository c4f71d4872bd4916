/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "suites.h"
#include "test_util.h"

static char tmp[256], src[300], ini[300], errfile[300];
static char errtext[16384];
static struct config cfg;

static void
setup(void)
{
	tu_mkdtemp(tmp, sizeof tmp);
	snprintf(src, sizeof src, "%s/src", tmp);
	snprintf(ini, sizeof ini, "%s/t.ini", tmp);
	snprintf(errfile, sizeof errfile, "%s/stderr", tmp);
	tu_mkdir(src);
	memset(&cfg, 0, sizeof cfg);
	errtext[0] = '\0';
}

static void
teardown(void)
{
	config_free(&cfg);
	tu_rmtree(tmp);
}

/* text with @SRC@ and @TMP@ replaced */
static char *
expand(const char *text)
{
	size_t cap = strlen(text) * 2 + 4096, o = 0;
	char *out = malloc(cap);

	ck_assert_ptr_nonnull(out);
	while (*text) {
		const char *rep = NULL;
		size_t skip = 0;
		if (!strncmp(text, "@SRC@", 5))
			rep = src, skip = 5;
		else if (!strncmp(text, "@TMP@", 5))
			rep = tmp, skip = 5;
		if (rep) {
			size_t n = strlen(rep);
			ck_assert_uint_lt(o + n, cap);
			memcpy(out + o, rep, n);
			o += n;
			text += skip;
		} else {
			ck_assert_uint_lt(o + 1, cap);
			out[o++] = *text++;
		}
	}
	out[o] = '\0';
	return out;
}

/* config_load on len bytes of text as they are, with stderr captured
 * into errtext. */
static int
load_bytes(const char *text, size_t len)
{
	FILE *f = fopen(ini, "w");
	int saved, fd, rc;
	ssize_t n;

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(fd, 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	rc = config_load(ini, &cfg, NULL, 0);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fd = open(errfile, O_RDONLY);
	n = read(fd, errtext, sizeof errtext - 1);
	close(fd);
	errtext[n > 0 ? n : 0] = '\0';
	return rc;
}

/* config_load on the text, with @SRC@ and @TMP@ replaced. */
static int
load(const char *text)
{
	char *t = expand(text);
	int rc = load_bytes(t, strlen(t));

	free(t);
	return rc;
}

/* Loading must fail with "t.ini:LINE: ..." holding what. */
static void
load_fails(const char *text, int line, const char *what)
{
	char want[400];

	ck_assert_msg(load(text) == -1, "accepted:\n%s", text);
	snprintf(want, sizeof want, "%s:%d: ", ini, line);
	ck_assert_msg(strstr(errtext, want), "no '%s' in:\n%s", want, errtext);
	if (what)
		ck_assert_msg(strstr(errtext, what), "no '%s' in:\n%s", what, errtext);
	/* freed on error */
	ck_assert_ptr_null(cfg.source);
	ck_assert_ptr_null(cfg.filter);
}

#define MIN_HEAD "[source]\npath = @SRC@\n"
#define MIN_REMOTE "[remote a]\ntarget = /some/other/dir\n"

START_TEST(minimal_defaults)
{
	ck_assert_msg(load(MIN_HEAD MIN_REMOTE) == 0, "%s", errtext);
	ck_assert_str_eq(errtext, "");
	ck_assert_str_eq(cfg.source, src);
	ck_assert_str_eq(cfg.file, ini);
	ck_assert_str_eq(cfg.name, "t");
	ck_assert_uint_eq(cfg.events, EV_DEFAULT);
	ck_assert(cfg.events & EV_ATTRIB);	/* a chmod reaches the mirror */
	ck_assert_uint_eq(cfg.unclosed_ms, 1000);
	ck_assert_uint_eq(cfg.unclosed_max_ms, 30000);
	ck_assert_int_eq(cfg.backend, BACKEND_INOTIFY);
	ck_assert_uint_eq(cfg.settle_ms, 20);
	ck_assert_uint_eq(cfg.max_delay_ms, 1000);
	ck_assert_uint_eq(cfg.max_files, 10000);
	ck_assert_uint_eq(cfg.max_parallel, 64);
	ck_assert_uint_eq(cfg.lane_after_ms, 500);
	ck_assert_uint_eq(cfg.min_backoff_ms, 1000);
	ck_assert_uint_eq(cfg.max_backoff_ms, 300000);
	ck_assert(cfg.rsync_delete);
	ck_assert_str_eq(cfg.rsync_binary, "rsync");
	ck_assert_int_eq(cfg.rsync_binary_line, 0);
	ck_assert_int_eq(cfg.end_line, 4);
	ck_assert_ptr_nonnull(cfg.rsync_options);
	ck_assert_str_eq(cfg.rsync_options[0], "-artz");	/* no -u: rollbacks reach the mirror */
	ck_assert_ptr_null(cfg.rsync_options[1]);
	ck_assert(cfg.full_on_start);
	ck_assert_uint_eq(cfg.full_every_ms, 0);
	ck_assert_uint_eq(cfg.verify_every_ms, 0);
	ck_assert_ptr_nonnull(cfg.filter);
	ck_assert_uint_eq(filter_glob_count(cfg.filter), 0);
	ck_assert(!filter_has_regex(cfg.filter));
	ck_assert_uint_eq(cfg.nremotes, 1);
	struct remote_conf *r = &cfg.remotes[0];
	ck_assert_str_eq(r->name, "a");
	ck_assert_int_eq(r->line, 3);
	ck_assert_int_eq(r->kind, TARGET_LOCAL);
	ck_assert_str_eq(r->target, "/some/other/dir");
	ck_assert_str_eq(r->path, "/some/other/dir");
	ck_assert_ptr_null(r->user);
	ck_assert_ptr_null(r->host);
	ck_assert_uint_eq(r->port, 0);
	ck_assert_uint_eq(r->timeout_ms, 100000);
	ck_assert_ptr_null(r->password_file);
	ck_assert_ptr_null(r->ssh_key);
	ck_assert_ptr_null(r->ssh_options);
}
END_TEST

START_TEST(source_paths)
{
	char buf[400], exp[400], small[8];

	ck_assert_msg(load(MIN_HEAD MIN_REMOTE) == 0, "%s", errtext);
	/* the root is the source itself, with no slash after it */
	ck_assert(config_source_path(&cfg, "", buf, sizeof buf));
	ck_assert_str_eq(buf, src);
	ck_assert(config_source_path(&cfg, "a/b c", buf, sizeof buf));
	snprintf(exp, sizeof exp, "%s/a/b c", src);
	ck_assert_str_eq(buf, exp);
	/* exactly fits, then one byte short */
	size_t n = strlen(exp) + 1;
	ck_assert(config_source_path(&cfg, "a/b c", buf, n));
	ck_assert(!config_source_path(&cfg, "a/b c", buf, n - 1));
	ck_assert(!config_source_path(&cfg, "", small, sizeof small));
}
END_TEST

START_TEST(every_key)
{
	char pw[400], key[400];

	snprintf(pw, sizeof pw, "%s/pw", tmp);
	snprintf(key, sizeof key, "%s/id key", tmp);
	tu_write(pw, "secret\n", 0600);
	tu_write(key, "key\n", 0600);
	int rc = load(
	    "; a comment\n"
	    "# another\n"
	    "[source]\n"
	    "path = @SRC@//\n"
	    "events = create_file, move delete\n"
	    "exclude = *.tmp\n"
	    "exclude = /cache/\n"
	    "exclude_regex = \\.bak$\n"
	    "unclosed = 250ms\n"
	    "unclosed_max = 0\n"
	    "backend = fanotify\n"
	    "[rsync]\n"
	    "binary = /bin/true\n"
	    "options = -a\t--compress  --chmod=D755\n"
	    "delete = no\n"
	    "max_parallel = 8\n"
	    "lane_after = 0\n"
	    "[batch]\n"
	    "settle = 250ms\n"
	    "max_delay = 2.5s\n"
	    "max_files = 500\n"
	    "[retry]\n"
	    "min_backoff = 2s\n"
	    "max_backoff = 10min\n"
	    "[full_sync]\n"
	    "on_start = off\n"
	    "every = 1h\n"
	    "[remote a]\n"
	    "target = rsync://user@[::1]:8873/mod/sub/\n"
	    "password_file = @TMP@/pw\n"
	    "timeout = 30s\n"
	    "[remote  b-2.x ]\n"
	    "target = ssh://me@host.example:2222/srv/mirror/\n"
	    "ssh_key = @TMP@/id key\n"
	    "ssh_options = -o Compression=yes\n"
	    "[remote c]\n"
	    "target = /some/other/dir/\n"
	    "[remote d]\n"
	    "target = rsync://backup.example/mod\n"
	    "timeout = 1.5s\n"
	    "[verify]\n"
	    "every = 1d\n");
	ck_assert_msg(rc == 0, "%s", errtext);
	ck_assert_str_eq(cfg.source, src);
	ck_assert_uint_eq(cfg.events, EV_CREATE_FILE | EV_MOVE_FROM | EV_MOVE_TO | EV_DELETE);
	ck_assert_uint_eq(cfg.unclosed_ms, 250);
	ck_assert_uint_eq(cfg.unclosed_max_ms, 0);
	ck_assert_int_eq(cfg.backend, BACKEND_FANOTIFY);
	ck_assert_uint_eq(filter_glob_count(cfg.filter), 2);
	ck_assert_str_eq(filter_glob(cfg.filter, 0), "*.tmp");
	ck_assert_str_eq(filter_glob(cfg.filter, 1), "/cache/");
	ck_assert(filter_has_regex(cfg.filter));
	ck_assert(filter_excluded(cfg.filter, "a/x.bak", false));
	ck_assert(filter_excluded(cfg.filter, "cache", true));
	ck_assert_str_eq(cfg.rsync_binary, "/bin/true");
	ck_assert_int_eq(cfg.rsync_binary_line, 13);
	ck_assert_int_eq(cfg.end_line, 42);
	ck_assert_str_eq(cfg.rsync_options[0], "-a");
	ck_assert_str_eq(cfg.rsync_options[1], "--compress");
	ck_assert_str_eq(cfg.rsync_options[2], "--chmod=D755");
	ck_assert_ptr_null(cfg.rsync_options[3]);
	ck_assert(!cfg.rsync_delete);
	ck_assert_uint_eq(cfg.settle_ms, 250);
	ck_assert_uint_eq(cfg.max_delay_ms, 2500);
	ck_assert_uint_eq(cfg.max_files, 500);
	ck_assert_uint_eq(cfg.max_parallel, 8);
	ck_assert_uint_eq(cfg.lane_after_ms, 0);
	ck_assert_uint_eq(cfg.min_backoff_ms, 2000);
	ck_assert_uint_eq(cfg.max_backoff_ms, 600000);
	ck_assert(!cfg.full_on_start);
	ck_assert_uint_eq(cfg.full_every_ms, 3600000);
	ck_assert_uint_eq(cfg.verify_every_ms, 86400000);
	ck_assert_uint_eq(cfg.nremotes, 4);

	struct remote_conf *r = &cfg.remotes[0];
	ck_assert_str_eq(r->name, "a");
	ck_assert_int_eq(r->line, 28);
	ck_assert_int_eq(r->kind, TARGET_RSYNCD);
	ck_assert_str_eq(r->target, "rsync://user@[::1]:8873/mod/sub/");
	ck_assert_str_eq(r->user, "user");
	ck_assert_str_eq(r->host, "::1");
	ck_assert_uint_eq(r->port, 8873);
	ck_assert_str_eq(r->path, "mod/sub");
	ck_assert_str_eq(r->password_file, pw);
	ck_assert_uint_eq(r->timeout_ms, 30000);

	r = &cfg.remotes[1];
	ck_assert_str_eq(r->name, "b-2.x");
	ck_assert_int_eq(r->kind, TARGET_SSH);
	ck_assert_str_eq(r->user, "me");
	ck_assert_str_eq(r->host, "host.example");
	ck_assert_uint_eq(r->port, 2222);
	ck_assert_str_eq(r->path, "/srv/mirror");
	ck_assert_str_eq(r->ssh_key, key);
	ck_assert_str_eq(r->ssh_options[0], "-o");
	ck_assert_str_eq(r->ssh_options[1], "Compression=yes");
	ck_assert_ptr_null(r->ssh_options[2]);
	ck_assert_uint_eq(r->timeout_ms, 100000);

	r = &cfg.remotes[2];
	ck_assert_int_eq(r->kind, TARGET_LOCAL);
	ck_assert_str_eq(r->path, "/some/other/dir");

	r = &cfg.remotes[3];
	ck_assert_int_eq(r->kind, TARGET_RSYNCD);
	ck_assert_ptr_null(r->user);
	ck_assert_str_eq(r->host, "backup.example");
	ck_assert_uint_eq(r->port, 0);
	ck_assert_str_eq(r->path, "mod");
	ck_assert_uint_eq(r->timeout_ms, 1500);
}
END_TEST

START_TEST(events_lists)
{
	ck_assert_msg(load(MIN_HEAD "events = all\n" MIN_REMOTE) == 0, "%s", errtext);
	ck_assert_uint_eq(cfg.events, EV_CREATE_DIR | EV_CREATE_FILE | EV_CLOSE_WRITE |
	    EV_MOVE_FROM | EV_MOVE_TO | EV_DELETE | EV_ATTRIB | EV_MODIFY);
	config_free(&cfg);
	ck_assert_msg(load(MIN_HEAD "events = modify,attrib,create_dir,close_write,move_to\n"
	    MIN_REMOTE) == 0, "%s", errtext);
	ck_assert_uint_eq(cfg.events, EV_MODIFY | EV_ATTRIB | EV_CREATE_DIR | EV_CLOSE_WRITE |
	    EV_MOVE_TO);
	config_free(&cfg);
	ck_assert_msg(load(MIN_HEAD "events = move_from\n" MIN_REMOTE) == 0, "%s", errtext);
	ck_assert_uint_eq(cfg.events, EV_MOVE_FROM);
	config_free(&cfg);
	load_fails(MIN_HEAD "events = create, delete\n" MIN_REMOTE, 3, "unknown event 'create'");
	load_fails(MIN_HEAD "events = ,\n" MIN_REMOTE, 3, "empty");
}
END_TEST

START_TEST(booleans)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES", "True" };
	static const char *const no[] = { "no", "false", "off", "0", "No", "OFF" };
	char text[512];

	for (size_t i = 0; i < 6; i++) {
		snprintf(text, sizeof text, MIN_HEAD MIN_REMOTE "[full_sync]\non_start = %s\n"
		    "[rsync]\ndelete = %s\n", no[i], yes[i]);
		ck_assert_msg(load(text) == 0, "%s", errtext);
		ck_assert(!cfg.full_on_start);
		ck_assert(cfg.rsync_delete);
		config_free(&cfg);
	}
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\ndelete = maybe\n", 6, "not a boolean");
}
END_TEST

START_TEST(ipv6_ssh_and_local)
{
	ck_assert_msg(load(MIN_HEAD "[remote v6]\ntarget = ssh://[fe80::1]/data\n") == 0, "%s", errtext);
	ck_assert_int_eq(cfg.remotes[0].kind, TARGET_SSH);
	ck_assert_str_eq(cfg.remotes[0].host, "fe80::1");
	ck_assert_uint_eq(cfg.remotes[0].port, 0);
	ck_assert_ptr_null(cfg.remotes[0].user);
	ck_assert_str_eq(cfg.remotes[0].path, "/data");
	config_free(&cfg);
	ck_assert_msg(load(MIN_HEAD "[remote r]\ntarget = /\n") == -1, "/ contains the source");
	config_free(&cfg);
	/* a sibling whose name starts like the source is fine */
	ck_assert_msg(load(MIN_HEAD "[remote r]\ntarget = @SRC@2\n") == 0, "%s", errtext);
	ck_assert_uint_eq(strlen(cfg.remotes[0].path), strlen(src) + 1);
}
END_TEST

START_TEST(err_unknown_key)
{
	load_fails(MIN_HEAD "foo = 1\n" MIN_REMOTE, 3, "unknown key 'foo' in [source]");
	load_fails(MIN_HEAD MIN_REMOTE "user = x\n", 5, "unknown key 'user' in [remote a]");
	load_fails(MIN_HEAD MIN_REMOTE "[batch]\nsettle = 1s\nsettel = 2s\n", 7, "unknown key 'settel'");
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\nbin = rsync\n", 6, "unknown key 'bin'");
	load_fails(MIN_HEAD MIN_REMOTE "[retry]\nbackoff = 1s\n", 6, "unknown key");
	load_fails(MIN_HEAD MIN_REMOTE "[full_sync]\nnow = yes\n", 6, "unknown key");
	load_fails(MIN_HEAD MIN_REMOTE "[verify]\nat = 1h\n", 6, "unknown key 'at' in [verify] (known: every)");
}
END_TEST

START_TEST(fail_log_key)
{
	ck_assert_msg(load(MIN_HEAD MIN_REMOTE) == 0, "%s", errtext);
	ck_assert_ptr_null(cfg.fail_log);
	config_free(&cfg);
	ck_assert_msg(load(MIN_HEAD MIN_REMOTE "[retry]\nfail_log = /tmp/syncd-unit-absent/f.log\n") == 0, "%s", errtext);
	ck_assert_str_eq(cfg.fail_log, "/tmp/syncd-unit-absent/f.log");
	config_free(&cfg);
	ck_assert_msg(load(MIN_HEAD MIN_REMOTE "[retry]\nfail_log = none\n") == 0, "%s", errtext);
	ck_assert_str_eq(cfg.fail_log, "none");
	config_free(&cfg);
	load_fails(MIN_HEAD MIN_REMOTE "[retry]\nfail_log = relative.log\n", 6, "not an absolute path");
}
END_TEST

START_TEST(err_unknown_section)
{
	load_fails(MIN_HEAD "[sauce]\nx = 1\n" MIN_REMOTE, 3, "unknown section [sauce]");
	load_fails(MIN_HEAD "[remotes]\ntarget = /x\n" MIN_REMOTE, 3, "unknown section [remotes]");
	/* an empty unknown section is reported too (inih never calls us for it) */
	load_fails(MIN_HEAD "[empty]\n" MIN_REMOTE, 3, "unknown section [empty]");
	load_fails(MIN_HEAD "[remote]\ntarget = /x\n", 3, "needs a name");
	load_fails(MIN_HEAD "[remote a/b]\ntarget = /x\n", 3, "may only hold");
}
END_TEST

/* A remote's state files are named after it: NAME.verify-excludes must be a
 * file name (255 bytes at most), and a name is never cut short. */
START_TEST(name_lengths)
{
	char text[1024], name[301];

	memset(name, 'r', 300);
	name[200] = '\0';
	snprintf(text, sizeof text, MIN_HEAD "[remote %s]\ntarget = /x\n", name);
	ck_assert_int_eq(load(text), 0);
	ck_assert_uint_eq(strlen(cfg.remotes[0].name), 200);
	config_free(&cfg);
	snprintf(text, sizeof text, MIN_HEAD "[hook %s]\ntype = command\nrun = /bin/true\n", name);
	ck_assert_msg(load(text) == 0, "%s", errtext);
	config_free(&cfg);
	name[200] = 'r';
	name[201] = '\0';
	snprintf(text, sizeof text, MIN_HEAD "[remote %s]\ntarget = /x\n", name);
	load_fails(text, 3, "is 201 characters long: at most 200");
	snprintf(text, sizeof text, MIN_HEAD "[hook %s]\ntype = command\nrun = /bin/true\n" MIN_REMOTE, name);
	load_fails(text, 3, "is 201 characters long: at most 200");
	name[201] = 'r';
	name[300] = '\0';
	snprintf(text, sizeof text, MIN_HEAD "[remote %s]\ntarget = /x\n", name);
	load_fails(text, 3, "is 300 characters long");
}
END_TEST

START_TEST(err_duplicates)
{
	load_fails(MIN_HEAD "path = @SRC@\n" MIN_REMOTE, 3, "'path' is given twice in [source] (first at line 2)");
	load_fails(MIN_HEAD MIN_REMOTE "target = /y\n", 5, "given twice");
	load_fails(MIN_HEAD MIN_REMOTE "[batch]\nsettle = 1s\nsettle = 1s\n", 7, "given twice");
	load_fails(MIN_HEAD MIN_REMOTE MIN_REMOTE, 5, "remote 'a' is defined twice (first at line 3)");
	load_fails(MIN_HEAD MIN_REMOTE "[batch]\n[batch]\n", 6, "section [batch] appears twice");
	/* but excludes may repeat */
	ck_assert_msg(load(MIN_HEAD "exclude = a\nexclude = a\n" MIN_REMOTE) == 0, "%s", errtext);
}
END_TEST

START_TEST(err_durations)
{
	load_fails(MIN_HEAD MIN_REMOTE "[batch]\nsettle = 5 parsecs\n", 6, "settle: '5 parsecs'");
	load_fails(MIN_HEAD MIN_REMOTE "[batch]\nmax_delay = 5m\n", 6, "unknown unit");
	load_fails(MIN_HEAD MIN_REMOTE "[batch]\nsettle = 2s\nmax_delay = 1s\n", 7, "shorter than settle");
	load_fails(MIN_HEAD MIN_REMOTE "timeout = 500ms\n", 5, "at least 1s");
	load_fails(MIN_HEAD MIN_REMOTE "[retry]\nmin_backoff = 0\n", 6, "min_backoff");
	load_fails(MIN_HEAD MIN_REMOTE "[full_sync]\nevery = often\n", 6, "every");
	load_fails(MIN_HEAD MIN_REMOTE "[verify]\nevery = daily\n", 6, "every: 'daily'");
	load_fails(MIN_HEAD MIN_REMOTE "[verify]\nevery = 1h\nevery = 2h\n", 7, "given twice");
	load_fails(MIN_HEAD MIN_REMOTE "[batch]\nmax_files = 0\n", 6, "whole number");
	load_fails(MIN_HEAD MIN_REMOTE "[batch]\nmax_files = 12x\n", 6, "whole number");
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\nmax_parallel = 0\n", 6, "whole number");
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\nmax_parallel = 1001\n", 6, "whole number");
	load_fails(MIN_HEAD "unclosed = soon\n" MIN_REMOTE, 3, "unclosed: 'soon'");
	load_fails(MIN_HEAD "unclosed_max = 1s\nunclosed_max = 2s\n" MIN_REMOTE, 4, "unclosed_max");
	load_fails(MIN_HEAD "backend = dnotify\n" MIN_REMOTE, 3,
	    "backend: 'dnotify' is not one of inotify, fanotify, auto");
	load_fails(MIN_HEAD "backend = auto\nbackend = auto\n" MIN_REMOTE, 4, "given twice");
	ck_assert_msg(load(MIN_HEAD "backend = auto\n" MIN_REMOTE) == 0, "%s", errtext);
	ck_assert_int_eq(cfg.backend, BACKEND_AUTO);
}
END_TEST

START_TEST(err_source_path)
{
	load_fails("[source]\nevents = delete\n" MIN_REMOTE, 1, "[source] has no path");
	load_fails(MIN_REMOTE, 2, "no [source] section");
	load_fails("[source]\npath = rel/dir\n" MIN_REMOTE, 2, "not an absolute path");
	load_fails(MIN_HEAD, 2, "no [remote NAME] section: nothing to mirror to (an instance that only runs hooks needs a [hook NAME] section)");
}
END_TEST

START_TEST(err_target)
{
	load_fails(MIN_HEAD "[remote a]\ntarget = @SRC@/sub\n", 3, "must not contain each other");
	load_fails(MIN_HEAD "[remote a]\ntarget = @SRC@\n", 3, "must not contain each other");
	load_fails(MIN_HEAD "[remote a]\ntarget = @TMP@\n", 3, "must not contain each other");
	load_fails(MIN_HEAD "[remote a]\ntimeout = 5s\n", 3, "has no target");
	load_fails(MIN_HEAD "[remote a]\ntarget = relative/dir\n", 4, "must be rsync://");
	load_fails(MIN_HEAD "[remote a]\ntarget = rsync://host\n", 4, "missing '/module'");
	load_fails(MIN_HEAD "[remote a]\ntarget = rsync://host/\n", 4, "missing module");
	load_fails(MIN_HEAD "[remote a]\ntarget = rsync://host:70000/m\n", 4, "port");
	load_fails(MIN_HEAD "[remote a]\ntarget = rsync://host:x/m\n", 4, "port");
	load_fails(MIN_HEAD "[remote a]\ntarget = ssh://::1/data\n", 4, "brackets");
	load_fails(MIN_HEAD "[remote a]\ntarget = ssh://[::1/data\n", 4, "missing ']'");
	load_fails(MIN_HEAD "[remote a]\ntarget = ssh://@host/data\n", 4, "empty user");
}
END_TEST

START_TEST(err_password_file)
{
	char pw[400];

	snprintf(pw, sizeof pw, "%s/pw", tmp);
	tu_write(pw, "secret\n", 0644);
	load_fails(MIN_HEAD "[remote a]\ntarget = rsync://h/m\npassword_file = @TMP@/pw\n", 5,
	    "has mode 0644");
	load_fails(MIN_HEAD "[remote a]\ntarget = rsync://h/m\npassword_file = @TMP@/none\n", 5,
	    "No such file");
	tu_write(pw, "secret\n", 0600);
	load_fails(MIN_HEAD "[remote a]\ntarget = /x\npassword_file = @TMP@/pw\n", 5,
	    "only to rsync://");
	ck_assert_msg(load(MIN_HEAD "[remote a]\ntarget = rsync://h/m\npassword_file = @TMP@/pw\n") == 0,
	    "%s", errtext);
}
END_TEST

START_TEST(err_ssh_key_on_rsync_target)
{
	char key[400];

	snprintf(key, sizeof key, "%s/key", tmp);
	tu_write(key, "k\n", 0600);
	load_fails(MIN_HEAD "[remote a]\ntarget = rsync://h/m\nssh_key = @TMP@/key\n", 5,
	    "ssh_key applies only to ssh://");
	load_fails(MIN_HEAD "[remote a]\ntarget = rsync://h/m\nssh_options = -v\n", 5,
	    "ssh_options apply only to ssh://");
	load_fails(MIN_HEAD "[remote a]\ntarget = ssh://h/m\nssh_key = @TMP@/nokey\n", 5,
	    "No such file");
	load_fails(MIN_HEAD "[remote a]\ntarget = ssh://h/m\npreconnect = 10s\n", 5,
	    "preconnect applies only to rsync://");
	load_fails(MIN_HEAD "[remote a]\ntarget = rsync://h/m\npreconnect = soon\n", 5,
	    "preconnect: 'soon'");
	ck_assert_msg(load(MIN_HEAD "[remote a]\ntarget = rsync://h/m\npreconnect = 10s\n") == 0,
	    "%s", errtext);
	ck_assert_uint_eq(cfg.remotes[0].preconnect_ms, 10000);
}
END_TEST

START_TEST(err_rsync_options)
{
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\noptions = -a --delete\n", 6, "--delete is set by syncd");
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\noptions = -a --delete-after\n", 6, "--delete-after");
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\noptions = --files-from=/x\n", 6, "set by syncd");
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\noptions = --timeout=5\n", 6, "set by syncd");
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\noptions = -e ssh\n", 6, "set by syncd");
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\noptions = --rsh=ssh\n", 6, "set by syncd");
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\noptions = -a /dest\n", 6, "not an option");
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\nbinary = /nonexistent/rsync\n", 6, "not found");
	/* at the key's line, not at the end of the file */
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\nbinary = /nonexistent/rsync\ndelete = yes\n", 6, "not found");
	load_fails(MIN_HEAD "[rsync]\nbinary = /nonexistent/rsync\n" MIN_REMOTE, 4, "not found");
	/* what posix_spawn could not run either */
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\nbinary = @SRC@\n", 6, "Is a directory");
	load_fails(MIN_HEAD MIN_REMOTE "[rsync]\nbinary = /dev/null\n", 6, "not a regular file");
	/* similar names that are not ours are fine */
	ck_assert_msg(load(MIN_HEAD MIN_REMOTE "[rsync]\noptions = -a --timeoutx --no-relative\n") == 0,
	    "%s", errtext);
}
END_TEST

START_TEST(err_long_line)
{
	char *text = malloc(8000);

	snprintf(text, 8000, MIN_HEAD "exclude = %0*d\n" MIN_REMOTE, 4100, 0);
	load_fails(text, 3, "longer than 4000");
	free(text);
}
END_TEST

/* syncd.ini(5): "Lines may be up to 4000 characters long." */
START_TEST(line_of_4000_chars_ok)
{
	char *text = malloc(8000);
	const char *pre = "exclude = ";

	/* 4000 characters before the newline */
	snprintf(text, 8000, MIN_HEAD "%s%0*d\n" MIN_REMOTE, pre, (int)(4000 - strlen(pre)), 0);
	int rc = load(text);
	free(text);
	ck_assert_msg(rc == 0, "%s", errtext);
	ck_assert_uint_eq(strlen(filter_glob(cfg.filter, 0)), 4000 - strlen(pre));
}
END_TEST

START_TEST(line_of_1000_chars_ok)
{
	char *text = malloc(4000);

	snprintf(text, 4000, MIN_HEAD "exclude = %0*d\n" MIN_REMOTE, 990, 0);
	int rc = load(text);
	free(text);
	ck_assert_msg(rc == 0, "%s", errtext);
	ck_assert_uint_eq(strlen(filter_glob(cfg.filter, 0)), 990);
}
END_TEST

/* What is no configuration is refused before a byte is parsed, and never
 * read beyond 1 MiB. */
START_TEST(read_only_small_regular_files)
{
	char err[1024], path[400], *text;
	size_t len;

	ck_assert_ptr_null(config_read(src, &len, err, sizeof err));
	snprintf(path, sizeof path, "%s: Is a directory", src);
	ck_assert_str_eq(err, path);

	snprintf(path, sizeof path, "%s/fifo.ini", tmp);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_ptr_null(config_read(path, &len, err, sizeof err));	/* no writer: no wait */
	ck_assert_ptr_nonnull(strstr(err, "fifo.ini: not a regular file"));
	ck_assert_ptr_null(config_read("/dev/zero", &len, err, sizeof err));
	ck_assert_str_eq(err, "/dev/zero: not a regular file");
	ck_assert_ptr_null(config_read("/nonexistent/x.ini", &len, err, sizeof err));
	ck_assert_str_eq(err, "/nonexistent/x.ini: No such file or directory");

	/* 1 MiB is read, one byte more is not */
	char *big = malloc((1 << 20) + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, ';', (1 << 20) + 1);
	FILE *f = fopen(ini, "w");
	ck_assert_uint_eq(fwrite(big, 1, 1 << 20, f), 1 << 20);
	ck_assert_int_eq(fclose(f), 0);
	text = config_read(ini, &len, err, sizeof err);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, 1 << 20);
	ck_assert_int_eq(text[len], '\0');
	free(text);
	f = fopen(ini, "a");
	ck_assert_uint_eq(fwrite(big, 1, 1, f), 1);
	ck_assert_int_eq(fclose(f), 0);
	free(big);
	ck_assert_ptr_null(config_read(ini, &len, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "t.ini: larger than 1 MiB"));

	/* a size of 0 is only a hint: files in /proc say so */
	text = config_read("/proc/self/status", &len, err, sizeof err);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_gt(len, 100);
	ck_assert_ptr_nonnull(strstr(text, "Name:"));
	free(text);
}
END_TEST

START_TEST(err_nul_byte)
{
	static const char text[] = "[source]\npath = /tmp\nexclude = a\0b\n" MIN_REMOTE;

	ck_assert_int_eq(load_bytes(text, sizeof text - 1), -1);
	ck_assert_msg(strstr(errtext, "t.ini:3: NUL byte at column 12"), "%s", errtext);
}
END_TEST

/* Junk gives a few lines, then the rest is not read (and not judged). */
START_TEST(err_gives_up)
{
	char *text = malloc(100000);
	size_t o = 0;
	int lines = 0;

	for (int i = 0; i < 5000; i++)
		o += (size_t)snprintf(text + o, 100000 - o, "junk %d\n", i);
	ck_assert_int_eq(load_bytes(text, o), -1);
	free(text);
	for (const char *e = errtext; (e = strstr(e, "t.ini:")); e++)
		lines++;
	ck_assert_int_eq(lines, 21);
	ck_assert_msg(strstr(errtext, "t.ini:20: too many errors: the rest of the file is not read"),
	    "%s", errtext);
	ck_assert_ptr_null(strstr(errtext, "no [source]"));
}
END_TEST

START_TEST(last_line_without_newline)
{
	ck_assert_msg(load(MIN_HEAD "[remote a]\ntarget = /some/other/dir") == 0, "%s", errtext);
	ck_assert_str_eq(cfg.remotes[0].target, "/some/other/dir");
	ck_assert_int_eq(cfg.end_line, 4);
}
END_TEST

START_TEST(err_key_outside_section)
{
	load_fails("foo = bar\n" MIN_HEAD MIN_REMOTE, 1, "'foo' must be inside a section");
	load_fails("just text\n" MIN_HEAD MIN_REMOTE, 1, "expected 'key = value'");
}
END_TEST

/* A section header without its ']' is named, not only the keys after it,
 * which inih files under the section before. */
START_TEST(err_unclosed_section)
{
	load_fails(MIN_HEAD "[remote a\ntarget = /some/other/dir\n", 3, "no ']' in '[remote a'");
	load_fails(MIN_HEAD MIN_REMOTE "[batch\n", 5, "no ']' in '[batch'");
}
END_TEST

/* inih's continuation lines (an indented line after a key) are off: such a
 * line is an error, never appended to or repeating the key before it. */
START_TEST(err_continuation_line)
{
	load_fails(MIN_HEAD "exclude = *.tmp\n  *.bak\n" MIN_REMOTE, 4, "expected 'key = value'");
	load_fails(MIN_HEAD "exclude = *.tmp\n\tx = y\n" MIN_REMOTE, 4, "unknown key 'x'");
	load_fails("[source]\npath = @SRC@\n   /more\n" MIN_REMOTE, 3, NULL);
}
END_TEST

START_TEST(indented_keys_are_keys)
{
	/* inih strips leading whitespace: an indented key after a section
	 * header is an ordinary key */
	ck_assert_msg(load("[source]\n  path = @SRC@\n  exclude = a\n  exclude = b\n" MIN_REMOTE) == 0,
	    "%s", errtext);
	ck_assert_uint_eq(filter_glob_count(cfg.filter), 2);
	ck_assert_str_eq(filter_glob(cfg.filter, 1), "b");
}
END_TEST

START_TEST(err_regex_and_globs)
{
	load_fails(MIN_HEAD "exclude_regex = (unclosed\n" MIN_REMOTE, 3, "exclude_regex: '(unclosed'");
	load_fails(MIN_HEAD "exclude =\n" MIN_REMOTE, 3, "empty pattern");
}
END_TEST

START_TEST(err_several_at_once)
{
	/* every problem is reported, each with its line */
	ck_assert_int_eq(load(MIN_HEAD "foo = 1\n" MIN_REMOTE "[batch]\nsettle = x\n"), -1);
	ck_assert_ptr_nonnull(strstr(errtext, "t.ini:3: "));
	ck_assert_ptr_nonnull(strstr(errtext, "t.ini:7: "));
}
END_TEST

START_TEST(missing_file)
{
	int rc;

	fflush(stderr);
	int saved = dup(2), fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	close(fd);
	rc = config_load("/nonexistent/x.ini", &cfg, NULL, 0);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(cfg.file);
}
END_TEST

/* A missing source is for the worker to retry, not a config error. */
START_TEST(source_checked_apart)
{
	ck_assert_int_eq(load("[source]\npath = @SRC@/missing\n" MIN_REMOTE), 0);
	ck_assert_int_eq(cfg.source_line, 2);
	fflush(stderr);
	int saved = dup(2), fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	close(fd);
	int rc = config_check_source(&cfg);
	config_free(&cfg);
	ck_assert_int_eq(load("[source]\npath = @TMP@/t.ini\n" MIN_REMOTE), 0);
	int rc2 = config_check_source(&cfg);
	config_free(&cfg);
	ck_assert_int_eq(load(MIN_HEAD MIN_REMOTE), 0);
	int rc3 = config_check_source(&cfg);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq(rc, 1);
	ck_assert_int_eq(rc2, 1);
	ck_assert_int_eq(rc3, 0);
}
END_TEST

/* A source that is a symbolic link is followed: the worker watches where it
 * leads, and a local target there is inside the source. */
START_TEST(source_link_followed)
{
	char link[400], *real = realpath(src, NULL);

	ck_assert_ptr_nonnull(real);
	snprintf(link, sizeof link, "%s/link", tmp);
	ck_assert_int_eq(symlink(src, link), 0);
	ck_assert_int_eq(load("[source]\npath = @TMP@/link/\n" MIN_REMOTE), 0);
	fflush(stderr);
	int saved = dup(2), fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	close(fd);
	int rc = config_check_source(&cfg);
	ck_assert_str_eq(cfg.source, real);
	config_free(&cfg);
	ck_assert_int_eq(load("[source]\npath = @TMP@/link\n[remote in]\ntarget = @SRC@/m\n"), 0);
	int rc2 = config_check_source(&cfg);
	config_free(&cfg);
	ck_assert_int_eq(load("[source]\npath = @SRC@\n[remote in]\ntarget = @TMP@/link/m\n"), 0);
	int rc3 = config_check_source(&cfg);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(rc2, 2);
	ck_assert_int_eq(rc3, 2);
	free(real);
}
END_TEST

START_TEST(instance_section)
{
	ck_assert_int_eq(load(MIN_HEAD MIN_REMOTE), 0);
	ck_assert(cfg.sup.autostart);
	ck_assert_uint_eq(cfg.sup.start_timeout_ms, 90000);
	ck_assert_uint_eq(cfg.sup.watchdog_ms, 30000);
	ck_assert_uint_eq(cfg.sup.stop_timeout_ms, 15000);
	ck_assert_uint_eq(cfg.sup.restart_delay_ms, 1000);
	ck_assert_uint_eq(cfg.sup.restart_delay_max_ms, 60000);
	ck_assert_uint_eq(cfg.sup.restart_limit, 5);
	ck_assert_uint_eq(cfg.sup.restart_interval_ms, 60000);
	config_free(&cfg);
	ck_assert_int_eq(load(MIN_HEAD MIN_REMOTE "[instance]\nautostart = no\nstart_timeout = 5s\n"
	    "watchdog = 0\nstop_timeout = 2s\nrestart_delay = 100ms\nrestart_delay_max = 3s\n"
	    "restart_limit = 3\nrestart_interval = 30s\n"), 0);
	ck_assert(!cfg.sup.autostart);
	ck_assert_uint_eq(cfg.sup.start_timeout_ms, 5000);
	ck_assert_uint_eq(cfg.sup.watchdog_ms, 0);
	ck_assert_uint_eq(cfg.sup.stop_timeout_ms, 2000);
	ck_assert_uint_eq(cfg.sup.restart_delay_ms, 100);
	ck_assert_uint_eq(cfg.sup.restart_delay_max_ms, 3000);
	ck_assert_uint_eq(cfg.sup.restart_limit, 3);
	ck_assert_uint_eq(cfg.sup.restart_interval_ms, 30000);
	config_free(&cfg);
	load_fails(MIN_HEAD MIN_REMOTE "[instance]\nautostart = later\n", 6, "not a boolean");
	load_fails(MIN_HEAD MIN_REMOTE "[instance]\nrestarts = 3\n", 6, "unknown key 'restarts' in [instance]");
	load_fails(MIN_HEAD MIN_REMOTE "[instance]\nrestart_limit = 0\n", 6, "whole number");
	load_fails(MIN_HEAD MIN_REMOTE "[instance]\nwatchdog = 10ms\n", 6, "at least 200ms");
	load_fails(MIN_HEAD MIN_REMOTE "[instance]\nrestart_delay = 2min\nrestart_delay_max = 1min\n", 7,
	    "restart_delay <= restart_delay_max");
}
END_TEST

#define HOOK_CMD "[hook h]\ntype = command\nrun = /bin/true\n"

START_TEST(hook_defaults_and_keys)
{
	char f[400];

	snprintf(f, sizeof f, "%s/hdr", tmp);
	tu_write(f, "X-Token: secret\n", 0600);
	snprintf(f, sizeof f, "%s/cred", tmp);
	tu_write(f, "user:pw\n", 0600);
	ck_assert_msg(load(MIN_HEAD MIN_REMOTE HOOK_CMD
	    "[hook s]\ntype = socket\nconnect = [::1]:9000\nwhen = changed\nkinds = update, delete\n"
	    "include_regex = \\.php$\nexclude_regex = ^cache/\nexclude_regex = ~$\n"
	    "[hook u]\nunix = /run/x.sock\ntype = socket\nbatch = 5\nconcurrency = 3\nretries = 0\n"
	    "queue = 7\ntimeout = 2s\nremote = a\ndir_files = 0\n"
	    "[hook web]\ntype = http\nurl = https://h/x\nheader = A: b\nheader = C:d\n"
	    "header_file = @TMP@/hdr\n"
	    "[hook purge]\ntype = cdn\nurl_template = http://cdn/p?u={path}\nmethod = PURGE\n"
	    "path_regex = ^www/(.*)$\nreplace = \\1\ncredentials_file = @TMP@/cred\n") == 0, "%s", errtext);
	ck_assert_uint_eq(cfg.nhooks, 5);
	const struct hook_conf *h = &cfg.hooks[0];
	ck_assert_str_eq(h->name, "h");
	ck_assert_int_eq(h->type, HOOK_COMMAND);
	ck_assert_str_eq(h->run[0], "/bin/true");
	ck_assert(!h->when_changed);
	ck_assert_uint_eq(h->kinds, HK_ALL);
	ck_assert_uint_eq(h->batch, 1);
	ck_assert_uint_eq(h->concurrency, 1);
	ck_assert_uint_eq(h->retries, 10);
	ck_assert_uint_eq(h->queue, 100000);
	ck_assert_uint_eq(h->dir_files, 10000);
	ck_assert_uint_eq(h->timeout_ms, 30000);
	h = &cfg.hooks[1];
	ck_assert_str_eq(h->host, "::1");
	ck_assert_uint_eq(h->port, 9000);
	ck_assert(h->when_changed);
	ck_assert_uint_eq(h->kinds, HK_UPDATE | HK_DELETE);
	ck_assert_uint_eq(h->batch, 1000);
	ck_assert(filter_excluded(h->include, "a.php", false));
	ck_assert(!filter_excluded(h->include, "a.phps", false));
	ck_assert(filter_excluded(h->exclude, "cache/x", false));
	ck_assert(filter_excluded(h->exclude, "x~", false));
	h = &cfg.hooks[2];
	ck_assert_str_eq(h->unix_path, "/run/x.sock");
	ck_assert_uint_eq(h->batch, 5);
	ck_assert_uint_eq(h->concurrency, 3);
	ck_assert_uint_eq(h->retries, 0);
	ck_assert_uint_eq(h->queue, 7);
	ck_assert_uint_eq(h->dir_files, 0);
	ck_assert_uint_eq(h->timeout_ms, 2000);
	ck_assert_str_eq(h->remote, "a");
	h = &cfg.hooks[3];
	ck_assert_str_eq(h->url, "https://h/x");
	ck_assert_str_eq(h->headers[0], "A: b");
	ck_assert_str_eq(h->headers[1], "C:d");
	ck_assert_ptr_null(h->headers[2]);
	ck_assert_uint_eq(h->batch, 100);
	h = &cfg.hooks[4];
	ck_assert_str_eq(h->url_template, "http://cdn/p?u={path}");
	ck_assert_str_eq(h->method, "PURGE");
	ck_assert_str_eq(h->replace, "\\1");
	ck_assert_uint_eq(h->batch, 1);
	ck_assert_str_eq(hook_type_name(h->type), "cdn");
}
END_TEST

/* An instance may only run hooks (sersync -m). */
START_TEST(hook_watch_only)
{
	ck_assert_msg(load(MIN_HEAD HOOK_CMD) == 0, "%s", errtext);
	ck_assert_uint_eq(cfg.nremotes, 0);
	ck_assert_uint_eq(cfg.nhooks, 1);
}
END_TEST

START_TEST(err_hooks)
{
	char f[400];

	load_fails(MIN_HEAD "[hook]\ntype = command\n", 3, "needs a name");
	load_fails(MIN_HEAD "[hook a b]\ntype = command\n", 3, "may only hold");
	load_fails(MIN_HEAD HOOK_CMD HOOK_CMD, 6, "hook 'h' is defined twice (first at line 3)");
	load_fails(MIN_HEAD "[hook h]\nrun = /bin/true\n", 3, "[hook h] has no type");
	load_fails(MIN_HEAD "[hook h]\ntype = ftp\n", 4, "not a hook type");
	load_fails(MIN_HEAD "[hook h]\nurl = http://x/\ntype = command\nrun = /bin/true\n", 4,
	    "[hook h]: url does not apply to type = command");
	load_fails(MIN_HEAD "[hook h]\ntype = command\n", 3, "a command hook needs run");
	load_fails(MIN_HEAD "[hook h]\ntype = command\nrun = true\n", 5, "must be an absolute path");
	load_fails(MIN_HEAD "[hook h]\ntype = command\nrun = /nonexistent/prog\n", 5, "No such file");
	load_fails(MIN_HEAD "[hook h]\ntype = command\nrun = /bin/true\nrun = /bin/false\n", 6, "given twice");
	load_fails(MIN_HEAD "[hook h]\ntype = socket\n", 3, "either connect");
	load_fails(MIN_HEAD "[hook h]\ntype = socket\nconnect = h:1\nunix = /s\n", 3, "either connect");
	load_fails(MIN_HEAD "[hook h]\ntype = socket\nconnect = localhost\n", 5, "needs a port");
	load_fails(MIN_HEAD "[hook h]\ntype = socket\nconnect = h:99999\n", 5, "port");
	load_fails(MIN_HEAD "[hook h]\ntype = socket\nunix = rel.sock\n", 5, "not an absolute path");
	load_fails(MIN_HEAD "[hook h]\ntype = http\nurl = ftp://x/\n", 5, "http:// or https://");
	load_fails(MIN_HEAD "[hook h]\ntype = cdn\nurl_template = http://x/\n", 5, "has no {path}");
	load_fails(MIN_HEAD "[hook h]\ntype = cdn\nurl_template = http://x/{path}\npath_regex = a\n", 6,
	    "path_regex and replace go together");
	load_fails(MIN_HEAD "[hook h]\ntype = cdn\nurl_template = http://x/{path}\npath_regex = (\n", 6,
	    "path_regex: '('");
	load_fails(MIN_HEAD "[hook h]\ntype = cdn\nurl_template = http://x/{path}\nbatch = 2\n", 6,
	    "batch does not apply to type = cdn");
	load_fails(MIN_HEAD "[hook h]\ntype = cdn\nurl_template = http://x/{path}\nmethod = purge\n", 6,
	    "HTTP method in capitals");
	load_fails(MIN_HEAD "[hook h]\ntype = http\nurl = http://x/\nheader = no colon\n", 6,
	    "not 'Name: value'");
	snprintf(f, sizeof f, "%s/hdr", tmp);
	tu_write(f, "X: y\n", 0644);
	load_fails(MIN_HEAD "[hook h]\ntype = http\nurl = http://x/\nheader_file = @TMP@/hdr\n", 6,
	    "has mode 0644");
	load_fails(MIN_HEAD HOOK_CMD "include_regex = (\n", 6, "include_regex: '('");
	load_fails(MIN_HEAD HOOK_CMD "kinds = update, moved\n", 6, "unknown kind 'moved'");
	load_fails(MIN_HEAD HOOK_CMD "when = later\n", 6, "mirrored or changed");
	load_fails(MIN_HEAD HOOK_CMD "concurrency = 0\n", 6, "from 1 to 64");
	load_fails(MIN_HEAD HOOK_CMD "concurrency = 65\n", 6, "from 1 to 64");
	load_fails(MIN_HEAD HOOK_CMD "timeout = 0\n", 6, "must not be 0");
	load_fails(MIN_HEAD HOOK_CMD "remote = nowhere\n", 6, "remote 'nowhere' is not defined");
	load_fails(MIN_HEAD MIN_REMOTE HOOK_CMD "remote = a\nwhen = changed\n", 8,
	    "remote applies only to when = mirrored");
	load_fails(MIN_HEAD HOOK_CMD "colour = red\n", 6, "unknown key 'colour' in [hook h]");
}
END_TEST

/* The first error is also handed back, for syncctl's status. */
START_TEST(first_error_returned)
{
	char err[256], want[400];

	tu_write(ini, "[source]\npath = rel\n[nonsense]\n", 0644);
	fflush(stderr);
	int saved = dup(2), fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	close(fd);
	int rc = config_load(ini, &cfg, err, sizeof err);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq(rc, -1);
	snprintf(want, sizeof want, "%s:2: path: 'rel' is not an absolute path", ini);
	ck_assert_str_eq(err, want);
}
END_TEST

END_TEST

Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, minimal_defaults);
	tcase_add_test(tc, source_paths);
	tcase_add_test(tc, every_key);
	tcase_add_test(tc, events_lists);
	tcase_add_test(tc, booleans);
	tcase_add_test(tc, ipv6_ssh_and_local);
	tcase_add_test(tc, indented_keys_are_keys);
	tcase_add_test(tc, line_of_1000_chars_ok);
	tcase_add_test(tc, line_of_4000_chars_ok);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, read_only_small_regular_files);
	tcase_add_test(tc, last_line_without_newline);
	tcase_add_test(tc, source_checked_apart);
	tcase_add_test(tc, source_link_followed);
	tcase_add_test(tc, instance_section);
	tcase_add_test(tc, first_error_returned);
	tcase_add_test(tc, hook_defaults_and_keys);
	tcase_add_test(tc, hook_watch_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, err_unknown_key);
	tcase_add_test(tc, fail_log_key);
	tcase_add_test(tc, err_unknown_section);
	tcase_add_test(tc, name_lengths);
	tcase_add_test(tc, err_duplicates);
	tcase_add_test(tc, err_durations);
	tcase_add_test(tc, err_source_path);
	tcase_add_test(tc, err_target);
	tcase_add_test(tc, err_password_file);
	tcase_add_test(tc, err_ssh_key_on_rsync_target);
	tcase_add_test(tc, err_rsync_options);
	tcase_add_test(tc, err_long_line);
	tcase_add_test(tc, err_nul_byte);
	tcase_add_test(tc, err_gives_up);
	tcase_add_test(tc, err_key_outside_section);
	tcase_add_test(tc, err_unclosed_section);
	tcase_add_test(tc, err_continuation_line);
	tcase_add_test(tc, err_regex_and_globs);
	tcase_add_test(tc, err_several_at_once);
	tcase_add_test(tc, err_hooks);
	suite_add_tcase(s, tc);
	return s;
}
