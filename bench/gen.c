/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gen: the workload generator and the measuring probes of `make bench`.
 *
 * Built by bench/run with `cc -O2`; every subcommand is small and does one
 * thing as fast as it can, so that the shell around it costs nothing in the
 * figures.  Times are CLOCK_REALTIME nanoseconds so that separate processes
 * can be compared ("t_end" of a workload, then "converge" against it).
 *
 *   gen now                                  print the time (ns)
 *   gen files DIR NDIRS NFILES SIZE          NFILES files of SIZE bytes spread
 *                                            over NDIRS new dirs d000.. (NDIRS
 *                                            0: in DIR itself); prints t_end
 *   gen stream DIR NDIRS NFILES SIZE RATE   the same, RATE files a second;
 *                                            prints t_end
 *   gen deep DIR LEVELS SIZE                 mkdir -p of LEVELS levels, then a
 *                                            file in each level; prints t_end
 *   gen rename FROM TO                       rename(2); prints t_end
 *   gen unlink DIR                           unlink every regular file below
 *                                            DIR (dirs stay); prints t_end
 *   gen dirs DIR TOP SUB FILES               TOP dirs with SUB subdirs each,
 *                                            and FILES empty files in each of
 *                                            those dirs
 *   gen trickle SRC DST N INTERVAL_MS SIZE TIMEOUT_S
 *                                            write N files INTERVAL_MS apart,
 *                                            poll DST for each (1 ms); prints
 *                                            "p50_ms p99_ms max_ms seen n
 *                                            t_end converge_s"
 *   gen rmone PATH                           unlink(2) PATH; prints t_end
 *   gen gone PATH T_END TIMEOUT_S            poll (1 ms) until PATH does not
 *                                            exist; prints seconds since T_END,
 *                                            or "timeout"
 *   gen converge SRC DST T_END TIMEOUT_S INTERVAL_MS
 *                                            poll until DST equals SRC (names,
 *                                            types, sizes, then contents);
 *                                            prints seconds since T_END, or
 *                                            "timeout"
 *   gen watches PID                          inotify watches held by PID and
 *                                            its descendants
 *   gen waitready PID NWATCH T0 TIMEOUT_S    wait until PID (or a descendant)
 *                                            holds NWATCH inotify watches;
 *                                            prints seconds since T0 and the
 *                                            pid holding them, or "timeout"
 *   gen descendants PID                      the descendants' pids, one a line
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "gen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(double ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)((ms - (time_t)(ms / 1000) * 1000) * 1e6)};
	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ writing -- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static char *buf;
static size_t bufsz;

/* Write one file of SIZE bytes: a header naming it, then pseudo-random
 * (incompressible) bytes, different for every file and every run. */
static void write_file(const char *path, size_t size)
{
	if (bufsz < size) {
		free(buf);
		bufsz = size < 65536 ? 65536 : size;
		buf = malloc(bufsz);
		if (!buf)
			die("malloc");
	}
	rng_state ^= (uint64_t)now_ns() * 0x2545F4914F6CDD1DULL + 1;
	for (size_t i = 0; i + 8 <= size; i += 8) {
		uint64_t v = rng();
		memcpy(buf + i, &v, 8);
	}
	for (size_t i = size & ~(size_t)7; i < size; i++)
		buf[i] = (char)rng();
	int n = snprintf(buf, size < 256 ? size : 256, "%s\n", path);
	(void)n;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(path);
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(fd, buf + off, size - off);
		if (w < 0)
			die(path);
		off += (size_t)w;
	}
	if (close(fd) < 0)
		die(path);
}

static void print_end(void)
{
	printf("%lld\n", (long long)now_ns());
}

/* Before the i-th file of a stream of RATE files a second: wait for its
 * time (rate 0: no waiting). */
static void pace(int64_t t0, long i, double rate)
{
	if (rate <= 0)
		return;
	int64_t due = t0 + (int64_t)((double)i * 1e9 / rate), now = now_ns();
	if (due > now)
		sleep_ms((double)(due - now) / 1e6);
}

static void write_files(const char *dir, long ndirs, long nfiles, size_t size, double rate)
{
	char p[4096];
	int64_t t0 = now_ns();
	long k = 0;
	if (ndirs <= 0) {
		for (long i = 0; i < nfiles; i++) {
			pace(t0, k++, rate);
			snprintf(p, sizeof p, "%s/f%05ld.bin", dir, i);
			write_file(p, size);
		}
	} else {
		long per = nfiles / ndirs, extra = nfiles % ndirs;
		for (long d = 0; d < ndirs; d++) {
			snprintf(p, sizeof p, "%s/d%03ld", dir, d);
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				die(p);
			long n = per + (d < extra);
			for (long i = 0; i < n; i++) {
				pace(t0, k++, rate);
				snprintf(p, sizeof p, "%s/d%03ld/f%05ld.dat", dir, d, i);
				write_file(p, size);
			}
		}
	}
	print_end();
}

static int cmd_files(char **av)
{
	write_files(av[0], atol(av[1]), atol(av[2]), (size_t)atol(av[3]), 0);
	return 0;
}

static int cmd_stream(char **av)
{
	write_files(av[0], atol(av[1]), atol(av[2]), (size_t)atol(av[3]), atof(av[4]));
	return 0;
}

static int cmd_deep(char **av)
{
	const char *dir = av[0];
	int levels = atoi(av[1]);
	size_t size = (size_t)atol(av[2]);
	char p[4096], f[4200];
	size_t len = (size_t)snprintf(p, sizeof p, "%s", dir);
	/* mkdir -p: the whole chain first ... */
	for (int l = 0; l < levels; l++) {
		len += (size_t)snprintf(p + len, sizeof p - len, "/level%02d", l);
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			die(p);
	}
	/* ... then a file in each level, top down. */
	len = (size_t)snprintf(p, sizeof p, "%s", dir);
	for (int l = 0; l < levels; l++) {
		len += (size_t)snprintf(p + len, sizeof p - len, "/level%02d", l);
		snprintf(f, sizeof f, "%s/file%02d.txt", p, l);
		write_file(f, size);
	}
	print_end();
	return 0;
}

static int cmd_rename(char **av)
{
	if (rename(av[0], av[1]) < 0)
		die("rename");
	print_end();
	return 0;
}

static void unlink_below(int dfd)
{
	DIR *d = fdopendir(dfd);
	if (!d)
		die("fdopendir");
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type == DT_DIR) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (sub < 0)
				die(e->d_name);
			unlink_below(sub);
		} else if (unlinkat(dirfd(d), e->d_name, 0) < 0) {
			die(e->d_name);
		}
	}
	closedir(d);
}

static int cmd_unlink(char **av)
{
	int fd = open(av[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die(av[0]);
	unlink_below(fd);
	print_end();
	return 0;
}

/* FILES empty files in DIR: what a walk of the tree has to list, not data. */
static void empty_files(const char *dir, long files)
{
	char p[4200];
	for (long f = 0; f < files; f++) {
		snprintf(p, sizeof p, "%s/e%02ld", dir, f);
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || close(fd) < 0)
			die(p);
	}
}

static int cmd_dirs(char **av)
{
	const char *dir = av[0];
	long top = atol(av[1]), sub = atol(av[2]), files = atol(av[3]);
	char p[4096];
	for (long t = 0; t < top; t++) {
		snprintf(p, sizeof p, "%s/t%03ld", dir, t);
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			die(p);
		empty_files(p, files);
		for (long s = 0; s < sub; s++) {
			snprintf(p, sizeof p, "%s/t%03ld/s%04ld", dir, t, s);
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				die(p);
			empty_files(p, files);
		}
	}
	return 0;
}

/* ------------------------------------------------------------ trickle -- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* nearest-rank percentile of a sorted array */
static int64_t pct(const int64_t *v, int n, int p)
{
	int k = (p * n + 99) / 100;
	if (k < 1)
		k = 1;
	return v[k - 1];
}

static int cmd_trickle(char **av)
{
	const char *src = av[0], *dst = av[1];
	int n = atoi(av[2]);
	double interval = atof(av[3]);
	size_t size = (size_t)atol(av[4]);
	double timeout = atof(av[5]);
	int64_t *wrote = calloc((size_t)n, sizeof *wrote), *lat = calloc((size_t)n, sizeof *lat);
	char *seen = calloc((size_t)n, 1);
	if (!wrote || !lat || !seen)
		die("calloc");
	int nseen = 0, nwritten = 0, next_unseen = 0;
	int64_t start = now_ns(), t_end = 0;
	char p[4096];
	for (;;) {
		int64_t t = now_ns();
		if (nwritten < n && t >= start + (int64_t)(nwritten * interval * 1e6)) {
			snprintf(p, sizeof p, "%s/t%04d.txt", src, nwritten);
			write_file(p, size);
			wrote[nwritten] = now_ns();
			nwritten++;
			if (nwritten == n)
				t_end = wrote[n - 1];
			continue;
		}
		for (int i = next_unseen; i < nwritten; i++) {
			if (seen[i])
				continue;
			struct stat st;
			snprintf(p, sizeof p, "%s/t%04d.txt", dst, i);
			if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == size) {
				seen[i] = 1;
				lat[i] = now_ns() - wrote[i];
				nseen++;
			}
		}
		while (next_unseen < nwritten && seen[next_unseen])
			next_unseen++;
		if (nwritten == n && nseen == n)
			break;
		if (nwritten == n && now_ns() - t_end > (int64_t)(timeout * 1e9))
			break;
		sleep_ms(1);
	}
	int64_t conv = nseen == n ? now_ns() - t_end : -1;
	int64_t *ok = malloc(sizeof *ok * (size_t)(nseen ? nseen : 1));
	int k = 0;
	for (int i = 0; i < n; i++)
		if (seen[i])
			ok[k++] = lat[i];
	qsort(ok, (size_t)k, sizeof *ok, cmp_i64);
	if (nseen == n)
		printf("%.1f %.1f %.1f %d %d %lld %.3f\n", pct(ok, k, 50) / 1e6, pct(ok, k, 99) / 1e6,
		       ok[k - 1] / 1e6, nseen, n, (long long)t_end, conv / 1e9);
	else
		printf("- - - %d %d %lld timeout\n", nseen, n, (long long)t_end);
	return 0;
}

static int cmd_rmone(char **av)
{
	if (unlink(av[0]) < 0)
		die(av[0]);
	print_end();
	return 0;
}

/* One deletion in a large directory: polling for that one name costs
 * nothing, where converge would read the whole directory each time. */
static int cmd_gone(char **av)
{
	int64_t t_end = atoll(av[1]);
	double timeout = atof(av[2]);
	struct stat st;
	for (;;) {
		int64_t t = now_ns();
		if (lstat(av[0], &st) < 0 && errno == ENOENT) {
			printf("%.3f\n", (t - t_end) / 1e9);
			return 0;
		}
		if (t - t_end > (int64_t)(timeout * 1e9)) {
			printf("timeout\n");
			return 1;
		}
		sleep_ms(1);
	}
}

/* ----------------------------------------------------------- converge -- */

struct ent {
	char *path;
	unsigned char type;
	off_t size;
};

struct list {
	struct ent *v;
	size_t n, cap;
};

static void list_add(struct list *l, const char *path, unsigned char type, off_t size)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		if (!l->v)
			die("realloc");
	}
	l->v[l->n++] = (struct ent){strdup(path), type, size};
}

static void list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	l->n = 0;
}

/* Walk a tree: every entry below it with its type and (for regular
 * files) size.  A vanishing entry is skipped (the mirror changes under us). */
static void walk(int dfd, const char *rel, struct list *l)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *e;
	char p[4096];
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		snprintf(p, sizeof p, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (S_ISDIR(st.st_mode)) {
			list_add(l, p, 'd', 0);
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				walk(sub, p, l);
		} else if (S_ISREG(st.st_mode)) {
			list_add(l, p, 'f', st.st_size);
		} else if (S_ISLNK(st.st_mode)) {
			list_add(l, p, 'l', 0);
		} else {
			list_add(l, p, 'o', 0);
		}
	}
	closedir(d);
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->path, ((const struct ent *)b)->path);
}

static void scan(const char *root, struct list *l)
{
	list_free(l);
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	walk(fd, "", l);
	qsort(l->v, l->n, sizeof *l->v, cmp_ent);
}

static int same_listing(const struct list *a, const struct list *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].type != b->v[i].type || a->v[i].size != b->v[i].size ||
		    strcmp(a->v[i].path, b->v[i].path))
			return 0;
	return 1;
}

static int same_file(const char *a, const char *b)
{
	static char *ba, *bb;
	const size_t sz = 1 << 20;
	if (!ba) {
		ba = malloc(sz);
		bb = malloc(sz);
		if (!ba || !bb)
			die("malloc");
	}
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
	int same = fa >= 0 && fb >= 0;
	while (same) {
		ssize_t ra = read(fa, ba, sz), rb = 0;
		if (ra < 0) {
			same = 0;
			break;
		}
		while (rb < ra) {
			ssize_t r = read(fb, bb + rb, (size_t)(ra - rb));
			if (r <= 0)
				break;
			rb += r;
		}
		if (rb != ra || memcmp(ba, bb, (size_t)ra))
			same = 0;
		if (ra == 0)
			break;
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

static int same_contents(const char *src, const char *dst, const struct list *l)
{
	char a[4096], b[4096], ta[4096], tb[4096];
	for (size_t i = 0; i < l->n; i++) {
		snprintf(a, sizeof a, "%s/%s", src, l->v[i].path);
		snprintf(b, sizeof b, "%s/%s", dst, l->v[i].path);
		if (l->v[i].type == 'f' && !same_file(a, b))
			return 0;
		if (l->v[i].type == 'l') {
			ssize_t na = readlink(a, ta, sizeof ta), nb = readlink(b, tb, sizeof tb);
			if (na != nb || na < 0 || memcmp(ta, tb, (size_t)na))
				return 0;
		}
	}
	return 1;
}

static int cmd_converge(char **av)
{
	const char *src = av[0], *dst = av[1];
	int64_t t_end = atoll(av[2]);
	double timeout = atof(av[3]), interval = atof(av[4]);
	struct list s = {0}, d = {0};
	scan(src, &s); /* the source does not change any more */
	for (;;) {
		int64_t t = now_ns();
		scan(dst, &d);
		if (same_listing(&s, &d) && same_contents(src, dst, &s)) {
			printf("%.3f\n", (t - t_end) / 1e9);
			return 0;
		}
		if (now_ns() - t_end > (int64_t)(timeout * 1e9)) {
			printf("timeout\n");
			return 1;
		}
		sleep_ms(interval);
	}
}

/* ------------------------------------------------------------ /proc -- */

static int descendants(int pid, int *out, int max, int n)
{
	char p[64], line[8192];
	snprintf(p, sizeof p, "/proc/%d/task", pid);
	DIR *d = opendir(p);
	if (!d)
		return n;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char cp[320];
		snprintf(cp, sizeof cp, "/proc/%d/task/%s/children", pid, e->d_name);
		FILE *f = fopen(cp, "re");
		if (!f)
			continue;
		if (fgets(line, sizeof line, f)) {
			char *s = line, *end;
			for (;;) {
				long c = strtol(s, &end, 10);
				if (end == s)
					break;
				s = end;
				if (n < max) {
					out[n++] = (int)c;
					n = descendants((int)c, out, max, n);
				}
			}
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* inotify watches held by one process (all its inotify fds). */
static long watches_of(int pid)
{
	char p[64], fp[320];
	snprintf(p, sizeof p, "/proc/%d/fdinfo", pid);
	DIR *d = opendir(p);
	if (!d)
		return -1;
	long count = 0;
	struct dirent *e;
	static char *b;
	const size_t bsz = 1 << 20;
	if (!b && !(b = malloc(bsz)))
		die("malloc");
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		/* only inotify fds: the fd's link is "anon_inode:inotify" */
		char lp[320], target[64];
		snprintf(lp, sizeof lp, "/proc/%d/fd/%s", pid, e->d_name);
		ssize_t tl = readlink(lp, target, sizeof target - 1);
		if (tl <= 0)
			continue;
		target[tl] = 0;
		if (strcmp(target, "anon_inode:inotify"))
			continue;
		snprintf(fp, sizeof fp, "/proc/%d/fdinfo/%s", pid, e->d_name);
		int fd = open(fp, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* count the lines that start with "inotify wd" (a line may span
		 * two reads: its first bytes are kept in pfx) */
		ssize_t r;
		char pfx[10];
		size_t np = 0;
		while ((r = read(fd, b, bsz)) > 0) {
			for (ssize_t i = 0; i < r; i++) {
				if (b[i] == '\n') {
					np = 0;
					continue;
				}
				if (np < sizeof pfx) {
					pfx[np++] = b[i];
					if (np == sizeof pfx && !memcmp(pfx, "inotify wd", sizeof pfx))
						count++;
				}
			}
		}
		close(fd);
	}
	closedir(d);
	return count;
}

/* The pid among PID and its descendants that holds the most watches. */
static long max_watches(int pid, int *who)
{
	int pids[4096];
	pids[0] = pid;
	int n = descendants(pid, pids + 1, 4095, 0) + 1;
	long best = -1;
	for (int i = 0; i < n; i++) {
		long w = watches_of(pids[i]);
		if (w > best) {
			best = w;
			*who = pids[i];
		}
	}
	return best;
}

static int cmd_watches(char **av)
{
	int who = 0;
	printf("%ld\n", max_watches(atoi(av[0]), &who));
	return 0;
}

static int cmd_descendants(char **av)
{
	int pids[4096];
	int n = descendants(atoi(av[0]), pids, 4096, 0);
	for (int i = 0; i < n; i++)
		printf("%d\n", pids[i]);
	return 0;
}

/* utime+stime of one process, in clock ticks; -1 if gone. */
static long cpu_ticks(int pid)
{
	char p[64], line[2048];
	snprintf(p, sizeof p, "/proc/%d/stat", pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	if (!fgets(line, sizeof line, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	char *s = strrchr(line, ')');
	if (!s)
		return -1;
	unsigned long ut = 0, st = 0;
	/* after ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime(14) stime(15) */
	if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/* Wait until the watcher holds NWATCH watches.  Reading a large fdinfo
 * takes the inotify group's lock, so it is read only when the process that
 * holds the inotify fd has been idle (no CPU tick) for two 20 ms polls, and
 * at the latest every 500 ms. */
static int cmd_waitready(char **av)
{
	int pid = atoi(av[0]);
	long want = atol(av[1]);
	int64_t t0 = atoll(av[2]);
	double timeout = atof(av[3]);
	int who = 0, flat = 0;
	long last = -2;
	int64_t last_read = 0;
	for (;;) {
		int64_t t = now_ns();
		if (kill(pid, 0) < 0) {
			printf("exited\n");
			return 1;
		}
		long c = who ? cpu_ticks(who) : -1;
		flat = (c >= 0 && c == last) ? flat + 1 : 0;
		last = c;
		if (!who || flat >= 2 || t - last_read > 500000000) {
			int w = 0;
			long n = max_watches(pid, &w);
			last_read = now_ns();
			if (n > 0)
				who = w;
			if (n >= want) {
				printf("%.3f %d\n", (t - t0) / 1e9, who);
				return 0;
			}
		}
		if (t - t0 > (int64_t)(timeout * 1e9)) {
			printf("timeout\n");
			return 1;
		}
		sleep_ms(20);
	}
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int nargs;
		int (*fn)(char **);
	} cmds[] = {
		{"files", 4, cmd_files},         {"deep", 3, cmd_deep},
		{"rename", 2, cmd_rename},       {"unlink", 1, cmd_unlink},
		{"dirs", 4, cmd_dirs},           {"trickle", 6, cmd_trickle},
		{"converge", 5, cmd_converge},   {"watches", 1, cmd_watches},
		{"rmone", 1, cmd_rmone},         {"gone", 3, cmd_gone},
		{"waitready", 4, cmd_waitready}, {"descendants", 1, cmd_descendants},
		{"stream", 5, cmd_stream},
	};
	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("%lld\n", (long long)now_ns());
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(argv[1], cmds[i].name)) {
			if (argc - 2 != cmds[i].nargs) {
				fprintf(stderr, "gen %s: %d arguments expected\n", cmds[i].name, cmds[i].nargs);
				return 2;
			}
			return cmds[i].fn(argv + 2);
		}
	fprintf(stderr, "usage: see the comment at the top of bench/gen.c\n");
	return 2;
}
