/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A hook's journal, STATE/NAME.hook-journal: what the hook was offered and
 * has not delivered yet, so that neither a stop nor a crash loses it.  The
 * file is a journal (journal.h: appended and synced, compacted by rewrites,
 * a torn last record dropped, off after a failed write); its records:
 *
 *   'u' 'x' 'd' 'r'  "SEQ PATH": a change queued (update, delete, dir,
 *                    resync with an empty path), numbered SEQ
 *   'A'              "FIRST LAST": the changes FIRST..LAST are done
 *                    (delivered, or given up after the retries)
 *   'O'              "": the queue overflowed, a resync is due once it drains
 *   'N'              "SEQ": the next number, first of a rewritten file
 *
 * A change is in the journal before it can go out and done only once its
 * call succeeded, so each one is delivered at least once; what a crash
 * repeats is what the calls running at that moment held.  The numbers
 * survive restarts (a rewrite starts with the next one; the journal is never
 * emptied), and a call only ever holds consecutive ones: the delivery id
 * INSTANCE/HOOK/FIRST-LAST always names the same changes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hook.h"
#include "log.h"
#include "worker.h"

static const struct {
	unsigned kind;
	char letter;
} letters[] = {
	{ HK_UPDATE, 'u' }, { HK_DELETE, 'x' }, { HK_DIR, 'd' }, { HK_RESYNC, 'r' },
};

static unsigned
kind_of(char letter)
{
	for (size_t i = 0; i < sizeof letters / sizeof *letters; i++)
		if (letters[i].letter == letter)
			return letters[i].kind;
	return 0;
}

static char
letter_of(unsigned kind)
{
	for (size_t i = 0; i < sizeof letters / sizeof *letters; i++)
		if (letters[i].kind == kind)
			return letters[i].letter;
	return 'u';
}

static void
put_event(struct buf *b, const struct hook_event *ev)
{
	char num[32];
	char letter = letter_of(ev->kind);
	int n = snprintf(num, sizeof num, "%" PRIu64 " ", ev->seq);

	buf_put(b, &letter, 1);
	buf_put(b, num, (size_t)n);
	buf_put(b, ev->path, strlen(ev->path) + 1);
}

static void
put_number(struct buf *b, char kind, uint64_t n)
{
	char num[32];

	snprintf(num, sizeof num, "%" PRIu64, n);
	journal_record(b, kind, num);
}

struct loading {
	struct hook *h;
	uint64_t t, next;
	size_t done;
};

/* The queue is in sequence order: FIRST is found by bisection. */
static void
mark_done(struct loading *l, uint64_t first, uint64_t last)
{
	struct hook *h = l->h;
	size_t lo = h->qhead, hi = h->qlen;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->q[mid].seq < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < h->qlen && h->q[lo].seq <= last; lo++) {
		if (!h->q[lo].path)
			continue;
		free(h->q[lo].path);
		h->q[lo].path = NULL;
		l->done++;
	}
}

static bool
load_rec(void *ctx, char kind, const char *text)
{
	struct loading *l = ctx;
	struct hook *h = l->h;
	char *end;
	uint64_t a = strtoull(text, &end, 10), b;
	unsigned k = kind_of(kind);

	if (kind == 'N') {
		if (a > l->next)
			l->next = a;
	} else if (kind == 'O') {
		h->dropping = true;
	} else if (kind == 'A') {
		b = strtoull(end, NULL, 10);
		mark_done(l, a, b);
		if (b >= l->next)
			l->next = b + 1;
	} else if (k && *end == ' ' && a) {
		if (hook_queue_add(h, end + 1, k, l->t, a) < 0)
			log_err("hook %s: out of memory replaying its journal", h->hc->name);
		if (k == HK_RESYNC)
			h->dropping = false;	/* the resync of that overflow is queued */
		if (a >= l->next)
			l->next = a + 1;
	} else {
		return false;
	}
	return true;
}

int
hook_journal_open(struct hook *h, const char *path, uint64_t t)
{
	struct loading l = { .h = h, .t = t, .next = 1 };
	int rc = journal_load(&h->journal, path, load_rec, &l);
	size_t o = h->qhead;

	/* Out with what was done. */
	for (size_t i = h->qhead; i < h->qlen; i++)
		if (h->q[i].path)
			h->q[o++] = h->q[i];
	h->qlen = o;
	h->seq = l.next;
	if (h->qlen > h->qhead || h->dropping)
		log_info("hook %s: replayed %zu undelivered changes%s from its journal (numbers "
		    "%" PRIu64 " to %" PRIu64 ")", h->hc->name, h->qlen - h->qhead,
		    h->dropping ? " and an overflow" : "", h->qlen > h->qhead ? h->q[h->qhead].seq : 0,
		    h->qlen > h->qhead ? h->q[h->qlen - 1].seq : 0);
	if (rc < 0)
		return -1;
	/* A clean copy: drops the torn tail and what was done. */
	return hook_journal_rewrite(h);
}

void
hook_journal_put(struct hook *h, uint64_t first)
{
	struct buf b = { 0 };
	size_t i = h->qlen;

	while (i > h->qhead && h->q[i - 1].seq >= first)
		i--;
	for (; i < h->qlen; i++)
		put_event(&b, &h->q[i]);
	journal_put(&h->journal, &b, true);
}

void
hook_journal_overflow(struct hook *h)
{
	struct buf b = { 0 };

	journal_record(&b, 'O', "");
	journal_put(&h->journal, &b, true);
}

void
hook_journal_done(struct hook *h, uint64_t first, uint64_t last)
{
	struct buf b = { 0 };
	char text[64];

	snprintf(text, sizeof text, "%" PRIu64 " %" PRIu64, first, last);
	journal_record(&b, 'A', text);
	/* Not synced: should a power loss take it, the changes go again. */
	journal_put(&h->journal, &b, false);
}

int
hook_journal_rewrite(struct hook *h)
{
	struct buf b = { 0 };
	const struct hook_call *order[64];
	unsigned n = 0, conc = h->hc->concurrency;

	put_number(&b, 'N', h->seq);
	if (h->dropping)
		journal_record(&b, 'O', "");
	/* The calls' changes are older than the queue's; oldest first, so
	 * that replay finds the queue in sequence order. */
	for (unsigned i = 0; i < conc; i++) {
		if (!h->calls[i].n)
			continue;
		if (n == sizeof order / sizeof *order) {
			buf_free(&b);
			return -1;	/* never: concurrency is at most 64 */
		}
		unsigned j = n++;
		for (; j > 0 && order[j - 1]->ev[0].seq > h->calls[i].ev[0].seq; j--)
			order[j] = order[j - 1];
		order[j] = &h->calls[i];
	}
	for (unsigned i = 0; i < n; i++)
		for (size_t k = 0; k < order[i]->n; k++)
			put_event(&b, &order[i]->ev[k]);
	for (size_t i = h->qhead; i < h->qlen; i++)
		put_event(&b, &h->q[i]);
	return journal_replace(&h->journal, &b);
}

void
hook_journal_tidy(struct hook *h)
{
	int was = h->journal.err;

	/* One that is off comes back when there is least to write; one that
	 * is on is rewritten only when bloated, not at every drain: a rewrite
	 * costs an fdatasync and a rename, and the records hold the numbers. */
	if (was ? !hook_pending(h) && !h->dropping : journal_bloated(&h->journal))
		hook_journal_rewrite(h);
	if (!was != !h->journal.err)
		worker_status(h->w);
}
