/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-config: runs the configuration fuzzer's target (fuzz_config.c)
 * without libFuzzer, under the ASan+UBSan build:
 *
 *   fuzz-config [--mutate N] [--time SECONDS] [--seed S] [--dict FILE]
 *               [--crash FILE] PATH...
 *
 * Every file given (a directory: every file in it) goes through the target
 * as it is, then N mutated inputs (or as many as SECONDS allow, whichever
 * ends first), each one to four mutations of a corpus file chosen from a
 * seeded generator: the same seed makes the same inputs, so a run of make
 * check is repeatable.  The mutations are the ones an ini parser cares
 * about: bytes flipped or set to NUL, CR, '[', '='..., ranges deleted or
 * repeated, lines doubled, tokens of the dictionary (libFuzzer's format,
 * the one make fuzz gives libFuzzer: syncd's sections, keys and odd values)
 * inserted, runs of 'x' around inih's and syncd's line limits, pieces of
 * another corpus file spliced in.
 *
 * The parser's error lines go to /dev/null; sanitizer reports still reach
 * stderr.  The input being run is in FILE (default fuzz-crash.ini, a
 * shared mapping, so it is there whatever ends the process); a clean end
 * removes it.  Ends with "1 passed, 0 failed" for
 * tests/run-all; a failure is a sanitizer's abort. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX (2u << 20)	/* corpus files: more than config_read takes */
#define MUTANT_MAX (256u << 10)

struct input {
	char *p;
	size_t n;
};

static struct input *corpus;
static size_t ncorpus;
static const char *crash_file = "fuzz-crash.ini";
static int last_fd = -1;
static char *last;	/* crash_file, mapped */
static uint64_t rng;

static uint64_t
next(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static size_t
below(size_t n)
{
	return n ? (size_t)(next() % n) : 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The input about to run goes to crash_file first: written into a shared
 * mapping, it outlives any death of the process. */
static void
keep_last(const char *p, size_t n)
{
	if (last_fd < 0) {
		last_fd = open(crash_file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (last_fd < 0 || ftruncate(last_fd, INPUT_MAX) < 0 ||
		    (last = mmap(NULL, INPUT_MAX, PROT_READ | PROT_WRITE, MAP_SHARED, last_fd, 0)) ==
		    MAP_FAILED) {
			fprintf(stderr, "fuzz-config: %s: %s\n", crash_file, strerror(errno));
			exit(2);
		}
	}
	if (ftruncate(last_fd, (off_t)n) < 0) {
		fprintf(stderr, "fuzz-config: %s: %s\n", crash_file, strerror(errno));
		exit(2);
	}
	memcpy(last, p, n);
}

static void
run(const char *p, size_t n)
{
	/* a copy of its exact size: a read past the end is ASan's */
	uint8_t *copy = malloc(n ? n : 1);

	if (!copy) {
		perror("fuzz-config");
		exit(2);
	}
	memcpy(copy, p, n);
	keep_last(p, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
}

static void
add_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct input in = { malloc(INPUT_MAX), 0 };

	if (!f || !in.p) {
		fprintf(stderr, "fuzz-config: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	in.n = fread(in.p, 1, INPUT_MAX, f);
	fclose(f);
	struct input *c = realloc(corpus, (ncorpus + 1) * sizeof *c);
	if (!c) {
		perror("fuzz-config");
		exit(2);
	}
	corpus = c;
	corpus[ncorpus++] = in;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
add_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "fuzz-config: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return;
	}
	struct dirent **names;
	int n = scandir(path, &names, NULL, NULL);
	if (n < 0) {
		fprintf(stderr, "fuzz-config: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	char **files = calloc((size_t)n + 1, sizeof *files);
	size_t nf = 0;
	for (int i = 0; i < n; i++) {
		char *f;
		if (names[i]->d_name[0] != '.' && asprintf(&f, "%s/%s", path, names[i]->d_name) >= 0) {
			if (stat(f, &st) == 0 && S_ISREG(st.st_mode))
				files[nf++] = f;
			else
				free(f);
		}
		free(names[i]);
	}
	free(names);
	qsort(files, nf, sizeof *files, by_name);	/* the same order everywhere */
	for (size_t i = 0; i < nf; i++) {
		add_file(files[i]);
		free(files[i]);
	}
	free(files);
}

/* Tokens of the dictionary. */
static struct input *tokens;
static size_t ntokens;

static int
hex(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* libFuzzer's dictionary: a line is [name=]"token", with \\, \" and \xNN;
 * '#' starts a comment line. */
static void
read_dict(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int lineno = 0;

	if (!f) {
		fprintf(stderr, "fuzz-config: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while (fgets(line, sizeof line, f)) {
		char *q = strchr(line, '"'), tok[1024];
		size_t n = 0;
		lineno++;
		if (line[strspn(line, " \t")] == '#' || !q)
			continue;
		for (q++; *q && *q != '"'; q++) {
			if (*q == '\\' && q[1] == 'x' && hex(q[2]) >= 0 && hex(q[3]) >= 0) {
				tok[n++] = (char)(hex(q[2]) * 16 + hex(q[3]));
				q += 3;
			} else if (*q == '\\' && (q[1] == '\\' || q[1] == '"')) {
				tok[n++] = *++q;
			} else {
				tok[n++] = *q;
			}
		}
		struct input *t = realloc(tokens, (ntokens + 1) * sizeof *t);
		if (*q != '"' || !n || !t || !(t[ntokens].p = malloc(n))) {
			fprintf(stderr, "fuzz-config: %s:%d: not a token\n", path, lineno);
			exit(2);
		}
		tokens = t;
		memcpy(tokens[ntokens].p, tok, n);
		tokens[ntokens++].n = n;
	}
	fclose(f);
}

static const size_t runs[] = { 1, 195, 198, 199, 200, 255, 256, 257, 3998, 3999, 4000, 4001, 4095,
	4096, 8192 };

/* Inserts n bytes at off; false when the result would be too long. */
static int
insert(char *buf, size_t *len, size_t off, const char *s, size_t n)
{
	if (*len + n > MUTANT_MAX)
		return 0;
	memmove(buf + off + n, buf + off, *len - off);
	memcpy(buf + off, s, n);
	*len += n;
	return 1;
}

static void
mutate(char *buf, size_t *len)
{
	static char run_buf[8192];
	size_t off = below(*len + 1);

	switch (below(10)) {
	case 0:		/* flip a bit */
		if (*len)
			buf[below(*len)] ^= (char)(1u << below(8));
		break;
	case 1: {	/* a byte that means something to the parser */
		static const char special[] = "\0\n\r[]=:;# \t\\\xff";
		if (*len)
			buf[below(*len)] = special[below(sizeof special - 1)];
		break;
	}
	case 2:
	case 3: {	/* a token, at the start of a line more often than not */
		if (!ntokens)
			break;
		const struct input *t = &tokens[below(ntokens)];
		if (below(3)) {
			while (off > 0 && buf[off - 1] != '\n')
				off--;
		}
		insert(buf, len, off, t->p, t->n);
		break;
	}
	case 4: {	/* delete a range */
		size_t n = below(*len - off + 1);
		if (below(2))
			n = n % 16;
		memmove(buf + off, buf + off + n, *len - off - n);
		*len -= n;
		break;
	}
	case 5: {	/* repeat a range */
		size_t n = below(*len - off + 1) % 512;
		char tmp[512];
		memcpy(tmp, buf + off, n);
		insert(buf, len, off, tmp, n);
		break;
	}
	case 6: {	/* double a line */
		while (off > 0 && buf[off - 1] != '\n')
			off--;
		char *nl = memchr(buf + off, '\n', *len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) + 1 : *len - off;
		if (n <= 4096) {
			char tmp[4096];
			memcpy(tmp, buf + off, n);
			insert(buf, len, off, tmp, n);
		}
		break;
	}
	case 7: {	/* a run around a limit */
		size_t n = runs[below(sizeof runs / sizeof runs[0])];
		memset(run_buf, below(4) ? 'x' : ' ', n);
		insert(buf, len, off, run_buf, n);
		break;
	}
	case 8: {	/* a piece of another input */
		const struct input *o = &corpus[below(ncorpus)];
		size_t from = below(o->n + 1), n = below(o->n - from + 1) % 2048;
		insert(buf, len, off, o->p + from, n);
		break;
	}
	case 9:		/* cut the end */
		*len = off;
		break;
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: fuzz-config [--mutate N] [--time SECONDS] [--seed S] [--dict FILE]\n"
			"                   [--crash FILE] PATH...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	unsigned long long mutations = 0, seed = 1;
	double seconds = 0;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--mutate"))
			mutations = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--time"))
			seconds = strtod(argv[i + 1], NULL);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--dict"))
			read_dict(argv[i + 1]);
		else if (!strcmp(argv[i], "--crash"))
			crash_file = argv[i + 1];
		else
			usage();
	}
	if (i == argc)
		usage();
	for (; i < argc; i++)
		add_path(argv[i]);
	if (!ncorpus) {
		fprintf(stderr, "fuzz-config: no input files\n");
		return 2;
	}
	rng = seed * 0x9e3779b97f4a7c15ull + 1;

	/* The parser's errors are noise here; a sanitizer's report is not. */
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0) {
		perror("fuzz-config: /dev/null");
		return 2;
	}
	log_to(null);

	double t0 = now_s();
	for (size_t k = 0; k < ncorpus; k++)
		run(corpus[k].p, corpus[k].n);
	char *buf = malloc(MUTANT_MAX);
	unsigned long long done = 0;
	if (!buf) {
		perror("fuzz-config");
		return 2;
	}
	while ((mutations || seconds > 0) && (!mutations || done < mutations) &&
	    (seconds <= 0 || now_s() - t0 < seconds)) {
		const struct input *in = &corpus[below(ncorpus)];
		size_t len = in->n < MUTANT_MAX ? in->n : MUTANT_MAX;
		memcpy(buf, in->p, len);
		for (size_t m = 1 + below(4); m > 0; m--)
			mutate(buf, &len);
		run(buf, len);
		done++;
	}
	free(buf);
	printf("fuzz-config: %zu corpus files and %llu mutations of them (seed %llu) in %.1fs\n", ncorpus,
	    done, seed, now_s() - t0);
	for (size_t k = 0; k < ncorpus; k++)
		free(corpus[k].p);
	free(corpus);
	for (size_t k = 0; k < ntokens; k++)
		free(tokens[k].p);
	free(tokens);
	unlink(crash_file);
	printf("1 passed, 0 failed\n");
	return 0;
}
