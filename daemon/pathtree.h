/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tree of path components with O(1) child lookup.  The watcher keeps its
 * watched directories in one (a renamed directory is one pointer move, not a
 * rewrite of every path below it) and the change set keeps its entries in
 * another (a deleted directory drops its whole subtree at once). */
#ifndef SYNCD_PATHTREE_H
#define SYNCD_PATHTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pnode {
	struct pnode *parent, *child, *next, *prev;
	struct pnode *hnext;	/* hash chain */
	char *name;
	uint32_t namelen, hash;
	uint32_t flags;		/* the owner's; 0 on a node that only holds children */
	int32_t ival;		/* the owner's */
	uint64_t uval;		/* the owner's */
};

struct ptree {
	struct pnode root;	/* the source root: empty name, no parent */
	struct pnode **buckets;
	size_t nbuckets, count;
};

void ptree_init(struct ptree *t);
void ptree_clear(struct ptree *t);

struct pnode *ptree_child(const struct ptree *t, const struct pnode *parent,
    const char *name, size_t len);
/* Finds or creates; NULL only when out of memory. */
struct pnode *ptree_add_child(struct ptree *t, struct pnode *parent,
    const char *name, size_t len);
/* "a/b/c" relative to the root; "" is the root. */
struct pnode *ptree_lookup(const struct ptree *t, const char *path);
struct pnode *ptree_make(struct ptree *t, const char *path);

typedef void (*ptree_visit_fn)(struct pnode *n, void *ctx);
/* Removes n and everything below it, calling fn (if set) on each first.
 * The root itself is never freed, only emptied. */
void ptree_remove(struct ptree *t, struct pnode *n, ptree_visit_fn fn, void *ctx);
/* Removes n if it holds nothing, then its ancestors that became empty. */
void ptree_prune(struct ptree *t, struct pnode *n);
/* Moves n (with its subtree) under newparent as name; -1 on ENOMEM, or if a
 * node of that name exists there already. */
int ptree_move(struct ptree *t, struct pnode *n, struct pnode *newparent,
    const char *name, size_t len);

/* n is top or below it. */
bool ptree_is_below(const struct pnode *n, const struct pnode *top);
/* Pre-order walk of top's subtree, top itself first. */
struct pnode *ptree_next(const struct pnode *n, const struct pnode *top);

/* Writes the relative path of n; returns its length, or -1 if it does not
 * fit (the buffer then holds a truncated string). */
long ptree_path(const struct pnode *n, char *buf, size_t size);
/* Appends "/name" to the path of length len in buf (just name when len is
 * 0); returns the new length, or -1 (buf unchanged) if it does not fit. */
long path_append(char *buf, size_t len, size_t size, const char *name);

#endif
