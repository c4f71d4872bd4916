/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The suites linked into build/unit-tests; test_main.c runs them all. */
#ifndef SYNCD_TEST_SUITES_H
#define SYNCD_TEST_SUITES_H

#include <check.h>

Suite *duration_suite(void);
Suite *strv_suite(void);
Suite *filter_suite(void);
Suite *pathtree_suite(void);
Suite *changeset_suite(void);
Suite *lane_suite(void);
Suite *batch_suite(void);
Suite *config_suite(void);
Suite *rsync_argv_suite(void);
Suite *excludes_suite(void);
Suite *journal_suite(void);
Suite *show_suite(void);
Suite *import_sersync_suite(void);
Suite *hook_suite(void);
Suite *http_suite(void);
Suite *verify_suite(void);
Suite *rsync_version_suite(void);
Suite *mounts_suite(void);
Suite *proc_suite(void);
Suite *policy_suite(void);
Suite *metrics_suite(void);
Suite *watch_suite(void);
Suite *sdnotify_suite(void);
Suite *opening_suite(void);
Suite *pace_suite(void);

#endif
