/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "changeset.h"

#include <string.h>

void
changeset_init(struct changeset *cs)
{
	ptree_init(&cs->tree);
	cs->entries = 0;
}

void
changeset_clear(struct changeset *cs)
{
	ptree_clear(&cs->tree);
	cs->entries = 0;
}

static void
count_entry(struct pnode *n, void *ctx)
{
	if (n->flags)
		(*(size_t *)ctx)++;
}

static void
drop_subtree(struct changeset *cs, struct pnode *n)
{
	size_t dropped = 0;

	while (n->child)
		ptree_remove(&cs->tree, n->child, count_entry, &dropped);
	cs->entries -= dropped;
}

static void
date(struct pnode *n, uint64_t t)
{
	if (!n->uval || (t && t < n->uval))
		n->uval = t;
}

static void
set_flags(struct changeset *cs, struct pnode *n, unsigned flags)
{
	if (!n->flags && flags)
		cs->entries++;
	else if (n->flags && !flags) {
		cs->entries--;
		n->uval = 0;	/* a later change here is dated afresh */
	}
	n->flags = flags;
}

/* A CH_DIR entry covers the CH_PATH entries of its children. */
static void
absorb_children(struct changeset *cs, struct pnode *dir)
{
	struct pnode *c = dir->child, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->flags & CH_PATH) {
			date(dir, c->uval);
			set_flags(cs, c, 0);
			ptree_prune(&cs->tree, c);
		}
	}
}

/* The node of path's parent directory, if the set has one. */
static struct pnode *
parent_of(const struct ptree *t, const char *path)
{
	const char *slash = strrchr(path, '/');
	const struct pnode *n = &t->root;

	for (const char *p = path; n && slash && p < slash;) {
		size_t len = strcspn(p, "/");
		if (len)
			n = ptree_child(t, n, p, len);
		p += len + 1;
	}
	return (struct pnode *)n;
}

int
changeset_add(struct changeset *cs, const char *path, unsigned kind, uint64_t now_ms)
{
	struct pnode *n;

	if (kind == CH_PATH) {
		struct pnode *parent = parent_of(&cs->tree, path);
		if (parent && (parent->flags & CH_DIR)) {
			date(parent, now_ms);
			return 0;
		}
	}
	n = ptree_make(&cs->tree, path);
	if (!n)
		return -1;
	date(n, now_ms);
	if (kind & CH_GONE) {
		drop_subtree(cs, n);
		set_flags(cs, n, CH_PATH | CH_GONE);
	} else if (kind == CH_DIR) {
		set_flags(cs, n, CH_DIR);
		absorb_children(cs, n);
	} else if (!(n->flags & CH_DIR)) {
		set_flags(cs, n, CH_PATH);
	}
	return 0;
}

static int
merge_children(struct changeset *dst, struct pnode *dparent, struct pnode *sparent)
{
	for (struct pnode *s = sparent->child; s; s = s->next) {
		if (s->flags & CH_PATH && !s->child && (dparent->flags & CH_DIR)) {
			date(dparent, s->uval);
			continue;
		}
		struct pnode *d = ptree_add_child(&dst->tree, dparent, s->name, s->namelen);
		if (!d)
			return -1;
		if (s->flags) {
			unsigned had = d->flags;
			date(d, s->uval);
			if ((s->flags | had) & CH_DIR) {
				set_flags(dst, d, CH_DIR);
				if (!(had & CH_DIR))
					absorb_children(dst, d);
			} else if (!(dparent->flags & CH_DIR)) {
				set_flags(dst, d, had ? had : s->flags);
			}
		}
		if (s->child && merge_children(dst, d, s) < 0)
			return -1;
		if (!d->flags && !d->child)
			ptree_remove(&dst->tree, d, NULL, NULL);
	}
	return 0;
}

int
changeset_copy(struct changeset *dst, const struct changeset *src)
{
	return merge_children(dst, &dst->tree.root, (struct pnode *)&src->tree.root);
}

int
changeset_merge(struct changeset *dst, struct changeset *src)
{
	int rc = 0;

	if (src->entries == 0) {
		changeset_clear(src);
		return 0;
	}
	if (dst->entries == 0) {
		struct changeset tmp = *dst;
		*dst = *src;
		*src = tmp;
		/* The root node is embedded: children must point at their new home. */
		for (struct pnode *c = dst->tree.root.child; c; c = c->next)
			c->parent = &dst->tree.root;
		for (struct pnode *c = src->tree.root.child; c; c = c->next)
			c->parent = &src->tree.root;
		changeset_clear(src);
		return 0;
	}
	rc = merge_children(dst, &dst->tree.root, &src->tree.root);
	changeset_clear(src);
	return rc;
}

int
changeset_take(struct changeset *src, struct changeset *dst, size_t max)
{
	char path[8192];

	if (src->entries <= max)
		return changeset_merge(dst, src);
	struct pnode *n = src->tree.root.child, *next;
	while (n && max) {
		next = ptree_next(n, &src->tree.root);
		if (n->flags) {
			if (ptree_path(n, path, sizeof path) < 0)
				return -1;
			struct pnode *d = ptree_make(&dst->tree, path);
			if (!d)
				return -1;
			d->uval = n->uval;
			set_flags(dst, d, n->flags);
			set_flags(src, n, 0);
			max--;
			if (!n->child)
				ptree_prune(&src->tree, n);
		}
		n = next;
	}
	return 0;
}

int
changeset_take_path(struct changeset *src, struct changeset *dst, const char *path)
{
	char rel[8192];
	struct pnode *top = ptree_lookup(&src->tree, path);

	if (!top || top == &src->tree.root)
		return 0;
	for (struct pnode *n = top; n; n = ptree_next(n, top)) {
		if (!n->flags)
			continue;
		struct pnode *d;
		if (ptree_path(n, rel, sizeof rel) < 0 || !(d = ptree_make(&dst->tree, rel)))
			return -1;
		date(d, n->uval);
		set_flags(dst, d, n->flags);
	}
	changeset_drop(src, path);
	return 0;
}

uint64_t
changeset_oldest(const struct changeset *cs)
{
	uint64_t oldest = 0;

	for (const struct pnode *n = cs->tree.root.child; n; n = ptree_next(n, &cs->tree.root))
		if (n->flags && n->uval && (!oldest || n->uval < oldest))
			oldest = n->uval;
	return oldest;
}

static void
unset(struct pnode *n, void *ctx)
{
	set_flags(ctx, n, 0);
}

void
changeset_drop(struct changeset *cs, const char *path)
{
	struct pnode *n = ptree_lookup(&cs->tree, path);

	if (!n || n == &cs->tree.root)
		return;
	struct pnode *parent = n->parent;
	ptree_remove(&cs->tree, n, unset, cs);
	ptree_prune(&cs->tree, parent);
}

void
changeset_unset(struct changeset *cs, const char *path)
{
	struct pnode *n = ptree_lookup(&cs->tree, path);

	if (!n || n == &cs->tree.root || !n->flags)
		return;
	set_flags(cs, n, 0);
	ptree_prune(&cs->tree, n);
}
