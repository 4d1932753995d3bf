/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit trail: JSON Lines, one event per line, hash-chained.
 *
 * Every line is
 *
 *   {"ts":"2026-11-24T19:08:01.123456Z","event":"connect", <fields in the
 *    order added> ,"seq":41,"prev_sha256":"<64 hex>"}
 *
 * seq counts from 1; prev_sha256 is the sha256 of the previous line's bytes
 * without its newline (64 zeros on line 1). Opening an existing file
 * continues its chain, so one file is one chain across daemon restarts; a
 * rotated file's chain goes on in the next file (rt_audit_set_rotation).
 * Field names are a contract (docs/operators.md, "The audit trail").
 * Strings are encoded by common/json.h, as in recorded traces.
 *
 * Usage:
 *   struct rt_audit_ev ev;
 *   rt_audit_ev_init(&ev, "connect");
 *   rt_audit_str(&ev, "decision", "deny");
 *   rt_audit_int(&ev, "pid", 123);
 *   rt_audit_null(&ev, "container_id");
 *   rt_audit_emit(a, &ev);          (always releases ev)
 *
 * The writer is thread-safe. The builder is not (one event, one thread).
 */
#ifndef ASPEN_RT_AUDIT_H
#define ASPEN_RT_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "json.h" /* json_quote_buf(): strings inside rt_audit_raw values */

struct rt_audit;

/* One event being built. Fields are private to rt_audit.c except ts. */
struct rt_audit_ev {
	char *buf; /* ,"event":"..." then ,"key":value for every field */
	size_t len, cap;
	int bad;	    /* out of memory or reserved key: emit refuses */
	struct timespec ts; /* CLOCK_REALTIME of the event; 0: now, at emit */
};

/* Opens path for appending (created 0640), or stdout for NULL or "-".
 * An existing file must end with a complete aspen line; its seq and hash
 * are picked up. The file is flock()ed so that two daemons cannot interleave
 * two chains. Returns NULL with a message in err on failure. */
struct rt_audit *rt_audit_open(const char *path, char *err, size_t errlen);
void rt_audit_close(struct rt_audit *a);

/* 1: fsync() after every line (slow; for hosts where losing the last
 * events on power loss matters), and at a rotation or reopen the old file
 * and the directory too (with rt_audit_hold, once per batch written).
 * Default 0: each line is write()n whole. */
void rt_audit_set_fsync(struct rt_audit *a, int on);

/* seq the next line will carry. */
uint64_t rt_audit_next_seq(struct rt_audit *a);

void rt_audit_ev_init(struct rt_audit_ev *ev, const char *event);
void rt_audit_ev_free(struct rt_audit_ev *ev); /* only if not emitted */

/* Fields. Keys "ts", "event", "seq" and "prev_sha256" are added by the
 * writer and refused here. A NULL string value is written as null. */
void rt_audit_str(struct rt_audit_ev *ev, const char *key, const char *val);
/* A string of at most n bytes that need not be NUL-terminated (comm[16]). */
void rt_audit_strn(struct rt_audit_ev *ev, const char *key, const char *val, size_t n);
void rt_audit_int(struct rt_audit_ev *ev, const char *key, long long val);
void rt_audit_uint(struct rt_audit_ev *ev, const char *key, unsigned long long val);
void rt_audit_bool(struct rt_audit_ev *ev, const char *key, int val);
void rt_audit_null(struct rt_audit_ev *ev, const char *key);
/* val is inserted verbatim: it must be valid JSON (array, object, ...);
 * quote the strings in it with json_quote_buf(). */
void rt_audit_raw(struct rt_audit_ev *ev, const char *key, const char *json);

/* Adds ts, seq, prev_sha256, writes the line and releases ev.
 * Returns 0, or -1 with errno (EINVAL/ENOMEM for a bad event, the write
 * error otherwise; the chain is not advanced then). */
int rt_audit_emit(struct rt_audit *a, struct rt_audit_ev *ev);

/* Batching: after rt_audit_hold, lines are made (ts, seq, hash chain) as
 * they are emitted but written together, with one write (and one fsync
 * with fsync on), at rt_audit_flush, or when 64 KiB are waiting, or
 * before a rotation or reopen. aspend holds the trail for one drain of
 * the ring buffer. rt_audit_flush ends the hold and returns 0, or -1 with
 * *lost (if given) the number of held lines the trail could not take
 * since the last flush (the chain goes on from the last line written). */
void rt_audit_hold(struct rt_audit *a);
int rt_audit_flush(struct rt_audit *a, uint64_t *lost);

/* Called with every line once it is written (len without the newline),
 * in the trail's order, under the writer's lock: it must not block (copy
 * the line and return) nor write to the trail. */
typedef void (*rt_audit_tee_fn)(void *ctx, const char *line, size_t len);
void rt_audit_set_tee(struct rt_audit *a, rt_audit_tee_fn fn, void *ctx);

/* Rotation: before a line would take the file past max_size bytes, the
 * file is renamed path.1 (path.1 to path.2, ..., up to path.keep; the
 * oldest beyond keep is dropped) and a new file is begun at path. Its first
 * line, event "audit_rotate" (reason "max_size", previous_file path.1),
 * continues the chain: seq goes on, prev_sha256 is the hash of the last line
 * of path.1. 0: never (default). If a rename fails the trail goes on in the
 * old file (one message on stderr). */
void rt_audit_set_rotation(struct rt_audit *a, uint64_t max_size, unsigned keep);

/* After the file was moved away (logrotate, SIGUSR1): opens path anew and
 * goes on there with an "audit_rotate" line (reason "reopen"), the chain
 * continued. No-op for stdout, or if the file was not moved (its size is
 * read again, for copytruncate). Until the new file is open every line
 * goes to the old one. Returns 0, or -1 with err (the old file is kept:
 * e.g. a non-empty file took its place). */
int rt_audit_reopen(struct rt_audit *a, char *err, size_t errlen);

/* Verification of one chain across files (a rotated trail, oldest first). */
struct rt_audit_chain {
	uint64_t lines;	     /* lines verified so far, all files */
	uint64_t file_lines; /* in the last file */
	uint64_t first_seq;  /* seq of the first line: 1 for a chain start */
	char first_prev[65]; /* its prev_sha256: zeros for a chain start */
	char prev[65];	     /* hash of the last line verified */
};
void rt_audit_chain_init(struct rt_audit_chain *c);

/* Checks the lines of path as the chain's continuation: every line
 * complete, seq one more than the line before, prev_sha256 the hash of the
 * line before (for the first line of path: the last line of the previous
 * file). The chain's very first line is either a chain start (seq 1, 64
 * zeros) or the first line of a rotated file whose predecessor is missing
 * (seq N > 1): first_seq tells. Returns 0 if intact, the 1-based number in
 * path of the first line whose link is broken (err says why), or -1 if the
 * file cannot be read. A change to the last line alone cannot be seen: no
 * later line records its hash. */
int rt_audit_verify_next(struct rt_audit_chain *c, const char *path, char *err, size_t errlen);

/* rt_audit_verify_next() on a chain of its own. */
int rt_audit_verify(const char *path, char *err, size_t errlen);

#endif
