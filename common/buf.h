/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A growable byte buffer: path lists, exclude rules and journal records are
 * built in one before they are handed to rsync or the disk. */
#ifndef SYNCD_BUF_H
#define SYNCD_BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap;
	int oom;		/* an append failed: the contents are incomplete */
};

void buf_put(struct buf *b, const void *s, size_t n);
void buf_free(struct buf *b);
/* write(2) until all of it is out; -1 with errno set on error. */
int write_all(int fd, const void *p, size_t len);

#endif
