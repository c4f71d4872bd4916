/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "pathtree.h"

#include <stdlib.h>
#include <string.h>

static uint32_t
hash_name(const struct pnode *parent, const char *name, size_t len)
{
	/* The root is embedded in its tree, which may be moved as a whole:
	 * its children hash the same wherever it lives. */
	uint64_t h = 1469598103934665603ULL ^ (parent->parent ? (uint64_t)(uintptr_t)parent : 0);

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 1099511628211ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

void
ptree_init(struct ptree *t)
{
	memset(t, 0, sizeof *t);
	t->root.name = (char *)"";
}

static void
free_node(struct pnode *n, void *ctx)
{
	(void)ctx;
	free(n->name);
	free(n);
}

void
ptree_clear(struct ptree *t)
{
	ptree_remove(t, &t->root, NULL, NULL);
	free(t->buckets);
	ptree_init(t);
}

struct pnode *
ptree_child(const struct ptree *t, const struct pnode *parent, const char *name, size_t len)
{
	if (!t->nbuckets)
		return NULL;
	uint32_t h = hash_name(parent, name, len);
	for (struct pnode *n = t->buckets[h & (t->nbuckets - 1)]; n; n = n->hnext)
		if (n->hash == h && n->parent == parent && n->namelen == len &&
		    memcmp(n->name, name, len) == 0)
			return n;
	return NULL;
}

static int
grow(struct ptree *t)
{
	size_t nb = t->nbuckets ? t->nbuckets * 2 : 64;
	struct pnode **b = calloc(nb, sizeof *b);

	if (!b)
		return -1;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct pnode *n = t->buckets[i], *next;
		for (; n; n = next) {
			next = n->hnext;
			n->hnext = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
	return 0;
}

static void
hash_insert(struct ptree *t, struct pnode *n)
{
	struct pnode **b = &t->buckets[n->hash & (t->nbuckets - 1)];
	n->hnext = *b;
	*b = n;
}

static void
hash_unlink(struct ptree *t, struct pnode *n)
{
	struct pnode **pp = &t->buckets[n->hash & (t->nbuckets - 1)];
	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
}

static void
link_child(struct pnode *parent, struct pnode *n)
{
	n->parent = parent;
	n->prev = NULL;
	n->next = parent->child;
	if (parent->child)
		parent->child->prev = n;
	parent->child = n;
}

static void
unlink_child(struct pnode *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		n->parent->child = n->next;
	if (n->next)
		n->next->prev = n->prev;
	n->next = n->prev = NULL;
}

struct pnode *
ptree_add_child(struct ptree *t, struct pnode *parent, const char *name, size_t len)
{
	struct pnode *n = ptree_child(t, parent, name, len);

	if (n)
		return n;
	if (t->count + 1 > t->nbuckets && grow(t) < 0)
		return NULL;
	n = calloc(1, sizeof *n);
	if (!n || !(n->name = malloc(len + 1))) {
		free(n);
		return NULL;
	}
	memcpy(n->name, name, len);
	n->name[len] = '\0';
	n->namelen = (uint32_t)len;
	n->hash = hash_name(parent, name, len);
	link_child(parent, n);
	hash_insert(t, n);
	t->count++;
	return n;
}

static struct pnode *
walk(struct ptree *t, const char *path, int create)
{
	struct pnode *n = &t->root;

	while (*path && n) {
		size_t len = strcspn(path, "/");
		if (len)
			n = create ? ptree_add_child(t, n, path, len) : ptree_child(t, n, path, len);
		path += len;
		if (*path == '/')
			path++;
	}
	return n;
}

struct pnode *
ptree_lookup(const struct ptree *t, const char *path)
{
	return walk((struct ptree *)t, path, 0);
}

struct pnode *
ptree_make(struct ptree *t, const char *path)
{
	return walk(t, path, 1);
}

bool
ptree_is_below(const struct pnode *n, const struct pnode *top)
{
	for (; n; n = n->parent)
		if (n == top)
			return true;
	return false;
}

struct pnode *
ptree_next(const struct pnode *n, const struct pnode *top)
{
	if (n->child)
		return n->child;
	for (; n != top; n = n->parent)
		if (n->next)
			return n->next;
	return NULL;
}

void
ptree_remove(struct ptree *t, struct pnode *n, ptree_visit_fn fn, void *ctx)
{
	/* Post-order, iteratively: trees may be deeper than the stack. */
	struct pnode *top = n, *c = n;

	for (;;) {
		while (c->child)
			c = c->child;
		if (c == top)
			break;
		struct pnode *parent = c->parent;
		unlink_child(c);
		hash_unlink(t, c);
		t->count--;
		if (fn)
			fn(c, ctx);
		free_node(c, NULL);
		c = parent;
	}
	if (fn)
		fn(top, ctx);
	if (top == &t->root) {
		top->flags = 0;
		return;
	}
	unlink_child(top);
	hash_unlink(t, top);
	t->count--;
	free_node(top, NULL);
}

void
ptree_prune(struct ptree *t, struct pnode *n)
{
	while (n != &t->root && !n->child && !n->flags) {
		struct pnode *parent = n->parent;
		ptree_remove(t, n, NULL, NULL);
		n = parent;
	}
}

int
ptree_move(struct ptree *t, struct pnode *n, struct pnode *newparent, const char *name, size_t len)
{
	if (ptree_child(t, newparent, name, len))
		return -1;
	char *nm = malloc(len + 1);
	if (!nm)
		return -1;
	memcpy(nm, name, len);
	nm[len] = '\0';
	hash_unlink(t, n);
	unlink_child(n);
	free(n->name);
	n->name = nm;
	n->namelen = (uint32_t)len;
	n->hash = hash_name(newparent, name, len);
	link_child(newparent, n);
	hash_insert(t, n);
	return 0;
}

long
ptree_path(const struct pnode *n, char *buf, size_t size)
{
	size_t len = 0;

	for (const struct pnode *p = n; p->parent; p = p->parent)
		len += p->namelen + (p->parent->parent ? 1 : 0);
	if (len + 1 > size) {
		if (size)
			buf[0] = '\0';
		return -1;
	}
	buf[len] = '\0';
	size_t pos = len;
	for (const struct pnode *p = n; p->parent; p = p->parent) {
		pos -= p->namelen;
		memcpy(buf + pos, p->name, p->namelen);
		if (p->parent->parent)
			buf[--pos] = '/';
	}
	return (long)len;
}

long
path_append(char *buf, size_t len, size_t size, const char *name)
{
	size_t nl = strlen(name), pos = len + (len ? 1 : 0);

	if (pos + nl + 1 > size)
		return -1;
	if (len)
		buf[len] = '/';
	memcpy(buf + pos, name, nl + 1);
	return (long)(pos + nl);
}
