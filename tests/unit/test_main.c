/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
	SRunner *sr = srunner_create(duration_suite());
	int failed;

	srunner_add_suite(sr, strv_suite());
	srunner_add_suite(sr, filter_suite());
	srunner_add_suite(sr, pathtree_suite());
	srunner_add_suite(sr, changeset_suite());
	srunner_add_suite(sr, lane_suite());
	srunner_add_suite(sr, batch_suite());
	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, rsync_argv_suite());
	srunner_add_suite(sr, excludes_suite());
	srunner_add_suite(sr, journal_suite());
	srunner_add_suite(sr, show_suite());
	srunner_add_suite(sr, import_sersync_suite());
	srunner_add_suite(sr, hook_suite());
	srunner_add_suite(sr, http_suite());
	srunner_add_suite(sr, verify_suite());
	srunner_add_suite(sr, rsync_version_suite());
	srunner_add_suite(sr, mounts_suite());
	srunner_add_suite(sr, proc_suite());
	srunner_add_suite(sr, policy_suite());
	srunner_add_suite(sr, metrics_suite());
	srunner_add_suite(sr, watch_suite());
	srunner_add_suite(sr, sdnotify_suite());
	srunner_add_suite(sr, opening_suite());
	srunner_add_suite(sr, pace_suite());
	/* CK_FORK=no in the environment (for valgrind) wins over our default. */
	if (!getenv("CK_FORK"))
		srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
