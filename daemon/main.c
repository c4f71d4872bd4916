/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syncd: mirror one directory tree to rsync daemons, ssh hosts and local
 * paths as it changes.  See syncd(8). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "faillog.h"
#include "fsutil.h"
#include "hook.h"
#include "log.h"
#include "connector.h"
#include "rsync_argv.h"
#include "rsync_version.h"
#include "watch.h"
#include "worker.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "Usage: syncd --config FILE [--state-dir DIR] [--runtime-dir DIR] [--check] [-v]\n"
	    "Mirror the directory tree of one instance to its remotes as it changes.\n"
	    "\n"
	    "  -c, --config FILE      the instance's ini file; the instance is named after it\n"
	    "                         (/etc/syncd/instances.d/www.ini is instance www)\n"
	    "      --state-dir DIR    base of the state directories, default /var/lib/syncd\n"
	    "                         ($SYNCD_STATE_DIR); this instance uses DIR/NAME\n"
	    "      --runtime-dir DIR  base of the runtime directory, default /run/syncd\n"
	    "                         ($SYNCD_RUNTIME_DIR)\n"
	    "      --check            validate the configuration and what the worker checks as\n"
	    "                         it starts (the source directory, the rsync binary and its\n"
	    "                         version, the hooks' files, the fail log's directory, the\n"
	    "                         control socket's path in the runtime directory), report\n"
	    "                         every problem, warn about paths under /tmp that the shipped\n"
	    "                         units' PrivateTmp= hides, say whether [source] backend =\n"
	    "                         fanotify can be used, and exit (0 good, 2 bad)\n"
	    "  -v, --verbose          log every event, every rsync command line and what\n"
	    "                         rsync writes (up to 64 KiB a run)\n"
	    "  -h, --help             show this help\n"
	    "  -V, --version          show the version\n"
	    "\n"
	    "Signals: TERM/INT stop (running pushes get 10s), USR1 full sync now.\n"
	    "Configuration keys: syncd.ini(5).  Everything else: syncd(8).\n");
}

/* Each rsync run holds two pipes in the worker, each remote its journal and
 * five timers: past the open file limit, runs fail to start. */
static void
check_fd_limit(const struct config *cfg)
{
	struct rlimit rl;
	/* a full sync and a push in each lane per remote at most */
	unsigned long long runs = cfg->max_parallel < 3 * cfg->nremotes ? cfg->max_parallel :
	    3 * cfg->nremotes;
	unsigned long long need = 2 * runs + 7ull * cfg->nremotes + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
		log_warn("%s: [rsync] max_parallel = %u with %zu remotes may need %llu open files, "
		    "more than the limit of %llu (ulimit -n): lower max_parallel or raise the limit",
		    cfg->file, cfg->max_parallel, cfg->nremotes, need, (unsigned long long)rl.rlim_cur);
}

/* What the worker checks as it starts beyond the file, and so what --check
 * checks: the same calls, or the check would pass what the start refuses.
 * 0, or the exit status: 2 for what the operator must fix, 1 for a source
 * that is not there (yet), which the worker's supervisor retries.  --check
 * runs it on a file with errors too (complete false), so that one run
 * reports every problem. */
static int
check_system(struct config *cfg, const char *sock, bool check, bool complete)
{
	/* An rsync too old is one: the operator has to install another. */
	int rc = rsync_version_check(cfg, check) < 0 ? 2 : 0;
	int src = cfg->source ? config_check_source(cfg) : 0;
	size_t len = strlen(sock), max = sizeof ((struct sockaddr_un *)0)->sun_path - 1;

	check_fd_limit(cfg);
	/* A hook of a file with errors may lack what its check reads. */
	for (size_t i = 0; complete && i < cfg->nhooks; i++)
		if (hook_check(&cfg->hooks[i]) < 0)
			rc = 2;
	if (len > max) {
		log_err("%s: the control socket %s would be a path of %zu bytes, more than the %zu "
		    "a socket may have: give the instance file a shorter name, or the worker a "
		    "shorter --runtime-dir", cfg->file, sock, len, max);
		rc = 2;
	}
	if (check && !src && cfg->source)
		watch_check(cfg);
	/* Asked whether a start would work, --check says 2 for anything wrong. */
	if (check && src)
		src = 2;
	return rc > src ? rc : src;
}

int
main(int argc, char **argv)
{
	/* Run by rsync, with rsync's own words after ours. */
	if (argc > 1 && !strcmp(argv[1], "--rsyncd-connect"))
		return connector_main(argc - 2, argv + 2);
	/* The worker's environment reaches its runs' connectors: what tells
	 * them of a connection opened ahead is the worker's to set. */
	unsetenv(CONNECTOR_FD_VAR);
	unsetenv(CONNECTOR_OPEN_VAR);

	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "runtime-dir", required_argument, NULL, 'r' },
		{ "check", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *file = NULL, *state = getenv("SYNCD_STATE_DIR"), *runtime = getenv("SYNCD_RUNTIME_DIR");
	int check = 0, verbose = 0, o;

	while ((o = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (o) {
		case 'c': file = optarg; break;
		case 's': state = optarg; break;
		case 'r': runtime = optarg; break;
		case 'k': check = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("syncd %s\n", SYNCD_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!file || optind < argc) {
		fprintf(stderr, "syncd: %s\n", !file ? "--config FILE is required" : "unexpected argument");
		usage(stderr);
		return 2;
	}
	log_init("syncd", verbose);
	if (check)
		log_plain();	/* a command's verdict, read by a person */

	struct config cfg;
	char ident[128];	/* the log keeps it */
	int errors = check ? config_load_all(file, &cfg) : config_load(file, &cfg, NULL, 0);
	if (errors < 0)
		return 2;
	if (check)
		config_warn_private_tmp(&cfg);
	if (!check) {
		snprintf(ident, sizeof ident, "syncd[%s]", cfg.name);
		log_init(ident, verbose);
	}
	const char *run_dir = runtime && *runtime ? runtime : "/run/syncd";
	char *state_dir = NULL, *scratch = NULL, *sock = NULL;
	if (asprintf(&state_dir, "%s/%s", state && *state ? state : "/var/lib/syncd", cfg.name) < 0)
		state_dir = NULL;
	if (asprintf(&scratch, "%s/%s", run_dir, cfg.name) < 0)
		scratch = NULL;
	if (asprintf(&sock, "%s/%s.sock", run_dir, cfg.name) < 0)
		sock = NULL;
	int rc = 1;
	if (!state_dir || !scratch || !sock)
		log_err("out of memory");
	else
		rc = check_system(&cfg, sock, check, !errors);
	if (errors)
		rc = 2;
	if (check && !rc)
		printf("%s: configuration of instance %s is valid\n", file, cfg.name);
	if (!check && !rc) {
		/* Read now: a package upgrade may replace the file later. */
		static char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n > 0) {
			self[n] = '\0';
			rsync_argv_set_connector(self);
		} else {
			log_warn("/proc/self/exe: %s; rsync:// pushes connect without the connector "
			    "(a stock daemon makes each wait ~40 ms for a delayed ACK)", strerror(errno));
		}
		rc = 1;
		if (make_dirs(state_dir, 0750) == 0 && make_dirs(run_dir, 0755) == 0 &&
		    make_dirs(scratch, 0700) == 0 && faillog_make_dir(cfg.fail_log) == 0)
			rc = worker_run(&cfg, state_dir, scratch, sock);
	}
	free(state_dir);
	free(scratch);
	free(sock);
	config_free(&cfg);
	return rc;
}
