/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "verify.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "field.h"
#include "json.h"
#include "log.h"
#include "push.h"
#include "remote.h"
#include "rsync_exit.h"
#include "status.h"
#include "worker.h"

/* Differences kept for the end of a run, when the changes made meanwhile
 * are all known; past this many, each one is checked against the changes
 * known when rsync names it, and only counted. */
#define VERIFY_KEEP 100000
/* An item is at most a path (PATH_MAX, each byte perhaps \#ooo) and 12
 * bytes more: a longer line is no item. */
#define VERIFY_LINE_MAX 65536
/* Differences a log line names. */
#define VERIFY_LOG_FIRST 5

static const char *const what_names[] = {
	"missing", "extra", "content", "target", "device", "perms", "owner", "group", "acl", "xattrs",
};

void
verify_what(unsigned what, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof what_names / sizeof what_names[0]; i++)
		if (what & (1u << i) && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "", what_names[i]);
}

/* "ooo", a byte in octal as rsync writes it: 000 to 377. */
static bool
octal_byte(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (s[i] < '0' || s[i] > (i ? '7' : '3'))
			return false;
	return true;
}

/* rsync's "%i" is YXcstpoguax: Y the update (or "*deleting"), X the type,
 * then one position per attribute, a '.' where it is the same and '+' for
 * all nine on a new item.  Times are not drift: the checksum says whether
 * the data is the same, a directory's time moves with every entry made or
 * removed in it while only a push of the directory itself sets it on the
 * mirror, a change of times alone reaches the mirror only where attrib is
 * watched, and without -t the mirror's copies carry the time of their
 * push. */
int
verify_parse_line(char *line, const char **path, unsigned *what)
{
	/* the letter each position shows when it differs */
	static const char letters[] = "cstpoguax";
	unsigned w = 0;

	if (strlen(line) < 13 || line[11] != ' ')
		return 0;
	if (!strncmp(line, "*deleting  ", 11)) {
		w = VD_EXTRA;
	} else {
		char type = line[1];
		bool created = true;
		if (!strchr("<>ch.", line[0]) || !strchr("fdLDS", type))
			return 0;
		for (int i = 2; i < 11; i++) {
			char a = line[i], l = letters[i - 2];
			created &= a == '+';
			if (strchr("+. ?", a))
				continue;
			if (a != l && !(l == 't' && a == 'T') && !(l == 'u' && (a == 'n' || a == 'b')))
				return 0;	/* not an item */
			switch (l) {
			case 'c':
			case 's':
				w |= type == 'f' ? VD_CONTENT : type == 'L' ? VD_TARGET : VD_DEVICE;
				break;
			case 'p': w |= VD_PERMS; break;
			case 'o': w |= VD_OWNER; break;
			case 'g': w |= VD_GROUP; break;
			case 'a': w |= VD_ACL; break;
			case 'x': w |= VD_XATTRS; break;
			}
		}
		if (created)
			w = VD_MISSING;
	}
	if (!w)
		return 0;
	char *in = line + 12, *out = in;
	while (*in) {
		if (in[0] == '\\' && in[1] == '#' && octal_byte(in + 2)) {
			char c = (char)((in[2] - '0') * 64 + (in[3] - '0') * 8 + (in[4] - '0'));
			if (!c)
				return 0;
			*out++ = c;
			in += 5;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	char *name = line + 12;
	if (out > name && out[-1] == '/')
		*--out = '\0';
	if (!strcmp(name, "."))
		*name = '\0';
	*path = name;
	*what = w;
	return 1;
}

/* path, one of its ancestors or something below it is in changed. */
static bool
covered(const struct changeset *changed, const char *path)
{
	const struct pnode *n = &changed->tree.root;

	if (n->flags)
		return true;
	while (*path) {
		size_t len = strcspn(path, "/");
		n = ptree_child(&changed->tree, n, path, len);
		if (!n)
			return false;
		if (n->flags)
			return true;	/* it, or one of its ancestors */
		path += len + (path[len] == '/');
	}
	return n->child != NULL;	/* something below it */
}

/* A push's receiver writes NAME into ".NAME.XXXXXX" beside it and renames
 * that over NAME: seen by a verify meanwhile, it is an extra file that
 * stands for NAME.  (rsync shortens NAME in it past 247 bytes: such a
 * file is counted.) */
static bool
push_temp_of_changed(const struct changeset *changed, const char *path)
{
	const char *base = strrchr(path, '/');
	char name[4096];

	base = base ? base + 1 : path;
	size_t dir = (size_t)(base - path), n = strlen(base);
	if (n < 9 || base[0] != '.' || base[n - 7] != '.' || dir + n - 8 >= sizeof name)
		return false;
	for (size_t i = n - 6; i < n; i++)
		if (!isalnum((unsigned char)base[i]))
			return false;
	memcpy(name, path, dir);
	memcpy(name + dir, base + 1, n - 8);
	name[dir + n - 8] = '\0';
	return covered(changed, name);
}

bool
verify_changed(const struct changeset *changed, const char *path, unsigned what)
{
	return covered(changed, path) || (what == VD_EXTRA && push_temp_of_changed(changed, path));
}

/* Records are the what bits, then the path and its NUL. */
static void
record_put(struct buf *b, unsigned what, const char *path)
{
	buf_put(b, &what, sizeof what);
	buf_put(b, path, strlen(path) + 1);
}

static const char *
record_next(const struct buf *b, const char **p, unsigned *what)
{
	if (*p >= b->p + b->len)
		return NULL;
	const char *path = *p + sizeof *what;
	memcpy(what, *p, sizeof *what);
	*p = path + strlen(path) + 1;
	return path;
}

static void
ended(struct verify *v, enum verify_result result, const char *error)
{
	struct worker *w = v->w;
	const char *name = v->r->rc->name;

	v->state = VERIFY_IDLE;
	timer_disarm(&v->wait);
	w->verifying--;
	v->done = v->runs;
	v->result = result;
	v->ended_wall = wall_ms();
	v->took_ms = now_ms() - v->begun;
	snprintf(v->error, sizeof v->error, "%s", error ? error : "");
	if (result == VERIFY_FAILED) {
		v->differences = v->discounted = 0;
		buf_free(&v->list);
	}
	changeset_clear(&v->changed);
	buf_free(&v->found);
	buf_free(&v->line);
	v->nfound = v->past = v->past_changed = 0;
	if (result == VERIFY_OK) {
		log_info("%s: verify: the mirror matches the source (%.1fs; not counted: %zu paths that "
		    "changed meanwhile)", name, (double)v->took_ms / 1000, v->discounted);
	} else if (result == VERIFY_FAILED) {
		log_warn("%s: verify: could not verify the mirror: %s", name, v->error);
	} else {
		char first[1024], q[300], what[96];
		const char *p = v->list.p, *path;
		unsigned bits;
		size_t o = 0;
		for (int i = 0; i < VERIFY_LOG_FIRST && (path = record_next(&v->list, &p, &bits)) &&
		    o < sizeof first; i++) {
			verify_what(bits, what, sizeof what);
			o += (size_t)snprintf(first + o, sizeof first - o, "%s%s %s", i ? ", " : "", what,
			    *path ? log_quote(path, q, sizeof q) : ".");
		}
		log_warn("%s: verify: the mirror differs from the source in %zu path%s: %s%s", name,
		    v->differences, v->differences == 1 ? "" : "s", first,
		    v->differences > VERIFY_LOG_FIRST ? ", ..." : "");
	}
	control_progress(w->control);
}

/* Whatever changed at, above or below a difference since the run began
 * explains it; the rest is drift. */
static void
tally(struct verify *v)
{
	const char *p = v->found.p, *path;
	size_t listed = 0;
	unsigned what;

	buf_free(&v->list);
	v->differences = v->past;
	v->discounted = v->past_changed;
	while ((path = record_next(&v->found, &p, &what))) {
		if (verify_changed(&v->changed, path, what)) {
			v->discounted++;
			continue;
		}
		v->differences++;
		if (listed++ < VERIFY_LIST)
			record_put(&v->list, what, path);
	}
}

static void
line_done(struct verify *v)
{
	const char *path;
	unsigned what;

	buf_put(&v->line, "", 1);
	if (!v->overlong && !v->line.oom && verify_parse_line(v->line.p, &path, &what)) {
		if (v->nfound < VERIFY_KEEP) {
			record_put(&v->found, what, path);
			v->nfound++;
		} else if (verify_changed(&v->changed, path, what)) {
			v->past_changed++;
		} else {
			v->past++;
		}
	}
	v->line.len = 0;
	v->line.oom = 0;
	v->overlong = false;
}

static void
on_output(const char *buf, size_t n, void *ctx)
{
	struct verify *v = ctx;

	while (n) {
		const char *nl = memchr(buf, '\n', n);
		size_t k = nl ? (size_t)(nl - buf) : n;
		if (v->line.len + k <= VERIFY_LINE_MAX)
			buf_put(&v->line, buf, k);
		else
			v->overlong = true;
		if (!nl)
			return;
		line_done(v);
		buf += k + 1;
		n -= k + 1;
	}
}

static void
run_done(struct child *c, int status, void *ctx)
{
	struct verify *v = ctx;
	struct worker *w = v->w;
	char how[96], said[1024], err[sizeof v->error];

	v->child = NULL;
	if (v->line.len || v->overlong)
		line_done(v);	/* a last line without its newline */
	/* Changes made before rsync ended may still be queued in the kernel,
	 * or wait for their writer's close: they must be known before
	 * anything is called drift.  What a flush takes in is that. */
	worker_flush_begin(w);
	if (w->stopping) {
		ended(v, VERIFY_FAILED, "the worker stopped before the verify ended");
	} else if (rsync_outcome(status, c->tail) != RSYNC_OK) {
		child_describe(status, how, sizeof how);
		rsync_last_words(c->tail, said, sizeof said);
		snprintf(err, sizeof err, "rsync %s%s%s", how, *said ? ": " : "", said);
		ended(v, VERIFY_FAILED, err);
	} else if (v->lost) {
		ended(v, VERIFY_FAILED, "change events were lost while it ran (the full sync that "
		    "follows sets the mirror right): verify again after it");
	} else {
		tally(v);
		if (v->found.oom || v->list.oom)
			ended(v, VERIFY_FAILED, "out of memory recording the differences");
		else
			ended(v, v->differences ? VERIFY_DRIFT : VERIFY_OK, NULL);
	}
}

static void
wait_over(void *ctx)
{
	struct verify *v = ctx;
	const struct remote *r = v->r;
	char why[256];

	snprintf(why, sizeof why, "changes made before the verify are still not on the mirror "
	    "(remote %s, %zu pending%s)", remote_state(r),
	    remote_unpushed(r),
	    r->full ? ", full sync running" : r->full_wanted ? ", full sync wanted" : "");
	ended(v, VERIFY_FAILED, why);
}

int
verify_init(struct verify *v, struct worker *w, struct remote *r)
{
	memset(v, 0, sizeof *v);
	v->w = w;
	v->r = r;
	changeset_init(&v->changed);
	/* Not the full sync's file: a full sync may be reading it meanwhile. */
	if (asprintf(&v->exclude_file, "%s/%s.verify-excludes", w->scratch_dir, r->rc->name) < 0) {
		v->exclude_file = NULL;
		log_err("out of memory");
		return -1;
	}
	return timer_init(&w->loop, &v->wait, wait_over, v);
}

void
verify_free(struct verify *v)
{
	timer_close(&v->wait);
	changeset_clear(&v->changed);
	buf_free(&v->line);
	buf_free(&v->found);
	buf_free(&v->list);
	free(v->exclude_file);
}

void
verify_kick(struct verify *v)
{
	struct worker *w = v->w;
	const struct remote *r = v->r;

	/* A full sync in flight is still making the mirror what it should be. */
	if (v->state != VERIFY_WAITING || r->full || r->full_wanted || !remote_current(r, v->begun))
		return;
	timer_disarm(&v->wait);
	v->child = push_verify(&w->loop, w->cfg, r->rc, v->exclude_file, run_done, v);
	if (!v->child) {
		ended(v, VERIFY_FAILED, "rsync could not be started (the log says why)");
		return;
	}
	v->child->on_output = on_output;
	v->state = VERIFY_RUNNING;
	log_debug("%s: verify started", r->rc->name);
}

uint64_t
verify_begin(struct verify *v, uint64_t deadline)
{
	uint64_t now = now_ms(), in = deadline > now ? deadline - now : 0;

	if (v->state == VERIFY_IDLE) {
		v->state = VERIFY_WAITING;
		v->begun = now;
		v->runs++;
		v->lost = false;
		v->w->verifying++;
		timer_arm(&v->wait, in);
		verify_kick(v);
	} else if (v->state == VERIFY_WAITING && deadline > v->wait.due) {
		timer_arm(&v->wait, in);
	}
	return v->runs;
}

void
verify_note(struct verify *v, const char *rel, unsigned kind)
{
	if (v->state != VERIFY_IDLE && changeset_add(&v->changed, rel, kind, now_ms()) < 0)
		v->lost = true;	/* not known, so not discounted: say so */
}

void
verify_lost(struct verify *v)
{
	if (v->state != VERIFY_IDLE)
		v->lost = true;
}

void
verify_stop(struct verify *v, int sig)
{
	if (v->state == VERIFY_WAITING)
		ended(v, VERIFY_FAILED, "the worker stopped before the verify ran");
	else if (v->state == VERIFY_RUNNING)
		child_kill(v->child, sig);	/* a dry run has nothing to finish */
}

static const char *
result_name(enum verify_result r)
{
	static const char *const names[] = { "never", "ok", "drift", "failed" };
	return names[r];
}

static const char *
state_name(enum verify_state s)
{
	static const char *const names[] = { "idle", "waiting", "running" };
	return names[s];
}

void
verify_answer_text(const struct verify *v, FILE *f)
{
	const char *name = v->r->rc->name, *p = v->list.p, *path;
	char what[96], q[8192];
	unsigned bits;
	size_t listed = 0;

	if (v->result != VERIFY_OK && v->result != VERIFY_DRIFT) {
		fprintf(f, "remote %s: failed: %s\n", name, v->error);
		return;
	}
	if (v->result == VERIFY_OK)
		fprintf(f, "remote %s: ok, the mirror matches the source", name);
	else
		fprintf(f, "remote %s: drift, %zu difference%s", name, v->differences,
		    v->differences == 1 ? "" : "s");
	fprintf(f, " (%.1fs", (double)v->took_ms / 1000);
	if (v->discounted)
		fprintf(f, "; not counted: %zu path%s that changed meanwhile", v->discounted,
		    v->discounted == 1 ? "" : "s");
	fputs(")\n", f);
	while ((path = record_next(&v->list, &p, &bits))) {
		verify_what(bits, what, sizeof what);
		fprintf(f, "  %s %s\n", what, *path ? log_quote(path, q, sizeof q) : ".");
		listed++;
	}
	if (v->differences > listed)
		fprintf(f, "  ... and %zu more\n", v->differences - listed);
}

void
verify_status_text(const struct verify *v, FILE *f)
{
	char when[32] = "";

	if (v->ended_wall)
		status_time(v->ended_wall, when, sizeof when);
	field_verify_text(f, state_name(v->state), result_name(v->result), when,
	    (double)v->took_ms / 1000, (double)v->differences, v->error);
}

void
verify_json(const struct verify *v, FILE *f)
{
	const char *p = v->list.p, *path;
	char when[32];
	unsigned bits;

	fprintf(f, "\"state\":\"%s\",\"result\":\"%s\",\"time\":", state_name(v->state),
	    result_name(v->result));
	if (v->ended_wall) {
		status_time(v->ended_wall, when, sizeof when);
		json_str(f, when);
	} else {
		fputs("null", f);
	}
	fprintf(f, ",\"seconds\":%.3f,\"differences\":%zu,\"changed_meanwhile\":%zu,\"paths\":[",
	    (double)v->took_ms / 1000, v->differences, v->discounted);
	for (bool first = true; (path = record_next(&v->list, &p, &bits)); first = false) {
		fputs(first ? "{\"path\":" : ",{\"path\":", f);
		json_str(f, path);
		fputs(",\"what\":[", f);
		for (size_t i = 0, n = 0; i < sizeof what_names / sizeof what_names[0]; i++)
			if (bits & (1u << i))
				fprintf(f, "%s\"%s\"", n++ ? "," : "", what_names[i]);
		fputs("]}", f);
	}
	fputs("],\"error\":", f);
	json_str(f, v->error);
}
