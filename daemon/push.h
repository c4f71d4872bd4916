/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Turns a change set into one rsync run: the NUL-separated path list for
 * its stdin and the exclude rules, or a full recursive sync of the tree. */
#ifndef SYNCD_PUSH_H
#define SYNCD_PUSH_H

#include <stdbool.h>
#include <stddef.h>

#include "changeset.h"
#include "config.h"
#include "child.h"

/* Starts rsync for the entries of cs; *paths tells how many were listed.
 * With keep_missing a path that is gone is not listed (for receivers that
 * reject --delete-missing-args: push_deletions then deletes it).  NULL with
 * *paths 0 when there is nothing to list; NULL with *paths > 0 (after
 * logging) when it could not start. */
struct child *push_batch(struct loop *l, const struct config *c, const struct remote_conf *r,
    const struct changeset *cs, bool keep_missing, const char *exclude_file, size_t *paths,
    child_exit_fn on_exit, void *ctx);

/* Starts the deletions of cs as prunes of their nearest existing parents,
 * from empty copies of those made in the directory empty (from the
 * source's when they cannot be made): the deleted names deleted there,
 * nothing else touched.  NULL with *paths 0 when cs
 * deletes nothing; NULL with *paths > 0 (after logging) when it could not
 * start. */
struct child *push_deletions(struct loop *l, const struct config *c, const struct remote_conf *r,
    const struct changeset *cs, const char *exclude_file, const char *empty, size_t *paths,
    child_exit_fn on_exit, void *ctx);

/* Starts a prune of dir and every directory below it: what the source does
 * not have goes, nothing is sent. */
struct child *push_prune_tree(struct loop *l, const struct config *c, const struct remote_conf *r,
    const char *dir, const char *exclude_file, child_exit_fn on_exit, void *ctx);

/* Starts rsync of the whole tree (with --delete when configured). */
struct child *push_full(struct loop *l, const struct config *c, const struct remote_conf *r,
    const char *exclude_file, child_exit_fn on_exit, void *ctx);

/* Starts an rsync dry run that compares the whole tree with the mirror
 * (the full sync's options and excludes): one "%i %n" line per item that
 * differs, see rsync_argv.c. */
struct child *push_verify(struct loop *l, const struct config *c, const struct remote_conf *r,
    const char *exclude_file, child_exit_fn on_exit, void *ctx);

/* Starts argv, an rsync run for r (logged with -v), killed once it has made
 * no progress for twice r's timeout (see child_watch); input: as
 * child_spawn's.  learn: a push's run, which keeps its opening for the
 * connections opened ahead (preconnect.h) and takes one with it sent. */
struct child *push_run(struct loop *l, const struct remote_conf *r, char *const *argv,
    char *input, size_t input_len, const char *label, bool learn, child_exit_fn on_exit,
    void *ctx);

#endif
