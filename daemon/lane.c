/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lane.h"

#include <string.h>

/* n or a node below it is an entry. */
static bool
holds_entry(const struct pnode *n)
{
	for (const struct pnode *m = n; m; m = ptree_next(m, n))
		if (m->flags)
			return true;
	return false;
}

bool
lane_overlaps(const struct changeset *busy, const char *path)
{
	const struct pnode *n = &busy->tree.root;

	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "/");
		if (len) {
			if (n->flags)
				return true;	/* an entry above path */
			if (!(n = ptree_child(&busy->tree, n, p, len)))
				return false;
		}
		p += len + (p[len] == '/');
	}
	return holds_entry(n);
}

struct take {
	struct changeset *dst;
	const struct changeset *busy;
	size_t left;
	unsigned skip;
	char path[8192];
};

/* The entries below s (a node of the source set at t->path, of length
 * len) that overlap nothing in busy, whose node at the same path is b
 * (NULL: busy has nothing there or below). */
static int
take_below(struct take *t, const struct pnode *s, const struct pnode *b, size_t len)
{
	for (const struct pnode *c = s->child; c && t->left; c = c->next) {
		const struct pnode *bc = b ? ptree_child(&t->busy->tree, b, c->name, c->namelen) : NULL;
		long n;
		if ((bc && bc->flags) || (n = path_append(t->path, len, sizeof t->path, c->name)) < 0)
			continue;	/* an entry in flight: all below it overlaps */
		if (c->flags && !(c->flags & t->skip) && !(bc && holds_entry(bc))) {
			if (changeset_add(t->dst, t->path, c->flags, c->uval) < 0)
				return -1;
			t->left--;
		}
		if (c->child && take_below(t, c, bc, (size_t)n) < 0)
			return -1;
		t->path[len] = '\0';
	}
	return 0;
}

long
lane_take(struct changeset *src, const struct changeset *busy, struct changeset *dst, size_t max,
    unsigned skip)
{
	struct take t = { dst, busy, max, skip, "" };
	const struct pnode *root = &busy->tree.root;
	char path[8192];

	if (root->flags || take_below(&t, &src->tree.root, root->child ? root : NULL, 0) < 0)
		return root->flags ? 0 : -1;
	/* Out of src once all are copied: unsetting an entry may free the
	 * nodes the walk stands on. */
	for (const struct pnode *n = dst->tree.root.child; n; n = ptree_next(n, &dst->tree.root))
		if (n->flags && ptree_path(n, path, sizeof path) >= 0)
			changeset_unset(src, path);
	return (long)changeset_count(dst);
}
