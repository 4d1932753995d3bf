/* SPDX-License-Identifier: Apache-2.0 */
/* The audit trail writer and verifier. See rt_audit.h for the format. */
#define _GNU_SOURCE
#include "rt_audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sha256.h"

/* Longest line we look back for when continuing a file: far above any
 * event we write, small enough not to read a huge file into memory. */
#define AUDIT_MAX_LINE (1u << 20)

static const char LINE_HEAD[] = "{\"ts\":\"";
static const char TAIL_SEQ[] = ",\"seq\":";
static const char TAIL_PREV[] = ",\"prev_sha256\":\"";

struct rt_audit {
	pthread_mutex_t lock;
	int fd;
	int own_fd;  /* 0 for stdout: never closed */
	int regular; /* a regular file: can be truncated after a short write */
	int sync;
	uint64_t seq; /* seq of the next line */
	off_t size;   /* bytes in the file, for undoing a short write */
	char prev[ASPEN_SHA256_HEX_LEN + 1];
	char *path;	    /* the file's name (NULL for stdout): reopen, rotation */
	uint64_t max_size;  /* rotate before a line would take the file past it; 0: never */
	unsigned keep;	    /* rotated files kept: path.1 .. path.keep */
	int rotate_failed;  /* a rename failed: no more tries until a reopen */
	rt_audit_tee_fn tee; /* gets every line written */
	void *tee_ctx;
	/* Lines made but not yet written (rt_audit_hold): one write for all
	 * of them at rt_audit_flush. seq and prev already count them;
	 * out_seq and out_prev are the chain's state before the first. */
	char *out;
	size_t out_len, out_cap;
	uint64_t out_lines, out_seq;
	char out_prev[ASPEN_SHA256_HEX_LEN + 1];
	int held;
	uint64_t out_lost; /* lines of batches whose write failed, since the last flush */
	/* the last second format_ts() formatted, and its text */
	time_t ts_sec;
	char ts_text[32];
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- growing buffer ---------------------------------------------------- */

static void ev_reserve(struct rt_audit_ev *ev, size_t more)
{
	size_t cap;
	char *p;

	if (ev->bad)
		return;
	if (ev->len + more + 1 <= ev->cap)
		return;
	cap = ev->cap ? ev->cap : 1024; /* a request line's fields fit */
	while (cap < ev->len + more + 1)
		cap *= 2;
	p = realloc(ev->buf, cap);
	if (!p) {
		ev->bad = ENOMEM;
		return;
	}
	ev->buf = p;
	ev->cap = cap;
}

static void ev_put(struct rt_audit_ev *ev, const char *s, size_t n)
{
	ev_reserve(ev, n);
	if (ev->bad)
		return;
	memcpy(ev->buf + ev->len, s, n);
	ev->len += n;
	ev->buf[ev->len] = '\0';
}

static void ev_puts(struct rt_audit_ev *ev, const char *s)
{
	ev_put(ev, s, strlen(s));
}

/* ---- JSON strings (common/json.h) ------------------------------------- */

static void ev_sink(void *ctx, const char *s, size_t n)
{
	ev_put(ctx, s, n);
}

/* Most values are printable ASCII without quotes or backslashes: copied
 * as they are, in one piece; anything else goes through json_quote. */
static void ev_quote(struct rt_audit_ev *ev, const char *str, size_t n)
{
	const unsigned char *u = (const unsigned char *)str;

	for (size_t i = 0; i < n; i++)
		if (u[i] < 0x20 || u[i] >= 0x7f || u[i] == '"' || u[i] == '\\') {
			json_quote(ev_sink, ev, str, n);
			return;
		}
	ev_reserve(ev, n + 2);
	if (ev->bad)
		return;
	ev->buf[ev->len] = '"';
	memcpy(ev->buf + ev->len + 1, str, n);
	ev->buf[ev->len + n + 1] = '"';
	ev->len += n + 2;
	ev->buf[ev->len] = '\0';
}

/* val in decimal at the end of out[24]; returns where it starts */
static char *ev_decimal(char out[24], unsigned long long val)
{
	char *p = out + 23;

	*p = '\0';
	do
		*--p = (char)('0' + val % 10);
	while (val /= 10);
	return p;
}

/* ---- the event builder ------------------------------------------------- */

void rt_audit_ev_init(struct rt_audit_ev *ev, const char *event)
{
	memset(ev, 0, sizeof(*ev));
	ev_puts(ev, ",\"event\":");
	ev_quote(ev, event, strlen(event));
}

void rt_audit_ev_free(struct rt_audit_ev *ev)
{
	free(ev->buf);
	memset(ev, 0, sizeof(*ev));
}

/* Writes ,"key": unless the key is one the writer owns. */
static int ev_key(struct rt_audit_ev *ev, const char *key)
{
	static const char *const reserved[] = {"ts", "event", "seq", "prev_sha256"};

	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		if (key[0] == reserved[i][0] && strcmp(key, reserved[i]) == 0) {
			ev->bad = EINVAL;
			return -1;
		}
	}
	ev_put(ev, ",", 1);
	ev_quote(ev, key, strlen(key));
	ev_put(ev, ":", 1);
	return ev->bad ? -1 : 0;
}

void rt_audit_strn(struct rt_audit_ev *ev, const char *key, const char *val, size_t n)
{
	if (ev_key(ev, key))
		return;
	if (!val)
		ev_puts(ev, "null");
	else
		ev_quote(ev, val, strnlen(val, n));
}

void rt_audit_str(struct rt_audit_ev *ev, const char *key, const char *val)
{
	rt_audit_strn(ev, key, val, val ? strlen(val) : 0);
}

void rt_audit_int(struct rt_audit_ev *ev, const char *key, long long val)
{
	char num[24];

	if (ev_key(ev, key))
		return;
	if (val < 0)
		ev_put(ev, "-", 1);
	ev_puts(ev, ev_decimal(num,
			       val < 0 ? 0ULL - (unsigned long long)val : (unsigned long long)val));
}

void rt_audit_uint(struct rt_audit_ev *ev, const char *key, unsigned long long val)
{
	char num[24];

	if (ev_key(ev, key))
		return;
	ev_puts(ev, ev_decimal(num, val));
}

void rt_audit_bool(struct rt_audit_ev *ev, const char *key, int val)
{
	if (!ev_key(ev, key))
		ev_puts(ev, val ? "true" : "false");
}

void rt_audit_null(struct rt_audit_ev *ev, const char *key)
{
	if (!ev_key(ev, key))
		ev_puts(ev, "null");
}

void rt_audit_raw(struct rt_audit_ev *ev, const char *key, const char *json)
{
	if (!ev_key(ev, key))
		ev_puts(ev, json && *json ? json : "null");
}

/* ---- line tail: ,"seq":N,"prev_sha256":"<hex>"} ------------------------ */

static int is_hex64(const char *s)
{
	for (int i = 0; i < ASPEN_SHA256_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Reads seq and prev_sha256 from the fixed tail the writer puts on every
 * line. Parsing from the end at fixed offsets means no field value, however
 * it is spelled, can be mistaken for the tail. */
static int parse_tail(const char *line, size_t len, uint64_t *seq, char prev[65])
{
	size_t plen = sizeof(TAIL_PREV) - 1, slen = sizeof(TAIL_SEQ) - 1;
	size_t end, d;
	uint64_t v = 0;

	if (len < sizeof(LINE_HEAD) - 1 || memcmp(line, LINE_HEAD, sizeof(LINE_HEAD) - 1))
		return -1;
	if (len < plen + ASPEN_SHA256_HEX_LEN + 2 + slen + 1)
		return -1;
	end = len - 2;
	if (line[end] != '"' || line[end + 1] != '}')
		return -1;
	end -= ASPEN_SHA256_HEX_LEN;
	if (!is_hex64(line + end) || memcmp(line + end - plen, TAIL_PREV, plen))
		return -1;
	memcpy(prev, line + end, ASPEN_SHA256_HEX_LEN);
	prev[ASPEN_SHA256_HEX_LEN] = '\0';
	end -= plen;
	for (d = end; d > 0 && line[d - 1] >= '0' && line[d - 1] <= '9'; d--)
		;
	if (d == end || end - d > 19 || d < slen || memcmp(line + d - slen, TAIL_SEQ, slen))
		return -1;
	for (size_t i = d; i < end; i++)
		v = v * 10 + (uint64_t)(line[i] - '0');
	*seq = v;
	return 0;
}

/* ---- the writer -------------------------------------------------------- */

/* Picks up seq and hash from the last line of a non-empty file. */
static int continue_chain(struct rt_audit *a, const char *path, char *err, size_t errlen)
{
	size_t want = a->size > (off_t)AUDIT_MAX_LINE ? AUDIT_MAX_LINE : (size_t)a->size;
	off_t from = a->size - (off_t)want;
	char *buf = malloc(want + 1);
	ssize_t got;
	size_t start;
	uint64_t seq;
	int rc = -1;

	if (!buf) {
		set_err(err, errlen, "%s: out of memory", path);
		return -1;
	}
	got = pread(a->fd, buf, want, from);
	if (got != (ssize_t)want) {
		set_err(err, errlen, "%s: cannot read the last line: %s", path,
			got < 0 ? strerror(errno) : "short read");
		goto out;
	}
	/* A crash in the middle of a write leaves a line without its newline:
	 * say so rather than chain to half an event. */
	if (buf[want - 1] != '\n') {
		set_err(err, errlen, "%s: last line is incomplete; move the file aside", path);
		goto out;
	}
	for (start = want - 1; start > 0 && buf[start - 1] != '\n'; start--)
		;
	if (start == 0 && from > 0) {
		set_err(err, errlen, "%s: last line is longer than %u bytes", path, AUDIT_MAX_LINE);
		goto out;
	}
	if (parse_tail(buf + start, want - 1 - start, &seq, a->prev)) {
		set_err(err, errlen, "%s: last line is not an aspen audit event", path);
		goto out;
	}
	aspen_sha256_hex(buf + start, want - 1 - start, a->prev);
	a->seq = seq + 1;
	rc = 0;
out:
	free(buf);
	return rc;
}

static int open_file(struct rt_audit *a, const char *path, char *err, size_t errlen)
{
	struct stat st;

	a->path = strdup(path);
	if (!a->path) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (a->fd < 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	a->own_fd = 1;
	if (fstat(a->fd, &st)) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* A pipe or a tty has no past lines to chain to: start a new chain. */
	if (!S_ISREG(st.st_mode))
		return 0;
	a->regular = 1;
	if (flock(a->fd, LOCK_EX | LOCK_NB)) {
		set_err(err, errlen, "%s: %s", path,
			errno == EWOULDBLOCK ? "in use by another audit writer" : strerror(errno));
		return -1;
	}
	a->size = st.st_size;
	return a->size > 0 ? continue_chain(a, path, err, errlen) : 0;
}

struct rt_audit *rt_audit_open(const char *path, char *err, size_t errlen)
{
	struct rt_audit *a = calloc(1, sizeof(*a));

	if (!a) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->seq = 1;
	memset(a->prev, '0', ASPEN_SHA256_HEX_LEN);
	if (!path || strcmp(path, "-") == 0) {
		a->fd = STDOUT_FILENO;
		return a;
	}
	if (open_file(a, path, err, errlen)) {
		rt_audit_close(a);
		return NULL;
	}
	return a;
}

static uint64_t flush_locked(struct rt_audit *a);

void rt_audit_close(struct rt_audit *a)
{
	if (!a)
		return;
	if (flush_locked(a) + a->out_lost)
		fprintf(stderr, "aspend: audit trail: %" PRIu64 " line(s) not written at close\n",
			a->out_lost + 1);
	free(a->out);
	if (a->own_fd && a->fd >= 0)
		close(a->fd);
	pthread_mutex_destroy(&a->lock);
	free(a->path);
	free(a);
}

void rt_audit_set_fsync(struct rt_audit *a, int on)
{
	pthread_mutex_lock(&a->lock);
	a->sync = on;
	pthread_mutex_unlock(&a->lock);
}

uint64_t rt_audit_next_seq(struct rt_audit *a)
{
	uint64_t s;

	pthread_mutex_lock(&a->lock);
	s = a->seq;
	pthread_mutex_unlock(&a->lock);
	return s;
}

#define TS_LEN 48

/* RFC 3339, UTC, microseconds: 2026-11-24T19:08:01.123456Z. The seconds'
 * text is kept for the next line of the same second. Returns its length. */
static size_t format_ts(struct rt_audit *a, const struct timespec *ts, char out[TS_LEN])
{
	unsigned int usec = (unsigned int)((ts->tv_nsec / 1000) % 1000000);
	time_t sec = ts->tv_sec;
	size_t n;

	if (sec != a->ts_sec || !a->ts_text[0]) {
		struct tm tm;

		gmtime_r(&sec, &tm);
		if (!strftime(a->ts_text, sizeof(a->ts_text), "%Y-%m-%dT%H:%M:%S", &tm))
			a->ts_text[0] = 0;
		a->ts_sec = sec;
	}
	n = strlen(a->ts_text);
	memcpy(out, a->ts_text, n);
	out[n++] = '.';
	for (int i = 5; i >= 0; i--, usec /= 10)
		out[n + (size_t)i] = (char)('0' + usec % 10);
	n += 6;
	out[n++] = 'Z';
	out[n] = 0;
	return n;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes one complete line; called with the lock held. On a short write
 * the file is cut back so that the next line still chains to a whole one. */
static int write_line(struct rt_audit *a, const char *line, size_t n)
{
	int saved;

	if (write_all(a->fd, line, n) == 0) {
		a->size += (off_t)n;
		if (a->sync && a->regular && fsync(a->fd))
			return -1;
		return 0;
	}
	saved = errno ? errno : EIO;
	if (a->regular && ftruncate(a->fd, a->size))
		saved = errno;
	errno = saved;
	return -1;
}

static void rotate_locked(struct rt_audit *a);

/* ts, ",seq":N and ",prev_sha256":"<hex>"} around the event: a bound */
#define LINE_OVERHEAD 160
/* a batch is written once it holds this much */
#define OUT_FLUSH (64u << 10)

static int out_reserve(struct rt_audit *a, size_t more)
{
	size_t cap = a->out_cap ? a->out_cap : 4096;
	char *p;

	if (a->out_len + more <= a->out_cap)
		return 0;
	while (cap < a->out_len + more)
		cap *= 2;
	p = realloc(a->out, cap);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	a->out = p;
	a->out_cap = cap;
	return 0;
}

/* Writes the lines made so far with one write (and one fsync); the tee
 * gets each. If the write fails the file is cut back to its last whole
 * line and the chain goes on from there: the batch's lines are lost.
 * Returns how many. */
static uint64_t flush_locked(struct rt_audit *a)
{
	uint64_t lost = 0;

	if (!a->out_lines)
		return 0;
	if (write_line(a, a->out, a->out_len) == 0) {
		if (a->tee)
			for (size_t at = 0; at < a->out_len;) {
				const char *nl = memchr(a->out + at, '\n', a->out_len - at);
				size_t n = nl ? (size_t)(nl - (a->out + at)) : a->out_len - at;

				a->tee(a->tee_ctx, a->out + at, n);
				at += n + 1;
			}
	} else {
		lost = a->out_lines;
		a->seq = a->out_seq;
		memcpy(a->prev, a->out_prev, sizeof(a->prev));
	}
	a->out_len = 0;
	a->out_lines = 0;
	return lost;
}

/* The line just made is written now (not held, or the batch is full): -1
 * if it was lost; other lines lost with it are counted for
 * rt_audit_flush. */
static int flush_with_line(struct rt_audit *a)
{
	uint64_t lost = flush_locked(a);

	if (!lost)
		return 0;
	a->out_lost += lost - 1;
	return -1;
}

static int emit_locked(struct rt_audit *a, struct rt_audit_ev *ev, const struct timespec *ts)
{
	char tsbuf[TS_LEN],
	    tail[sizeof(TAIL_SEQ) + sizeof(TAIL_PREV) + 24 + ASPEN_SHA256_HEX_LEN + 4];
	size_t tsl, tl, n;
	char *line;

	/* rotate before the line, so that it is built on the chain's state in
	 * the new file (after the rotation line) */
	if (a->max_size && a->regular && !a->rotate_failed && a->size + (off_t)a->out_len > 0 &&
	    (uint64_t)a->size + a->out_len + ev->len + LINE_OVERHEAD > a->max_size) {
		uint64_t lost = flush_locked(a);

		if (lost) {
			a->out_lost += lost;
			errno = errno ? errno : EIO;
			return -1;
		}
		rotate_locked(a);
	}
	tsl = format_ts(a, ts, tsbuf);
	tl = (size_t)snprintf(tail, sizeof(tail), "%s%" PRIu64 "%s%s\"}", TAIL_SEQ, a->seq,
			      TAIL_PREV, a->prev);
	n = sizeof(LINE_HEAD) - 1 + tsl + 1 + ev->len + tl;
	if (out_reserve(a, n + 1))
		return -1;
	if (!a->out_lines) {
		a->out_seq = a->seq;
		memcpy(a->out_prev, a->prev, sizeof(a->prev));
	}
	line = a->out + a->out_len;
	memcpy(line, LINE_HEAD, sizeof(LINE_HEAD) - 1);
	memcpy(line + sizeof(LINE_HEAD) - 1, tsbuf, tsl);
	line[sizeof(LINE_HEAD) - 1 + tsl] = '"';
	memcpy(line + n - tl - ev->len, ev->buf, ev->len);
	memcpy(line + n - tl, tail, tl);
	aspen_sha256_hex(line, n, a->prev);
	line[n] = '\n';
	a->out_len += n + 1;
	a->out_lines++;
	a->seq++;
	if (a->held && a->out_len < OUT_FLUSH)
		return 0;
	return flush_with_line(a);
}

/* ---- rotation and reopening -------------------------------------------- */

/* The first line of a new file: says why the file changed; its seq and
 * prev_sha256 go on from the last line of the previous file. */
static void emit_rotate_line(struct rt_audit *a, const char *reason, const char *previous)
{
	struct rt_audit_ev ev;
	struct timespec ts;

	rt_audit_ev_init(&ev, "audit_rotate");
	rt_audit_str(&ev, "reason", reason);
	rt_audit_str(&ev, "previous_file", previous);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!ev.bad && emit_locked(a, &ev, &ts))
		fprintf(stderr, "aspend: audit trail: cannot write the first line of %s: %s\n",
			a->path, strerror(errno));
	rt_audit_ev_free(&ev);
}

/* Opens path as the next file of the chain: locked, a regular file. */
static int open_next(const char *path, int flags, struct stat *st, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | flags, 0640);

	if (fd < 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) || !S_ISREG(st->st_mode) || flock(fd, LOCK_EX | LOCK_NB)) {
		set_err(err, errlen, "%s: %s", path,
			errno == EWOULDBLOCK ? "in use by another audit writer"
					     : "not a regular file that can be locked");
		close(fd);
		return -1;
	}
	return fd;
}

/* The new file takes the place of the old one, which is closed only now:
 * every line went to one or the other. */
static void switch_to(struct rt_audit *a, int fd, off_t size)
{
	if (a->sync)
		fsync(a->fd);
	close(a->fd);
	a->fd = fd;
	a->size = size;
}

/* With fsync on, the renames and the new file's entry are made durable too */
static void sync_dir(const char *path)
{
	char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
	int fd;

	if (!dir)
		return;
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

static int reopen_locked(struct rt_audit *a, char *err, size_t errlen);

/* Whether name names the file being written: logrotate or an operator's
 * mv may have moved the trail away, the reopen signal not yet come. */
static bool is_ours(const struct rt_audit *a, const char *name)
{
	struct stat cur, st;

	return fstat(a->fd, &cur) == 0 && stat(name, &st) == 0 && st.st_ino == cur.st_ino &&
	       st.st_dev == cur.st_dev;
}

/* The trail was moved away between the check and our rename (logrotate's
 * rename and create in that window): what went to moved is the file that
 * took the trail's place, and it goes back, not over a newer one. */
static void put_back(const struct rt_audit *a, const char *moved)
{
	if (renameat2(AT_FDCWD, moved, AT_FDCWD, a->path, RENAME_NOREPLACE))
		fprintf(stderr,
			"aspend: audit trail: the file that took the place of %s was moved to %s "
			"and cannot go back: %s\n",
			a->path, moved, strerror(errno));
}

/* path -> path.1, path.1 -> path.2, ..., path.keep dropped, and a new path.
 * A trail moved away meanwhile is not renamed again (that would move
 * someone else's file, or fail): the file at its name is taken up as a
 * reopen would, so no file grows past max_size while the signal is on its
 * way. */
static void rotate_locked(struct rt_audit *a)
{
	size_t n = strlen(a->path) + 16;
	char *from = malloc(n), *to = malloc(n), err[256];
	struct stat st;
	int fd;

	if (!from || !to)
		goto fail;
	if (!is_ours(a, a->path))
		goto take_up;
	for (unsigned i = a->keep; i > 1; i--) {
		snprintf(from, n, "%s.%u", a->path, i - 1);
		snprintf(to, n, "%s.%u", a->path, i);
		if (rename(from, to) && errno != ENOENT)
			goto fail;
	}
	snprintf(to, n, "%s.1", a->path);
	if (rename(a->path, to))
		goto fail;
	if (!is_ours(a, to)) {
		put_back(a, to);
		goto take_up;
	}
	/* the old file is now path.1; lines keep going there until this works */
	fd = open_next(a->path, O_EXCL, &st, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "aspend: audit trail: cannot rotate: %s; writing on to %s\n", err,
			to);
		a->rotate_failed = 1;
		goto out;
	}
	switch_to(a, fd, 0);
	/* the first line before the directory's fsync: logrotate (notifempty)
	 * skips a trail it finds empty, so keep that moment short */
	emit_rotate_line(a, "max_size", to);
	if (a->sync)
		sync_dir(a->path);
	goto out;
take_up:
	if (reopen_locked(a, err, sizeof(err)) < 0) {
		fprintf(stderr, "aspend: audit trail: cannot rotate: %s\n", err);
		a->rotate_failed = 1;
	}
	goto out;
fail:
	fprintf(stderr, "aspend: audit trail: cannot rotate %s: %s; writing on to it\n", a->path,
		strerror(errno));
	a->rotate_failed = 1;
out:
	free(from);
	free(to);
}

void rt_audit_set_tee(struct rt_audit *a, rt_audit_tee_fn fn, void *ctx)
{
	pthread_mutex_lock(&a->lock);
	a->tee = fn;
	a->tee_ctx = ctx;
	pthread_mutex_unlock(&a->lock);
}

void rt_audit_set_rotation(struct rt_audit *a, uint64_t max_size, unsigned keep)
{
	pthread_mutex_lock(&a->lock);
	a->max_size = max_size;
	a->keep = keep ? keep : 1;
	pthread_mutex_unlock(&a->lock);
}

static int reopen_locked(struct rt_audit *a, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (!a->path || !a->regular)
		return 0;
	/* what was made goes to the file it was chained in */
	a->out_lost += flush_locked(a);
	fd = open_next(a->path, 0, &st, err, errlen);
	if (fd < 0) {
		/* the same file, still locked by us: nothing was moved */
		if (is_ours(a, a->path) && fstat(a->fd, &st) == 0) {
			a->size = st.st_size;
			return 0;
		}
		return -1;
	}
	if (st.st_size > 0) {
		set_err(err, errlen, "%s: a file that is not empty took its place; writing on to "
			"the old one", a->path);
		close(fd);
		return -1;
	}
	switch_to(a, fd, 0);
	a->rotate_failed = 0;
	emit_rotate_line(a, "reopen", NULL);
	return 0;
}

int rt_audit_reopen(struct rt_audit *a, char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&a->lock);
	rc = reopen_locked(a, err, errlen);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

void rt_audit_hold(struct rt_audit *a)
{
	pthread_mutex_lock(&a->lock);
	a->held = 1;
	pthread_mutex_unlock(&a->lock);
}

int rt_audit_flush(struct rt_audit *a, uint64_t *lost)
{
	int rc;

	pthread_mutex_lock(&a->lock);
	a->held = 0;
	a->out_lost += flush_locked(a);
	rc = a->out_lost ? -1 : 0;
	if (lost)
		*lost = a->out_lost;
	a->out_lost = 0;
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int rt_audit_emit(struct rt_audit *a, struct rt_audit_ev *ev)
{
	struct timespec ts = ev->ts;
	int rc;

	if (ev->bad || !ev->buf) {
		errno = ev->bad ? ev->bad : EINVAL;
		rt_audit_ev_free(ev);
		return -1;
	}
	pthread_mutex_lock(&a->lock);
	/* Taken under the lock so that ts never goes back as seq goes up. */
	if (ts.tv_sec == 0 && ts.tv_nsec == 0)
		clock_gettime(CLOCK_REALTIME, &ts);
	rc = emit_locked(a, ev, &ts);
	pthread_mutex_unlock(&a->lock);
	rt_audit_ev_free(ev);
	return rc;
}

/* ---- verification ------------------------------------------------------ */

void rt_audit_chain_init(struct rt_audit_chain *c)
{
	memset(c, 0, sizeof(*c));
	memset(c->prev, '0', ASPEN_SHA256_HEX_LEN);
	memset(c->first_prev, '0', ASPEN_SHA256_HEX_LEN);
}

static int is_zeros(const char *h)
{
	for (int i = 0; i < ASPEN_SHA256_HEX_LEN; i++)
		if (h[i] != '0')
			return 0;
	return 1;
}

/* The first line the chain sees: a chain start (seq 1, zeros) or the first
 * line of a rotated file (seq N > 1, the hash of a line we do not have). */
static int verify_first(struct rt_audit_chain *c, uint64_t seq, const char *rec, char *why,
			size_t whylen)
{
	if (seq == 0 || (seq == 1) != is_zeros(rec)) {
		snprintf(why, whylen, "seq %" PRIu64 " with %s prev_sha256", seq,
			 is_zeros(rec) ? "a chain start's" : "a continued chain's");
		return -1;
	}
	c->first_seq = seq;
	memcpy(c->first_prev, rec, sizeof(c->first_prev));
	return 0;
}

/* Checks one line against the state left by the lines before it. */
static int verify_line(struct rt_audit_chain *c, const char *line, size_t len, char *why,
		       size_t whylen)
{
	char rec[ASPEN_SHA256_HEX_LEN + 1];
	uint64_t seq;

	if (len == 0 || line[len - 1] != '\n') {
		snprintf(why, whylen, "incomplete line (no newline)");
		return -1;
	}
	len--;
	if (parse_tail(line, len, &seq, rec)) {
		snprintf(why, whylen, "not an aspen audit event");
		return -1;
	}
	if (c->lines == 0) {
		if (verify_first(c, seq, rec, why, whylen))
			return -1;
	} else if (seq != c->first_seq + c->lines) {
		snprintf(why, whylen, "seq %" PRIu64 ", expected %" PRIu64
			 "%s", seq, c->first_seq + c->lines,
			 seq == 1 ? " (a new chain begins: a restart on an empty file?)" : "");
		return -1;
	} else if (strcmp(rec, c->prev) != 0) {
		snprintf(why, whylen, "prev_sha256 does not match the previous line%s",
			 c->file_lines == 0 ? " (the last line of the previous file)" : "");
		return -1;
	}
	aspen_sha256_hex(line, len, c->prev);
	c->lines++;
	c->file_lines++;
	return 0;
}

int rt_audit_verify_next(struct rt_audit_chain *c, const char *path, char *err, size_t errlen)
{
	char why[160];
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	if (!f) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	c->file_lines = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (verify_line(c, line, (size_t)n, why, sizeof(why))) {
			uint64_t lineno = c->file_lines + 1;

			set_err(err, errlen, "%s:%" PRIu64 ": %s", path, lineno, why);
			rc = lineno > 0x7fffffff ? 0x7fffffff : (int)lineno;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

int rt_audit_verify(const char *path, char *err, size_t errlen)
{
	struct rt_audit_chain c;

	rt_audit_chain_init(&c);
	return rt_audit_verify_next(&c, path, err, errlen);
}
