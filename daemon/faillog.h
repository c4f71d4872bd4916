/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fail log: one readable line per push or full sync that failed, what
 * sersync kept as a shell script of commands to rerun, minus the script. */
#ifndef SYNCD_FAILLOG_H
#define SYNCD_FAILLOG_H

#include <stddef.h>

/* Creates the directory of file (NULL or "none": no fail log) as the
 * worker starts, or a lost fail log would only be noticed at the first
 * failure: 0, or -1 after logging the path and why. */
int faillog_make_dir(const char *file);
/* Appends a line to file (NULL: none); rotates it to file.1 past 1 MiB. */
void faillog_write(const char *file, const char *remote, const char *what, size_t paths,
    int status, const char *outcome, const char *error);

#endif
