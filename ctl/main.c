/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syncctl: run the syncd instances of this host and talk to them.  See
 * syncctl(8). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "duration.h"
#include "fsutil.h"
#include "import_sersync.h"
#include "instance.h"
#include "json.h"
#include "loop.h"
#include "log.h"
#include "metrics.h"
#include "show.h"
#include "strv.h"
#include "supervisor.h"

#ifndef SYNCD_BINDIR
#define SYNCD_BINDIR "/usr/local/bin"
#endif

/* LSB exit codes; verify: 1 a mirror differs, 4 (its state is unknown) a
 * mirror could not be verified; flush: 1 a remote did not get there in time. */
enum {
	EX_OK = 0, EX_FAIL = 1, EX_DRIFT = 1, EX_USAGE = 2, EX_NOT_RUNNING = 3,
	EX_UNKNOWN_STATUS = 4, EX_NOT_CONFIGURED = 6, EX_NOT_RUNNING_ACTION = 7,
};

#define REQUEST_TIMEOUT_MS 5000
/* A verify reads the whole tree at both ends, checksums and all. */
#define VERIFY_TIMEOUT_MS 600000
/* The worker's flush default (daemon/control.c). */
#define FLUSH_TIMEOUT_MS 60000
/* A worker answers a verify or flush at its deadline; its socket is waited
 * on that much longer. */
#define ANSWER_MARGIN_MS 10000
#define START_WAIT_MS 120000
#define STOP_WAIT_MS 120000
#define POLL_MS 100

static struct paths paths;
static char *sock_path, *instances_dir;

static void
usage(FILE *f)
{
	fprintf(f,
	    "Usage: syncctl [OPTIONS] COMMAND [ARGS]\n"
	    "Run the syncd instances of this host and talk to them.\n"
	    "\n"
	    "Commands:\n"
	    "  daemon [--foreground]        supervise every instance (detaches unless --foreground)\n"
	    "  start [--no-block] [NAME...] start instances (none named: every autostart one);\n"
	    "                               starts a supervisor first if none runs, which then\n"
	    "                               starts only what it is asked to\n"
	    "  stop [--no-block] [NAME...]  stop instances (none named: all, and a supervisor\n"
	    "                               that start put in the background)\n"
	    "  restart [NAME...]            stop and start again (none named: all not stopped)\n"
	    "  status [--json] [NAME...]    state of each instance and of its mirrors\n"
	    "  list                         one line per instance: NAME STATE FILE\n"
	    "  metrics                      the supervisor's and every worker's figures in\n"
	    "                               Prometheus' text format (see syncctl(8), METRICS)\n"
	    "  reload                       pick up added, removed and changed instance files\n"
	    "  resync|pause|resume [NAME...] ask running workers for a full sync, to hold, to go on\n"
	    "  verify [--json] [--timeout T] [NAME...]\n"
	    "                               prove that each mirror holds what the source holds\n"
	    "                               (none named: every running instance; T default 10min)\n"
	    "  flush [--timeout T] [NAME...]\n"
	    "                               wait until every change made before it is on every\n"
	    "                               mirror (none named: every running instance; T default 60s)\n"
	    "  check [NAME|FILE...]         validate instance files (none named: all)\n"
	    "  import-sersync [-o FILE] CONFXML [NAME]\n"
	    "                               a sersync confxml.xml as an instance file (stdout)\n"
	    "\n"
	    "Options:\n"
	    "      --config-dir DIR   instances are DIR/instances.d/NAME.ini; default /etc/syncd\n"
	    "                         ($SYNCD_CONFIG_DIR)\n"
	    "      --runtime-dir DIR  sockets and pid file; default /run/syncd ($SYNCD_RUNTIME_DIR)\n"
	    "      --state-dir DIR    the workers' state; default /var/lib/syncd ($SYNCD_STATE_DIR)\n"
	    "      --syncd PATH       the worker binary ($SYNCD_BIN); default: next to syncctl\n"
	    "  -h, --help             show this help\n"
	    "  -V, --version          show the version\n"
	    "\n"
	    "Exit status: 0 done, 1 failed, 2 usage, 3 not running (status), 4 unknown\n"
	    "instance (status), 6 unknown instance, 7 not running; verify: 0 every mirror\n"
	    "matches, 1 a mirror differs, 4 a mirror could not be verified; flush: 1 a\n"
	    "remote did not get there in time.  A worker that runs outside syncctl (syncd@NAME,\n"
	    "by hand) shows as running; start leaves it alone (0), stop names it (1).\n"
	    "See syncctl(8).\n");
}

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

/* The daemon leaves its working directory: paths given relative must not
 * change meaning. */
static const char *
absolute(const char *p)
{
	char cwd[PATH_MAX], *abs;

	if (p[0] == '/' || !getcwd(cwd, sizeof cwd) || asprintf(&abs, "%s/%s", cwd, p) < 0)
		return p;
	return abs;
}

/* The syncd next to this syncctl (a build tree, or BINDIR), else BINDIR's. */
static const char *
find_syncd(void)
{
	char self[PATH_MAX], *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (asprintf(&path, "%s/syncd", self) >= 0) {
				if (access(path, X_OK) == 0)
					return path;
				free(path);
			}
		}
	}
	return SYNCD_BINDIR "/syncd";
}

/* The supervisor's answer, or NULL (errno: ENOENT/ECONNREFUSED if none runs). */
static char *
ask(const char *req)
{
	return ctl_request(sock_path, req, REQUEST_TIMEOUT_MS);
}

static bool
no_supervisor(int e)
{
	return e == ENOENT || e == ECONNREFUSED;
}

/* The supervisor's view, or every instance file stopped when none runs;
 * either way with the workers that run outside it. */
static int
get_status(struct status *st)
{
	char *reply = ask("status");

	/* A supervisor that ends (after "stop" of all) drops who asks: its
	 * workers have exited by then. */
	if (!reply && (no_supervisor(errno) || errno == ECONNRESET)) {
		status_from_dir(instances_dir, st);
	} else if (reply && !strncmp(reply, "error: the supervisor is stopping", 33)) {
		free(reply);
		status_from_dir(instances_dir, st);
	} else if (!reply) {
		log_err("%s: %s", sock_path, strerror(errno));
		return -1;
	} else if (status_parse(reply, st) < 0) {
		log_err("%s: unexpected answer to status", sock_path);
		status_free(st);
		return -1;
	}
	status_find_outside(st, paths.runtime_dir);
	return 0;
}

/* A worker that systemd (syncd@NAME) or an operator runs is not ours to
 * start, restart or stop (cmd): said once, with where to stop it. */
static void
say_outside(const struct row *r, const char *cmd)
{
	if (!strcmp(cmd, "stop"))
		fprintf(stderr, "syncctl: %s: runs outside syncctl (pid %d: a systemd unit such as "
		    "syncd@%s, or by hand); stop it there (systemctl stop syncd@%s)\n", r->name, r->pid,
		    r->name, r->name);
	else
		printf("%s: already running outside syncctl (pid %d: a systemd unit such as syncd@%s, "
		    "or by hand); not %sed\n", r->name, r->pid, r->name, cmd);
}

/* Detaches a supervisor; returns once its control socket listens. */
static int
daemonize(bool on_demand)
{
	char *logfile;
	int pfd[2], fd;
	char c;

	if (make_dirs(paths.state_dir, 0750) < 0 || asprintf(&logfile, "%s/syncctl.log", paths.state_dir) < 0)
		return EX_FAIL;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		log_err("pipe: %s", strerror(errno));
		return EX_FAIL;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		return EX_FAIL;
	}
	if (pid == 0) {
		close(pfd[0]);
		fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd < 0) {
			log_err("%s: %s", logfile, strerror(errno));
			_exit(EX_FAIL);
		}
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (setsid() < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
		    chdir("/") < 0)
			_exit(EX_FAIL);
		log_init("syncctl", 0);
		_exit(supervisor_run(&paths, pfd[1], on_demand));
	}
	close(pfd[1]);
	ssize_t n;
	while ((n = read(pfd[0], &c, 1)) < 0 && errno == EINTR)
		;
	close(pfd[0]);
	if (n == 1) {
		free(logfile);
		return EX_OK;
	}
	waitpid(pid, NULL, 0);
	log_err("the supervisor did not start; see %s", logfile);
	free(logfile);
	return EX_FAIL;
}

static int
cmd_daemon(char **args)
{
	bool fg = false;

	for (; *args; args++) {
		if (!strcmp(*args, "--foreground") || !strcmp(*args, "-f"))
			fg = true;
		else {
			log_err("daemon: unknown argument '%s'", *args);
			return EX_USAGE;
		}
	}
	if (!fg)
		return daemonize(false);
	log_init("syncctl", 0);
	return supervisor_run(&paths, -1, false);
}

/* Takes opt out of args wherever it stands: "status www --json" works too. */
static bool
has_opt(char **args, const char *opt)
{
	bool found = false;
	char **out = args;

	for (; *args; args++) {
		if (!strcmp(*args, opt))
			found = true;
		else
			*out++ = *args;
	}
	*out = NULL;
	return found;
}

static char *
join(const char *cmd, char **names)
{
	size_t len = strlen(cmd) + 1;
	char *s;

	for (char **n = names; *n; n++)
		len += strlen(*n) + 1;
	if (!(s = malloc(len)))
		return NULL;
	strcpy(s, cmd);
	for (char **n = names; *n; n++) {
		strcat(s, " ");
		strcat(s, *n);
	}
	return s;
}

static bool
bad_names(char **names)
{
	for (; *names; names++)
		if (!**names || strpbrk(*names, " \t\n/") || (*names)[0] == '-') {
			log_err("'%s' is not an instance name", *names);
			return true;
		}
	return false;
}

/* "ok: a b c" gives the names acted on; an error is printed.  Exit code. */
static int
action_reply(char *reply, char ***acted)
{
	if (!reply) {
		int e = errno;
		log_err("%s: %s", sock_path, strerror(e));
		return no_supervisor(e) ? EX_NOT_RUNNING_ACTION : EX_FAIL;
	}
	reply[strcspn(reply, "\n")] = '\0';
	if (strncmp(reply, "ok", 2)) {
		fprintf(stderr, "syncctl: %s\n", !strncmp(reply, "error: ", 7) ? reply + 7 : reply);
		int rc = strstr(reply, "unknown instance") ? EX_NOT_CONFIGURED : EX_FAIL;
		free(reply);
		return rc;
	}
	*acted = strv_split(reply[2] == ':' ? reply + 3 : "");
	free(reply);
	return *acted ? EX_OK : EX_FAIL;
}

enum goal { GOAL_RUNNING, GOAL_STOPPED };

/* Polls until every name reached the goal: running (with a pid other than
 * old_pids[i], for a restart) or stopped. */
static int
wait_for(char **names, enum goal goal, const int *old_pids)
{
	uint64_t deadline = now_ms() + (goal == GOAL_RUNNING ? START_WAIT_MS : STOP_WAIT_MS);
	size_t n = 0, left;
	int rc = EX_OK;

	while (names[n])
		n++;
	bool *done = calloc(n + 1, sizeof *done);
	if (!done)
		return EX_FAIL;
	for (left = n; left;) {
		struct status st;
		if (get_status(&st) < 0) {
			rc = EX_FAIL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (done[i])
				continue;
			struct row *r = status_find(&st, names[i]);
			const char *s = r ? r->state : "stopped";
			bool ok = false, bad = false;
			if (r && r->outside) {
				ok = goal == GOAL_RUNNING;
				bad = !ok;
				say_outside(r, ok ? old_pids ? "restart" : "start" : "stop");
			} else {
				if (goal == GOAL_STOPPED) {
					ok = !strcmp(s, "stopped") || !strcmp(s, "failed");
				} else {
					ok = !strcmp(s, "running") && (!old_pids || r->pid != old_pids[i]);
					bad = !strcmp(s, "failed") || !strcmp(s, "backoff") ||
					    !strcmp(s, "stopped");
				}
				if (ok)
					printf("%s: %s\n", names[i], s);
				else if (bad)
					fprintf(stderr, "syncctl: %s: %s: %s\n", names[i], s, r && *r->error ?
					    r->error : r && *r->last_exit ? r->last_exit : "not started");
			}
			if (bad)
				rc = EX_FAIL;
			if (ok || bad) {
				done[i] = true;
				left--;
			}
		}
		status_free(&st);
		if (left && now_ms() >= deadline) {
			for (size_t i = 0; i < n; i++)
				if (!done[i])
					fprintf(stderr, "syncctl: %s: still not %s; stopped waiting\n", names[i],
					    goal == GOAL_RUNNING ? "running" : "stopped");
			rc = EX_FAIL;
			break;
		}
		if (left)
			usleep(POLL_MS * 1000);
	}
	free(done);
	return rc;
}

static int
cmd_action(const char *cmd, char **args)
{
	bool noblock = has_opt(args, "--no-block");
	bool stop = !strcmp(cmd, "stop"), restart = !strcmp(cmd, "restart");
	struct status before = { 0 };
	char **acted = NULL, *req, *reply;
	int rc, outside_rc = EX_OK;

	if (bad_names(args))
		return EX_USAGE;
	if ((restart || *args) && get_status(&before) < 0)
		memset(&before, 0, sizeof before);
	/* Those named that run outside syncctl: said here, not asked for (and
	 * no supervisor started for them alone). */
	if (*args) {
		char **out = args;
		for (char **a = args; *a; a++) {
			struct row *r = status_find(&before, *a);
			if (!r || !r->outside) {
				*out++ = *a;
				continue;
			}
			say_outside(r, cmd);
			if (stop)
				outside_rc = EX_FAIL;
		}
		*out = NULL;
		if (!*args) {
			status_free(&before);
			return outside_rc;
		}
	}
	if (!(req = join(cmd, args))) {
		status_free(&before);
		return EX_FAIL;
	}
	reply = ask(req);
	if (!reply && no_supervisor(errno)) {
		if (stop) {
			printf("no supervisor is running: nothing to stop\n");
			free(req);
			status_free(&before);
			return outside_rc;
		}
		fprintf(stderr, "syncctl: no supervisor is running: starting one (log: %s/syncctl.log)\n",
		    paths.state_dir);
		daemonize(true);	/* if another one won the race, it answers below */
		reply = ask(req);
	}
	free(req);
	rc = action_reply(reply, &acted);
	if (rc == EX_OK && !*acted) {
		printf("nothing to %s\n", cmd);
	} else if (rc == EX_OK && !noblock) {
		size_t n = 0;
		while (acted[n])
			n++;
		int *old = restart ? calloc(n + 1, sizeof *old) : NULL;
		for (size_t i = 0; old && i < n; i++) {
			struct row *r = status_find(&before, acted[i]);
			old[i] = r ? r->pid : 0;
		}
		rc = wait_for(acted, stop ? GOAL_STOPPED : GOAL_RUNNING, old);
		free(old);
	}
	status_free(&before);
	strv_free(acted);
	return rc == EX_OK ? outside_rc : rc;
}

static int
cmd_status(char **args)
{
	bool json = has_opt(args, "--json");
	struct status st;
	int rc = EX_OK;

	if (bad_names(args))
		return EX_USAGE;
	if (get_status(&st) < 0)
		return EX_UNKNOWN_STATUS;
	for (char **n = args; *n; n++)
		if (!status_find(&st, *n)) {
			fprintf(stderr, "syncctl: unknown instance '%s' (no %s/%s.ini)\n", *n, instances_dir, *n);
			rc = EX_UNKNOWN_STATUS;
		}
	if (json)
		show_json(&st, args, paths.runtime_dir, stdout);
	else
		show_table(&st, args, paths.runtime_dir, stdout);
	if (rc == EX_OK) {
		/* Without a supervisor, all is down unless workers run outside it. */
		bool running = false;
		for (size_t i = 0; i < st.n; i++)
			running |= st.rows[i].outside;
		if (!st.supervisor && !running)
			rc = EX_NOT_RUNNING;
		for (size_t i = 0; i < st.n; i++) {
			const struct row *r = &st.rows[i];
			bool named = false;
			for (char **n = args; *n; n++)
				named |= !strcmp(*n, r->name);
			/* Named: it must run.  All: none may be down against our will. */
			if (*args ? named && strcmp(r->state, "running") :
			    !strcmp(r->state, "failed") || !strcmp(r->state, "backoff"))
				rc = EX_NOT_RUNNING;
		}
	}
	status_free(&st);
	return rc;
}

/* The supervisor's metrics and those of every worker that answers, ours or
 * not (syncd@NAME). */
static int
cmd_metrics(char **args)
{
	struct status st;
	char *own = NULL, *reply = NULL;
	size_t len = 0, n = 0;

	if (*args) {
		usage(stderr);
		return EX_USAGE;
	}
	if (get_status(&st) < 0)
		return EX_FAIL;
	char **names = calloc(st.n + 1, sizeof *names);
	if (st.supervisor && (!(reply = ask("metrics")) || strncmp(reply, "# ", 2))) {
		log_err("%s: unexpected answer to metrics: %s", sock_path, reply ? reply : strerror(errno));
		free(reply);
		free(names);
		status_free(&st);
		return EX_FAIL;
	}
	if (!reply) {
		FILE *m = open_memstream(&own, &len);
		if (m) {
			metrics_own(NULL, m);
			fclose(m);
		}
	}
	for (size_t i = 0; names && i < st.n; i++)
		if (st.rows[i].pid)
			names[n++] = st.rows[i].name;
	metrics_write(stdout, reply ? reply : own ? own : "", names, paths.runtime_dir);
	free(names);
	free(reply);
	free(own);
	status_free(&st);
	return fflush(stdout) == 0 ? EX_OK : EX_FAIL;
}

static int
cmd_list(char **args)
{
	struct status st;

	if (*args) {
		log_err("list takes no arguments");
		return EX_USAGE;
	}
	if (get_status(&st) < 0)
		return EX_FAIL;
	for (size_t i = 0; i < st.n; i++)
		printf("%s %s %s\n", st.rows[i].name, st.rows[i].state, st.rows[i].file);
	status_free(&st);
	return EX_OK;
}

static int
cmd_reload(char **args)
{
	char *reply;

	if (*args) {
		log_err("reload takes no arguments");
		return EX_USAGE;
	}
	reply = ask("reload");
	if (!reply) {
		int e = errno;
		log_err("%s: %s", sock_path, strerror(e));
		return no_supervisor(e) ? EX_NOT_RUNNING_ACTION : EX_FAIL;
	}
	fputs(!strncmp(reply, "ok: ", 4) ? reply + 4 : reply, stdout);
	int rc = strncmp(reply, "ok", 2) ? EX_FAIL : EX_OK;
	free(reply);
	return rc;
}

/* The instances a worker command is for: those named, else every one that
 * runs (every file when no supervisor runs: systemd may run them).  NULL
 * on error; a vector other than args is the caller's to free. */
static char **
worker_names(char **args)
{
	struct status st;
	struct strv all = { 0 };

	if (*args)
		return args;
	if (get_status(&st) < 0)
		return NULL;
	for (size_t i = 0; i < st.n; i++)
		if (!st.supervisor || st.rows[i].pid)
			strv_add(&all, st.rows[i].name);
	status_free(&st);
	return strv_steal(&all);
}

/* NAME's worker's answer to req, on its own socket; NULL after saying why
 * on stderr, with *code the exit status for it: unknown instance, not
 * running, or another failure. */
static char *
ask_worker(const char *name, const char *req, int timeout_ms, int *code)
{
	char *sock, *file, *reply;

	*code = EX_FAIL;
	if (asprintf(&sock, "%s/%s.sock", paths.runtime_dir, name) < 0)
		return NULL;
	if (asprintf(&file, "%s/%s.ini", instances_dir, name) < 0) {
		free(sock);
		return NULL;
	}
	reply = ctl_request(sock, req, timeout_ms);
	if (!reply) {
		int e = errno;
		if (no_supervisor(e) && access(file, F_OK) < 0) {
			fprintf(stderr, "syncctl: unknown instance '%s' (no %s)\n", name, file);
			*code = EX_NOT_CONFIGURED;
		} else if (no_supervisor(e)) {
			fprintf(stderr, "syncctl: %s: not running\n", name);
			*code = EX_NOT_RUNNING_ACTION;
		} else {
			fprintf(stderr, "syncctl: %s: %s: %s\n", name, sock, strerror(e));
		}
	}
	free(sock);
	free(file);
	return reply;
}

/* resync, pause, resume: straight to each worker's own socket, so they also
 * work for workers that systemd runs. */
static int
cmd_worker(const char *cmd, char **args)
{
	char **names;
	int rc = EX_OK, code;

	if (bad_names(args))
		return EX_USAGE;
	if (!(names = worker_names(args)))
		return EX_FAIL;
	if (!*names)
		printf("no instance is running\n");
	for (char **n = names; *n; n++) {
		char *reply = ask_worker(*n, cmd, REQUEST_TIMEOUT_MS, &code);
		if (!reply) {
			if (rc == EX_OK || code == EX_FAIL)
				rc = code;
			continue;
		}
		reply[strcspn(reply, "\n")] = '\0';
		printf("%s: %s\n", *n, reply);
		if (strncmp(reply, "ok", 2))
			rc = EX_FAIL;
		free(reply);
	}
	if (names != args)
		strv_free(names);
	return rc;
}

/* The milliseconds to wait on a worker's socket for a request it answers by
 * timeout_ms at the latest: a little longer. */
static int
answer_wait(uint64_t timeout_ms)
{
	uint64_t wait = timeout_ms + ANSWER_MARGIN_MS;
	return wait < INT_MAX ? (int)wait : INT_MAX;
}

/* The instances a worker command that waits (verify, flush) is for, after
 * taking its --timeout T (or --timeout=T, above 0) out of args into
 * *timeout.  NULL with *code the exit status after saying why; a vector
 * other than args is the caller's to free. */
static char **
timed_names(const char *cmd, char **args, uint64_t *timeout, int *code)
{
	char **out = args;
	const char *why;

	*code = EX_USAGE;
	for (char **a = args; *a; a++) {
		const char *t = !strncmp(*a, "--timeout=", 10) ? *a + 10 : NULL;
		if (!strcmp(*a, "--timeout")) {
			if (!(t = a[1])) {
				log_err("%s: --timeout needs a duration", cmd);
				return NULL;
			}
			a++;
		}
		if (!t) {
			*out++ = *a;
		} else if (duration_parse(t, timeout, &why) < 0 || !*timeout) {
			log_err("%s: --timeout %s: %s", cmd, t, *timeout ? why : "must not be 0");
			return NULL;
		}
	}
	*out = NULL;
	if (bad_names(args))
		return NULL;
	*code = EX_FAIL;
	return worker_names(args);
}

/* verify [--json] [--timeout T] [NAME...]: one instance after the other, so
 * their checksum reads do not compete for the disk. */
static int
cmd_verify(char **args)
{
	bool json = has_opt(args, "--json"), drift = false, unknown = false, failed = false;
	uint64_t timeout = VERIFY_TIMEOUT_MS;
	char **names, req[64];
	const char *sep = "";
	int code;

	if (!(names = timed_names("verify", args, &timeout, &code)))
		return code;
	snprintf(req, sizeof req, "verify --timeout %llums%s", (unsigned long long)timeout,
	    json ? " --json" : "");
	if (json)
		fputs("{\"instances\":[", stdout);
	else if (!*names)
		printf("no instance is running\n");
	for (char **n = names; *n; n++, sep = ",") {
		char *reply = ask_worker(*n, req, answer_wait(timeout), &code);
		const char *result = "failed";
		if (!reply) {
			unknown |= code == EX_NOT_CONFIGURED;
			failed |= code != EX_NOT_CONFIGURED;
		} else if (json) {
			char *r = strstr(reply, "\"result\":\"");
			if (reply[0] == '{' && r)
				result = !strncmp(r + 10, "ok\"", 3) ? "ok" : !strncmp(r + 10, "drift\"", 6) ?
				    "drift" : "failed";
		} else {
			result = !strncmp(reply, "ok", 2) ? "ok" : !strncmp(reply, "drift", 5) ? "drift" :
			    "failed";
		}
		drift |= !strcmp(result, "drift");
		failed |= reply && !strcmp(result, "failed");
		if (json) {
			printf("%s{\"name\":", sep);
			json_str(stdout, *n);
			printf(",\"result\":\"%s\",\"worker\":", result);
			size_t len = reply ? strlen(reply) : 0;
			while (len && reply[len - 1] == '\n')
				reply[--len] = '\0';
			if (reply && reply[0] == '{') {
				fputs(reply, stdout);
			} else {
				fputs("null,\"error\":", stdout);
				json_str(stdout, !reply ? code == EX_NOT_CONFIGURED ? "unknown instance" :
				    code == EX_NOT_RUNNING_ACTION ? "not running" : "no answer" :
				    !strncmp(reply, "error: ", 7) ? reply + 7 : reply);
			}
			fputc('}', stdout);
		} else if (reply) {
			/* The worker's first line after the name, the rest indented. */
			char *save = NULL;
			for (char *l = strtok_r(reply, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
				if (l == reply)
					printf("%s: %s\n", *n, l);
				else
					printf("  %s\n", l);
			}
		}
		free(reply);
	}
	if (json)
		printf("],\"result\":\"%s\"}\n", drift ? "drift" : unknown || failed ? "failed" : "ok");
	if (names != args)
		strv_free(names);
	return drift ? EX_DRIFT : unknown ? EX_NOT_CONFIGURED : failed ? EX_UNKNOWN_STATUS : EX_OK;
}

/* flush [--timeout T] [NAME...]: the deploy barrier.  One instance after the
 * other: each gets T, and what was changed before the command is on the
 * mirrors of those that answer ok.  Exit 1 (a remote did not get there in
 * time, or no answer) before 6 (unknown instance) before 7 (not running). */
static int
cmd_flush(char **args)
{
	bool late = false, unknown = false, down = false;
	uint64_t timeout = FLUSH_TIMEOUT_MS;
	char **names, req[64];
	int code;

	if (!(names = timed_names("flush", args, &timeout, &code)))
		return code;
	snprintf(req, sizeof req, "flush %llums", (unsigned long long)timeout);
	if (!*names)
		printf("no instance is running\n");
	for (char **n = names; *n; n++) {
		char *reply = ask_worker(*n, req, answer_wait(timeout), &code);
		if (!reply) {
			unknown |= code == EX_NOT_CONFIGURED;
			down |= code == EX_NOT_RUNNING_ACTION;
			late |= code == EX_FAIL;
			continue;
		}
		reply[strcspn(reply, "\n")] = '\0';
		printf("%s: %s\n", *n, reply);
		fflush(stdout);	/* a line as each instance answers, even into a pipe */
		late |= strncmp(reply, "ok", 2) != 0;
		free(reply);
	}
	if (names != args)
		strv_free(names);
	return late ? EX_FAIL : unknown ? EX_NOT_CONFIGURED : down ? EX_NOT_RUNNING_ACTION : EX_OK;
}

/* Validates without starting anything, as the supervisor would before a start
 * and the worker at its start. */
static int
cmd_check(char **args)
{
	char **names = args, **all = NULL;
	int rc = EX_OK;

	if (!*args) {
		names = all = instance_scan(instances_dir);
		if (!names)
			return EX_FAIL;
		if (!*names)
			printf("no instance files in %s\n", instances_dir);
	}
	for (char **n = names; *n; n++) {
		char *file;
		struct config cfg;
		size_t len = strlen(*n);
		if (strchr(*n, '/') || (len > 4 && !strcmp(*n + len - 4, ".ini")))
			file = strdup(*n);
		else if (asprintf(&file, "%s/%s.ini", instances_dir, *n) < 0)
			file = NULL;
		if (!file)
			return EX_FAIL;
		/* Every problem of the file in one run, as syncd --check. */
		int errors = config_load_all(file, &cfg);
		if (errors < 0) {
			rc = EX_FAIL;
		} else {
			config_warn_private_tmp(&cfg);
			if ((cfg.source && config_check_source(&cfg) != 0) || errors)
				rc = EX_FAIL;
			else
				printf("%s: ok (instance %s)\n", file, cfg.name);
			config_free(&cfg);
		}
		free(file);
	}
	strv_free(all);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, 'c' },
		{ "runtime-dir", required_argument, NULL, 'r' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "syncd", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *config_dir = env_or("SYNCD_CONFIG_DIR", "/etc/syncd");
	const char *runtime_dir = env_or("SYNCD_RUNTIME_DIR", "/run/syncd");
	const char *state_dir = env_or("SYNCD_STATE_DIR", "/var/lib/syncd");
	const char *syncd = getenv("SYNCD_BIN");
	int o;

	/* "+": options end at the command; its own come after it. */
	while ((o = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (o) {
		case 'c': config_dir = optarg; break;
		case 'r': runtime_dir = optarg; break;
		case 's': state_dir = optarg; break;
		case 'x': syncd = optarg; break;
		case 'h': usage(stdout); return EX_OK;
		case 'V': printf("syncctl %s\n", SYNCD_VERSION); return EX_OK;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	log_init("syncctl", 0);
	log_plain();
	paths.config_dir = absolute(config_dir);
	paths.runtime_dir = absolute(runtime_dir);
	paths.state_dir = absolute(state_dir);
	paths.syncd = syncd && *syncd ? absolute(syncd) : find_syncd();
	if (asprintf(&sock_path, "%s/syncctl.sock", paths.runtime_dir) < 0 ||
	    asprintf(&instances_dir, "%s/instances.d", paths.config_dir) < 0)
		return EX_FAIL;

	const char *cmd = argv[optind];
	char **args = argv + optind + 1;
	if (!strcmp(cmd, "daemon"))
		return cmd_daemon(args);
	if (!strcmp(cmd, "start") || !strcmp(cmd, "stop") || !strcmp(cmd, "restart"))
		return cmd_action(cmd, args);
	if (!strcmp(cmd, "status"))
		return cmd_status(args);
	if (!strcmp(cmd, "list"))
		return cmd_list(args);
	if (!strcmp(cmd, "metrics"))
		return cmd_metrics(args);
	if (!strcmp(cmd, "reload"))
		return cmd_reload(args);
	if (!strcmp(cmd, "resync") || !strcmp(cmd, "pause") || !strcmp(cmd, "resume"))
		return cmd_worker(cmd, args);
	if (!strcmp(cmd, "verify"))
		return cmd_verify(args);
	if (!strcmp(cmd, "flush"))
		return cmd_flush(args);
	if (!strcmp(cmd, "check"))
		return cmd_check(args);
	if (!strcmp(cmd, "import-sersync"))
		return import_sersync_cmd(args, paths.state_dir, paths.config_dir);
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return EX_OK;
	}
	log_err("unknown command '%s'", cmd);
	usage(stderr);
	return EX_USAGE;
}
