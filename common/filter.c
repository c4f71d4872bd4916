#include "filter.h"

#include <regex.h>
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

int
filter_add_regex(struct filter *f, const char *expr, char *err, size_t errlen)
{
	void *p = realloc(f->regexes, (f->nregexes + 1) * sizeof *f->regexes);
	int rc;

	if (!p)
		return -1;
	f->regexes = p;
	rc = regcomp(&f->regexes[f->nregexes], expr, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &f->regexes[f->nregexes], err, errlen);
		regfree(&f->regexes[f->nregexes]);
		return -1;
	}
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
