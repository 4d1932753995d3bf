/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit trail's reader, `aspenc audit verify` (rt_audit_verify_next()
 * in runtime/lib/rt_audit.c), on any file, and its writer on any values.
 * The input is read two ways:
 *
 * - as a trail file: rt_audit_verify_next() must give what a reference
 *   verifier written here from rt_audit.h gives (the code, 0 or the line
 *   whose link is broken, and the chain's state: lines, first seq and
 *   prev_sha256, the last hash), on a chain of its own and as the
 *   continuation of the trail written below;
 * - as events for the writer (byte 0: flags: bit 0 hold, bit 1 reopen
 *   after event 1 + bits 2-4, bit 7 flush before closing; bytes 1-2: the
 *   byte to flip, byte 3: the bits flipped; bytes 1-3 also pick the
 *   events' times; then ops: kind, length, bytes): event names, keys and
 *   values taken from the input (quotes, backslashes, control bytes,
 *   invalid UTF-8, NULs). The file must be exactly the lines a reference
 *   encoder (json.h's encoding, rt_audit.h's line) makes, events with a
 *   reserved key refused and left out, and verify must find it intact:
 *   that many lines from seq 1. Then one byte is flipped, and verify must
 *   no longer find that, unless the byte lies in the last line between
 *   its "ts" and its "seq" (no later line records that line's hash:
 *   rt_audit.h says so); there it must still find it, unless the flip
 *   made a newline. "Intact" counts the lines and wants seq 1 first
 *   because the format accepts a chain that begins at seq N > 1 (the
 *   first file of a rotated set, its predecessor missing; aspenc prints
 *   a note): a flip of line 1's newline leaves one line that verifies as
 *   a chain from seq 2.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "utf8_ref.h"
#include "json.h"
#include "rt_audit.h"
#include "sha256.h"

#define MAX_EVENTS 8
#define MAX_FIELDS 16

static int raw_fd, trail_fd;
static char raw_path[64], trail_path[64];

static int mem_file(const char *name, char path[64])
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0) {
		perror("fuzz_audit: memfd_create");
		abort();
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	raw_fd = mem_file("fuzz_audit_raw", raw_path);
	trail_fd = mem_file("fuzz_audit_trail", trail_path);
	return 0;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz_audit: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

static void put_file(int fd, const void *p, size_t n)
{
	if (ftruncate(fd, 0) || (n && pwrite(fd, p, n, 0) != (ssize_t)n))
		fail("cannot write the file: %m");
}

/* ---- a growing string ---------------------------------------------------- */

struct str {
	char *s;
	size_t len, cap;
};

static void put(struct str *o, const void *p, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->s = realloc(o->s, o->cap);
		if (!o->s)
			abort();
	}
	memcpy(o->s + o->len, p, n);
	o->len += n;
	o->s[o->len] = '\0';
}

static void puts_(struct str *o, const char *s)
{
	put(o, s, strlen(s));
}

/* ---- the reference verifier ---------------------------------------------- */

#define HEAD "{\"ts\":\""
#define SEQ ",\"seq\":"
#define PREV ",\"prev_sha256\":\""

/* The tail by another road than rt_audit.c's: the last ,"seq": of the line,
 * 1 to 19 digits, then exactly ,"prev_sha256":"<64 lower-case hex>"}. */
static int ref_tail(const char *l, size_t n, uint64_t *seq, char prev[65])
{
	size_t at = SIZE_MAX, k = 0, i;

	if (n < strlen(HEAD) || memcmp(l, HEAD, strlen(HEAD)))
		return -1;
	for (i = 0; i + strlen(SEQ) <= n; i++)
		if (!memcmp(l + i, SEQ, strlen(SEQ)))
			at = i;
	if (at == SIZE_MAX)
		return -1;
	i = at + strlen(SEQ);
	*seq = 0;
	while (i < n && l[i] >= '0' && l[i] <= '9' && k < 20) {
		*seq = *seq * 10 + (uint64_t)(l[i++] - '0');
		k++;
	}
	if (k < 1 || k > 19 || n - i != strlen(PREV) + 64 + 2 ||
	    memcmp(l + i, PREV, strlen(PREV)) || memcmp(l + n - 2, "\"}", 2))
		return -1;
	i += strlen(PREV);
	for (k = 0; k < 64; k++)
		if (!strchr("0123456789abcdef", l[i + k]) || !l[i + k])
			return -1;
	memcpy(prev, l + i, 64);
	prev[64] = '\0';
	return 0;
}

static int zeros(const char *h)
{
	return strspn(h, "0") == 64;
}

/* rt_audit_verify_next() on b[0, n) as rt_audit.h describes it. */
static int ref_verify(struct rt_audit_chain *c, const char *b, size_t n)
{
	size_t at = 0;

	c->file_lines = 0;
	while (at < n) {
		const char *nl = memchr(b + at, '\n', n - at);
		size_t len = nl ? (size_t)(nl - (b + at)) : n - at;
		uint64_t seq;
		char rec[65];

		if (!nl || ref_tail(b + at, len, &seq, rec))
			return (int)c->file_lines + 1;
		if (c->lines == 0) {
			if (seq == 0 || (seq == 1) != zeros(rec))
				return (int)c->file_lines + 1;
			c->first_seq = seq;
			memcpy(c->first_prev, rec, 65);
		} else if (seq != c->first_seq + c->lines || strcmp(rec, c->prev)) {
			return (int)c->file_lines + 1;
		}
		aspen_sha256_hex(b + at, len, c->prev);
		c->lines++;
		c->file_lines++;
		at += len + 1;
	}
	return 0;
}

static void same_chain(const struct rt_audit_chain *a, const struct rt_audit_chain *b, int rc,
		       int ref_rc, const char *err, const char *what)
{
	if (rc != ref_rc || a->lines != b->lines || a->file_lines != b->file_lines ||
	    a->first_seq != b->first_seq || strcmp(a->first_prev, b->first_prev) ||
	    strcmp(a->prev, b->prev))
		fail("%s: verify %d (%" PRIu64 " lines from seq %" PRIu64 ", %s), reference %d "
		     "(%" PRIu64 " lines from seq %" PRIu64 ")",
		     what, rc, a->lines, a->first_seq, rc ? err : "intact", ref_rc, b->lines,
		     b->first_seq);
	if (rc > 0 && !err[0])
		fail("%s: line %d broken without a reason", what, rc);
}

/* The input as a trail file, on the chain c (left as it was). */
static void verify_raw(const struct rt_audit_chain *c, const uint8_t *data, size_t size,
		       const char *what)
{
	struct rt_audit_chain got = *c, want = *c;
	char err[512] = "";
	int rc = rt_audit_verify_next(&got, raw_path, err, sizeof(err));

	same_chain(&got, &want, rc, ref_verify(&want, (const char *)data, size), err, what);
}

/* ---- the reference encoder (common/json.h) ------------------------------- */

static void ref_quote(struct str *o, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	char esc[8];

	put(o, "\"", 1);
	for (size_t i = 0, k; i < n; i += k) {
		k = ref_utf8(s + i, n - i);
		if (s[i] == '"' || s[i] == '\\') {
			put(o, "\\", 1);
			put(o, s + i, 1);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u00%c%c", "0123456789abcdef"[s[i] >> 4],
				 "0123456789abcdef"[s[i] & 15]);
			put(o, esc, 6);
		} else if (k) {
			put(o, s + i, k);
		} else {
			puts_(o, "\\ufffd");
		}
		k = k ? k : 1;
	}
	put(o, "\"", 1);
}

/* ---- the writer, driven by the input ------------------------------------- */

struct in {
	const uint8_t *p, *end;
};

struct event {
	struct rt_audit_ev ev;
	struct str body; /* what the line should hold between ts and seq */
	int refused;	 /* a reserved key: emit refuses the event */
	struct timespec ts;
};

static void start(struct event *e, const char *name, size_t i, uint32_t salt)
{
	rt_audit_ev_init(&e->ev, name);
	e->body.len = 0;
	puts_(&e->body, ",\"event\":");
	ref_quote(&e->body, name, strlen(name));
	e->refused = 0;
	/* a time of its own, never 0 (0 is "now"): 2000 to 2136 */
	e->ts.tv_sec = 946684800 + (time_t)((salt + i * 86399u) & 0xffffffffu);
	e->ts.tv_nsec = (long)((salt * 7919u + i * 123456789u) % 1000000000u);
	e->ev.ts = e->ts;
}

/* One field: op kind k, chunk c[0, n): the key up to its first NUL, the
 * value after it. */
static void field(struct event *e, int k, const char *c, size_t n)
{
	static const char *const reserved[] = {"ts", "event", "seq", "prev_sha256"};
	const char *nul = memchr(c, '\0', n);
	size_t vn = nul ? n - (size_t)(nul + 1 - c) : 0;
	char *key = strndup(c, n), *val = malloc(vn + 1), num[32];
	long long v = 0;

	if (!key || !val)
		abort();
	memcpy(val, nul ? nul + 1 : "", vn);
	val[vn] = '\0';
	for (size_t i = 0; i < vn && i < 8; i++)
		v |= (long long)((unsigned long long)(uint8_t)val[i] << (8 * i));
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (!strcmp(key, reserved[i]))
			e->refused = 1;
	put(&e->body, ",", 1);
	ref_quote(&e->body, key, strlen(key));
	put(&e->body, ":", 1);
	switch (k) {
	case 1: /* a C string */
		rt_audit_str(&e->ev, key, val);
		ref_quote(&e->body, val, strlen(val));
		break;
	case 2: { /* n bytes, not NUL-terminated (ASan sees a read past them) */
		char *exact = malloc(vn ? vn : 1);

		if (!exact)
			abort();
		memcpy(exact, val, vn);
		rt_audit_strn(&e->ev, key, exact, vn);
		ref_quote(&e->body, val, strnlen(val, vn));
		free(exact);
		break;
	}
	case 3:
		rt_audit_str(&e->ev, key, NULL);
		puts_(&e->body, "null");
		break;
	case 4:
		rt_audit_int(&e->ev, key, v);
		snprintf(num, sizeof(num), "%lld", v);
		puts_(&e->body, num);
		break;
	case 5:
		rt_audit_uint(&e->ev, key, (unsigned long long)v);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
		puts_(&e->body, num);
		break;
	case 6:
		rt_audit_bool(&e->ev, key, vn ? (uint8_t)val[0] : 0);
		puts_(&e->body, vn && val[0] ? "true" : "false");
		break;
	case 7: { /* a JSON string made with json_quote_buf(); empty: null */
		size_t need = json_quote_buf(num, 1, val, vn);
		char *json = malloc(need + 1);

		if (!json)
			abort();
		json_quote_buf(json, need + 1, val, vn);
		rt_audit_raw(&e->ev, key, vn ? json : "");
		if (vn)
			ref_quote(&e->body, val, vn);
		else
			puts_(&e->body, "null");
		free(json);
		break;
	}
	}
	free(key);
	free(val);
}

/* The line an event makes: head, ts, body, seq, the chain's hash. */
static void line(struct str *o, const struct event *e, uint64_t seq, char prev[65])
{
	struct tm tm;
	char buf[160];
	size_t from = o->len;

	if (!gmtime_r(&e->ts.tv_sec, &tm))
		abort();
	snprintf(buf, sizeof(buf), HEAD "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\"", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, e->ts.tv_nsec / 1000);
	puts_(o, buf);
	put(o, e->body.s, e->body.len);
	snprintf(buf, sizeof(buf), SEQ "%" PRIu64 PREV "%s\"}", seq, prev);
	puts_(o, buf);
	aspen_sha256_hex(o->s + from, o->len - from, prev);
	put(o, "\n", 1);
}

static struct rt_audit *open_trail(void)
{
	char err[512];
	struct rt_audit *a = rt_audit_open(trail_path, err, sizeof(err));

	if (!a)
		fail("rt_audit_open: %s", err);
	return a;
}

static void emit(struct rt_audit **a, struct event *e, struct str *want, uint64_t *seq,
		 char prev[65], int *emitted, int reopen_at, int hold)
{
	int rc = rt_audit_emit(*a, &e->ev);

	if (rc != (e->refused ? -1 : 0))
		fail("event %d: emit %d, a reserved key %d", *emitted, rc, e->refused);
	if (!e->refused)
		line(want, e, (*seq)++, prev);
	if (++*emitted == reopen_at) {
		if (hold && *emitted & 1) {
			uint64_t lost = 1;

			if (rt_audit_flush(*a, &lost) || lost)
				fail("rt_audit_flush: %" PRIu64 " lost", lost);
		}
		rt_audit_close(*a);
		*a = open_trail();
		if (rt_audit_next_seq(*a) != *seq)
			fail("reopened at seq %" PRIu64 ", expected %" PRIu64,
			     rt_audit_next_seq(*a), *seq);
		if (hold)
			rt_audit_hold(*a);
	}
}

/* Writes the events the input says; returns the lines in want. */
static uint64_t write_trail(struct in *in, uint8_t flags, uint32_t salt, struct str *want)
{
	struct rt_audit *a;
	struct event e = {0};
	int open = 0, emitted = 0, fields = 0, hold = flags & 1;
	int reopen_at = flags & 2 ? 1 + (flags >> 2) % MAX_EVENTS : 0;
	uint64_t seq = 1;
	char prev[65];

	memset(prev, '0', 64);
	prev[64] = '\0';
	put_file(trail_fd, "", 0);
	a = open_trail();
	if (hold)
		rt_audit_hold(a);
	while (in->end - in->p >= 2) {
		int k = in->p[0] % 8;
		size_t n = in->p[1];

		in->p += 2;
		if (n > (size_t)(in->end - in->p))
			n = (size_t)(in->end - in->p);
		if (k == 0 || !open) {
			if (open)
				emit(&a, &e, want, &seq, prev, &emitted, reopen_at, hold);
			open = 0;
			if (emitted == MAX_EVENTS)
				break;
			char *name = k == 0 ? strndup((const char *)in->p, n) : strdup("e");

			if (!name)
				abort();
			start(&e, name, (size_t)emitted, salt);
			free(name);
			open = 1;
			fields = 0;
		}
		if (k && fields++ < MAX_FIELDS)
			field(&e, k, (const char *)in->p, n);
		in->p += n;
	}
	if (open)
		emit(&a, &e, want, &seq, prev, &emitted, reopen_at, hold);
	if (hold && flags & 0x80) {
		uint64_t lost = 1;

		if (rt_audit_flush(a, &lost) || lost)
			fail("rt_audit_flush: %" PRIu64 " lost", lost);
	}
	rt_audit_close(a); /* writes what is held */
	free(e.body.s);
	return seq - 1;
}

static char *read_trail(size_t *n)
{
	off_t size = lseek(trail_fd, 0, SEEK_END);
	char *b = malloc(size > 0 ? (size_t)size : 1);

	if (size < 0 || !b || pread(trail_fd, b, (size_t)size, 0) != size)
		fail("cannot read the trail: %m");
	*n = (size_t)size;
	return b;
}

static int intact(struct rt_audit_chain *c, uint64_t lines, char *err, size_t errlen)
{
	int rc;

	rt_audit_chain_init(c);
	rc = rt_audit_verify_next(c, trail_path, err, errlen);
	return rc == 0 && c->lines == lines && (!lines || c->first_seq == 1);
}

/* The file is want; verify says intact; a flipped byte is seen. */
static void check_trail(const struct str *want, uint64_t lines, size_t pos, uint8_t x,
			struct rt_audit_chain *c)
{
	struct rt_audit_chain f;
	char err[512] = "";
	size_t n, last, tail;
	char *b = read_trail(&n), tailbuf[160];

	if (n != want->len || (n && memcmp(b, want->s, n))) {
		fprintf(stderr,
			"fuzz_audit: the trail (%zu bytes):\n%.*s\nexpected (%zu bytes):\n%s", n,
			(int)n, b, want->len, want->len ? want->s : "");
		abort();
	}
	if (!intact(c, lines, err, sizeof(err)))
		fail("the trail written: %s", err[0] ? err : "not the lines written");
	if (!n) {
		free(b);
		return;
	}
	pos %= n;
	for (last = n - 1; last > 0 && b[last - 1] != '\n'; last--)
		;
	tail =
	    (size_t)snprintf(tailbuf, sizeof(tailbuf), SEQ "%" PRIu64 PREV "%064d\"}\n", lines, 0);
	b[pos] ^= x;
	put_file(trail_fd, b, n);
	if (pos >= last + strlen(HEAD) && pos < n - tail) {
		/* the last line's ts or fields: no later line has its hash */
		if (b[pos] != '\n' && !intact(&f, lines, err, sizeof(err)))
			fail("byte %zu of %zu flipped (0x%02x) in the last line's fields: %s", pos,
			     n, x, err);
	} else if (intact(&f, lines, err, sizeof(err))) {
		fail("byte %zu of %zu flipped (0x%02x to '%c'): the chain still verifies", pos, n,
		     x, b[pos]);
	}
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_audit_chain none, c;
	struct str want = {0};
	struct in in = {data + 4, data + size};
	uint64_t lines;

	/* the input as a trail of its own */
	put_file(raw_fd, data, size);
	rt_audit_chain_init(&none);
	verify_raw(&none, data, size, "a trail");
	if (size < 4)
		return 0;
	/* the input as events */
	lines = write_trail(&in, data[0],
			    (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3], &want);
	check_trail(&want, lines, (size_t)data[1] << 8 | data[2], data[3] ? data[3] : 1, &c);
	/* the input as the next file of that trail */
	verify_raw(&c, data, size, "the trail's next file");
	free(want.s);
	return 0;
}
