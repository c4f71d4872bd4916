/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "filter.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct glob_rule {
	char *src;		/* as configured, handed to rsync unchanged */
	char *pat;		/* without the anchoring '/' and the trailing '/' */
	bool anchored, dir_only, full_path, literal;
};

struct filter {
	struct glob_rule *globs;
	size_t nglobs;
	regex_t *regexes;
	size_t nregexes;
};

struct filter *
filter_new(void)
{
	return calloc(1, sizeof(struct filter));
}

void
filter_free(struct filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nglobs; i++) {
		free(f->globs[i].src);
		free(f->globs[i].pat);
	}
	for (size_t i = 0; i < f->nregexes; i++)
		regfree(&f->regexes[i]);
	free(f->globs);
	free(f->regexes);
	free(f);
}

int
filter_add_glob(struct filter *f, const char *pattern)
{
	struct glob_rule r = { 0 };
	size_t len = strlen(pattern);
	void *p = realloc(f->globs, (f->nglobs + 1) * sizeof *f->globs);

	if (!p)
		return -1;
	f->globs = p;
	r.src = strdup(pattern);
	if (len > 1 && pattern[len - 1] == '/') {
		r.dir_only = true;
		len--;
	}
	if (pattern[0] == '/') {
		r.anchored = true;
		pattern++;
		len--;
	}
	r.pat = strndup(pattern, len);
	if (!r.src || !r.pat) {
		free(r.src);
		free(r.pat);
		return -1;
	}
	r.full_path = r.anchored || strchr(r.pat, '/') || strstr(r.pat, "**");
	/* rsync treats backslashes as escapes only in patterns with wildcards. */
	r.literal = !strpbrk(r.pat, "*?[");
	f->globs[f->nglobs++] = r;
	return 0;
}

/* Past this many parts a compiled regex takes tens of MB (2^16 parts from
 * w followed by 16 '+': 42 MB); 32767 copies of one atom, the most an
 * interval gives, still pass. */
#define REGEX_PARTS_MAX 50000
/* A + on what may match nothing ((a|b?|)+) doubles the time glibc takes to
 * compute what follows each position, copy after copy: 12 of them took
 * 18 ms, 20 took 4.5 s, and 24 (((a|b?|)+){24}, found by make fuzz) did not
 * end.  E* and E? on the same do not. */
#define REGEX_NULL_PLUS_MAX 12

/* The ']' that ends the bracket expression at s, or the end of s. */
static const char *
bracket_end(const char *s)
{
	const char *b = s + 1;

	b += *b == '^';
	b += *b == ']';		/* a first ']' is a member */
	for (; *b && *b != ']'; b++)
		if (*b == '[' && (b[1] == ':' || b[1] == '=' || b[1] == '.')) {
			const char *close = b + 2;	/* [:alpha:] [=a=] [.a.] */
			while (*close && !(close[0] == b[1] && close[1] == ']'))
				close++;
			if (*close)
				b = close + 1;
		}
	return b;
}

/* The interval at s ('{'): {n}, {n,}, {n,m} or {,m}, with *end after it;
 * false when it is none that regcomp takes (regcomp then says why). */
static bool
interval(const char *s, const char **end, unsigned long *n, unsigned long *m, bool *open)
{
	char *e = (char *)s + 1;

	*n = *e >= '0' && *e <= '9' ? strtoul(e, &e, 10) : 0;
	*m = *n;
	*open = false;
	if (e == s + 1 && *e != ',')
		return false;
	if (*e == ',') {
		e++;
		if (*e == '}')
			*open = true;
		else if (*e >= '0' && *e <= '9')
			*m = strtoul(e, &e, 10);
		else
			return false;
	}
	if (*e != '}' || *n > RE_DUP_MAX || *m > RE_DUP_MAX || *m < *n)
		return false;
	*end = e + 1;
	return true;
}

/* An open group while counting: its parts so far, and its last item's. */
struct level {
	double parts, last;
	double null_plus, last_null_plus;	/* + on what may match nothing */
	bool has_last, last_null;	/* the last item may match nothing */
	bool alt_null;		/* so may every item of this alternative before it */
	bool any_null;		/* an alternative before this one may match nothing */
};

static void
add_item(struct level *l, double parts, bool null, double null_plus)
{
	if (l->has_last)
		l->alt_null = l->alt_null && l->last_null;
	l->parts += parts;
	l->last = parts;
	l->null_plus += null_plus;
	l->last_null_plus = null_plus;
	l->has_last = true;
	l->last_null = null;
}

static bool
alt_null(const struct level *l)
{
	return !l->has_last || (l->alt_null && l->last_null);
}

/* The last item, copies times, counted as k parts per part. */
static void
repeat(struct level *l, double k, double copies)
{
	if (k < 1)
		k = 1;
	if (copies < 1)
		copies = 1;
	l->parts += l->last * (k - 1);
	l->last *= k;
	l->null_plus += l->last_null_plus * (copies - 1);
	l->last_null_plus *= copies;
}

/* The number of parts glibc compiles s into, roughly: an atom or a group is
 * one, E+ is E E* (twice E), E{n} n copies of E; each copy that may match
 * nothing (E{n,m}: the m-n beyond n; all of them when E may match nothing)
 * is tied to every one after it, so k of them count k*k/2.  E* and E? add
 * none.  Stops counting past REGEX_PARTS_MAX.  *null_plus counts the +
 * on items that may match nothing, copies included. */
static double
regex_parts(const char *s, double *null_plus)
{
	struct level *lv = calloc(strlen(s) + 2, sizeof *lv), *l;
	double total = 0;
	size_t d = 0;

	*null_plus = 0;
	if (!lv)
		return REGEX_PARTS_MAX + 1;
	lv[0].alt_null = true;
	while (*s && (l = &lv[d])->parts <= REGEX_PARTS_MAX) {
		unsigned long n, m;
		bool open;
		if (*s == '(') {
			s++;
			lv[++d] = (struct level){ .alt_null = true };
		} else if (*s == ')' && d > 0) {
			s++;
			bool null = l->any_null || alt_null(l);
			add_item(&lv[--d], l->parts + 1, null, l->null_plus);
		} else if (*s == '|') {
			s++;
			l->any_null = l->any_null || alt_null(l);
			l->alt_null = true;
			l->has_last = false;
			l->last = 0;
			l->last_null_plus = 0;
		} else if (*s == '*' || *s == '?') {
			s++;
			l->last_null = l->has_last;
		} else if (*s == '+') {
			s++;
			repeat(l, 2, 2);
			if (l->has_last && l->last_null) {
				l->null_plus++;
				l->last_null_plus++;
			}
		} else if (*s == '{' && interval(s, &s, &n, &m, &open)) {
			double copies = open ? n + 1 : m;
			if (l->last_null) {
				repeat(l, open ? (double)(n + 1) * (n + 1) / 2 : (double)m * m / 2, copies);
			} else {
				repeat(l, open ? n + 1 : n + (double)(m - n) * (m - n) / 2, copies);
				l->last_null = n == 0;
			}
		} else {
			if (*s == '[')
				s = bracket_end(s);
			else if (*s == '\\' && s[1])
				s++;
			if (*s)
				s++;
			add_item(l, 1, false, 0);
		}
	}
	for (size_t i = 0; i <= d; i++) {
		total += lv[i].parts;
		*null_plus += lv[i].null_plus;
	}
	free(lv);
	return total;
}

int
filter_regcomp(regex_t *re, const char *expr, int flags, char *err, size_t errlen)
{
	double null_plus;
	int rc;

	if (regex_parts(expr, &null_plus) > REGEX_PARTS_MAX) {
		snprintf(err, errlen, "its repetitions make more than %d parts once compiled (each + or "
		    "{n} copies what it repeats): too large", REGEX_PARTS_MAX);
		return -1;
	}
	if (null_plus > REGEX_NULL_PLUS_MAX) {
		snprintf(err, errlen, "it has more than %d + on what may match nothing (as in (a|b?|)+), "
		    "copies included: too slow to compile; write * instead of such a +", REGEX_NULL_PLUS_MAX);
		return -1;
	}
	if ((rc = regcomp(re, expr, flags)) != 0) {
		regerror(rc, re, err, errlen);
		regfree(re);
		return -1;
	}
	return 0;
}

int
filter_add_regex(struct filter *f, const char *expr, char *err, size_t errlen)
{
	void *p = realloc(f->regexes, (f->nregexes + 1) * sizeof *f->regexes);

	if (!p)
		return -1;
	f->regexes = p;
	if (filter_regcomp(&f->regexes[f->nregexes], expr, REG_EXTENDED | REG_NOSUB, err, errlen) < 0)
		return -1;
	f->nregexes++;
	return 0;
}

bool
filter_has_regex(const struct filter *f)
{
	return f->nregexes > 0;
}

size_t
filter_glob_count(const struct filter *f)
{
	return f->nglobs;
}

const char *
filter_glob(const struct filter *f, size_t i)
{
	return f->globs[i].src;
}

/* Matches a bracket expression starting after '['; returns the pattern
 * position after ']' or NULL when c is not in the class. */
static const char *
match_class(const char *p, unsigned char c, bool *ok)
{
	bool negate = false, found = false;

	if (*p == '!' || *p == '^') {
		negate = true;
		p++;
	}
	const char *start = p;
	while (*p && (*p != ']' || p == start)) {
		unsigned char lo = (unsigned char)*p, hi;
		if (*p == '\\' && p[1])
			lo = (unsigned char)*++p;
		hi = lo;
		if (p[1] == '-' && p[2] && p[2] != ']') {
			p += 2;
			hi = (unsigned char)(*p == '\\' && p[1] ? *++p : *p);
		}
		if (c >= lo && c <= hi)
			found = true;
		p++;
	}
	if (*p != ']') {
		*ok = false;	/* unterminated: '[' is taken literally */
		return NULL;
	}
	*ok = true;
	return (found != negate) ? p + 1 : NULL;
}

bool
wildmatch(const char *p, const char *t)
{
	for (; *p; p++, t++) {
		switch (*p) {
		case '?':
			if (*t == '\0' || *t == '/')
				return false;
			break;
		case '*':
			if (p[1] == '*') {
				while (*p == '*')
					p++;
				for (;; t++) {
					if (wildmatch(p, t))
						return true;
					if (*t == '\0')
						return false;
				}
			}
			p++;
			for (;; t++) {
				if (wildmatch(p, t))
					return true;
				if (*t == '\0' || *t == '/')
					return false;
			}
		case '[': {
			bool ok;
			const char *next;
			if (*t == '\0' || *t == '/')
				return false;
			next = match_class(p + 1, (unsigned char)*t, &ok);
			if (!ok) {
				if (*t != '[')
					return false;
				break;
			}
			if (!next)
				return false;
			p = next - 1;
			break;
		}
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			if (*t != *p)
				return false;
		}
	}
	return *t == '\0';
}

static bool
glob_matches(const struct glob_rule *r, const char *path)
{
	if (r->literal) {
		size_t pl = strlen(r->pat), tl = strlen(path);
		if (!r->full_path) {
			const char *slash = strrchr(path, '/');
			return strcmp(slash ? slash + 1 : path, r->pat) == 0;
		}
		if (r->anchored)
			return strcmp(path, r->pat) == 0;
		return tl >= pl && strcmp(path + tl - pl, r->pat) == 0 &&
		    (tl == pl || path[tl - pl - 1] == '/');
	}
	if (!r->full_path) {
		const char *slash = strrchr(path, '/');
		return wildmatch(r->pat, slash ? slash + 1 : path);
	}
	if (wildmatch(r->pat, path))
		return true;
	if (r->anchored)
		return false;
	/* rsync lets a leading "**\/" match no directory at all. */
	if (!strncmp(r->pat, "**/", 3) && wildmatch(r->pat + 3, path))
		return true;
	/* An unanchored pattern with a '/' matches a trailing part of the path
	 * that starts at a component boundary. */
	for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/'))
		if (wildmatch(r->pat, s + 1))
			return true;
	return false;
}

bool
filter_excluded(const struct filter *f, const char *relpath, bool is_dir)
{
	for (size_t i = 0; i < f->nglobs; i++) {
		if (f->globs[i].dir_only && !is_dir)
			continue;
		if (glob_matches(&f->globs[i], relpath))
			return true;
	}
	for (size_t i = 0; i < f->nregexes; i++)
		if (regexec(&f->regexes[i], relpath, 0, NULL, 0) == 0)
			return true;
	return false;
}
