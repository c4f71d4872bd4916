/* syncd: mirror one directory tree to rsync daemons, ssh hosts and local
 * paths as it changes.  See syncd(8). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "fsutil.h"
#include "log.h"
#include "rsync_version.h"
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
	    "      --check            validate the configuration (and the rsync version) and\n"
	    "                         exit (0 good, 2 bad)\n"
	    "  -v, --verbose          log every event, every rsync command line and what\n"
	    "                         rsync writes (up to 64 KiB a run)\n"
	    "  -h, --help             show this help\n"
	    "  -V, --version          show the version\n"
	    "\n"
	    "Signals: TERM/INT stop (running pushes get 10s), USR1 full sync now.\n"
	    "Configuration keys: syncd.ini(5).  Everything else: syncd(8).\n");
}

int
main(int argc, char **argv)
{
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

	struct config cfg;
	if (config_load(file, &cfg, NULL, 0) < 0)
		return 2;
	if (check) {
		int bad = config_check_source(&cfg) < 0;
		bad |= rsync_version_check(&cfg, true) < 0;
		if (bad) {
			config_free(&cfg);
			return 2;
		}
		printf("%s: configuration of instance %s is valid\n", file, cfg.name);
		config_free(&cfg);
		return 0;
	}
	char ident[128];
	snprintf(ident, sizeof ident, "syncd[%s]", cfg.name);
	log_init(ident, verbose);
	/* An rsync too old is one: the operator has to install another. */
	if (rsync_version_check(&cfg, false) < 0) {
		config_free(&cfg);
		return 2;
	}
	/* A missing source is worth retrying (a late mount): not a config error. */
	if (config_check_source(&cfg) < 0) {
		config_free(&cfg);
		return 1;
	}

	char *state_dir = NULL;
	if (asprintf(&state_dir, "%s/%s", state && *state ? state : "/var/lib/syncd", cfg.name) < 0) {
		config_free(&cfg);
		return 1;
	}
	int rc = 1;
	const char *run_dir = runtime && *runtime ? runtime : "/run/syncd";
	if (make_dirs(state_dir, 0750) == 0 && make_dirs(run_dir, 0755) == 0)
		rc = worker_run(&cfg, state_dir, run_dir);
	free(state_dir);
	config_free(&cfg);
	return rc;
}
