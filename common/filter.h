/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Exclude filters: rsync-style patterns and POSIX extended regexes, both
 * matched against the path relative to the source root.  The same rules
 * decide what the watcher ignores and what rsync is told to exclude, so a
 * live push and a full sync never disagree about a path. */
#ifndef SYNCD_FILTER_H
#define SYNCD_FILTER_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

struct filter;

struct filter *filter_new(void);
void filter_free(struct filter *f);

/* rsync pattern rules: a leading '/' anchors at the root, a trailing '/'
 * matches directories only, a pattern without '/' or "**" matches the last
 * component, '*' stops at '/', "**" does not, '?' and [classes] as in rsync. */
int filter_add_glob(struct filter *f, const char *pattern);
/* Returns -1 and fills err on a bad expression. */
int filter_add_regex(struct filter *f, const char *expr, char *err, size_t errlen);
/* regcomp(3) after refusing what glibc would make huge: it compiles E+ as
 * E E* and E{n,m} as m copies of E, so nested or chained repetitions
 * multiply, and a few bytes of them took 1.6 GB.  -1 with err filled (re
 * then holds nothing) on a bad or too large expression. */
int filter_regcomp(regex_t *re, const char *expr, int flags, char *err, size_t errlen);

bool filter_excluded(const struct filter *f, const char *relpath, bool is_dir);
bool filter_has_regex(const struct filter *f);
size_t filter_glob_count(const struct filter *f);
const char *filter_glob(const struct filter *f, size_t i);

/* rsync's wildmatch: '*' does not cross '/', "**" does. */
bool wildmatch(const char *pattern, const char *text);

#endif
