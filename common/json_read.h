/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The little JSON reading syncctl needs: a worker's status --json, read
 * into a tree, so that syncctl never reads the words of its text status. */
#ifndef SYNCD_JSON_READ_H
#define SYNCD_JSON_READ_H

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	enum jtype type;
	char *key;		/* its name in the object that holds it */
	char *str;		/* J_STR; \u00XX is the byte XX, as json_str() writes it */
	double num;		/* J_NUM; J_BOOL: 0 or 1 */
	struct jnode *child;	/* J_ARR, J_OBJ: the first member */
	struct jnode *next;
};

/* The whole text as one value; NULL if it is not JSON (or out of memory). */
struct jnode *json_parse(const char *text);
void json_free(struct jnode *n);
/* The member named key of an object, NULL if none. */
const struct jnode *json_get(const struct jnode *obj, const char *key);

#endif
