/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syncctl import-sersync.  expat reads confxml.xml into a flat list of
 * elements; each part of the instance file is then written from what sersync
 * 2.5 itself reads (Initialize.cpp, FileSynchronize.cpp and its plugins),
 * with a warning for every setting that has no equivalent or is off. */
#include "import_sersync.h"

#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "filter.h"
#include "log.h"
#include "strv.h"

#define MAX_XML (4 << 20)	/* a confxml.xml is a few kB */
#define DEFAULT_STATE_DIR "/var/lib/syncd"
#define DEFAULT_CONFIG_DIR "/etc/syncd"

struct elem {
	char *path;		/* below <head>: "sersync/rsync/auth"; "" is <head> */
	const char *name;	/* the last component of path */
	char **attrs;		/* name, value, name, value, ..., NULL */
	int line;
	long parent;		/* index; -1 for <head> */
};

struct note {
	int line;		/* 0: about the whole file */
	int col;		/* 1-based; 0: none (a whole element) */
	size_t seq;
	char *text;		/* "warning: ..." or "error: ..." */
};

struct conv {
	const char *file, *name, *state_dir, *config_dir;
	struct elem *e;		/* in document order; e[0] is <head> */
	size_t n, cap;
	long cur;		/* the open element, -1 outside <head> */
	XML_Parser xp;
	bool stopped;		/* by us, with an error of our own */
	struct note *notes;
	size_t nnotes;
	bool failed;
	FILE *out;		/* the instance file, in memory */
	char **remote_names;	/* given so far, to keep them unique */
	size_t nremote_names;
};

/* ------------------------------------------------------------ messages -- */

/* Control characters from the XML (&#10; ...) must not break a line. */
static void
one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* vasprintf, or NULL with the conversion marked as failed. */
static char *
vformat(struct conv *c, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		c->failed = true;
		return NULL;
	}
	return s;
}

static void __attribute__((format(printf, 5, 6)))
note(struct conv *c, int line, int col, const char *kind, const char *fmt, ...)
{
	char *msg, *text;
	va_list ap;

	if (!strcmp(kind, "error"))
		c->failed = true;
	va_start(ap, fmt);
	msg = vformat(c, fmt, ap);
	va_end(ap);
	if (!msg)
		return;
	one_line(msg);
	struct note *n = realloc(c->notes, (c->nnotes + 1) * sizeof *n);
	if (!n || asprintf(&text, "%s: %s", kind, msg) < 0) {
		if (n)
			c->notes = n;
		free(msg);
		c->failed = true;
		return;
	}
	free(msg);
	c->notes = n;
	c->notes[c->nnotes] = (struct note){ .line = line, .col = col, .seq = c->nnotes, .text = text };
	c->nnotes++;
}

#define warning(c, line, ...) note(c, line, 0, "warning", __VA_ARGS__)
#define error_at(c, line, ...) note(c, line, 0, "error", __VA_ARGS__)

static int
by_line(const void *a, const void *b)
{
	const struct note *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
print_notes(struct conv *c, FILE *diag)
{
	qsort(c->notes, c->nnotes, sizeof *c->notes, by_line);
	for (size_t i = 0; i < c->nnotes; i++) {
		if (c->notes[i].col > 0)
			fprintf(diag, "%s:%d:%d: %s\n", c->file, c->notes[i].line, c->notes[i].col,
			    c->notes[i].text);
		else if (c->notes[i].line > 0)
			fprintf(diag, "%s:%d: %s\n", c->file, c->notes[i].line, c->notes[i].text);
		else
			fprintf(diag, "%s: %s\n", c->file, c->notes[i].text);
	}
}

/* ---------------------------------------------------------- the XML -- */

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct conv *c = ud;
	int line = (int)XML_GetCurrentLineNumber(c->xp);
	size_t na = 0;

	if (c->cur < 0 && strcmp(name, "head")) {
		error_at(c, line, "the root element is <%s>: a sersync configuration has <head>", name);
		c->stopped = true;
		XML_StopParser(c->xp, XML_FALSE);
		return;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct elem *e = realloc(c->e, cap * sizeof *e);
		if (!e)
			goto oom;
		c->e = e;
		c->cap = cap;
	}
	struct elem *e = &c->e[c->n];
	memset(e, 0, sizeof *e);
	e->line = line;
	e->parent = c->cur;
	c->n++;
	const char *pp = c->cur < 0 ? NULL : c->e[c->cur].path;
	if (asprintf(&e->path, "%s%s%s", pp ? pp : "", pp && *pp ? "/" : "", pp ? name : "") < 0) {
		e->path = NULL;
		goto oom;
	}
	e->name = strrchr(e->path, '/') ? strrchr(e->path, '/') + 1 : e->path;
	while (atts[na])
		na++;
	if (!(e->attrs = calloc(na + 1, sizeof *e->attrs)))
		goto oom;
	for (size_t i = 0; i < na; i++)
		if (!(e->attrs[i] = strdup(atts[i])))
			goto oom;
	c->cur = (long)(c->n - 1);
	return;
oom:
	error_at(c, line, "out of memory");
	c->stopped = true;
	XML_StopParser(c->xp, XML_FALSE);
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct conv *c = ud;

	(void)name;
	if (c->cur >= 0)
		c->cur = c->e[c->cur].parent;
}

/* A reference XML knows: &name; &#NN; &#xHH; */
static bool
is_reference(const char *p, const char *end)
{
	const char *q = p + 1;

	if (q < end && *q == '#') {
		q++;
		bool hex = q < end && *q == 'x';
		const char *digits = q += hex;
		while (q < end && (hex ? isxdigit((unsigned char)*q) : isdigit((unsigned char)*q)))
			q++;
		return q > digits && q < end && *q == ';';
	}
	if (q >= end || !(isalpha((unsigned char)*q) || *q == '_' || *q == ':'))
		return false;
	while (q < end && (isalnum((unsigned char)*q) || strchr("._:-", *q)))
		q++;
	return q < end && *q == ';';
}

/* sersync reads its file with TinyXML, which takes a '&' that starts no
 * reference as text: the comments people write in confxml.xml ("... >
 * /dev/null 2>&1", outside <!-- -->) run under sersync, while expat stops
 * there.  Such a '&' becomes "&amp;" (one warning each), outside comments,
 * CDATA and processing instructions, where XML allows it anyway.  Later
 * columns of that line are then off by 4 in expat's messages. */
static char *
escape_bare_amps(struct conv *c, const char *xml, size_t len, size_t *outlen)
{
	char *out = malloc(len * 5 + 1), *o = out;
	const char *p = xml, *end = xml + len, *line_start = xml;
	int line = 1;

	if (!out)
		return NULL;
	while (p < end) {
		static const struct { const char *open, *close; } skip[] = {
			{ "<!--", "-->" }, { "<![CDATA[", "]]>" }, { "<?", "?>" },
		};
		size_t n = 0;
		for (size_t k = 0; k < sizeof skip / sizeof *skip && !n; k++) {
			size_t ol = strlen(skip[k].open);
			if ((size_t)(end - p) >= ol && !memcmp(p, skip[k].open, ol)) {
				const char *close = memmem(p + ol, (size_t)(end - p) - ol, skip[k].close,
				    strlen(skip[k].close));
				n = close ? (size_t)(close - p) + strlen(skip[k].close) : (size_t)(end - p);
			}
		}
		if (!n && *p == '&' && !is_reference(p, end)) {
			int col = 1;	/* in characters, as editors count: UTF-8 continuation bytes are not */
			for (const char *q = line_start; q < p; q++)
				col += ((unsigned char)*q & 0xc0) != 0x80;
			note(c, line, col, "warning", "a '&' that starts no reference "
			    "is taken as text, as sersync's parser does (XML wants &amp;)");
			memcpy(o, "&amp;", 5);
			o += 5;
			p++;
			continue;
		}
		if (!n)
			n = 1;
		for (size_t k = 0; k < n; k++)
			if (p[k] == '\n') {
				line++;
				line_start = p + k + 1;
			}
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

/* The bytes hold UTF-8 sequences only: lead and continuation bytes (overlong
 * forms are not looked for: this only chooses how expat reads the file). */
static bool
valid_utf8(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char b = s[i];
		size_t n = b < 0x80 ? 0 : (b & 0xe0) == 0xc0 && b >= 0xc2 ? 1 : (b & 0xf0) == 0xe0 ? 2 :
		    (b & 0xf8) == 0xf0 && b <= 0xf4 ? 3 : 4;
		if (n == 4 || i + n >= len + (n == 0))
			return false;
		for (size_t k = 1; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += n + 1;
	}
	return true;
}

static int
read_xml(struct conv *c)
{
	int fd = open(c->file, O_RDONLY | O_CLOEXEC);
	size_t total = 0, len = 0;
	char *raw = NULL, *xml = NULL;

	if (fd < 0) {
		error_at(c, 0, "%s", strerror(errno));
		return -1;
	}
	if (!(raw = malloc(MAX_XML + 1))) {
		error_at(c, 0, "out of memory");
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t got = read(fd, raw + total, MAX_XML + 1 - total);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			error_at(c, 0, "%s", strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		if ((total += (size_t)got) > MAX_XML) {
			error_at(c, 0, "larger than %d MiB: not a sersync configuration", MAX_XML >> 20);
			goto out;
		}
	}
	if (!(xml = escape_bare_amps(c, raw, total, &len))) {
		error_at(c, 0, "out of memory");
		goto out;
	}
	/* sersync's default header says ISO-8859-1, and TinyXML passes bytes
	 * through: a file in UTF-8 (comments, paths in Chinese) is read as
	 * UTF-8, or its non-ASCII paths would come out garbled. */
	if (!(c->xp = XML_ParserCreate(valid_utf8((unsigned char *)xml, len) ? "UTF-8" : NULL))) {
		error_at(c, 0, "out of memory");
		goto out;
	}
	XML_SetUserData(c->xp, c);
	XML_SetElementHandler(c->xp, on_start, on_end);
	if (XML_Parse(c->xp, xml, (int)len, 1) != XML_STATUS_OK && !c->stopped)
		/* expat counts columns from 0, editors from 1 */
		note(c, (int)XML_GetCurrentLineNumber(c->xp), (int)XML_GetCurrentColumnNumber(c->xp) + 1,
		    "error", "%s", XML_ErrorString(XML_GetErrorCode(c->xp)));
	XML_ParserFree(c->xp);
	c->xp = NULL;
out:
	free(raw);
	free(xml);
	close(fd);
	return c->failed ? -1 : 0;
}

/* The next child of parent named name after the one given (NULL: the first). */
static const struct elem *
child(const struct conv *c, const struct elem *parent, const char *name, const struct elem *after)
{
	if (!parent)
		return NULL;
	long p = parent - c->e;
	for (size_t i = after ? (size_t)(after - c->e) + 1 : (size_t)p + 1; i < c->n; i++)
		if (c->e[i].parent == p && !strcmp(c->e[i].name, name))
			return &c->e[i];
	return NULL;
}

#define first(c, parent, name) child(c, parent, name, NULL)
#define each(it, c, parent, name) \
	for (const struct elem *it = first(c, parent, name); it; it = child(c, parent, name, it))

static const char *
attr(const struct elem *e, const char *name)
{
	for (char **a = e ? e->attrs : NULL; a && *a; a += 2)
		if (!strcmp(*a, name))
			return a[1];
	return NULL;
}

static const char *
attr_or(const struct elem *e, const char *name, const char *def)
{
	const char *v = attr(e, name);
	return v && *v ? v : def;
}

/* sersync compares start="..." with "true" exactly. */
static bool
on(const struct elem *e)
{
	const char *s = attr(e, "start");
	return s && !strcmp(s, "true");
}

static size_t
count(const struct conv *c, const struct elem *parent, const char *name)
{
	size_t n = 0;
	each(x, c, parent, name)
		n++;
	return n;
}

static unsigned long
whole_number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	return *end || errno || v > max ? 0 : v;
}

/* ------------------------------------------------------ the ini text -- */

static void __attribute__((format(printf, 2, 3)))
comment(struct conv *c, const char *fmt, ...)
{
	char *s;
	va_list ap;

	va_start(ap, fmt);
	s = vformat(c, fmt, ap);
	va_end(ap);
	if (!s)
		return;
	one_line(s);
	fprintf(c->out, ";%s%s\n", *s ? " " : "", s);
	free(s);
}

/* What an ini line holds as it is: inih trims blanks at both ends, " ;"
 * starts a comment and a newline ends the line. */
static bool
ini_safe(const char *v)
{
	size_t n = strlen(v);

	if (!n || n > 3900 || isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1]))
		return false;
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || (*p == ';' && p[-1] == ' '))
			return false;
	return true;
}

static bool __attribute__((format(printf, 4, 5)))
setting(struct conv *c, int line, const char *key, const char *fmt, ...)
{
	char *v;
	va_list ap;

	va_start(ap, fmt);
	v = vformat(c, fmt, ap);
	va_end(ap);
	if (!v)
		return false;
	bool ok = ini_safe(v);
	if (ok) {
		fprintf(c->out, "%s = %s\n", key, v);
	} else {
		warning(c, line, "%s '%s' cannot be written in an ini file (blanks at an end, \" ;\", a control "
		    "character, or too long): left out", key, v);
		comment(c, "%s = ... left out, see the warnings", key);
	}
	free(v);
	return ok;
}

/* ------------------------------------------------- mapping helpers -- */

bool
sersync_valid_name(const char *s)
{
	if (!*s || *s == '.' || *s == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

char *
sersync_instance_name(const char *xml_path)
{
	const char *base = strrchr(xml_path, '/');
	base = base ? base + 1 : xml_path;
	size_t n = strlen(base);
	if (n > 4 && !strcasecmp(base + n - 4, ".xml"))
		n -= 4;
	char *name = strndup(base, n);
	if (name && (!sersync_valid_name(name) || !strcmp(name, "confxml"))) {
		free(name);
		name = strdup("imported");
	}
	return name;
}

char *
sersync_remote_name(const char *ip, const char *module)
{
	char *s, *o;

	if (asprintf(&s, "%s_%s", ip, module) < 0)
		return NULL;
	o = s;
	for (const char *p = s; *p; p++) {
		char ch = isalnum((unsigned char)*p) || *p == '.' || *p == '-' ? *p : '_';
		if (ch != '_' || (o > s && o[-1] != '_'))
			*o++ = ch;
	}
	while (o > s && o[-1] == '_')
		o--;
	*o = '\0';
	if (!*s) {
		free(s);
		return strdup("remote");
	}
	return s;
}

/* s[i] follows an odd number of backslashes. */
static bool
escaped(const char *s, size_t i)
{
	size_t k = 0;

	while (k < i && s[i - k - 1] == '\\')
		k++;
	return k % 2;
}

/* Why the anchoring, from sersync's Inotify.cpp: each event's path went
 * through boost::regex_match, which must match the whole string, and that
 * string is NAME for an entry of the watched directory itself but /DIR/NAME
 * (with a leading '/') deeper down; at start, a directory is tested as DIR/.
 * syncd searches an exclude_regex anywhere in DIR/NAME.  So E becomes ^(E)$;
 * a ^ or $ E had is dropped (the group anchors it), and so is a leading '/',
 * which could only ever match below the top level, where syncd's paths have
 * no leading '/'. */
static void
unanchor(const char *expr, const char **start, size_t *len)
{
	const char *s = expr;
	size_t n = strlen(s);

	if (*s == '^') {
		s++;
		n--;
	}
	if (n && s[n - 1] == '$' && !escaped(s, n - 1))
		n--;
	if (n && *s == '/') {
		s++;
		n--;
	}
	*start = s;
	*len = n;
}

/* Appends s[0..n) to o in POSIX extended syntax: boost's Perl \d and \D,
 * which POSIX reads as a plain d, are spelt as brackets; inside brackets a
 * backslash is itself in both.  o needs room for 5 * n bytes.  Returns the
 * end of what was written. */
static char *
posix_from_boost(char *o, const char *s, size_t n)
{
	bool bracket = false;

	for (size_t i = 0; i < n; i++) {
		if (bracket) {
			bracket = s[i] != ']';
			*o++ = s[i];
		} else if (s[i] == '\\' && i + 1 < n) {
			if (s[i + 1] == 'd')
				o = stpcpy(o, "[0-9]");
			else if (s[i + 1] == 'D')
				o = stpcpy(o, "[^0-9]");
			else {
				*o++ = s[i];
				*o++ = s[i + 1];
			}
			i++;
		} else if (s[i] == '[') {
			*o++ = s[i];
			if (i + 1 < n && s[i + 1] == '^')
				*o++ = s[++i];
			if (i + 1 < n && s[i + 1] == ']')
				*o++ = s[++i];
			bracket = true;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return o;
}

/* re (NULL: out of memory) compiles, within filter_regcomp's bounds; why
 * not in why. */
static bool
regex_compiles(const char *re, int flags, char *why, size_t len)
{
	regex_t rx;

	if (!re) {
		snprintf(why, len, "%s", strerror(ENOMEM));
		return false;
	}
	if (filter_regcomp(&rx, re, flags, why, len) < 0)
		return false;
	regfree(&rx);
	return true;
}

char *
sersync_filter_regex(const char *expr)
{
	const char *s;
	size_t n;
	char *out;

	unanchor(expr, &s, &n);
	if (!(out = malloc(5 * n + 8)))
		return NULL;
	stpcpy(posix_from_boost(stpcpy(out, "^("), s, n), ")$");
	return out;
}

/* The length of the prefix of s that is the text watch followed by a '/',
 * each character as itself or escaped with a backslash; 0 if there is none. */
static size_t
watch_prefix(const char *s, const char *watch)
{
	const char *p = s;

	for (const char *w = watch; *w; w++) {
		if (*p == *w && *p != '\\')
			p++;
		else if (p[0] == '\\' && p[1] == *w && !isalnum((unsigned char)*w))
			p += 2;
		else
			return 0;
	}
	if (*p == '/')
		return (size_t)(p + 1 - s);
	if (p[0] == '\\' && p[1] == '/')
		return (size_t)(p + 2 - s);
	return 0;
}

/* Why, from sersync's CommandInterface.cpp: an <include> expression was
 * tested with boost::regex_match (the whole string) against the event's
 * absolute path, WATCH/PATH; include_regex is searched in PATH.  A leading
 * "(.*)" or ".*" and a slash could end with WATCH's own slash, so it becomes
 * "(.*" slash ")?". */
char *
sersync_include_regex(const char *expr, const char *watch, bool *elsewhere)
{
	const char *s = expr + (*expr == '^');
	size_t skip = watch_prefix(s, watch);

	*elsewhere = !skip && (*s == '/' || (s[0] == '\\' && s[1] == '/'));
	if (!skip && s[0] == '\\' && s[1] == '/')
		s++;		/* sersync_filter_regex drops the '/' */
	s += skip;
	/* Any directories, then a '/': at the top, that '/' was WATCH's (unless
	 * WATCH/ was written out). */
	size_t any = skip ? 0 : !strncmp(s, "(.*)/", 5) ? 5 : !strncmp(s, ".*/", 3) ? 3 : 0;
	char *e, *re;
	if (!any)
		return sersync_filter_regex(s);
	if (asprintf(&e, "(.*/)?%s", s + any) < 0)
		return NULL;
	re = sersync_filter_regex(e);
	free(e);
	return re;
}

/* Capturing groups: '(' neither escaped nor in brackets. */
static unsigned
groups(const char *re)
{
	unsigned n = 0;
	bool bracket = false;

	for (size_t i = 0; re[i]; i++) {
		if (bracket) {
			bracket = re[i] != ']';
		} else if (re[i] == '\\' && re[i + 1]) {
			i++;
		} else if (re[i] == '[') {
			i += re[i + 1] == '^';
			i += re[i + 1] == ']';
			bracket = true;
		} else if (re[i] == '(') {
			n++;
		}
	}
	return n;
}

/* From sersync's CdnRefreshInterface.cpp: with <regexurl regex="true">, M
 * was searched (boost::regex_search) in the absolute path and the URL became
 * base + what[1] + what.suffix(), the text after the match; no match, no
 * refresh.  syncd's path_regex is searched in the relative path, which then
 * becomes replace, so: (M)(.*)$, and \2 (M's first group) and the last
 * group.  A leading WATCH/ in M is dropped, anchoring it at the start;
 * otherwise *elsewhere says whether M is anchored with ^ (at the start of
 * WATCH) or starts with text found in WATCH/, which syncd's relative paths
 * never hold. */
int
sersync_cdn_regex(const char *match, const char *watch, char **path_regex, char **replace,
    bool *elsewhere)
{
	const char *s = match + (*match == '^');
	size_t skip = watch_prefix(s, watch), n;
	char *re, *o;

	*path_regex = *replace = NULL;
	*elsewhere = false;
	if (!skip) {
		/* M's literal start ('.' as itself), found in WATCH/? */
		char head[256], *wslash;
		size_t h = 0;
		for (const char *p = match; *p && h < sizeof head - 1; p++) {
			if (p[0] == '\\' && p[1] && !isalnum((unsigned char)p[1]))
				head[h++] = *++p;
			else if (strchr("[]()*+?{}|^$\\", *p))
				break;
			else
				head[h++] = *p;
		}
		head[h] = '\0';
		if (h && asprintf(&wslash, "%s/", watch) >= 0) {
			*elsewhere = strstr(wslash, head) != NULL;
			free(wslash);
		}
		*elsewhere |= *match == '^';	/* the start of WATCH */
		s = match;
	}
	s += skip;
	n = strlen(s);
	if (!(re = malloc(5 * n + 16)))
		return -1;
	o = stpcpy(re, skip ? "^(" : "(");
	o = posix_from_boost(o, s, n);
	stpcpy(o, ")(.*)$");
	unsigned g = groups(re);	/* M's own, and the two added */
	if (g > 9 || asprintf(replace, "%s\\%u", g > 2 ? "\\2" : "", g) < 0) {
		free(re);
		*replace = NULL;
		return -1;
	}
	*path_regex = re;
	return 0;
}

static bool
word_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '-';
}

char *
sersync_filter_glob(const char *expr)
{
	static const char *const any[] = { "(.*)\\.", ".*\\." };
	const char *s;
	size_t n, i = 0, d = 0;
	char *dir, *glob = NULL;

	unanchor(expr, &s, &n);
	for (size_t k = 0; k < sizeof any / sizeof any[0]; k++) {
		size_t l = strlen(any[k]), j = l;
		if (n <= l || strncmp(s, any[k], l))
			continue;
		while (j < n && word_char(s[j]))
			j++;
		if (j == n && asprintf(&glob, "*.%.*s", (int)(n - l), s + l) < 0)
			glob = NULL;
		return glob;
	}
	/* DIR: components of word characters and \. separated by '/' */
	if (!(dir = malloc(n + 1)))
		return NULL;
	while (i < n) {
		if (word_char(s[i]))
			dir[d++] = s[i++];
		else if (s[i] == '\\' && i + 1 < n && s[i + 1] == '.') {
			dir[d++] = '.';
			i += 2;
		} else if (s[i] == '/' && d && dir[d - 1] != '/' && i + 1 < n && (word_char(s[i + 1]) || s[i + 1] == '\\'))
			dir[d++] = s[i++];
		else
			break;
	}
	dir[d] = '\0';
	/* a component of dots only is no name */
	for (char *comp = dir; d && comp;) {
		size_t len = strcspn(comp, "/");
		if (strspn(comp, ".") >= len)
			d = 0;
		comp = comp[len] ? comp + len + 1 : NULL;
	}
	const char *tail = s + i;
	size_t tn = n - i;
	if (d && (tn == 0 || (tn == 1 && *tail == '/') || (tn == 2 && !strncmp(tail, "/*", 2)))) {
		if (asprintf(&glob, "/%s", dir) < 0)
			glob = NULL;
	} else if (d && tn == 3 && !strncmp(tail, "/.*", 3)) {
		if (asprintf(&glob, "/%s/*", dir) < 0)
			glob = NULL;
	}
	free(dir);
	return glob;
}

bool
sersync_crontab_same(const char *expr, const char *pattern)
{
	char *g = sersync_filter_glob(expr);
	bool same = false;

	if (!g)
		return false;
	if (g[0] == '*') {
		same = !strcmp(pattern, g);
	} else {
		const char *dir = g + 1, *p = pattern + (pattern[0] == '/');
		size_t dl = strlen(dir);
		if (dl > 2 && !strcmp(dir + dl - 2, "/*"))
			dl -= 2;
		if (!strncmp(p, dir, dl)) {
			const char *t = p + dl;
			same = !*t || !strcmp(t, "/") || !strcmp(t, "/*") || !strcmp(t, "/**") || !strcmp(t, "/***");
		}
	}
	free(g);
	return same;
}

/* ----------------------------------------------------- the sections -- */

static const struct elem *
root(const struct conv *c)
{
	return &c->e[0];
}

/* sersync's own test: a <filter> with expressions in it is on. */
static bool
filter_used(const struct conv *c)
{
	const struct elem *f = first(c, root(c), "filter");
	return on(f) && count(c, f, "exclude") > 0;
}

/* The <crontabfilter> patterns sersync used, or NULL. */
static const struct elem *
crontabfilter_used(const struct conv *c, const struct elem *sx)
{
	const struct elem *cron = first(c, sx, "crontab"), *cf = first(c, cron, "crontabfilter");
	return on(cron) && on(cf) && count(c, cf, "exclude") > 0 ? cf : NULL;
}

static void
check_elements(struct conv *c)
{
	static const char *const known[] = {
		"host", "debug", "fileSystem", "filter", "inotify", "inotify/delete", "inotify/createFolder",
		"inotify/createFile", "inotify/closeWrite", "inotify/moveFrom", "inotify/moveTo",
		"inotify/attrib", "inotify/modify", "sersync", "sersync/localpath", "sersync/rsync",
		"sersync/rsync/commonParams", "sersync/rsync/auth", "sersync/rsync/userDefinedPort",
		"sersync/rsync/timeout", "sersync/rsync/ssh", "sersync/failLog", "sersync/crontab",
		"sersync/crontab/crontabfilter", "sersync/plugin",
	}, *const repeated[] = {
		"filter/exclude", "sersync/localpath/remote", "sersync/crontab/crontabfilter/exclude", "plugin",
	};
	const struct elem *h = first(c, root(c), "host");
	const struct elem *fs = first(c, root(c), "fileSystem");

	for (size_t i = 1; i < c->n; i++) {
		const struct elem *e = &c->e[i];
		bool single = false, many = false;
		if (!strncmp(e->path, "plugin/", 7))
			continue;	/* each plugin has its own settings */
		for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
			single |= !strcmp(e->path, known[k]);
		for (size_t k = 0; k < sizeof repeated / sizeof repeated[0]; k++)
			many |= !strcmp(e->path, repeated[k]);
		if (!single && !many)
			warning(c, e->line, "<%s> is not a sersync setting (in <%s>): ignored", e->name,
			    e->parent > 0 ? c->e[e->parent].path : "head");
		else if (single && first(c, &c->e[e->parent], e->name) != e)
			warning(c, e->line, "a second <%s>: sersync reads only the first one, and so does this "
			    "import%s", e->name, !strcmp(e->name, "localpath") ?
			    " (make one instance per directory: import a copy of the file per <localpath>)" : "");
	}
	if (h && (strcmp(attr_or(h, "hostip", ""), "localhost") || strcmp(attr_or(h, "port", ""), "8008")))
		warning(c, h->line, "<host hostip=\"%s\" port=\"%s\">: sersync's listener for its plugins has no "
		    "equivalent (syncd answers on its control socket, RUNTIME/%s.sock): ignored",
		    attr_or(h, "hostip", ""), attr_or(h, "port", ""), c->name);
	if (on(first(c, root(c), "debug")))
		warning(c, first(c, root(c), "debug")->line, "<debug start=\"true\"> has no setting in syncd: run "
		    "the worker with -v to log every event and rsync command line");
	if (fs && !strcmp(attr_or(fs, "xfs", ""), "true"))
		warning(c, fs->line, "<fileSystem xfs=\"true\"> is not needed: syncd asks stat() whenever "
		    "readdir does not give an entry's type, as on XFS");
}

static void
write_header(struct conv *c)
{
	comment(c, "Instance %s, imported by syncctl import-sersync from", c->name);
	comment(c, "  %s", c->file);
	comment(c, "The comments say which sersync setting each key comes from; see also");
	comment(c, "\"FROM SERSYNC\" in syncd.ini(5).  Check it, then install and start it:");
	comment(c, "  syncd --check --config %s.ini", c->name);
	comment(c, "  cp %s.ini /etc/syncd/instances.d/ && syncctl start %s", c->name, c->name);
	comment(c, "%s", "");
	comment(c, "sersync never mirrored a file whose name starts with \".\" or ends with \"~\"");
	comment(c, "(.htaccess, editor backups), whatever its <filter> said; syncd does.  To keep");
	comment(c, "them off the mirrors, add to [source] (this excludes such directories too):");
	comment(c, "  exclude = .*");
	comment(c, "  exclude = *~");
}

static void
write_events(struct conv *c)
{
	static const struct {
		const char *xml, *event;
	} toggles[] = {
		{ "createFolder", "create_dir" }, { "createFile", "create_file" },
		{ "closeWrite", "close_write" }, { "moveFrom", "move_from" }, { "moveTo", "move_to" },
		{ "delete", "delete" }, { "attrib", "attrib" }, { "modify", "modify" },
	};
	const struct elem *in = first(c, root(c), "inotify");
	char events[160] = "", names[160] = "";

	if (!in) {
		warning(c, root(c)->line, "no <inotify>: syncd's default events are used");
		return;
	}
	for (size_t i = 0; i < sizeof toggles / sizeof toggles[0]; i++)
		if (on(first(c, in, toggles[i].xml))) {
			snprintf(events + strlen(events), sizeof events - strlen(events), "%s%s", *events ? ", " : "",
			    toggles[i].event);
			snprintf(names + strlen(names), sizeof names - strlen(names), " %s", toggles[i].xml);
		}
	if (!*events) {
		warning(c, in->line, "<inotify> has every event off, so sersync pushed nothing as it changed: "
		    "syncd's default events are used");
		return;
	}
	comment(c, "<inotify> (line %d), the events on:%s", in->line, names);
	setting(c, in->line, "events", "%s", events);
	const struct elem *cf = first(c, in, "createFolder");
	if (!on(cf))
		warning(c, cf ? cf->line : in->line, "<createFolder> is off: sersync then did not even watch a "
		    "new directory, so nothing made in it was pushed; syncd watches new directories and pushes "
		    "what is written in them, only not the directory itself when it appears");
}

/* <filter> expressions become exclude_regex, or an rsync pattern (exclude)
 * when <crontabfilter> has the same exclusion: an rsync pattern keeps mirror
 * copies out of the full sync's --delete too, as sersync's crontab did. */
static void
write_filters(struct conv *c, const struct elem *sx)
{
	const struct elem *f = first(c, root(c), "filter"), *cf = crontabfilter_used(c, sx);
	size_t ncf = count(c, cf, "exclude"), j;
	bool *paired = calloc(ncf + 1, sizeof *paired);

	if (!paired) {
		c->failed = true;
		return;
	}
	if (f && !on(f) && count(c, f, "exclude")) {
		warning(c, f->line, "<filter start=\"%s\"> is off: its expressions are not imported",
		    attr_or(f, "start", ""));
		each(x, c, f, "exclude")
			comment(c, "<filter> off, not imported: %s", attr_or(x, "expression", ""));
	} else if (filter_used(c)) {
		comment(c, "<filter> (line %d): sersync matched each expression against the whole path", f->line);
		comment(c, "below the watched directory; exclude_regex is searched for anywhere in it,");
		comment(c, "hence ^( )$.");
	}
	each(x, c, on(f) ? f : NULL, "exclude") {
		const char *e = attr_or(x, "expression", "");
		const struct elem *y = NULL;
		if (!*e) {
			warning(c, x->line, "<exclude> without an expression: ignored");
			continue;
		}
		j = 0;
		each(z, c, cf, "exclude") {
			if (!paired[j] && sersync_crontab_same(e, attr_or(z, "expression", ""))) {
				paired[j] = true;
				y = z;
				break;
			}
			j++;
		}
		if (y) {
			char *glob = sersync_filter_glob(e);
			comment(c, "%s (line %d), also <crontabfilter> %s (line %d): an rsync pattern,", e,
			    x->line, attr(y, "expression"), y->line);
			comment(c, "so that full syncs leave the mirrors' copies alone, as sersync's crontab did");
			if (glob)
				setting(c, x->line, "exclude", "%s", glob);
			free(glob);
			continue;
		}
		char *re = sersync_filter_regex(e), why[256];
		if (!regex_compiles(re, REG_EXTENDED | REG_NOSUB, why, sizeof why)) {
			warning(c, x->line, "<exclude expression=\"%s\">: %s in POSIX extended syntax (%s): not imported",
			    e, why, re ? re : "");
			comment(c, "not imported, see the warnings: %s", e);
		} else {
			comment(c, "%s (line %d)", e, x->line);
			setting(c, x->line, "exclude_regex", "%s", re);
		}
		free(re);
	}
	j = 0;
	each(z, c, cf, "exclude") {
		const char *p = attr_or(z, "expression", "");
		if (!paired[j++] && *p) {
			warning(c, z->line, "<crontabfilter> pattern %s is not one of <filter>'s: sersync pushed such "
			    "paths as they changed but left them out of its crontab full sync; syncd's full syncs "
			    "exclude what live pushes exclude, so they are included (to keep them off the mirrors "
			    "altogether: exclude = %s, commented out in [source])", p, p);
			comment(c, "<crontabfilter> only (line %d), see the warnings:", z->line);
			comment(c, "exclude = %s", p);
		}
	}
	free(paired);
}

static void
write_source(struct conv *c, const struct elem *sx, const struct elem *lp)
{
	char *path = strdup(attr(lp, "watch"));
	size_t n = path ? strlen(path) : 0;

	if (!path) {
		c->failed = true;
		return;
	}
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	fprintf(c->out, "\n[source]\n");
	comment(c, "<localpath watch> (line %d)", lp->line);
	setting(c, lp->line, "path", "%s", path);
	free(path);
	write_events(c);
	write_filters(c, sx);
}

static char *
unique_remote_name(struct conv *c, const char *ip, const char *module)
{
	char *base = sersync_remote_name(ip, module), *name = base ? strdup(base) : NULL;

	for (unsigned k = 2; name;) {
		size_t i = 0;
		while (i < c->nremote_names && strcmp(c->remote_names[i], name))
			i++;
		if (i == c->nremote_names)
			break;
		free(name);
		if (asprintf(&name, "%s-%u", base, k++) < 0)
			name = NULL;
	}
	free(base);
	char **v = name ? realloc(c->remote_names, (c->nremote_names + 1) * sizeof *v) : NULL;
	if (!v) {
		free(name);
		c->failed = true;
		return NULL;
	}
	c->remote_names = v;
	v[c->nremote_names++] = name;
	return name;
}

/* What <rsync> says about every remote. */
struct remote_opts {
	bool ssh;
	const char *user, *password_file;
	unsigned long port, timeout;
	int auth_line, timeout_line;
};

static void
remote_opts(struct conv *c, const struct elem *rs, struct remote_opts *o)
{
	const struct elem *auth = first(c, rs, "auth"), *port = first(c, rs, "userDefinedPort");
	const struct elem *to = first(c, rs, "timeout");

	memset(o, 0, sizeof *o);
	o->ssh = on(first(c, rs, "ssh"));
	if (on(auth)) {
		o->auth_line = auth->line;
		o->user = attr_or(auth, "users", NULL);
		o->password_file = attr_or(auth, "passwordfile", NULL);
		if (o->user && strpbrk(o->user, "@:/[] \t")) {
			warning(c, auth->line, "<auth users=\"%s\"> is not one user name: not imported", o->user);
			o->user = NULL;
		}
		if (o->ssh && o->password_file) {
			warning(c, auth->line, "<auth passwordfile=\"%s\">: rsync reads a password file only for "
			    "rsync daemons, not over ssh (<ssh start=\"true\">): not imported; ssh logs in with a key",
			    o->password_file);
			o->password_file = NULL;
		} else if (o->password_file && o->password_file[0] != '/') {
			warning(c, auth->line, "<auth passwordfile=\"%s\"> is not an absolute path: not imported",
			    o->password_file);
			o->password_file = NULL;
		}
		if (!o->ssh && o->user && !o->password_file)
			warning(c, auth->line, "<auth users=\"%s\"> without a passwordfile: rsync will ask for the "
			    "password, which a service cannot answer", o->user);
	} else if (auth && (*attr_or(auth, "users", "") || *attr_or(auth, "passwordfile", ""))) {
		warning(c, auth->line, "<auth start=\"%s\"> is off: user \"%s\" and password file \"%s\" are not "
		    "imported", attr_or(auth, "start", ""), attr_or(auth, "users", ""),
		    attr_or(auth, "passwordfile", ""));
	}
	if (on(port)) {
		o->port = whole_number(attr(port, "port"), 65535);
		if (!o->port)
			warning(c, port->line, "<userDefinedPort port=\"%s\"> is not a port number: not imported",
			    attr_or(port, "port", ""));
		else if (o->ssh) {
			warning(c, port->line, "<userDefinedPort port=\"%lu\"> does not apply over ssh (rsync's --port is "
			    "for rsync daemons, so sersync's ssh pushes went to port 22): not imported", o->port);
			o->port = 0;
		}
	} else if (port) {
		warning(c, port->line, "<userDefinedPort start=\"%s\"> is off: port %s is not imported (rsync "
		    "daemons listen on 873)", attr_or(port, "start", ""), attr_or(port, "port", ""));
	}
	if (on(to)) {
		o->timeout_line = to->line;
		o->timeout = whole_number(attr(to, "time"), 1000000);
		if (!o->timeout)
			warning(c, to->line, "<timeout time=\"%s\"> is not a number of seconds above 0 (rsync waits "
			    "forever with 0); syncd always sets one: its default, 100s, applies",
			    attr_or(to, "time", ""));
	} else if (to) {
		warning(c, to->line, "<timeout start=\"%s\"> is off (rsync then waits forever on a dead "
		    "connection); syncd always sets one: its default, 100s, applies", attr_or(to, "start", ""));
	}
}

static void
write_remotes(struct conv *c, const struct elem *sx, const struct elem *lp)
{
	struct remote_opts o;
	size_t n = 0;

	remote_opts(c, first(c, sx, "rsync"), &o);
	each(r, c, lp, "remote") {
		const char *ip = attr_or(r, "ip", ""), *mod = attr_or(r, "name", "");
		char port[24] = "";
		if (!*ip || !*mod) {
			warning(c, r->line, "<remote> needs both ip and name: skipped");
			continue;
		}
		if (strlen(ip) > 255 || strpbrk(ip, "/@[] \t")) {
			warning(c, r->line, "<remote ip=\"%s\"> is not a host name or address: skipped", ip);
			continue;
		}
		bool v6 = strchr(ip, ':') != NULL, relative = o.ssh && mod[0] != '/';
		char *path = strdup(mod), *target, *name;
		size_t len = path ? strlen(path) : 0;
		int rc;
		if (!path) {
			c->failed = true;
			return;
		}
		if (o.port)
			snprintf(port, sizeof port, ":%lu", o.port);
		while (o.ssh && len > 1 && path[len - 1] == '/')
			path[--len] = '\0';
		if (o.ssh)
			rc = asprintf(&target, "ssh://%s%s%s%s%s%s%s", o.user ? o.user : "", o.user ? "@" : "",
			    v6 ? "[" : "", ip, v6 ? "]" : "", relative ? "/HOME/DIRECTORY/" : "", path);
		else
			rc = asprintf(&target, "rsync://%s%s%s%s%s%s/%s", o.user ? o.user : "", o.user ? "@" : "",
			    v6 ? "[" : "", ip, v6 ? "]" : "", port, path + strspn(path, "/"));
		free(path);
		if (rc < 0) {
			c->failed = true;
			return;
		}
		if (!ini_safe(target)) {
			warning(c, r->line, "<remote ip=\"%s\" name=\"%s\">: its target, %s, cannot be written in an "
			    "ini file (blanks at an end, \" ;\", a control character, or too long): skipped", ip, mod,
			    target);
			free(target);
			continue;
		}
		if (!(name = unique_remote_name(c, ip, mod))) {
			free(target);
			return;
		}
		fprintf(c->out, "\n");
		comment(c, "<remote ip=\"%s\" name=\"%s\"> (line %d)%s", ip, mod, r->line,
		    o.ssh ? ", over ssh: the name is a path there" : "");
		fprintf(c->out, "[remote %s]\n", name);
		n++;
		if (relative) {
			warning(c, r->line, "over ssh, name=\"%s\" is a path relative to the login's home directory "
			    "on %s; syncd needs an absolute path: the target is left for you to complete (syncd "
			    "--check says so until it is)", mod, ip);
			comment(c, "target = %s", target);
		} else {
			setting(c, r->line, "target", "%s", target);
		}
		free(target);
		if (o.ssh) {
			comment(c, "sersync ran rsync -e ssh: the keys and known hosts of the user it ran as;");
			comment(c, "syncd does the same unless ssh_key and ssh_options say otherwise.");
		} else if (o.password_file) {
			setting(c, o.auth_line, "password_file", "%s", o.password_file);
		}
		if (o.timeout)
			setting(c, o.timeout_line, "timeout", "%lus", o.timeout);
	}
	if (!n)
		error_at(c, lp->line, "<localpath> has no usable <remote ip=\"...\" name=\"...\">: nothing to mirror to");
}

/* Options that take the next word as their argument when written alone. */
static bool
takes_argument(const char *opt)
{
	static const char *const with_arg[] = {
		"-e", "--rsh", "--timeout", "--contimeout", "--password-file", "--files-from",
		"--exclude-from", "--include-from",
	};
	for (size_t i = 0; i < sizeof with_arg / sizeof with_arg[0]; i++)
		if (!strcmp(opt, with_arg[i]))
			return true;
	return false;
}

static void
write_rsync(struct conv *c, const struct elem *sx)
{
	const struct elem *cp = first(c, first(c, sx, "rsync"), "commonParams");
	const struct elem *del = first(c, first(c, root(c), "inotify"), "delete");
	const char *params = attr_or(cp, "params", NULL);
	char **words = params ? strv_split(params) : NULL;
	char *kept = NULL;
	size_t len = 0;
	bool update = false;

	fprintf(c->out, "\n[rsync]\n");
	if (!params) {
		warning(c, cp ? cp->line : sx->line, "no <commonParams params>: sersync ran rsync with no "
		    "options but -R; syncd's default, " DEFAULT_RSYNC_OPTIONS ", is used");
	} else if (!words) {
		c->failed = true;
		return;
	} else {
		FILE *f = open_memstream(&kept, &len);
		for (char **w = words; f && *w; w++) {
			if (strpbrk(*w, "'\"")) {
				char *o = *w;
				warning(c, cp->line, "<commonParams>: sersync passed %s through a shell, syncd passes "
				    "options as they are: its quotes are dropped", *w);
				for (char *p = *w; *p; p++)
					if (*p != '\'' && *p != '"')
						*o++ = *p;
				*o = '\0';
			}
			if ((*w)[0] != '-') {
				warning(c, cp->line, "<commonParams>: %s is not an option: dropped", *w);
			} else if (config_rsync_option_ours(*w)) {
				bool arg = takes_argument(*w) && w[1];
				warning(c, cp->line, "<commonParams>: %s%s%s is set by syncd itself: dropped", *w,
				    arg ? " " : "", arg ? w[1] : "");
				if (arg)
					w++;
			} else {
				fprintf(f, "%s%s", ftell(f) ? " " : "", *w);
				update |= !strcmp(*w, "--update") || ((*w)[1] != '-' && strchr(*w, 'u'));
			}
		}
		if (!f || fclose(f)) {
			c->failed = true;
			strv_free(words);
			return;
		}
		comment(c, "<commonParams> (line %d); syncd adds -R, --delete and the rest itself", cp->line);
		if (update) {
			warning(c, cp->line, "<commonParams>: -u (--update) kept: rsync skips every file that "
			    "is newer on a mirror, so a rollback to older files (a release restored with "
			    "tar x or cp -p) never reaches the mirrors, not even with a full sync; drop it "
			    "for an exact mirror");
			comment(c, "-u leaves alone what is newer on a mirror, in full syncs too: drop it if");
			comment(c, "a rollback to older files must reach the mirrors (see syncd.ini(5))");
		}
		if (*kept)
			setting(c, cp->line, "options", "%s", kept);
		else
			comment(c, "nothing left of it: syncd's default, " DEFAULT_RSYNC_OPTIONS ", applies");
		free(kept);
		strv_free(words);
	}
	if (on(del)) {
		comment(c, "<delete start=\"true\"> (line %d): deletions reach the mirrors, and full", del->line);
		comment(c, "syncs delete what the source does not have");
		setting(c, del->line, "delete", "yes");
	} else {
		if (del)
			comment(c, "<delete start=\"%s\"> (line %d): sersync then ran rsync without --delete,",
			    attr_or(del, "start", ""), del->line);
		else
			comment(c, "no <inotify><delete>: sersync then ran rsync without --delete,");
		comment(c, "full syncs included: nothing is ever deleted on the mirrors");
		setting(c, del ? del->line : 0, "delete", "no");
	}
}

static bool
temporary(const char *path)
{
	return !strncmp(path, "/tmp/", 5) || !strncmp(path, "/var/tmp/", 9) || !strncmp(path, "/dev/shm/", 9);
}

static void
write_retry(struct conv *c, const struct elem *sx)
{
	const struct elem *fl = first(c, sx, "failLog");
	const char *path = attr_or(fl, "path", NULL), *every = attr_or(fl, "timeToExecute", "120");
	char *def;

	if (!fl)
		return;
	fprintf(c->out, "\n[retry]\n");
	comment(c, "<failLog> (line %d): sersync wrote the rsync commands that failed twice into", fl->line);
	comment(c, "a script, and ran it every %s minutes (timeToExecute):", every);
	comment(c, "  %s", path ? path : "(no path)");
	comment(c, "syncd retries by itself, with backoff (min_backoff, max_backoff), and its");
	comment(c, "fail_log is a record for people to read.");
	warning(c, fl->line, "<failLog timeToExecute=\"%s\">: replaced by syncd's own retries with backoff "
	    "([retry] min_backoff, max_backoff); the fail log becomes a record of failures, not a script to "
	    "run", every);
	if (!path)
		return;
	if (path[0] == '/' && !temporary(path)) {
		setting(c, fl->line, "fail_log", "%s", path);
		return;
	}
	if (asprintf(&def, "%s/%s/failed.log", c->state_dir, c->name) < 0) {
		c->failed = true;
		return;
	}
	warning(c, fl->line, "<failLog path=\"%s\"> is %s: the instance's state directory is used instead, %s",
	    path, path[0] != '/' ? "not an absolute path" : "in a temporary directory (emptied at boot, and "
	    "private to the service under systemd's PrivateTmp=)", def);
	setting(c, fl->line, "fail_log", "%s", def);
	free(def);
}

static void
write_full_sync(struct conv *c, const struct elem *sx)
{
	const struct elem *cron = first(c, sx, "crontab"), *cf = first(c, cron, "crontabfilter");
	unsigned long minutes;

	fprintf(c->out, "\n[full_sync]\n");
	comment(c, "sersync2 -r, a command-line option (not in the file): a full sync at start.");
	if (filter_used(c))
		comment(c, "(sersync ignored -r while <filter> was on; syncd's full syncs apply the excludes.)");
	setting(c, 0, "on_start", "yes");
	if (!cron)
		return;
	if (!on(cron)) {
		warning(c, cron->line, "<crontab start=\"%s\"> is off: no periodic full sync (every = 0, the "
		    "default)", attr_or(cron, "start", ""));
		comment(c, "<crontab> off (line %d): no periodic full sync", cron->line);
		return;
	}
	if (!(minutes = whole_number(attr(cron, "schedule"), 60UL * 24 * 365))) {
		warning(c, cron->line, "<crontab schedule=\"%s\"> is not a number of minutes: sersync's "
		    "default, 600, is used", attr_or(cron, "schedule", ""));
		minutes = 600;
	}
	if (filter_used(c) && !crontabfilter_used(c, sx))
		warning(c, cron->line, "sersync left this crontab off, since <filter> was on without a "
		    "<crontabfilter>; syncd's full syncs apply the excludes, so it is imported: every = %lumin "
		    "(set 0 to keep it off)", minutes);
	if (cf && !on(cf) && count(c, cf, "exclude"))
		warning(c, cf->line, "<crontabfilter start=\"%s\"> is off: its patterns are not imported; "
		    "syncd's full syncs exclude what <filter> excludes", attr_or(cf, "start", ""));
	comment(c, "<crontab schedule=\"%s\"> (line %d), in minutes; full syncs exclude what",
	    attr_or(cron, "schedule", ""), cron->line);
	comment(c, "live pushes exclude (for <crontabfilter>, see [source])");
	setting(c, cron->line, "every", "%lumin", minutes);
}

/* ----------------------------------------------------------- plugins -- */

/* Each plugin becomes a [hook NAME] section, written from what sersync 2.5's
 * plugins did (CommandInterface.cpp, SocketInterface.cpp, HttpInterface.cpp,
 * CdnRefreshInterface.cpp).  The section goes to a buffer first: one that
 * cannot work as it is, or whose plugin only ran under "sersync2 -m NAME"
 * (instead of mirroring), is then written commented out, keys and all. */
struct hooksec {
	FILE *saved;		/* c->out outside the section */
	char *text;
	size_t len;
	const char *name;	/* the plugin's, and the hook's */
	int line;		/* of the <plugin> */
	bool on;		/* <sersync><plugin start="true"> names it */
	bool live;		/* written as keys, not as comments */
};

/* A comment of any length, in lines of at most about 78 columns. */
static void
comment_wrapped(struct conv *c, const char *text)
{
	const char *s = text;

	while (*s) {
		size_t n = strlen(s), cut = n;
		if (n > 76) {
			cut = 76;
			while (cut > 0 && s[cut] != ' ')
				cut--;
			if (!cut)
				cut = strcspn(s, " ");
		}
		size_t end = cut;
		while (end > 0 && s[end - 1] == ' ')
			end--;
		comment(c, "%.*s", (int)end, s);
		s += cut;
		while (*s == ' ')
			s++;
	}
}

/* A paragraph of comment, wrapped. */
static void __attribute__((format(printf, 2, 3)))
paragraph(struct conv *c, const char *fmt, ...)
{
	char *text;
	va_list ap;

	va_start(ap, fmt);
	text = vformat(c, fmt, ap);
	va_end(ap);
	if (!text)
		return;
	comment_wrapped(c, text);
	free(text);
}

/* Something the operator must know about the hook: a warning when the
 * plugin ran (the hook is live), a comment in its section when it did not
 * (the section is commented out and one warning says so). */
static void __attribute__((format(printf, 4, 5)))
hook_note(struct conv *c, struct hooksec *hs, int line, const char *fmt, ...)
{
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	msg = vformat(c, fmt, ap);
	va_end(ap);
	if (!msg)
		return;
	if (hs->on) {
		warning(c, line, "%s", msg);
	} else {
		char *text;
		if (asprintf(&text, "Note: %s", msg) >= 0) {
			comment_wrapped(c, text);
			free(text);
		} else {
			c->failed = true;
		}
	}
	free(msg);
}

/* What a live hook does differently, for the operator to act on: a warning;
 * nothing for a commented-out one, whose comments say it. */
#define hook_warning(c, hs, line, ...) \
	do { \
		if ((hs)->on && (hs)->live) \
			warning(c, line, __VA_ARGS__); \
	} while (0)

/* The hook cannot work as written: why, and the section is commented out. */
#define hook_blocked(c, hs, line, ...) \
	do { \
		(hs)->live = false; \
		hook_note(c, hs, line, __VA_ARGS__); \
	} while (0)

/* A key of the hook, from line; one that an ini file cannot hold blocks it. */
static void __attribute__((format(printf, 5, 6)))
hook_key(struct conv *c, struct hooksec *hs, int line, const char *key, const char *fmt, ...)
{
	char *v;
	va_list ap;

	va_start(ap, fmt);
	v = vformat(c, fmt, ap);
	va_end(ap);
	if (!v)
		return;
	if (!setting(c, line, key, "%s", v))
		hs->live = false;
	free(v);
}

static bool
hook_begin(struct conv *c, struct hooksec *hs)
{
	hs->saved = c->out;
	if (!(c->out = open_memstream(&hs->text, &hs->len))) {
		c->out = hs->saved;
		c->failed = true;
		return false;
	}
	return true;
}

static void
hook_end(struct conv *c, struct hooksec *hs)
{
	if (fclose(c->out) != 0)
		c->failed = true;
	c->out = hs->saved;
	/* Commented out, below its header: keys as "; key = value", comments
	 * as ";; text", so that uncommenting "; " gives the working section. */
	bool below = false;
	for (char *line = hs->text, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line) - 1;
		below |= !strncmp(line, "[hook ", 6);
		const char *mark = hs->live ? "" : line[0] != ';' ? "; " : below ? ";" : "";
		fprintf(c->out, "%s%.*s\n", mark, (int)(nl - line), line);
	}
	free(hs->text);
}

/* [hook NAME], its type and when it runs. */
static void
hook_head(struct conv *c, struct hooksec *hs, const char *type)
{
	fprintf(c->out, "[hook %s]\n", hs->name);
	fprintf(c->out, "type = %s\n", type);
	if (hs->on) {
		comment(c, "sersync ran it once the change was pushed to every remote (whether the");
		comment(c, "pushes worked or not): mirrored waits until every remote has it");
		fprintf(c->out, "when = mirrored\n");
	} else {
		comment(c, "sersync2 -m ran it as soon as it saw the change");
		fprintf(c->out, "when = changed\n");
	}
}

/* A program that reads its argument as a script: with the changed path as
 * its argument, it runs the changed file. */
static bool
interpreter(const char *prog)
{
	static const char *const names[] = {
		"sh", "bash", "dash", "ash", "ksh", "mksh", "pdksh", "zsh", "csh", "tcsh", "fish", "busybox",
		"env", "php", "php-cgi", "perl", "python", "ruby", "node", "nodejs", "lua", "tclsh", "awk",
		"gawk", "mawk",
	};
	const char *b = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
	size_t n = strcspn(b, "0123456789.");

	if (b[n + strspn(b + n, "0123456789.")])
		return false;	/* python3.11 is python, python-x is not */
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == n && !strncmp(b, names[i], n))
			return true;
	return false;
}

static void
hook_command(struct conv *c, struct hooksec *hs, const struct elem *p, const char *watch)
{
	const struct elem *par = first(c, p, "param"), *f = first(c, p, "filter");
	const char *prefix = attr_or(par, "prefix", ""), *suffix = attr_or(par, "suffix", "");
	bool quiet = !strcmp(attr_or(par, "ignoreError", ""), "true");
	int pline = par ? par->line : p->line;
	char **words = strv_split(prefix), **sw = strv_split(suffix), *run = NULL;
	size_t len = 0, nincl = 0;

	if (!words || !sw) {
		c->failed = true;
		goto out;
	}
	comment(c, "For each change, sersync ran through a shell (system()):");
	comment(c, "  %s%s%s/PATH%s%s%s", prefix, *prefix ? " " : "", watch, *suffix ? " " : "", suffix,
	    quiet ? " >/dev/null 2>&1" : "");
	if (on(f)) {
		comment(c, "but only for a path that one of its <filter> <include> expressions matched.");
		paragraph(c, "Here the include_regex is matched the same way; a directory that appears "
		    "with files already in it (moved in, unpacked, or written at once after mkdir) is one dir "
		    "change, and its files are listed for the hook as updates, each matched, up to dir_files "
		    "(10000) per directory.");
	}
	paragraph(c, "Here run is a program and its arguments, started without a shell; the absolute "
	    "path of the change is appended as the last argument, one run per path (batch = 1, the "
	    "default) as in sersync, with SYNCD_EVENT=update, delete or dir in its environment (or resync, "
	    "with the source directory as the path, once after changes were lost).  Every kind "
	    "of change is run, deletions too, as in sersync (kinds = update, dir leaves them out).  Its "
	    "output goes to the log (sersync %s); sersync waited as long as it ran, syncd kills it after "
	    "timeout (30s by default).", quiet ? "threw it away: ignoreError" : "wrote it on its own output");

	if (!par || !words[0]) {
		hook_blocked(c, hs, pline, "<plugin name=\"command\">: %s: sersync ran each changed file itself as a "
		    "command; a hook runs a program with the paths as arguments: set run to a program (a script "
		    "that runs its argument, if that is what is wanted)", !par ? "no <param>" :
		    "<param prefix> is empty");
	} else if (strpbrk(prefix, "|&;<>()$`\\\"'*?[]{}~#")) {
		hook_blocked(c, hs, pline, "<param prefix=\"%s\"> holds shell syntax, which sersync's shell read; a "
		    "hook runs no shell: put the command in a script and set run to it", prefix);
	} else if (words[0][0] != '/') {
		hook_blocked(c, hs, pline, "<param prefix=\"%s\">: %s is not an absolute path (sersync's shell "
		    "searched PATH for it, a hook does not): set run to its absolute path", prefix, words[0]);
	} else if (sw[0]) {
		hook_blocked(c, hs, pline, "<param suffix=\"%s\"> came after the path; a hook appends the paths "
		    "last: a script that puts them in order, set as run, would do", suffix);
	}
	FILE *m = open_memstream(&run, &len);
	for (char **w = words; m && *w; w++)
		fprintf(m, "%s%s", w == words ? "" : " ", *w);
	if (!m || fclose(m) != 0) {
		c->failed = true;
		goto out;
	}
	if (words[0] && interpreter(words[0]))
		hook_note(c, hs, pline, "<param prefix=\"%s\">: %s runs each changed file%s as a script, as sersync "
		    "did: whoever can write a file there can run commands as the user syncd runs as (root?). "
		    "Keep it only if that is what is meant; sersync's sample has this prefix as a placeholder "
		    "for a script of your own (<!--prefix /opt/tongbu/mmm.sh suffix-->)", prefix, words[0],
		    on(f) ? " that <filter> lets through" : "");
	if (hs->live && access(words[0], X_OK) < 0)
		warning(c, pline, "<param prefix=\"%s\">: %s: %s here, and syncd --check says so until it can run "
		    "it", prefix, words[0], strerror(errno));

	hook_head(c, hs, "command");
	comment(c, "<param prefix=\"%s\"> (line %d)", prefix, pline);
	hook_key(c, hs, pline, "run", "%s", *run ? run : "/PROGRAM");
	if (on(f)) {
		paragraph(c, "<filter> (line %d): sersync matched each <include> against the whole absolute path, "
		    "%s/...; include_regex is searched in the path below %s, hence ^( )$ and no %s/ in front.",
		    f->line, watch, watch, watch);
	} else if (f) {
		comment(c, "<filter start=\"%s\"> (line %d) is off: every path, as in sersync",
		    attr_or(f, "start", ""), f->line);
	}
	each(x, c, on(f) ? f : NULL, "include") {
		const char *e = attr_or(x, "expression", "");
		char *re, why[256];
		bool elsewhere;
		if (!*e) {
			hook_note(c, hs, x->line, "<include> without an expression: ignored");
			continue;
		}
		re = sersync_include_regex(e, watch, &elsewhere);
		if (!regex_compiles(re, REG_EXTENDED | REG_NOSUB, why, sizeof why)) {
			hook_blocked(c, hs, x->line, "<include expression=\"%s\">: %s in POSIX extended syntax (%s): the "
			    "hook would run for more than sersync did", e, why, re ? re : "");
			comment(c, "include_regex = ... (%s) left out, see above", e);
		} else {
			if (elsewhere)
				hook_note(c, hs, x->line, "<include expression=\"%s\"> starts with a path other than %s/, "
				    "so it could only match paths outside the watched directory; it is written without "
				    "its leading '/', as %s: check that it means what you want", e, watch, re);
			comment(c, "%s (line %d)", e, x->line);
			hook_key(c, hs, x->line, "include_regex", "%s", re);
			nincl++;
		}
		free(re);
	}
	if (on(f) && !nincl && hs->live)
		hook_blocked(c, hs, f->line, "<filter start=\"true\"> has no usable <include>: sersync ran the "
		    "command for no path at all");
	comment(c, "sersync ran it once and never looked at how it ended");
	hook_key(c, hs, p->line, "retries", "0");
out:
	strv_free(words);
	strv_free(sw);
	free(run);
}

/* <localpath><deshost ip port>: "IP:PORT", [IP]:PORT for IPv6, or NULL. */
static char *
deshost(struct conv *c, struct hooksec *hs, const struct elem *to, bool need_port)
{
	const char *ip = attr_or(to, "ip", ""), *port = attr_or(to, "port", "");
	unsigned long pn = whole_number(port, 65535);
	char *s;

	if (!*ip || strlen(ip) > 255 || strpbrk(ip, "/@[] \t")) {
		hook_blocked(c, hs, to ? to->line : hs->line, "<deshost ip=\"%s\"> is not a host name or address",
		    ip);
		return NULL;
	}
	if (!pn && (need_port || *port)) {
		hook_blocked(c, hs, to->line, "<deshost port=\"%s\"> is not a port number", port);
		return NULL;
	}
	bool v6 = strchr(ip, ':') != NULL;
	if (asprintf(&s, "%s%s%s%s%.0lu", v6 ? "[" : "", ip, v6 ? "]" : "", pn ? ":" : "", pn) < 0) {
		c->failed = true;
		return NULL;
	}
	if (!ini_safe(s)) {
		hook_blocked(c, hs, to->line, "<deshost ip=\"%s\"> cannot be written in an ini file (blanks at an "
		    "end, \" ;\", a control character, or too long)", ip);
		free(s);
		return NULL;
	}
	return s;
}

static void
hook_socket(struct conv *c, struct hooksec *hs, const struct elem *p)
{
	const struct elem *lp = first(c, p, "localpath"), *to = first(c, lp, "deshost");
	char *addr;

	paragraph(c, "For each change, sersync connected to <deshost ip=\"%s\" port=\"%s\"> over TCP, sent "
	    "the absolute path (no newline, no kind of change) and closed the connection.  Here one "
	    "connection is kept, and each change is a line KIND<TAB>PATH<LF>: update, delete or dir, and the "
	    "path below [source] path, with backslash, newline, tab and carriage return escaped as \\\\ \\n "
	    "\\t \\r; the lines of each call follow a line delivery<TAB>ID, and a line resync<TAB> says "
	    "changes were lost.  The receiver must be adapted.", attr_or(to, "ip", ""),
	    attr_or(to, "port", ""));
	addr = deshost(c, hs, to, true);
	if (addr)
		hook_warning(c, hs, to->line, "<plugin name=\"socket\">: [hook %s] writes one line per change, "
		    "\"KIND<TAB>PATH\" (the path relative to the source), on one connection it keeps open, where "
		    "sersync sent each absolute path alone on a connection of its own: the receiver at %s must "
		    "be adapted", hs->name, addr);
	hook_head(c, hs, "socket");
	comment(c, "<deshost> (line %d)", to ? to->line : p->line);
	hook_key(c, hs, to ? to->line : p->line, "connect", "%s", addr ? addr : "HOST:PORT");
	free(addr);
}

static void
hook_http(struct conv *c, struct hooksec *hs, const struct elem *p)
{
	const struct elem *lp = first(c, p, "localpath"), *to = first(c, lp, "deshost");
	const char *url = attr_or(to, "url", NULL);
	char *made = NULL, *addr = NULL;

	if (url) {
		if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
			hook_blocked(c, hs, to->line, "<deshost url=\"%s\"> is not an http:// or https:// URL", url);
		else if (!ini_safe(url))
			hook_blocked(c, hs, to->line, "<deshost url=\"%s\"> cannot be written in an ini file (blanks at "
			    "an end, \" ;\", a control character, or too long)", url);
	} else if ((addr = deshost(c, hs, to, false))) {
		if (asprintf(&made, "http://%s/", addr) < 0) {
			c->failed = true;
			made = NULL;
		}
		url = made;
	}
	paragraph(c, "For each change, sersync POSTed the form watchroot=%s&isdir=0|1&inotifyPath=ABSOLUTE_PATH"
	    "&mask=INOTIFY_MASK to %s.  (The sersync 2.5 source has this plugin commented out of main.cpp "
	    "and FileSynchronize.cpp: a sersync built from it did not run it.)  Here each request POSTs a "
	    "JSON document with up to batch (100) changes, {\"instance\", \"hook\", \"remotes\", \"events\": "
	    "[{\"kind\", \"path\"}]}, the path below [source] path (see \"[hook NAME] SECTIONS\" in syncd.ini(5)).  The "
	    "receiver must be adapted.", attr_or(lp, "watch", "?"), url ? url : "?");
	if (url)
		hook_warning(c, hs, to->line, "<plugin name=\"http\">: [hook %s] POSTs a JSON document with up to 100 "
		    "changes (kind and path relative to the source), where sersync POSTed the form fields "
		    "watchroot, isdir, inotifyPath and mask for each change: the receiver at %s must be adapted",
		    hs->name, url);
	else if (!addr && hs->live)
		hook_blocked(c, hs, to ? to->line : p->line, "<plugin name=\"http\"> has no <localpath><deshost "
		    "url=\"...\">: no URL to post to");
	hook_head(c, hs, "http");
	if (made)
		comment(c, "<deshost ip port> (line %d): sersync 2.5 read <deshost url>", to->line);
	else
		comment(c, "<deshost url> (line %d)", to ? to->line : p->line);
	hook_key(c, hs, to ? to->line : p->line, "url", "%s", url ? url : "http://HOST/PATH");
	free(made);
	free(addr);
}

static void
hook_cdn(struct conv *c, struct hooksec *hs, const struct elem *p)
{
	const struct elem *lp = first(c, p, "localpath"), *info = first(c, lp, "cdninfo");
	const struct elem *send = first(c, lp, "sendurl"), *rx = first(c, lp, "regexurl");
	const char *base = attr_or(send, "base", ""), *match = attr_or(rx, "match", "");
	const char *user = attr_or(info, "username", NULL);
	bool use_re = !strcmp(attr_or(rx, "regex", ""), "true"), elsewhere = false;
	char *watch = strdup(attr_or(lp, "watch", "")), *re = NULL, *rep = NULL, *cred = NULL;
	int sline = send ? send->line : lp ? lp->line : p->line, rline = rx ? rx->line : sline;
	size_t bl = strlen(base);

	if (!watch) {
		c->failed = true;
		return;
	}
	for (size_t n = strlen(watch); n > 1 && watch[n - 1] == '/';)
		watch[--n] = '\0';
	comment(c, "For each change, sersync asked ChinaCache's interface at %s:%s",
	    attr_or(info, "domainname", "?"), attr_or(info, "port", "80"));
	comment(c, "  HEAD /index.jsp?user=%s&pswd=(not copied here)&ok=ok&urls=URL", user ? user : "?");
	paragraph(c, "(&dirs=URL/ for a directory) to refresh URL: <sendurl base=\"%s\"> followed by %s.  "
	    "That interface is ChinaCache's own and is not reproduced: here each change is one request "
	    "(method, GET by default) to url_template, with the path in place of {path}, so that as written "
	    "it requests the refreshed URL itself.  Make url_template your CDN's purge endpoint (its API), "
	    "or set method = PURGE for a cache that purges a URL that way (Varnish, Squid, ...).", base,
	    use_re ? "what <regexurl match> found, its first group and what followed the match" :
	    "the path below the watched directory");

	if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))
		hook_blocked(c, hs, sline, "<sendurl base=\"%s\"> is not an http:// or https:// URL: url_template "
		    "needs one", base);
	else if (!ini_safe(base) || strlen(base) > 3000)
		hook_blocked(c, hs, sline, "<sendurl base=\"%s\"> cannot be written in an ini file (blanks at an "
		    "end, \" ;\", a control character, or too long)", base);
	if (use_re && !*match) {
		hook_blocked(c, hs, rline, "<regexurl regex=\"true\"> has no match expression");
	} else if (use_re) {
		char why[256];
		bool made = sersync_cdn_regex(match, watch, &re, &rep, &elsewhere) >= 0;
		if (!made || !regex_compiles(re, REG_EXTENDED, why, sizeof why)) {
			hook_blocked(c, hs, rline, "<regexurl match=\"%s\">: %s", match, made ? why :
			    "more than 7 groups, or out of memory");
			free(re);
			free(rep);
			re = rep = NULL;
		} else {
			if (elsewhere)
				hook_note(c, hs, rline, "<regexurl match=\"%s\">: sersync searched it in the absolute path, "
				    "%s/..., and it seems to need that directory's own path (it starts with its text, or "
				    "at its start); path_regex is searched in the path below it, where it may then never "
				    "match, and nothing is refreshed: check it against paths relative to %s", match, watch,
				    watch);
		}
	}
	hook_warning(c, hs, p->line, "<plugin name=\"refreshCDN\">: ChinaCache's interface (%s) cannot be "
	    "reproduced: [hook %s] requests url_template itself, which as imported is the URL to refresh; "
	    "make it your CDN's purge endpoint%s", attr_or(info, "domainname", "?"), hs->name,
	    user ? ", and create the credentials file (see the comments)" : "");

	hook_head(c, hs, "cdn");
	comment(c, "<sendurl base> (line %d)%s", sline, use_re ? ", and <regexurl> below" : "");
	if (use_re || (bl && base[bl - 1] == '/'))
		hook_key(c, hs, sline, "url_template", "%s{path}", *base ? base : "http://HOST/");
	else
		hook_key(c, hs, sline, "url_template", "%s/{path}", *base ? base : "http://HOST");
	if (re) {
		paragraph(c, "<regexurl regex=\"true\" match=\"%s\"> (line %d): sersync searched it in the "
		    "absolute path and added its first group and what followed the match to base; here "
		    "path_regex is searched in the path below %s, and replace is that group and what follows.  "
		    "A path it does not match is not sent, as in sersync.", match, rline, watch);
		hook_key(c, hs, rline, "path_regex", "%s", re);
		hook_key(c, hs, rline, "replace", "%s", rep);
	} else if (rx && !use_re) {
		comment(c, "<regexurl regex=\"%s\"> (line %d) is off: the whole path", attr_or(rx, "regex", ""),
		    rline);
	}
	if (user) {
		if (asprintf(&cred, "%s/%s.cdn-credentials", c->config_dir, c->name) < 0) {
			c->failed = true;
			cred = NULL;
		} else {
			comment(c, "<cdninfo username passwd> (line %d): basic authentication, if the", info->line);
			comment(c, "endpoint takes it, from a file of one line user:password, mode 600;");
			comment(c, "uncomment once it exists (syncd --check requires it):");
			comment(c, "credentials_file = %s", cred);
		}
	}
	free(watch);
	free(re);
	free(rep);
	free(cred);
}

/* Everything it holds, passwords left out. */
static void
plugin_other(struct conv *c, const struct elem *p)
{
	comment(c, "  did what sersync 2.5 has no code for; the plugin holds:");
	for (size_t i = (size_t)(p - c->e) + 1; i < c->n; i++) {
		const struct elem *e = &c->e[i];
		long up = e->parent;
		while (up > p - c->e)
			up = c->e[up].parent;
		if (up != p - c->e)
			break;
		char line[1024];
		int o = snprintf(line, sizeof line, "  <%s", e->name);
		for (char **a = e->attrs; *a && o >= 0 && (size_t)o < sizeof line; a += 2)
			o += snprintf(line + o, sizeof line - (size_t)o, " %s=\"%s\"", a[0],
			    strcasestr(a[0], "pass") ? "(not copied)" : a[1]);
		comment(c, "%s>", line);
	}
}

enum plugin_kind { P_COMMAND, P_SOCKET, P_HTTP, P_CDN, P_OTHER };

static enum plugin_kind
plugin_kind(const char *name)
{
	static const char *const names[] = { "command", "socket", "http", "refreshCDN" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(name, names[i]))
			return (enum plugin_kind)i;
	return P_OTHER;
}

/* The directory sersync watched with the plugin: the command plugin reads
 * <sersync><localpath>, the others their own <localpath>, which then
 * replaced <sersync><localpath> for the pushes too.  NULL: none. */
static char *
plugin_watch(struct conv *c, const struct elem *p, enum plugin_kind k, const char *watch)
{
	const char *w = k == P_COMMAND ? watch : attr_or(first(c, p, "localpath"), "watch", NULL);
	char *s = w ? strdup(w) : NULL;

	for (size_t n = s ? strlen(s) : 0; n > 1 && s[n - 1] == '/';)
		s[--n] = '\0';
	return s;
}

static void
write_plugins(struct conv *c, const struct elem *sx, const char *watch)
{
	const struct elem *use = first(c, sx, "plugin");
	const char *active = on(use) ? attr_or(use, "name", "") : NULL;
	bool defined = false;
	char *top = strdup(watch);

	if (!top) {
		c->failed = true;
		return;
	}
	for (size_t n = strlen(top); n > 1 && top[n - 1] == '/';)
		top[--n] = '\0';
	if (use && !active)
		warning(c, use->line, "<plugin start=\"%s\" name=\"%s\"> is off: no plugin ran after a push",
		    attr_or(use, "start", ""), attr_or(use, "name", ""));
	each(p, c, root(c), "plugin") {
		const char *name = attr_or(p, "name", "");
		enum plugin_kind k = plugin_kind(name);
		const struct elem *before = NULL;
		bool is_on = active && !strcmp(active, name);
		each(q, c, root(c), "plugin")
			if (q == p)
				break;
			else if (!before && !strcmp(attr_or(q, "name", ""), name))
				before = q;
		if (p == first(c, root(c), "plugin")) {
			fprintf(c->out, "\n");
			paragraph(c, "sersync's plugins, as [hook NAME] sections (see \"[hook NAME] SECTIONS\" in "
			    "syncd.ini(5)).  The one <sersync><plugin start=\"true\"> named ran after each push and is "
			    "live; the others only ran under \"sersync2 -m NAME\", instead of mirroring, and are "
			    "commented out: each is a watch-only instance of its own.");
		}
		fprintf(c->out, ";\n");
		if (before) {
			comment(c, "<plugin name=\"%s\"> (line %d): a second one, sersync read only the first", name,
			    p->line);
			warning(c, p->line, "a second <plugin name=\"%s\">: sersync reads only the first one (line %d), "
			    "and so does this import", name, before->line);
			continue;
		}
		defined |= is_on;
		if (k == P_OTHER) {
			comment(c, "<plugin name=\"%s\"> (line %d)%s: not converted, sersync 2.5 has no", name, p->line,
			    is_on ? ", on" : "");
			comment(c, "such plugin%s", is_on ? " (with it on, sersync would not start)" : "");
			plugin_other(c, p);
			warning(c, p->line, "<plugin name=\"%s\"> is not a plugin sersync 2.5 has (command, socket, http, "
			    "refreshCDN): not converted, it is described in comments", name);
			continue;
		}
		char *pw = plugin_watch(c, p, k, top);
		struct hooksec hs = { .name = name, .line = p->line, .on = is_on, .live = is_on };
		if (is_on) {
			comment(c, "<plugin name=\"%s\"> (line %d), on (<sersync><plugin>, line %d).", name, p->line,
			    use->line);
			if (pw && strcmp(pw, top))
				warning(c, p->line, "with <plugin name=\"%s\"> on, sersync watched and pushed its "
				    "<localpath watch=\"%s\"> instead of <sersync><localpath watch=\"%s\">; [source] path "
				    "is the latter: change it if the former is what ran", name, pw, top);
		} else {
			paragraph(c, "<plugin name=\"%s\"> (line %d), not on: only \"sersync2 -m %s\" ran it, "
			    "instead of mirroring.  Its equivalent is a watch-only instance, one without [remote] "
			    "sections, which only runs its hooks: copy this file to %s-%s.ini, delete its [remote] "
			    "sections and any other [hook], set [source] path = %s (what sersync2 -m %s watched), "
			    "and uncomment the lines of [hook %s] below that start with a single ';'.", name, p->line,
			    name, c->name, name, pw ? pw : "DIRECTORY", name, name);
			warning(c, p->line, "<plugin name=\"%s\"> is not on: only \"sersync2 -m %s\" ran it, instead of "
			    "mirroring; it is written as a commented-out [hook %s], for a watch-only instance of its own "
			    "(see the comments)", name, name, name);
		}
		if (hook_begin(c, &hs)) {
			if (k == P_COMMAND)
				hook_command(c, &hs, p, top);
			else if (k == P_SOCKET)
				hook_socket(c, &hs, p);
			else if (k == P_HTTP)
				hook_http(c, &hs, p);
			else
				hook_cdn(c, &hs, p);
			hook_end(c, &hs);
		}
		free(pw);
	}
	if (active && !defined)
		warning(c, use->line, "<plugin name=\"%s\"> is on, but no <plugin name=\"%s\"> in <head> says what "
		    "it does (sersync would not start): not converted", active, active);
	free(top);
}

/* ------------------------------------------------------------ the rest -- */

static void
convert(struct conv *c)
{
	const struct elem *sx = first(c, root(c), "sersync"), *lp = first(c, sx, "localpath");
	const char *watch = attr_or(lp, "watch", NULL);

	check_elements(c);
	if (!watch) {
		error_at(c, lp ? lp->line : sx ? sx->line : root(c)->line,
		    "no <sersync><localpath watch=\"DIRECTORY\">: nothing to watch");
		return;
	}
	if (watch[0] != '/') {
		error_at(c, lp->line, "<localpath watch=\"%s\"> is not an absolute path", watch);
		return;
	}
	write_header(c);
	write_source(c, sx, lp);
	write_remotes(c, sx, lp);
	write_rsync(c, sx);
	write_retry(c, sx);
	write_full_sync(c, sx);
	write_plugins(c, sx, watch);
}

int
import_sersync(const char *xml, const char *name, const char *state_dir, const char *config_dir, FILE *out,
    FILE *diag)
{
	struct conv c = { .file = xml, .name = name, .cur = -1,
	    .state_dir = state_dir && *state_dir ? state_dir : DEFAULT_STATE_DIR,
	    .config_dir = config_dir && *config_dir ? config_dir : DEFAULT_CONFIG_DIR };
	char *text = NULL;
	size_t len = 0;

	if (read_xml(&c) == 0) {
		if (!(c.out = open_memstream(&text, &len))) {
			error_at(&c, 0, "%s", strerror(errno));
		} else {
			convert(&c);
			if (fclose(c.out) != 0)
				error_at(&c, 0, "%s", strerror(errno));
		}
	}
	print_notes(&c, diag);
	bool ok = !c.failed;
	if (ok)
		fwrite(text, 1, len, out);
	free(text);
	for (size_t i = 0; i < c.nnotes; i++)
		free(c.notes[i].text);
	free(c.notes);
	for (size_t i = 0; i < c.n; i++) {
		free(c.e[i].path);
		for (char **a = c.e[i].attrs; a && *a; a++)
			free(*a);
		free(c.e[i].attrs);
	}
	free(c.e);
	for (size_t i = 0; i < c.nremote_names; i++)
		free(c.remote_names[i]);
	free(c.remote_names);
	return ok ? 0 : -1;
}

int
import_sersync_cmd(char **args, const char *state_dir, const char *config_dir)
{
	const char *outfile = NULL, *xml = NULL, *name = NULL;
	FILE *out = stdout;
	int rc;

	for (; *args; args++) {
		if (!strcmp(*args, "-o") || !strcmp(*args, "--output")) {
			if (!args[1]) {
				log_err("import-sersync: %s needs a file name", *args);
				return 2;
			}
			outfile = *++args;
		} else if (!strncmp(*args, "--output=", 9)) {
			outfile = *args + 9;
		} else if ((*args)[0] == '-' && (*args)[1]) {
			log_err("import-sersync: unknown option '%s'", *args);
			return 2;
		} else if (!xml) {
			xml = *args;
		} else if (!name) {
			name = *args;
		} else {
			log_err("usage: syncctl import-sersync [-o FILE] CONFXML [NAME]");
			return 2;
		}
	}
	if (!xml || (outfile && !*outfile)) {
		log_err("usage: syncctl import-sersync [-o FILE] CONFXML [NAME]");
		return 2;
	}
	if (name && !sersync_valid_name(name)) {
		log_err("import-sersync: '%s' is not an instance name (letters, digits, '_', '.' and '-', "
		    "not starting with '.' or '-')", name);
		return 2;
	}
	char *def = name ? NULL : sersync_instance_name(xml);
	if (!name && !def)
		return 1;
	if (outfile) {
		int fd = open(outfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || !(out = fdopen(fd, "w"))) {
			log_err("%s: %s%s", outfile, strerror(errno), errno == EEXIST ? " (not overwritten)" : "");
			if (fd >= 0) {
				close(fd);
				unlink(outfile);
			}
			free(def);
			return 1;
		}
	}
	rc = import_sersync(xml, name ? name : def, state_dir, config_dir, out, stderr) == 0 ? 0 : 1;
	if (fflush(out) != 0 && rc == 0) {
		log_err("%s: %s", outfile ? outfile : "standard output", strerror(errno));
		rc = 1;
	}
	if (outfile) {
		if (fclose(out) != 0 && rc == 0) {
			log_err("%s: %s", outfile, strerror(errno));
			rc = 1;
		}
		if (rc != 0)
			unlink(outfile);
	}
	free(def);
	return rc;
}
