/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syncctl import-sersync: a sersync confxml.xml, read with expat, written
 * out as a syncd instance file.  See syncctl(8) and "FROM SERSYNC" in
 * syncd.ini(5). */
#ifndef SYNCD_IMPORT_SERSYNC_H
#define SYNCD_IMPORT_SERSYNC_H

#include <stdbool.h>
#include <stdio.h>

/* The command, "import-sersync [-o FILE] CONFXML [NAME]": the instance file
 * on stdout or in FILE (never overwritten).  state_dir is the base of the
 * state directories, for a fail log that has to move; config_dir is where
 * the files of secrets it names go (a CDN's credentials).  Returns the exit
 * status: 0 (warnings or not), 1 failed, 2 bad usage. */
int import_sersync_cmd(char **args, const char *state_dir, const char *config_dir);

/* Converts xml into the text of an instance file named name, written to out
 * only if the conversion succeeds.  Every warning and error goes to diag as
 * one line "XML:LINE: warning: ..." (or "error:"), in line order.  Returns 0,
 * or -1 when the file cannot be read, is not well-formed XML, or is not a
 * usable sersync configuration. */
int import_sersync(const char *xml, const char *name, const char *state_dir, const char *config_dir, FILE *out,
    FILE *diag);

/* The mapping helpers, pure (results are malloc'ed; NULL: no such form). */

/* sersync matched a <filter> expression E against the whole path: as an
 * exclude_regex it is ^(E)$, without the ^, $ or leading '/' E had, and with
 * Perl's \d and \D spelt for POSIX. */
char *sersync_filter_regex(const char *expr);
/* A command plugin's <include expression> E, which sersync matched against
 * the whole absolute path WATCH/PATH: as an include_regex, searched in PATH,
 * it is ^(E)$ without E's ^, $ and leading WATCH/ (as text or escaped), \d
 * spelt for POSIX, and a leading "(.*)" or ".*" and a slash as "(.*" slash
 * ")?" (at the top, that slash was the one after WATCH).  *elsewhere: E starts with another absolute path, which
 * could not match below WATCH (its leading '/' is dropped). */
char *sersync_include_regex(const char *expr, const char *watch, bool *elsewhere);
/* A refreshCDN <regexurl regex="true" match="M">: sersync searched M in the
 * absolute path and refreshed base + M's first group + what followed the
 * match.  As path_regex and replace for url_template = base{path}: (M)(.*)$
 * with \2\N (N the last group), or ^(...) when M started with WATCH/ (then
 * dropped).  *elsewhere: it did not, and M is anchored with ^ or starts
 * with text that WATCH/ holds, which syncd's relative paths do not.  -1:
 * more than 9 groups. */
int sersync_cdn_regex(const char *match, const char *watch, char **path_regex, char **replace,
    bool *elsewhere);
/* The rsync pattern excluding what E excludes, for the two forms sersync's
 * sample pairs with a <crontabfilter> pattern: an extension, "(.*)\.EXT" is
 * "*.EXT"; a top-level directory, "^DIR" followed by a slash and a star is
 * "/DIR" (by a slash, a dot and a star: "/DIR/" and a star). */
char *sersync_filter_glob(const char *expr);
/* Whether the <crontabfilter> pattern is E's own counterpart: "*.EXT" for
 * an extension; for a directory, DIR with or without a leading slash, and
 * followed by nothing, a slash, or a slash and one to three stars. */
bool sersync_crontab_same(const char *expr, const char *pattern);
/* A [remote NAME] for <remote ip name>: "IP_NAME" in the characters a remote
 * name may hold. */
char *sersync_remote_name(const char *ip, const char *module);
/* The default instance name: the file's base name without ".xml", or
 * "imported" when that is no usable name (or sersync's default, confxml). */
char *sersync_instance_name(const char *xml_path);
/* A usable instance name: letters, digits, '_', '.', '-', not starting
 * with '.' or '-'. */
bool sersync_valid_name(const char *name);

#endif
