/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The local rsync's version, and the oldest one the worker runs with: the
 * oldest the test suite runs against (tests/run-all), Debian 11's 3.2.3.
 * Probed once, when the worker starts and in --check. */
#ifndef SYNCD_RSYNC_VERSION_H
#define SYNCD_RSYNC_VERSION_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct rsync_version {
	unsigned major, minor, patch;
};

#define RSYNC_VERSION_MIN ((struct rsync_version){ 3, 2, 3 })

/* The version in what `rsync --version` prints: "rsync  version 3.2.7
 * protocol version 31" (also "version v3.2.7", "3.4.0pre1" as 3.4.0, and
 * openrsync's "rsync version 2.6.9 compatible").  False if there is none. */
bool rsync_version_parse(const char *text, struct rsync_version *v);
/* <0, 0 or >0 as a is older than, the same as or newer than b. */
int rsync_version_cmp(struct rsync_version a, struct rsync_version b);
/* "3.2.7" */
void rsync_version_format(struct rsync_version v, char *buf, size_t len);
/* Runs `BINARY --version` (an argv, no shell; PATH is searched when BINARY
 * has no '/'), for at most 5 s.  0 with *v set, or -1 with why in err. */
int rsync_version_probe(const char *binary, struct rsync_version *v, char *err, size_t errlen);
/* Probes cfg's [rsync] binary (not when no remote needs rsync).  Older than
 * RSYNC_VERSION_MIN: logs "file:line: ..." (the binary key's line, or the
 * file's last) and returns -1.  A version it cannot tell is a warning (0).
 * quiet: no info line with the version found. */
int rsync_version_check(const struct config *cfg, bool quiet);

#endif
