/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the tests that need files: a scratch directory. */
#ifndef SYNCD_TEST_UTIL_H
#define SYNCD_TEST_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

static inline int
tu_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Creates a fresh directory under $TMPDIR into buf. */
static inline void
tu_mkdtemp(char *buf, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(buf, len, "%s/syncd-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(buf));
}

static inline void
tu_rmtree(const char *dir)
{
	if (dir && *dir)
		nftw(dir, tu_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void
tu_write(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot create %s", path);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static inline void
tu_mkdir(const char *path)
{
	ck_assert_msg(mkdir(path, 0755) == 0, "mkdir %s", path);
}

#endif
