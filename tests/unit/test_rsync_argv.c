/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "linkpass.h"
#include "rsync_argv.h"
#include "strv.h"
#include "suites.h"

static char *user_opts[] = { "-artuz", NULL };
static struct config c;
static struct remote_conf r;
static char **argv;

static void
setup(void)
{
	memset(&c, 0, sizeof c);
	memset(&r, 0, sizeof r);
	c.rsync_binary = "rsync";
	c.rsync_options = user_opts;
	c.source = "/srv/src";
	c.rsync_delete = true;
	r.name = "a";
	r.kind = TARGET_RSYNCD;
	r.user = "user";
	r.host = "host.example";
	r.port = 8873;
	r.path = "module/dir";
	r.password_file = "/etc/syncd/pw";
	r.timeout_ms = 30000;
	argv = NULL;
}

static void
teardown(void)
{
	strv_free(argv);
	rsync_argv_set_connector(NULL);
}

static int
idx(const char *s)
{
	for (int i = 0; argv[i]; i++)
		if (!strcmp(argv[i], s))
			return i;
	return -1;
}

static int
argc(void)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

#define HAS(s)  ck_assert_msg(idx(s) >= 0, "missing %s", s)
#define HASNT(s) ck_assert_msg(idx(s) < 0, "unexpected %s", s)

static void
build(enum rsync_mode mode, const char *excl, int verbose)
{
	strv_free(argv);
	argv = rsync_argv(&c, &r, mode, excl, verbose);
	ck_assert_ptr_nonnull(argv);
}

START_TEST(rsyncd_push)
{
	build(RSYNC_PUSH, "/run/syncd/a.excl", 0);
	int n = argc();

	ck_assert_str_eq(argv[0], "rsync");
	ck_assert_str_eq(argv[1], "-artuz");
	HAS("--files-from=-");
	HAS("--from0");
	HAS("--relative");
	HAS("--no-recursive");
	HAS("--dirs");
	HAS("--ignore-times");
	HAS("--delete");
	HAS("--delete-missing-args");
	HAS("--force");
	HAS("--timeout=30");
	HAS("--contimeout=30");
	HAS("--sockopts=TCP_NODELAY");
	HAS("--password-file=/etc/syncd/pw");
	HAS("--exclude-from=/run/syncd/a.excl");
	HASNT("--ignore-missing-args");
	HASNT("--recursive");
	HASNT("--itemize-changes");
	HASNT("-e");
	ck_assert_str_eq(argv[n - 2], "/srv/src/");
	ck_assert_str_eq(argv[n - 1], "rsync://user@host.example:8873/module/dir/");
}
END_TEST

START_TEST(verbose_and_no_excludes)
{
	build(RSYNC_PUSH, NULL, 1);
	HAS("--itemize-changes");
	for (int i = 0; argv[i]; i++)
		ck_assert_msg(strncmp(argv[i], "--exclude-from", 14), "%s", argv[i]);
}
END_TEST

START_TEST(no_delete)
{
	c.rsync_delete = false;
	build(RSYNC_PUSH, NULL, 0);
	HAS("--ignore-missing-args");
	HASNT("--delete");
	HASNT("--delete-missing-args");
	HASNT("--force");
	build(RSYNC_PUSH_KEEP, NULL, 0);
	HAS("--ignore-missing-args");
	HASNT("--delete");
	build(RSYNC_FULL, NULL, 0);
	HASNT("--delete");
	HAS("--recursive");
}
END_TEST

START_TEST(push_keep)
{
	build(RSYNC_PUSH_KEEP, NULL, 0);
	HAS("--files-from=-");
	HAS("--dirs");
	HAS("--no-recursive");
	HAS("--ignore-times");
	HAS("--delete");
	HAS("--ignore-missing-args");
	HASNT("--delete-missing-args");
}
END_TEST

/* Deletes in the listed directories, and creates or updates nothing. */
START_TEST(prune)
{
	build(RSYNC_PRUNE, "/x.excl", 0);
	HAS("--files-from=-");
	HAS("--from0");
	HAS("--relative");
	HAS("--dirs");
	HAS("--no-recursive");
	HAS("--existing");
	HAS("--ignore-existing");
	HAS("--ignore-missing-args");
	HAS("--delete");
	HAS("--force");
	HAS("--exclude-from=/x.excl");
	HASNT("--ignore-times");
	HASNT("--delete-missing-args");
	HASNT("--recursive");
	ck_assert_str_eq(argv[argc() - 2], "/srv/src/");
}
END_TEST

/* Deletions from empty copies of their directories: none of the copies'
 * attributes reaches the mirror. */
START_TEST(delete_from_empty_copies)
{
	argv = rsync_argv_delete(&c, &r, "/x.excl", 0, "/var/lib/syncd/i/r.deletions");
	ck_assert_ptr_nonnull(argv);
	HAS("--existing");
	HAS("--ignore-existing");
	HAS("--delete");
	HAS("--omit-dir-times");
	HAS("--no-perms");
	HAS("--no-owner");
	HAS("--no-group");
	HAS("--exclude-from=/x.excl");
	HASNT("--ignore-times");
	ck_assert_str_eq(argv[argc() - 2], "/var/lib/syncd/i/r.deletions/");
	ck_assert_str_eq(argv[argc() - 1], "rsync://user@host.example:8873/module/dir/");
}
END_TEST

START_TEST(full)
{
	build(RSYNC_FULL, "/x.excl", 0);
	HAS("--recursive");
	HAS("--delete");
	HAS("--force");
	HAS("--exclude-from=/x.excl");
	HAS("--from0");		/* for the NUL-separated exclude file */
	HASNT("--files-from=-");
	HASNT("--no-recursive");
	HASNT("--relative");
	HASNT("--delete-missing-args");
	HASNT("--ignore-missing-args");
	ck_assert_str_eq(argv[argc() - 2], "/srv/src/");
	ck_assert_str_eq(argv[argc() - 1], "rsync://user@host.example:8873/module/dir/");
}
END_TEST

/* A verify: the full sync's run, changing nothing, every file by its
 * checksum, one "%i %n" line per difference. */
START_TEST(verify)
{
	build(RSYNC_VERIFY, "/x.excl", 1);
	HAS("--recursive");
	HAS("--delete");
	HAS("--dry-run");
	HAS("--checksum");
	HAS("--out-format=%i %n");
	HAS("--exclude-from=/x.excl");
	HAS("--from0");
	HAS("--timeout=30");
	HAS("--password-file=/etc/syncd/pw");
	HASNT("--itemize-changes");	/* its " -> target" would be ambiguous */
	HASNT("--files-from=-");
	ck_assert_str_eq(argv[1], "-artz");	/* -artuz without --update */
	ck_assert_str_eq(argv[argc() - 2], "/srv/src/");
	ck_assert_str_eq(argv[argc() - 1], "rsync://user@host.example:8873/module/dir/");
	c.rsync_delete = false;
	build(RSYNC_VERIFY, NULL, 0);
	HASNT("--delete");
	HAS("--dry-run");
}
END_TEST

/* --update would skip a file the mirror has newer, --quiet would silence
 * the differences: a verify drops both, from clusters too, but never a
 * letter that is another option's argument. */
START_TEST(verify_drops_update_and_quiet)
{
	char *opts[] = { "-au", "--update", "-q", "--quiet", "-vuqz", "-T/tmp/qu", "-zB1024uq",
		"--chmod=u+rw", "--info=name1", NULL };

	c.rsync_options = opts;
	build(RSYNC_VERIFY, NULL, 0);
	ck_assert_str_eq(argv[1], "-a");
	ck_assert_str_eq(argv[2], "-vz");
	ck_assert_str_eq(argv[3], "-T/tmp/qu");
	ck_assert_str_eq(argv[4], "-zB1024uq");
	ck_assert_str_eq(argv[5], "--chmod=u+rw");
	ck_assert_str_eq(argv[6], "--info=name1");
	ck_assert_str_eq(argv[7], "--recursive");
	/* the full sync keeps them */
	build(RSYNC_FULL, NULL, 0);
	ck_assert_str_eq(argv[1], "-au");
	ck_assert_str_eq(argv[2], "--update");
}
END_TEST

/* A moved directory's entries, linked from its old copy where the contents
 * are the same (--checksum, not --ignore-times), nothing deleted, from
 * SRC/to/ to DEST/to/. */
START_TEST(link_pass)
{
	argv = rsync_argv_link(&c, &r, "b/new dir", "../../a/old", 0);
	ck_assert_ptr_nonnull(argv);
	HAS("--files-from=-");
	HAS("--from0");
	HAS("--relative");
	HAS("--no-recursive");
	HAS("--dirs");
	HAS("--link-dest=../../a/old");
	HAS("--checksum");
	HAS("--sockopts=TCP_NODELAY");
	HAS("--password-file=/etc/syncd/pw");
	HASNT("--ignore-times");
	HASNT("--delete");
	HASNT("--delete-missing-args");
	ck_assert_str_eq(argv[argc() - 2], "/srv/src/b/new dir/");
	ck_assert_str_eq(argv[argc() - 1], "rsync://user@host.example:8873/module/dir/b/new dir/");
	strv_free(argv);
	r.kind = TARGET_LOCAL;
	r.path = "/mnt/mirror";
	argv = rsync_argv_link(&c, &r, "new", "../old", 0);
	ck_assert_str_eq(argv[argc() - 1], "/mnt/mirror/new/");
}
END_TEST

/* Names a daemon would glob, or an old rsync would hand a remote shell
 * unquoted, are not put on a link pass's command line. */
START_TEST(link_pass_names)
{
	struct remote_conf rc = { .kind = TARGET_RSYNCD };

	ck_assert(linkpass_names_safe(&rc, "a/new dir/caf\xc3\xa9"));
	ck_assert(!linkpass_names_safe(&rc, "a/*"));
	ck_assert(!linkpass_names_safe(&rc, "a/[x]"));
	ck_assert(!linkpass_names_safe(&rc, "what?"));
	rc.kind = TARGET_SSH;
	ck_assert(linkpass_names_safe(&rc, "a/new-dir_1.2/caf\xc3\xa9"));
	ck_assert(!linkpass_names_safe(&rc, "a/new dir"));
	ck_assert(!linkpass_names_safe(&rc, "a/$(reboot)"));
	ck_assert(!linkpass_names_safe(&rc, "it's"));
	rc.kind = TARGET_LOCAL;
	ck_assert(linkpass_names_safe(&rc, "a/* $(x) 'q'"));
}
END_TEST

START_TEST(link_dest_climbs_to_the_root)
{
	char buf[64];

	ck_assert_int_eq(linkpass_link_dest("old", "new", buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "../old");
	ck_assert_int_eq(linkpass_link_dest("a/old", "b/c/new", buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "../../../a/old");
	ck_assert_int_eq(linkpass_link_dest("x/y/z", "top", buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "../x/y/z");
	ck_assert_int_eq(linkpass_link_dest("a-very-long-name-indeed", "n", buf, 12), -1);
}
END_TEST

START_TEST(moves_are_bounded_hints)
{
	struct moves m = { 0 }, copy = { 0 };
	struct move mv;

	moves_add(&m, "a", "b");
	moves_add(&m, "c", "d");
	moves_append(&copy, &m);
	ck_assert(moves_take(&m, &mv));
	ck_assert_str_eq(mv.from, "a");
	ck_assert_str_eq(mv.to, "b");
	move_free(&mv);
	ck_assert(moves_take(&m, &mv));
	ck_assert_str_eq(mv.from, "c");
	move_free(&mv);
	ck_assert(!moves_take(&m, &mv));
	ck_assert_uint_eq(copy.n, 2);
	for (int i = 0; i < 2 * MOVES_MAX; i++)
		moves_add(&copy, "x", "y");
	ck_assert_uint_eq(copy.n, MOVES_MAX);
	moves_clear(&copy);
	moves_clear(&m);
	ck_assert_uint_eq(copy.n, 0);
}
END_TEST

START_TEST(user_options_first)
{
	char *opts[] = { "-a", "--compress", "--chmod=D755", NULL };

	c.rsync_options = opts;
	c.rsync_binary = "/usr/local/bin/rsync";
	for (int m = RSYNC_PUSH; m <= RSYNC_FULL; m++) {
		build((enum rsync_mode)m, "/e", 0);
		ck_assert_str_eq(argv[0], "/usr/local/bin/rsync");
		ck_assert_str_eq(argv[1], "-a");
		ck_assert_str_eq(argv[2], "--compress");
		ck_assert_str_eq(argv[3], "--chmod=D755");
		ck_assert_str_eq(argv[4], m == RSYNC_FULL ? "--recursive" : "--files-from=-");
	}
	/* no user options at all */
	char *none[] = { NULL };
	c.rsync_options = none;
	build(RSYNC_PUSH, NULL, 0);
	ck_assert_str_eq(argv[1], "--files-from=-");
}
END_TEST

START_TEST(rsyncd_defaults_and_ipv6)
{
	r.user = NULL;
	r.port = 0;
	r.password_file = NULL;
	r.path = "mod";
	build(RSYNC_PUSH, NULL, 0);
	ck_assert_str_eq(argv[argc() - 1], "rsync://host.example/mod/");
	for (int i = 0; argv[i]; i++)
		ck_assert(strncmp(argv[i], "--password-file", 15) != 0);

	r.host = "::1";
	r.port = 8873;
	r.user = "u";
	build(RSYNC_PUSH, NULL, 0);
	ck_assert_str_eq(argv[argc() - 1], "rsync://u@[::1]:8873/mod/");
	char *d = rsync_destination(&r);
	ck_assert_str_eq(d, "rsync://u@[::1]:8873/mod/");
	free(d);
}
END_TEST

START_TEST(timeouts)
{
	r.timeout_ms = 1500;
	build(RSYNC_PUSH, NULL, 0);
	HAS("--timeout=2");	/* whole seconds, rounded up */
	HAS("--contimeout=2");
	r.timeout_ms = 0;
	build(RSYNC_PUSH, NULL, 0);
	for (int i = 0; argv[i]; i++)
		ck_assert_msg(!strstr(argv[i], "timeout"), "%s", argv[i]);
}
END_TEST

/* rsync's own splitting of the -e string (main.c do_cmd): words separated
 * by spaces, single or double quotes group, a doubled quote inside quotes
 * of the same kind is one literal quote, backslashes are ordinary. */
static char **
rsync_split_e(const char *cmd)
{
	struct strv s = { 0 };
	char *buf = malloc(strlen(cmd) + 1);

	for (const char *f = cmd; *f;) {
		if (*f == ' ') {
			f++;
			continue;
		}
		char *t = buf, q = 0;
		while (*f && (*f != ' ' || q)) {
			if (!q && (*f == '\'' || *f == '"')) {
				q = *f++;
			} else if (q && *f == q) {
				if (f[1] == q) {
					*t++ = q;
					f += 2;
				} else {
					q = 0;
					f++;
				}
			} else {
				*t++ = *f++;
			}
		}
		ck_assert_msg(!q, "unterminated quote in %s", cmd);
		*t = '\0';
		strv_add(&s, buf);
	}
	free(buf);
	return strv_steal(&s);
}

START_TEST(ssh_remote)
{
	char *sshopts[] = { "-o", "ProxyJump=it's a jump", NULL };

	r.kind = TARGET_SSH;
	r.user = "me";
	r.host = "mirror.example";
	r.port = 2222;
	r.path = "/srv/mirror";
	r.password_file = NULL;
	r.ssh_key = "/keys/my key's";
	r.ssh_options = sshopts;
	build(RSYNC_PUSH, NULL, 0);

	int e = idx("-e");
	ck_assert_int_gt(e, 0);
	const char *cmd = argv[e + 1];
	ck_assert_ptr_nonnull(cmd);
	ck_assert_msg(!strncmp(cmd, "ssh ", 4), "%s", cmd);
	ck_assert_msg(strstr(cmd, " -i '/keys/my key''s'"), "%s", cmd);
	ck_assert_msg(strstr(cmd, " -p 2222"), "%s", cmd);
	ck_assert_msg(strstr(cmd, "BatchMode=yes"), "%s", cmd);
	ck_assert_msg(strstr(cmd, "ConnectTimeout=30"), "%s", cmd);

	/* what rsync will run */
	char **w = rsync_split_e(cmd);
	int n = 0, ki = -1;
	for (; w[n]; n++)
		if (!strcmp(w[n], "-i"))
			ki = n;
	ck_assert_str_eq(w[0], "ssh");
	ck_assert_int_gt(ki, 0);
	ck_assert_str_eq(w[ki + 1], "/keys/my key's");
	ck_assert_str_eq(w[n - 2], "-o");
	ck_assert_str_eq(w[n - 1], "ProxyJump=it's a jump");
	strv_free(w);

	HASNT("--contimeout=30");
	HASNT("--sockopts=TCP_NODELAY");
	HAS("--timeout=30");
	for (int i = 0; argv[i]; i++)
		ck_assert(strncmp(argv[i], "--password-file", 15) != 0);
	ck_assert_str_eq(argv[argc() - 2], "/srv/src/");
	ck_assert_str_eq(argv[argc() - 1], "me@mirror.example:/srv/mirror/");
	/* -e comes before the paths */
	ck_assert_int_lt(e, argc() - 2);
}
END_TEST

/* The shared connection's options come after the operator's (ssh keeps
 * the first value of each), its socket's path quoted for rsync's -e. */
START_TEST(ssh_control_master)
{
	char *sshopts[] = { "-o", "ControlPersist=1m", NULL };

	r.kind = TARGET_SSH;
	r.user = NULL;
	r.host = "mirror.example";
	r.port = 0;
	r.path = "/srv/mirror";
	r.password_file = NULL;
	r.ssh_key = NULL;
	r.ssh_options = sshopts;
	r.ssh_control = "/run/it's/r1.ssh";
	build(RSYNC_PUSH, NULL, 0);
	r.ssh_control = NULL;
	r.ssh_options = NULL;

	char **w = rsync_split_e(argv[idx("-e") + 1]);
	int mine = -1, master = -1, path = -1, alive = -1;
	for (int i = 0; w[i]; i++) {
		if (!strcmp(w[i], "ControlPersist=1m"))
			mine = i;
		if (!strcmp(w[i], "ControlMaster=auto"))
			master = i;
		if (!strcmp(w[i], "ControlPath=/run/it's/r1.ssh"))
			path = i;
		if (!strcmp(w[i], "ServerAliveInterval=10"))
			alive = i;
	}
	ck_assert_int_gt(mine, 0);
	ck_assert_int_gt(master, mine);
	ck_assert_int_gt(path, mine);
	ck_assert_int_gt(alive, mine);
	strv_free(w);
}
END_TEST

START_TEST(ssh_plain_and_ipv6)
{
	r.kind = TARGET_SSH;
	r.user = NULL;
	r.host = "fe80::1";
	r.port = 0;
	r.path = "/data";
	r.password_file = NULL;
	build(RSYNC_FULL, NULL, 0);
	int e = idx("-e");
	ck_assert_int_gt(e, 0);
	ck_assert_msg(!strstr(argv[e + 1], "-p "), "%s", argv[e + 1]);
	ck_assert_msg(!strstr(argv[e + 1], "-i "), "%s", argv[e + 1]);
	ck_assert_str_eq(argv[argc() - 1], "[fe80::1]:/data/");
	r.user = "u";
	build(RSYNC_PUSH, NULL, 0);
	ck_assert_str_eq(argv[argc() - 1], "u@[fe80::1]:/data/");
}
END_TEST

START_TEST(local_remote)
{
	r.kind = TARGET_LOCAL;
	r.user = NULL;
	r.host = NULL;
	r.port = 0;
	r.path = "/mnt/backup";
	r.password_file = NULL;
	build(RSYNC_PUSH, NULL, 0);
	HASNT("-e");
	HASNT("--contimeout=30");
	HASNT("--sockopts=TCP_NODELAY");
	ck_assert_str_eq(argv[argc() - 2], "/srv/src/");
	ck_assert_str_eq(argv[argc() - 1], "/mnt/backup/");
	char *d = rsync_destination(&r);
	ck_assert_str_eq(d, "/mnt/backup/");
	free(d);
}
END_TEST

/* The operator's own --sockopts replaces our TCP_NODELAY. */
START_TEST(own_sockopts)
{
	static char *opts[] = { "-artuz", "--sockopts=SO_SNDBUF=65536", NULL };

	c.rsync_options = opts;
	build(RSYNC_PUSH, NULL, 0);
	HASNT("--sockopts=TCP_NODELAY");
	HAS("--sockopts=SO_SNDBUF=65536");
}
END_TEST

/* With the worker's own binary known, rsync reaches a daemon through it
 * (connector.c): no socket of rsync's own, so no --sockopts nor --contimeout;
 * the connector is given the connect timeout.  rsync's --timeout stays. */
START_TEST(rsyncd_connector)
{
	rsync_argv_set_connector("/usr/sbin/sy ncd");
	build(RSYNC_PUSH, NULL, 0);
	int e = idx("-e");
	ck_assert_int_ge(e, 0);
	ck_assert_str_eq(argv[e + 1], "'/usr/sbin/sy ncd' --rsyncd-connect 'host.example' 8873 30");
	HAS("--timeout=30");
	HASNT("--contimeout=30");
	HASNT("--sockopts=TCP_NODELAY");
	ck_assert_str_eq(argv[argc() - 1], "rsync://user@host.example:8873/module/dir/");

	r.port = 0;
	r.timeout_ms = 0;
	r.host = "::1";
	build(RSYNC_FULL, NULL, 0);
	ck_assert_str_eq(argv[idx("-e") + 1], "'/usr/sbin/sy ncd' --rsyncd-connect '::1' 873 0");

	/* An operator's own socket options need rsync's own socket. */
	static char *opts[] = { "-artuz", "--sockopts=SO_SNDBUF=65536", NULL };
	c.rsync_options = opts;
	build(RSYNC_PUSH, NULL, 0);
	HASNT("-e");
	HAS("--sockopts=SO_SNDBUF=65536");

	/* Not for ssh. */
	c.rsync_options = user_opts;
	r.kind = TARGET_SSH;
	build(RSYNC_PUSH, NULL, 0);
	ck_assert(strstr(argv[idx("-e") + 1], "ssh ") == argv[idx("-e") + 1]);
}
END_TEST

/* A first run asks what rsync negotiates; once known, the remote's runs
 * name it and skip the negotiation's round trip (a verify too, which
 * cannot ask: it reads every line). */
START_TEST(negotiated_choices_named)
{
	build(RSYNC_PUSH, NULL, 0);
	HAS("--debug=NSTR");
	HASNT("--checksum-choice=xxh128");
	build(RSYNC_VERIFY, NULL, 0);
	HASNT("--debug=NSTR");

	rsync_argv_learn(&r, "Client negotiated checksum: xxh128\n"
	    "Client negotiated compress: zstd (level 3)\n"
	    "sent 120 bytes  received 35 bytes  310.00 bytes/sec\n");
	for (enum rsync_mode m = RSYNC_PUSH; m <= RSYNC_VERIFY; m++) {
		build(m, NULL, 0);
		HAS("--checksum-choice=xxh128");
		HAS("--compress-choice=zstd");
		HASNT("--debug=NSTR");
	}
	strv_free(argv);
	argv = rsync_argv_link(&c, &r, "d", "../old", 0);
	HAS("--checksum-choice=xxh128");

	/* a run that did not negotiate (or said nothing) teaches nothing */
	rsync_argv_learn(&r, "Client checksum: md5\n");
	rsync_argv_learn(&r, "");
	build(RSYNC_PUSH, NULL, 0);
	HAS("--checksum-choice=xxh128");

	ck_assert(rsync_argv_forget(&r, "rsync error: timeout"));
	/* nothing named: not for good */
	ck_assert(!rsync_argv_forget(&r, "The server is configured to refuse --checksum-choice"));
	build(RSYNC_PUSH, NULL, 0);
	HAS("--debug=NSTR");
	HASNT("--checksum-choice=xxh128");
	HASNT("--compress-choice=zstd");

	/* refused: neither asked nor named again */
	rsync_argv_learn(&r, "Client negotiated checksum: xxh128\n");
	ck_assert(rsync_argv_forget(&r, "rsync: on remote machine: --compress-choice=zstd: unknown option\n"));
	rsync_argv_learn(&r, "Client negotiated checksum: xxh128\n");
	build(RSYNC_PUSH, NULL, 0);
	HASNT("--debug=NSTR");
	HASNT("--checksum-choice=xxh128");
}
END_TEST

START_TEST(negotiated_choices_without_compression)
{
	user_opts[0] = "-art";
	rsync_argv_learn(&r, "Client negotiated checksum: md5\n");
	build(RSYNC_PUSH, NULL, 0);
	user_opts[0] = "-artuz";
	HAS("--checksum-choice=md5");
	for (int i = 0; argv[i]; i++)
		ck_assert_msg(strncmp(argv[i], "--compress-choice", 17), "%s", argv[i]);

	/* a name that does not fit is not learned */
	rsync_argv_forget(&r, "");
	rsync_argv_learn(&r, "Client negotiated checksum: aaaaaaaaaaaaaaaaaaaaaaaa\n");
	build(RSYNC_PUSH, NULL, 0);
	HAS("--debug=NSTR");
}
END_TEST

START_TEST(negotiated_choices_not_for_local_nor_operator_choice)
{
	static char *chosen[] = { "-artuz", "--cc=md5", NULL };

	rsync_argv_learn(&r, "Client negotiated checksum: xxh128\n");
	r.kind = TARGET_LOCAL;
	r.path = "/srv/mirror";
	build(RSYNC_PUSH, NULL, 0);
	HASNT("--checksum-choice=xxh128");
	HASNT("--debug=NSTR");
	r.kind = TARGET_SSH;
	c.rsync_options = chosen;
	build(RSYNC_PUSH, NULL, 0);
	HASNT("--checksum-choice=xxh128");
	HASNT("--debug=NSTR");
}
END_TEST

Suite *
rsync_argv_suite(void)
{
	Suite *s = suite_create("rsync_argv");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rsyncd_push);
	tcase_add_test(tc, own_sockopts);
	tcase_add_test(tc, rsyncd_connector);
	tcase_add_test(tc, verbose_and_no_excludes);
	tcase_add_test(tc, no_delete);
	tcase_add_test(tc, push_keep);
	tcase_add_test(tc, prune);
	tcase_add_test(tc, delete_from_empty_copies);
	tcase_add_test(tc, full);
	tcase_add_test(tc, verify);
	tcase_add_test(tc, verify_drops_update_and_quiet);
	tcase_add_test(tc, user_options_first);
	tcase_add_test(tc, rsyncd_defaults_and_ipv6);
	tcase_add_test(tc, timeouts);
	tcase_add_test(tc, ssh_remote);
	tcase_add_test(tc, ssh_control_master);
	tcase_add_test(tc, ssh_plain_and_ipv6);
	tcase_add_test(tc, local_remote);
	tcase_add_test(tc, link_pass);
	tcase_add_test(tc, link_pass_names);
	tcase_add_test(tc, link_dest_climbs_to_the_root);
	tcase_add_test(tc, moves_are_bounded_hints);
	tcase_add_test(tc, negotiated_choices_named);
	tcase_add_test(tc, negotiated_choices_without_compression);
	tcase_add_test(tc, negotiated_choices_not_for_local_nor_operator_choice);
	suite_add_tcase(s, tc);
	return s;
}
