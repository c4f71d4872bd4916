/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small file system helpers both programs need. */
#ifndef SYNCD_FSUTIL_H
#define SYNCD_FSUTIL_H

#include <sys/types.h>

/* mkdir -p, keeping existing directories as they are; logs what failed. */
int make_dirs(const char *path, mode_t mode);

#endif
