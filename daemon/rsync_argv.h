/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rsync command lines syncd runs: one place that knows every option. */
#ifndef SYNCD_RSYNC_ARGV_H
#define SYNCD_RSYNC_ARGV_H

#include <stdbool.h>

#include "config.h"

enum rsync_mode {
	RSYNC_PUSH,		/* the paths of a batch, NUL-separated on stdin */
	RSYNC_PUSH_KEEP,	/* the same, paths that are gone left alone (not deleted) */
	RSYNC_PRUNE,		/* listed "dir/": deletes what the source lacks, sends nothing */
	RSYNC_DELETE,		/* the same from empty copies of the listed dirs, their
				   attributes left alone: the rules say what goes */
	RSYNC_FULL,		/* the whole tree, recursively */
	RSYNC_LINK,		/* a moved directory's entries, hardlinked from its old copy */
	RSYNC_VERIFY,		/* the whole tree compared, nothing changed: a line per difference */
};

/* exclude_file: rules for --exclude-from (NUL-separated). NULL on ENOMEM. */
char **rsync_argv(const struct config *c, const struct remote_conf *r, enum rsync_mode mode,
    const char *exclude_file, int verbose);

/* RSYNC_LINK: the entries listed on stdin (relative to subdir) from
 * SOURCE/subdir/ to DEST/subdir/, with --link-dest=link_dest (relative to
 * DEST/subdir/). */
char **rsync_argv_link(const struct config *c, const struct remote_conf *r, const char *subdir,
    const char *link_dest, int verbose);

/* RSYNC_DELETE: the listed directories of from (empty copies of the
 * source's) to DEST. */
char **rsync_argv_delete(const struct config *c, const struct remote_conf *r,
    const char *exclude_file, int verbose, const char *from);

/* The checksum and compression rsync negotiated, from a run's output
 * (what --debug=NSTR prints), kept in r for its later runs; a run that did
 * not negotiate leaves r as it was. */
void rsync_argv_learn(struct remote_conf *r, const char *output);
/* After a failed run with output: r's runs negotiate again; if they named
 * the choices until now (then true) and rsync's output names the options
 * (refused, unknown), they never ask nor name them again. */
bool rsync_argv_forget(struct remote_conf *r, const char *output);

/* The worker's own binary, which rsync runs as the remote shell of an
 * rsync:// remote (connector.h).  Not set (unit tests): rsync connects itself. */
void rsync_argv_set_connector(const char *self);

/* The connector's argv that opens a connection to r's daemon ahead of a
 * run (preconnect.h); NULL when r's runs do not connect through it. */
char **rsync_argv_opener(const struct config *c, const struct remote_conf *r);

/* Where rsync writes: "rsync://u@h:873/mod/dir/", "u@h:/path/" or "/path/". */
char *rsync_destination(const struct remote_conf *r);

#endif
