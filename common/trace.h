/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recorded traces (docs/testing-policies.md): JSON Lines, a header line
 * {"aspen_trace":1,...} then one event per line (connect, request,
 * response) with every field a rule can read. `aspenc test` and `aspenc
 * diff` read them; `aspend --record FILE` writes them with the writer below.
 *
 * The JSON reader is small and strict (objects of scalars and arrays of
 * scalars only, integers only, UTF-8 text, no NUL): a trace is data we
 * define, so anything else is an error with file:line:column.
 */
#ifndef ASPEN_TRACE_H
#define ASPEN_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h" /* json_quote_file(): strings as traces spell them */

#define TRACE_VERSION 1 /* the "aspen_trace" value this code reads and writes */

enum trace_kind { TRACE_CONNECT = 1, TRACE_REQUEST = 2, TRACE_RESPONSE = 3 };

/* One event. Strings are malloc'd (NULL: absent/unknown); string lists are
 * malloc'd arrays of malloc'd strings. Integers are -1 when absent, except
 * where noted. */
struct trace_event {
	enum trace_kind kind;
	char *ts; /* ISO 8601, informative */
	/* the process */
	int64_t pid;  /* tgid: process.pid */
	int64_t tid;  /* thread id, informative */
	int64_t uid, gid;
	char *comm, *exe, *user, *cgroup, *container_id; /* NULL: not known */
	/* the destination (connect) */
	char *dst_ip;	  /* "a.b.c.d" or IPv6 text */
	int64_t dst_port; /* 1..65535 */
	char *proto;	  /* "tcp" (default) or "udp" */
	char **dst_host;  /* names aspend knows for dst_ip: dst.host */
	size_t ndst_host;
	/* providers, by name; has_provider: the key was present (even empty) */
	char **provider;
	size_t nprovider;
	bool has_provider;
	/* the request (and, for a response, the request it answers) */
	char *method, *path, *host, *model, *request_user; /* NULL: "" */
	bool stream;
	char *unparsed; /* NULL: parsed; else why not (docs: uninspectable) */
	char *ws;	/* NULL; "upgrade": a WebSocket upgrade head; "message": a message */
	char *body;	/* NULL: not recorded (or redacted: body_redacted) */
	bool body_redacted;
	char **body_match; /* names of the patterns that matched the body */
	size_t nbody_match;
	bool has_body_match;
	/* the response */
	int64_t status, tokens_in, tokens_out; /* tokens: 0 when absent */
	/* what aspend decided, in a recorded trace (all optional) */
	char *decision; /* allow | deny | would_deny | kill | would_kill */
	char *rule;	/* rule name, "default", "uninspectable" or NULL */
	char **redactions; /* pattern names masked */
	size_t nredactions;
	bool has_redactions;
	/* where the event came from (not serialised) */
	const char *file;
	int line;
};

/* A parsed JSON (or YAML) value, the input of trace_event_set(). */
enum trace_vkind { TV_NULL, TV_BOOL, TV_INT, TV_STR, TV_LIST };

struct trace_val {
	enum trace_vkind kind;
	const char *str; /* TV_STR; TV_INT from YAML also carries its text */
	int64_t num;	 /* TV_INT */
	bool b;		 /* TV_BOOL */
	const struct trace_val *items; /* TV_LIST */
	size_t n;
};

void trace_event_init(struct trace_event *ev);
void trace_event_free(struct trace_event *ev);
/* Set field `key` from v. 0, or -1 with err ("unknown field 'x'", "'pid'
 * must be an integer"). Keys starting with "x_" are ignored. */
int trace_event_set(struct trace_event *ev, const char *key, const struct trace_val *v,
		    char *err, size_t errlen);
/* After all fields: 0, or -1 with err (no "event", bad dst_ip, ...). */
int trace_event_check(const struct trace_event *ev, char *err, size_t errlen);
const char *trace_kind_name(enum trace_kind k);

/* ---- reading ------------------------------------------------------------- */

/* One JSON object line -> event. 0, or -1 with err "COL: message" (ev is
 * then empty: nothing to free). */
int trace_parse_line(const char *line, size_t len, struct trace_event *ev, char *err,
		     size_t errlen);

struct trace_reader;
/* Opens path and reads its header line. NULL with err ("FILE:1:1: ...",
 * including "trace version 2 is not supported") on failure. */
struct trace_reader *trace_open(const char *path, char *err, size_t errlen);
/* 1: an event in *ev (ev->file/line set), 0: end of file, -1: err is
 * "FILE:LINE:COL: message". Blank lines are skipped. */
int trace_next(struct trace_reader *r, struct trace_event *ev, char *err, size_t errlen);
void trace_close(struct trace_reader *r);
/* From the header: the policy the trace was recorded under (may be NULL). */
const char *trace_policy(const struct trace_reader *r);

/* ---- writing (aspend --record) ------------------------------------------- */

struct trace_writer;
/* Creates (truncates) path and writes the header. policy/sha256 may be NULL. */
struct trace_writer *trace_writer_open(const char *path, const char *policy, const char *sha256,
				       char *err, size_t errlen);
/* Same on an open stream (not closed by trace_writer_close). */
struct trace_writer *trace_writer_fdopen(FILE *f, const char *policy, const char *sha256);
/* One line, flushed. 0 or -1 (errno). Absent fields are not written. */
int trace_write_event(struct trace_writer *w, const struct trace_event *ev);
int trace_writer_close(struct trace_writer *w);
/* The event as one JSON object, no newline. */
int trace_event_to_json(const struct trace_event *ev, FILE *out);

#endif
