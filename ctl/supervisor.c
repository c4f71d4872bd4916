/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "fsutil.h"
#include "instance.h"
#include "lineserver.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "notify.h"
#include "sdnotify.h"
#include "strv.h"

static struct instance *
find(struct supervisor *sv, const char *name)
{
	for (struct instance *in = sv->instances; in; in = in->next)
		if (!strcmp(in->name, name) && !in->removed)
			return in;
	return NULL;
}

static void
insert(struct supervisor *sv, struct instance *in)
{
	struct instance **pp = &sv->instances;

	while (*pp && strcmp((*pp)->name, in->name) < 0)
		pp = &(*pp)->next;
	in->next = *pp;
	*pp = in;
	in->exit_code = -1;
	in->seen = in->pol.state;
	in->state_since = now_ms();
}

static void
forget(struct supervisor *sv, struct instance *in)
{
	for (struct instance **pp = &sv->instances; *pp; pp = &(*pp)->next)
		if (*pp == in) {
			*pp = in->next;
			break;
		}
	log_info("%s: removed", in->name);
	instance_free(in);
}

void
supervisor_changed(struct supervisor *sv)
{
	unsigned n[IS_N] = { 0 };
	char status[128];

	for (struct instance *in = sv->instances; in; in = in->next) {
		n[in->pol.state]++;
		if (in->seen != in->pol.state) {
			in->seen = in->pol.state;
			in->state_since = now_ms();
		}
	}
	snprintf(status, sizeof status, "STATUS=%u running, %u starting, %u backoff, %u failed, %u stopped",
	    n[IS_RUNNING], n[IS_STARTING], n[IS_BACKOFF], n[IS_FAILED], n[IS_STOPPED]);
	if (strcmp(status, sv->status)) {
		memcpy(sv->status, status, sizeof status);
		sdnotify_send(status);
	}
	if (sv->stopping) {
		for (struct instance *in = sv->instances; in; in = in->next)
			if (instance_active(in))
				return;
		sv->loop.stop = true;
	}
}

/* An instance file named on its own: NULL if there is none. */
static struct instance *
add_instance(struct supervisor *sv, const char *name)
{
	char *file;
	struct instance *in;

	if (asprintf(&file, "%s/%s.ini", sv->instances_dir, name) < 0)
		return NULL;
	if (access(file, F_OK) < 0 || !(in = instance_new(sv, name, file))) {
		free(file);
		return NULL;
	}
	free(file);
	insert(sv, in);
	if (!instance_load(in))
		instance_invalid(in);
	return in;
}

static bool
listed(char **names, const char *name)
{
	for (; names && *names; names++)
		if (!strcmp(*names, name))
			return true;
	return false;
}

/* New files are started, removed ones stopped and forgotten, changed ones
 * restarted; the rest is left alone. */
/* What was not applied because its file is invalid: one more name, the
 * first error in full. */
static void
not_applied(char *buf, size_t len, const char *name, const char *why)
{
	size_t o = strlen(buf);

	if (!o)
		snprintf(buf, len, "; not applied (invalid): %s (%s)", name, why);
	else if (o < len)
		snprintf(buf + o, len - o, ", %s", name);
}

/* Returns how many instance files were not applied because they do not
 * parse: a running worker would restart into such a file and stay down,
 * so it keeps what it runs (as nginx -s reload keeps the old
 * configuration), and the next reload looks again. */
static unsigned
reload(struct supervisor *sv, char *summary, size_t len)
{
	char **names = instance_scan(sv->instances_dir);
	unsigned added = 0, removed = 0, changed = 0, same = 0, invalid = 0;
	char bad[768] = "", err[sizeof ((struct instance *)0)->error];

	for (struct instance *in = sv->instances, *next; in; in = next) {
		next = in->next;
		if (in->removed || listed(names, in->name))
			continue;
		removed++;
		in->removed = true;
		instance_stop(in);
		if (!instance_active(in))
			forget(sv, in);
	}
	for (char **n = names; n && *n; n++) {
		struct instance *in = find(sv, *n);
		if (!in) {
			if (!(in = add_instance(sv, *n)))
				continue;
			added++;
			log_info("%s: new instance", in->name);
			if (in->pol.state == IS_FAILED) {
				invalid++;
				not_applied(bad, sizeof bad, in->name, in->error);
			} else if (in->sup.autostart && !sv->on_demand) {
				instance_start(in);
			}
		} else if (!instance_changed(in)) {
			same++;
		} else if (!instance_file_valid(in, err, sizeof err)) {
			invalid++;
			log_err("%s: %s: not applied; the instance keeps the configuration it runs with",
			    in->name, err);
			not_applied(bad, sizeof bad, in->name, err);
		} else {
			changed++;
			if (in->pol.state == IS_STOPPED && !in->pol.want) {
				log_info("%s: file changed; stays stopped", in->name);
				instance_load(in);
			} else {
				log_info("%s: file changed: restarting", in->name);
				instance_restart(in);
			}
		}
	}
	strv_free(names);
	snprintf(summary, len, "%u new, %u removed, %u changed, %u unchanged%s", added, removed,
	    changed, same, bad);
	supervisor_changed(sv);
	return invalid;
}

static void
stop_all(struct supervisor *sv)
{
	if (!sv->stopping)
		log_info("stopping every instance");
	sv->stopping = true;
	sdnotify_send("STOPPING=1");
	for (struct instance *in = sv->instances; in; in = in->next)
		instance_stop(in);
	supervisor_changed(sv);
}

static void
reap(struct supervisor *sv)
{
	siginfo_t si;

	notify_drain(sv->notify);
	for (;;) {
		/* Seen, not reaped yet: instance_exited() reaps it. */
		si.si_pid = 0;
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || !si.si_pid)
			break;
		struct instance *in = sv->instances;
		while (in && in->pol.pid != si.si_pid)
			in = in->next;
		if (!in) {
			/* a metrics scrape's child (metrics_http.c) */
			if (waitpid(si.si_pid, NULL, 0) > 0 && sv->scrapes)
				sv->scrapes--;
			continue;
		}
		in->exit_code = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
		if (in->pol.abort_reason && strstr(in->pol.abort_reason, "watchdog"))
			in->watchdog_kills++;
		instance_exited(in);
		if (in->removed && !instance_active(in))
			forget(sv, in);
	}
	supervisor_changed(sv);
}

static void
on_signal(void *ctx, uint32_t events)
{
	struct supervisor *sv = ctx;
	struct signalfd_siginfo si;
	char summary[1024];

	(void)events;
	while (read(sv->sigfd, &si, sizeof si) == sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(sv);
			break;
		case SIGHUP:
			if (sv->stopping)
				break;
			reload(sv, summary, sizeof summary);
			log_info("reload (SIGHUP): %s", summary);
			break;
		case SIGTERM:
		case SIGINT:
			stop_all(sv);
			break;
		}
	}
}

static void
on_notify(void *ctx, pid_t pid, char *msg)
{
	struct supervisor *sv = ctx;

	for (struct instance *in = sv->instances; in; in = in->next)
		if (in->pol.pid == pid) {
			instance_notify(in, msg);
			return;
		}
	/* Only a worker's main process speaks for it (NotifyAccess=main). */
	log_debug("notify message from pid %d ignored: not a worker", (int)pid);
}

static void
on_watchdog(void *ctx)
{
	struct supervisor *sv = ctx;
	uint64_t usec = sdnotify_watchdog_usec();

	sdnotify_send("WATCHDOG=1");
	if (usec > 0)
		timer_arm(&sv->watchdog, usec / 2000);
}

/* ---- the control socket ---- */

static void
put_field(FILE *f, const char *s, bool last)
{
	for (; *s; s++)
		fputc(*s == '\t' || *s == '\n' ? ' ' : *s, f);
	fputc(last ? '\n' : '\t', f);
}

/* One line per instance, tab-separated: name state pid uptime_ms restarts
 * last_exit status error file autostart next_restart_ms. */
static void
write_status(void *ctx, FILE *f)
{
	struct supervisor *sv = ctx;
	uint64_t now = now_ms();

	fprintf(f, "ok %d\n", (int)getpid());
	for (struct instance *in = sv->instances; in; in = in->next) {
		put_field(f, in->name, false);
		put_field(f, policy_state_name(in->pol.state), false);
		fprintf(f, "%d\t%llu\t%u\t", (int)in->pol.pid,
		    (unsigned long long)(in->pol.pid ? now - in->pol.spawned : 0), in->pol.restarts);
		put_field(f, in->last_exit, false);
		put_field(f, in->status, false);
		put_field(f, in->pol.state == IS_RUNNING || in->pol.state == IS_STOPPED ? "" : in->error, false);
		put_field(f, in->file, false);
		fprintf(f, "%s\t%llu\n", in->sup.autostart ? "yes" : "no",
		    (unsigned long long)(in->pol.state == IS_BACKOFF && in->timer.due > now ? in->timer.due - now : 0));
	}
}

static void
write_metrics(void *ctx, FILE *f)
{
	metrics_own(ctx, f);
}

enum action { ACT_START, ACT_STOP, ACT_RESTART };

static void
act(struct supervisor *sv, struct lsclient *cl, enum action a, char **args)
{
	char done[LINESERVER_REQUEST_MAX + 64] = "ok:";
	size_t o = 3;

	if (sv->stopping && a != ACT_STOP) {
		lsclient_replyf(cl, "error: the supervisor is stopping\n");
		return;
	}
	for (char **n = args; *n; n++)
		if (!find(sv, *n) && !add_instance(sv, *n)) {
			char q[128];
			lsclient_replyf(cl, "error: unknown instance '%s' (no %s/%s.ini)\n",
			    log_quote(*n, q, sizeof q), sv->instances_dir, log_quote(*n, q, sizeof q));
			return;
		}
	for (struct instance *in = sv->instances; in; in = in->next) {
		if (in->removed)
			continue;
		if (*args ? !listed(args, in->name) :
		    a == ACT_START ? in->loaded && !in->sup.autostart && in->pol.state != IS_FAILED :
		    a == ACT_RESTART ? in->pol.state == IS_STOPPED : false)
			continue;
		if (a == ACT_START)
			instance_start(in);
		else if (a == ACT_STOP)
			instance_stop(in);
		else
			instance_restart(in);
		o += (size_t)snprintf(done + o, sizeof done - o, " %s", in->name);
		if (o >= sizeof done)
			o = sizeof done - 1;
	}
	supervisor_changed(sv);
	lsclient_replyf(cl, "%s\n", done);
	/* Nobody else would end a supervisor that "syncctl start" left behind. */
	if (a == ACT_STOP && !*args && sv->on_demand)
		stop_all(sv);
}

/* A supervisor run as a service (syncctl daemon, syncctl.service) asks us
 * to make way: one that "syncctl start" left in the background does, and
 * says which instances it ran so that they run on there.  Its workers
 * stop first (they end with us anyway: PDEATHSIG). */
static void
hand_over(struct supervisor *sv, struct lsclient *cl)
{
	char names[LINESERVER_REQUEST_MAX] = "ok";
	size_t o = 2;

	if (!sv->on_demand) {
		lsclient_replyf(cl, "error: this supervisor (pid %d) runs as a service (syncctl daemon); "
		    "it is not handed over\n", (int)getpid());
		return;
	}
	for (struct instance *in = sv->instances; in; in = in->next)
		if (in->pol.want && !in->removed && o < sizeof names)
			o += (size_t)snprintf(names + o, sizeof names - o, " %s", in->name);
	if (o >= sizeof names)
		o = sizeof names - 1;
	names[o] = '\0';
	lsclient_replyf(cl, "%s\n", names);
	log_info("handing over to a syncctl daemon: stopping every instance");
	stop_all(sv);
}

static void
handle_request(void *ctx, struct lsclient *cl, char *line)
{
	struct supervisor *sv = ctx;
	char **w = strv_split(line);
	char summary[1024];

	if (!w) {
		lsclient_replyf(cl, "error: out of memory\n");
		return;
	}
	const char *cmd = w[0] ? w[0] : "";
	if (!strcmp(cmd, "status") && !w[1])
		lsclient_reply_with(cl, write_status, sv);
	else if (!strcmp(cmd, "metrics") && !w[1])
		lsclient_reply_with(cl, write_metrics, sv);
	else if (!strcmp(cmd, "start"))
		act(sv, cl, ACT_START, w + 1);
	else if (!strcmp(cmd, "stop"))
		act(sv, cl, ACT_STOP, w + 1);
	else if (!strcmp(cmd, "restart"))
		act(sv, cl, ACT_RESTART, w + 1);
	else if (!strcmp(cmd, "reload") && !w[1]) {
		if (sv->stopping)
			lsclient_replyf(cl, "error: the supervisor is stopping\n");
		else {
			bool ok = reload(sv, summary, sizeof summary) == 0;
			log_info("reload: %s", summary);
			lsclient_replyf(cl, "%s: %s\n", ok ? "ok" : "error", summary);
		}
	} else if (!strcmp(cmd, "handover") && !w[1])
		hand_over(sv, cl);
	else if (!strcmp(cmd, "help") && !w[1])
		lsclient_replyf(cl, "ok\nstatus\nmetrics\nstart [NAME...]\nstop [NAME...]\nrestart [NAME...]\n"
		    "reload\nhandover\nhelp\n");
	else {
		char q[128];
		lsclient_replyf(cl, "error: unknown command '%s' (known: status, metrics, start, stop, restart, "
		    "reload, handover, help)\n", log_quote(line, q, sizeof q));
	}
	strv_free(w);
}

static void
never_held(void *ctx, struct lsclient *cl)
{
	(void)ctx;
	lsclient_replyf(cl, "error: timeout\n");
}

static const struct lineserver_ops control_ops = { handle_request, never_held, NULL };

/* One supervisor per runtime directory: a flock on RUNTIME/syncctl.pid.
 * The lock's fd, -1 on an error, or -2 when another holds it (holder: its
 * pid, as it wrote it). */
static int
lock_pidfile(const char *path, char *holder, size_t len)
{
	char buf[32];
	struct stat a, b;
	int fd;

	for (;;) {
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
			log_err("%s: %s", path, strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			ssize_t n = pread(fd, holder, len - 1, 0);
			holder[n > 0 ? n : 0] = '\0';
			holder[strcspn(holder, "\n")] = '\0';
			close(fd);
			return -2;
		}
		/* The one we opened may be the file a supervisor on its way out
		 * has just removed (it removes it, then unlocks): a lock on that
		 * would not keep the next one out. */
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			break;
		close(fd);
	}
	int n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn("%s: %s", path, strerror(errno));
	return fd;
}

/* How long a supervisor run as a service waits for a background one to
 * stop its workers (each within its stop_timeout, 15 s by default) and go:
 * within systemd's default TimeoutStartSec=90s. */
#define TAKEOVER_WAIT_MS 60000

/* The lock, for a supervisor that may take over from a background one
 * (not on_demand): asks it to hand over, then waits for the lock.  *names
 * gets the instances it ran.  A service supervisor already there is never
 * displaced: -3, said once, and the caller exits with SUPERVISOR_EXIT_OTHER
 * (which the unit does not restart on: no loop on the lock). */
static int
take_lock(const char *path, const char *sock, bool on_demand, char ***names)
{
	char holder[32] = "", q[64];
	uint64_t deadline = now_ms() + TAKEOVER_WAIT_MS;
	bool asked = false;
	int fd;

	while ((fd = lock_pidfile(path, holder, sizeof holder)) == -2) {
		if (on_demand) {
			/* "syncctl start" lost a race: it asks the winner */
			log_err("another syncctl daemon%s%s%s is running (%s is locked)", *holder ? " (pid " : "",
			    holder, *holder ? ")" : "", path);
			return -1;
		}
		/* No answer: it is still starting (the lock comes before the
		 * socket), or on its way out; the lock will tell. */
		char *reply = asked ? NULL : ctl_request(sock, "handover", 5000);
		if (reply)
			reply[strcspn(reply, "\n")] = '\0';
		if (reply && !strncmp(reply, "ok", 2)) {
			asked = true;
			*names = strv_split(reply + 2);
			log_info("a background syncctl supervisor (pid %s) runs here: it hands over, "
			    "waiting for it to stop its workers", holder);
		} else if (reply) {
			log_err("another syncctl daemon (pid %s) is running as a service; not started (%s)",
			    log_quote(holder, q, sizeof q), reply);
			free(reply);
			return -3;
		}
		free(reply);
		if (now_ms() >= deadline) {
			log_err("%s is still locked by pid %s after %d s%s: not started", path,
			    log_quote(holder, q, sizeof q), TAKEOVER_WAIT_MS / 1000,
			    asked ? " (it was asked to hand over)" : " (it does not answer on its socket)");
			return -1;
		}
		usleep(100 * 1000);
	}
	return fd;
}

/* The instances the supervisor we took over from ran, autostart or not. */
static void
run_on(struct supervisor *sv, char **names)
{
	for (; names && *names; names++) {
		struct instance *in = find(sv, *names);
		if (in && (in->pol.state == IS_STOPPED || in->pol.state == IS_BACKOFF))
			instance_start(in);
	}
}

int
supervisor_run(const struct paths *p, int ready_fd, bool on_demand)
{
	struct supervisor sv = { .paths = p, .sigfd = -1, .on_demand = on_demand, .http_fd = -1 };
	char *sock = NULL, *pidfile = NULL, **handed = NULL, summary[1024];
	sigset_t mask;
	int lockfd = -1, rc = 1;
	uint64_t usec;

	if (make_dirs(p->runtime_dir, 0755) < 0 || make_dirs(p->state_dir, 0750) < 0)
		return 1;
	if (asprintf(&pidfile, "%s/syncctl.pid", p->runtime_dir) < 0 ||
	    asprintf(&sock, "%s/syncctl.sock", p->runtime_dir) < 0)
		goto out;
	if ((lockfd = take_lock(pidfile, sock, on_demand, &handed)) < 0) {
		if (lockfd == -3)
			rc = SUPERVISOR_EXIT_OTHER;
		goto out;
	}
	if (asprintf(&sv.instances_dir, "%s/instances.d", p->config_dir) < 0 ||
	    asprintf(&sv.notify_path, "%s/syncctl.notify", p->runtime_dir) < 0)
		goto out;
	if (loop_init(&sv.loop) < 0)
		goto out;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigdelset(&mask, SIGPIPE);
	sv.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sv.sigfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		goto out;
	}
	if (loop_add(&sv.loop, &sv.sigio, sv.sigfd, EPOLLIN, on_signal, &sv) < 0 ||
	    timer_init(&sv.loop, &sv.watchdog, on_watchdog, &sv) < 0)
		goto out;
	if (!(sv.notify = notify_open(&sv.loop, sv.notify_path, on_notify, &sv)))
		goto out;
	if (!(sv.ctl = lineserver_open(&sv.loop, sock, "another syncctl daemon", &control_ops, &sv)))
		goto out;
	if (metrics_http_open(&sv, p->config_dir) < 0)
		goto out;

	reload(&sv, summary, sizeof summary);
	run_on(&sv, handed);
	log_info("supervising %s: %s%s", sv.instances_dir, summary,
	    on_demand ? " (started by syncctl start: starts what it is asked to; syncctl stop ends it)" : "");
	if ((usec = sdnotify_watchdog_usec()) > 0)
		timer_arm(&sv.watchdog, usec / 2000);
	sdnotify_send("READY=1");
	if (ready_fd >= 0) {
		ssize_t n = write(ready_fd, "", 1);
		(void)n;
		close(ready_fd);
	}
	rc = loop_run(&sv.loop) < 0;
	log_info("every worker has stopped");
out:
	/* A fatal error with workers running: they stop with us (PDEATHSIG). */
	while (sv.instances) {
		struct instance *in = sv.instances;
		sv.instances = in->next;
		instance_free(in);
	}
	lineserver_close(sv.ctl, "error: the supervisor is stopping\n");
	metrics_http_close(&sv);
	notify_close(sv.notify);
	timer_close(&sv.watchdog);
	if (sv.sigfd >= 0)
		close(sv.sigfd);
	if (sv.loop.epfd > 0)
		loop_close(&sv.loop);
	free(sock);
	free(sv.instances_dir);
	free(sv.notify_path);
	if (lockfd >= 0) {
		unlink(pidfile);
		close(lockfd);
	}
	free(pidfile);
	strv_free(handed);
	return rc;
}
