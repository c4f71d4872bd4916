/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One instance's configuration, read from NAME.ini with inih.  Every error is
 * reported as "file:line: what is wrong". */
#ifndef SYNCD_CONFIG_H
#define SYNCD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"

/* [source] events: sersync's inotify toggles. */
enum {
	EV_CREATE_DIR   = 1 << 0,
	EV_CREATE_FILE  = 1 << 1,
	EV_CLOSE_WRITE  = 1 << 2,
	EV_MOVE_FROM    = 1 << 3,
	EV_MOVE_TO      = 1 << 4,
	EV_DELETE       = 1 << 5,
	EV_ATTRIB       = 1 << 6,
	EV_MODIFY       = 1 << 7,
};
#define EV_DEFAULT (EV_CREATE_DIR | EV_CLOSE_WRITE | EV_MOVE_FROM | EV_MOVE_TO | EV_DELETE | EV_ATTRIB)

/* [rsync] options when none are given: no -u, which would keep a mirror's
 * newer files from an older version restored in the source. */
#define DEFAULT_RSYNC_OPTIONS "-artz"

/* [instance]: how syncctl runs the worker; syncd only validates it. */
struct supervision {
	bool autostart;
	uint64_t start_timeout_ms;	/* for READY=1 */
	uint64_t watchdog_ms;		/* 0: off */
	uint64_t stop_timeout_ms;	/* SIGTERM or SIGABRT, then SIGKILL */
	uint64_t restart_delay_ms, restart_delay_max_ms;
	unsigned restart_limit;		/* starts within restart_interval */
	uint64_t restart_interval_ms;
};

enum target_kind { TARGET_RSYNCD, TARGET_SSH, TARGET_LOCAL };

struct remote_conf {
	char *name;
	int line;		/* of its [remote NAME] header */
	enum target_kind kind;
	char *target;		/* as written */
	char *user;		/* NULL: none given */
	char *host;		/* without [] around an IPv6 address */
	unsigned port;		/* 0: the protocol's default */
	char *path;		/* rsyncd: "module[/dir]"; ssh, local: absolute path */
	char *password_file;
	char *ssh_key;
	char **ssh_options;	/* NULL-terminated, extra ssh arguments */
	uint64_t timeout_ms;
	uint64_t preconnect_ms;	/* a daemon connection opened ahead is kept this long, 0: none */
	int password_file_line, ssh_key_line, ssh_options_line, preconnect_line;	/* for errors */
	/* Set by the worker (daemon/sshmux.h), not read from the file: the
	 * control socket of the connection its runs share, NULL: none; as ssh's
	 * ControlPath wants it (% doubled), and as a file name. */
	char *ssh_control, *ssh_control_file;
	/* Set by the worker (daemon/rsync_argv.h), not read from the file: the
	 * checksum and the compression ("": none) rsync negotiated with this
	 * remote, which its later runs name; checksum "": not known.  nstr_off:
	 * the other end refused them, no run names them. */
	char nstr_checksum[16], nstr_compress[16];
	bool nstr_off;
	/* Set by the worker (daemon/preconnect.h): the connection to the
	 * daemon opened ahead of the next run, NULL: none kept. */
	struct preconn *pre;
};

/* [hook NAME]: what runs once a change is mirrored (or as soon as it is
 * seen).  Kinds of change a hook is told about: */
enum {
	HK_UPDATE = 1 << 0,	/* a path that exists: created, written, moved in, chmod */
	HK_DELETE = 1 << 1,	/* a path that is gone: deleted or moved away */
	HK_DIR    = 1 << 2,	/* a directory that appeared with everything in it */
	HK_RESYNC = 1 << 3,	/* changes were lost: anything may have changed (path "") */
};
#define HK_ALL (HK_UPDATE | HK_DELETE | HK_DIR | HK_RESYNC)

enum hook_type { HOOK_COMMAND, HOOK_SOCKET, HOOK_HTTP, HOOK_CDN };

struct hook_conf {
	char *name;
	int line;		/* of its [hook NAME] header */
	enum hook_type type;
	bool when_changed;	/* as soon as seen, not once mirrored */
	char *remote;		/* mirrored on this remote only; NULL: on every remote */
	unsigned kinds;		/* HK_* */
	struct filter *include, *exclude;	/* regexes on the relative path */
	uint64_t timeout_ms;	/* of one run, request or write */
	unsigned concurrency;	/* calls at once */
	unsigned batch;		/* changes per call */
	unsigned retries;	/* after the first failure, then the call is dropped */
	unsigned queue;		/* changes waiting at most; more are dropped and counted */
	unsigned dir_files;	/* update: files listed per dir change at most (0: none) */
	char **run;		/* command: argv, the paths are appended */
	char *host;		/* socket: connect = host:port */
	unsigned port;
	char *unix_path;	/* socket: unix = /path */
	char *url;		/* http */
	char *url_template;	/* cdn: with {path} */
	char *path_regex, *replace;	/* cdn: rewrite of the path before {path} */
	char *method;		/* cdn: GET, POST, PURGE...; http always POSTs */
	char **headers;		/* http, cdn: "Name: value", NULL-terminated */
	char *header_file;	/* http, cdn: more header lines, read at start */
	char *credentials_file;	/* cdn: "user:password" for basic auth */
};

/* [source] backend: how the tree is watched (daemon/watch.h). */
enum backend { BACKEND_INOTIFY, BACKEND_AUTO, BACKEND_FANOTIFY };

struct config {
	char *file;		/* as given */
	char *name;		/* instance: the file's base name without .ini */
	char *source;		/* absolute, no trailing '/' */
	int source_line;
	unsigned events;
	enum backend backend;
	uint64_t unclosed_ms;		/* a file written, not closed: pushed after this quiet, */
	uint64_t unclosed_max_ms;	/* or this long after its first write; 0: at its close */
	struct filter *filter;
	struct remote_conf *remotes;
	size_t nremotes;
	struct hook_conf *hooks;
	size_t nhooks;
	char *rsync_binary;
	int rsync_binary_line;	/* of "[rsync] binary", 0: the default */
	char **rsync_options;	/* NULL-terminated */
	bool rsync_delete;
	unsigned max_parallel;		/* rsync runs of all remotes at once */
	uint64_t lane_after_ms;		/* a push this long opens a second lane; 0: never */
	uint64_t settle_ms, max_delay_ms;
	unsigned max_files;
	uint64_t min_backoff_ms, max_backoff_ms;
	char *fail_log;		/* NULL: STATE/failed.log; "none": no fail log */
	int fail_log_line;
	bool full_on_start;
	uint64_t full_every_ms;	/* 0: never */
	uint64_t verify_every_ms;	/* [verify] every; 0: never */
	struct supervision sup;
	int end_line;		/* the file's last line: where errors about the whole file point */
};

/* "command", "socket", "http", "cdn". */
const char *hook_type_name(enum hook_type t);

/* The bytes of a configuration file, NUL-terminated (its length in *len):
 * a regular file of at most 1 MiB, read without waiting (a FIFO) and never
 * beyond that.  NULL with "file: why" in err otherwise; nothing is logged. */
char *config_read(const char *file, size_t *len, char *err, size_t errlen);
/* Validates text, the contents of file (config_read); each problem is
 * logged as file:line: ... and the first one is also left in err (if not
 * NULL).  Returns 0, or -1 if anything is wrong (cfg is then freed).  The
 * source directory is not looked at: see config_check_source(). */
int config_parse(const char *file, const char *text, size_t len, struct config *cfg, char *err,
    size_t errlen);
/* config_read and config_parse; a file that cannot be read is logged as
 * file: why. */
int config_load(const char *file, struct config *cfg, char *err, size_t errlen);
/* config_load for --check, which reports every problem of a file in one
 * run: the configuration is kept despite errors, so that the checks of what
 * it names can follow; the caller frees it.  The number of errors, or -1
 * (cfg freed) for a file that cannot be read or is no configuration at all
 * (its reading gave up). */
int config_load_all(const char *file, struct config *cfg);
/* Warns about the paths of cfg that the shipped units' PrivateTmp= would
 * hide: a source, local target, fail log or command hook path under /tmp
 * or /var/tmp.  For --check and syncctl check. */
void config_warn_private_tmp(const struct config *cfg);
/* What the file cannot tell: the source exists and is a directory (1 if
 * not: a source mounted late is worth waiting for), and no local target is
 * inside it or contains it once links are followed (2).  A source that is a
 * symbolic link, or has one among its parents, is replaced by its real path,
 * which the worker watches.  Logs file:line: why; 0 when all is well.  The
 * worker runs it as it starts, --check and syncctl check run it too. */
int config_check_source(struct config *cfg);
void config_free(struct config *cfg);
/* SOURCE/rel into buf, SOURCE itself for the root (rel ""); false when
 * it does not fit. */
bool config_source_path(const struct config *cfg, const char *rel, char *buf, size_t len);
/* An rsync option that syncd sets itself, which [rsync] options must not
 * hold ("--delete-after", "--timeout=5", "-e"...). */
bool config_rsync_option_ours(const char *opt);

#endif
