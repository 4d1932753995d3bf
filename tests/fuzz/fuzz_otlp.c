/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Audit lines as OpenTelemetry logs (runtime/lib/rt_otlp.c): the
 * ExportLogsServiceRequest aspend sends a collector, whose strings come
 * from clients (models, paths, hosts, users, process names). The first
 * input byte picks the mode:
 *
 * - even: the rest is lines (split at '\n'), each given to
 *   rt_otlp_add_line() whatever it holds. The export must be valid JSON
 *   (RFC 8259 in UTF-8, read by a strict reader written here, and by
 *   json_ref.h) with one ResourceLogs per line add_line took (count): one
 *   scope "aspend", one record, its body that line (decoded as json.h
 *   encodes it: a byte that begins no UTF-8 sequence as U+FFFD), every
 *   attribute {"key": string, "value": {one typed value}}, and no
 *   attribute named other than docs/operators.md names them ("aspen."
 *   anything, or one of the names it lists).
 * - odd: the rest is audit events for the trail's writer (rt_audit.h, to
 *   a memfd; the lines taken from its tee as aspend's exporter takes
 *   them): byte 1: the host name's length, then the host name (the
 *   exporter's host.name); then ops: kind, length, bytes. A kind's low 6
 *   bits pick a field aspend writes (model, path, host, provider, comm,
 *   exe, request_user, tokens, redactions, libs, ...) or an event
 *   (request, response, connect, tls_attach, policy_load, error, lost,
 *   audit_rotate; the bytes give its time); its top 2 bits how the value
 *   is given: a C string, exactly n bytes (comm[16]), null, or a word
 *   operators.md knows ("deny", "/v1/chat/completions", ...) and the
 *   bytes. Strings hold what the input holds (quotes, backslashes,
 *   control bytes, invalid UTF-8, NULs: as the writer takes them),
 *   numbers are below 2^63 (tokens below 2^44, as the kernel caps them),
 *   providers are policy names joined with '|' as aspend joins them.
 *   Every line must be taken, and the export, read back, must be exactly
 *   what operators.md ("OpenTelemetry") says: the body the line itself,
 *   timeUnixNano the line's ts, observedTimeUnixNano the export's time,
 *   the severity, the scope, the resource (the observed process, or
 *   aspend) and every attribute with its name, type and decoded value,
 *   and no attribute the line did not cause, none twice.
 */
#define _GNU_SOURCE
#include <errno.h>
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
#include "rt_otlp.h"
#include "sha256.h"

#define ASPEN_MODEL_LEN 256 /* json_ref.h's buffers: only its verdict is used */
#define ASPEN_USER_LEN 256
#include "json_ref.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_LINES 64
#define MAX_EVENTS 8
#define HOST "h1"
#define VERSION "0.1.0"
#define VERSION2 "0.1.0+\"q\\\x01\xff" /* structured mode: quoted */

static int trail_fd;
static char trail_path[64];
static const char *shown; /* the export, printed when a check fails */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	trail_fd = memfd_create("fuzz_otlp_trail", MFD_CLOEXEC);
	if (trail_fd < 0) {
		perror("fuzz_otlp: memfd_create");
		abort();
	}
	snprintf(trail_path, sizeof(trail_path), "/proc/self/fd/%d", trail_fd);
	return 0;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (shown)
		fprintf(stderr, "fuzz_otlp: the export (%zu bytes):\n%.4000s\n", strlen(shown),
			shown);
	va_start(ap, fmt);
	fputs("fuzz_otlp: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* ---- a growing string ---------------------------------------------------- */

struct sb {
	char *s;
	size_t len, cap;
};

static void sb_put(struct sb *o, const void *p, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->s = realloc(o->s, o->cap);
		if (!o->s)
			abort();
	}
	if (n)
		memcpy(o->s + o->len, p, n);
	o->len += n;
	o->s[o->len] = '\0';
}

static void sb_puts(struct sb *o, const char *s)
{
	sb_put(o, s, strlen(s));
}

static void sb_printf(struct sb *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *o, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		abort();
	sb_put(o, buf, (size_t)n);
}

/* ---- UTF-8 and json.h's encoding, by the book ----------------------------- */

/* What a JSON reader gets back from json.h's encoding of s[0, n): s, with
 * every byte that begins no valid UTF-8 sequence as U+FFFD. */
static void ref_decoded(struct sb *o, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;

	o->len = 0;
	sb_put(o, "", 0);
	for (size_t i = 0, k; i < n; i += k) {
		k = ref_utf8(s + i, n - i);
		if (k) {
			sb_put(o, s + i, k);
		} else {
			sb_put(o, "\xef\xbf\xbd", 3);
			k = 1;
		}
	}
}

/* ---- a strict JSON reader (RFC 8259, UTF-8) -------------------------------- */

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	int t, b;	       /* the type; J_BOOL: its value */
	struct sb s;	       /* J_STR: decoded; J_NUM: its text */
	struct sb key;	       /* a member's name, decoded */
	struct jv *kid, *next; /* J_ARR, J_OBJ: elements or members, in order */
	size_t nkids;
};

struct jp {
	const uint8_t *p, *end;
	const char *err;
	size_t at;
	int depth, lone; /* lone: lone surrogate escapes met (valid JSON, not text) */
};

static void jp_bad(struct jp *j, const char *why, const uint8_t *base)
{
	if (!j->err) {
		j->err = why;
		j->at = (size_t)(j->p - base);
	}
}

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int jp_hex4(const uint8_t *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void sb_cp(struct sb *o, uint32_t cp)
{
	uint8_t u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xc0 | cp >> 6);
		u[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xe0 | cp >> 12);
		u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xf0 | cp >> 18);
		u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sb_put(o, u, n);
}

/* The string at j->p (its '"'), decoded into o. */
static void jp_string(struct jp *j, struct sb *o, const uint8_t *base)
{
	o->len = 0;
	sb_put(o, "", 0);
	j->p++;
	for (;;) {
		if (j->p >= j->end)
			return jp_bad(j, "a string without its end", base);
		if (*j->p < 0x20)
			return jp_bad(j, "a control byte in a string", base);
		if (*j->p == '"') {
			j->p++;
			return;
		}
		if (*j->p >= 0x80) {
			size_t k = ref_utf8(j->p, (size_t)(j->end - j->p));

			if (!k)
				return jp_bad(j, "a string that is not UTF-8", base);
			sb_put(o, j->p, k);
			j->p += k;
			continue;
		}
		if (*j->p != '\\') {
			sb_put(o, j->p++, 1);
			continue;
		}
		if (j->end - j->p < 2)
			return jp_bad(j, "an escape without its end", base);
		uint8_t c = j->p[1];
		const char *k = memchr("\"\\/bfnrt", c, 8);

		if (c && k) {
			sb_put(o, &"\"\\/\b\f\n\r\t"[k - "\"\\/bfnrt"], 1);
			j->p += 2;
			continue;
		}
		int cp = c == 'u' && j->end - j->p >= 6 ? jp_hex4(j->p + 2) : -1;

		if (cp < 0)
			return jp_bad(j, "a bad escape", base);
		j->p += 6;
		if (cp >= 0xd800 && cp < 0xdc00 && j->end - j->p >= 6 && j->p[0] == '\\' &&
		    j->p[1] == 'u') {
			int lo = jp_hex4(j->p + 2);

			if (lo >= 0xdc00 && lo < 0xe000) {
				sb_cp(o, 0x10000 + ((uint32_t)(cp - 0xd800) << 10) +
					     (uint32_t)(lo - 0xdc00));
				j->p += 6;
				continue;
			}
		}
		if (cp >= 0xd800 && cp < 0xe000) {
			j->lone++;
			cp = 0xfffd;
		}
		sb_cp(o, (uint32_t)cp);
	}
}

static void jp_number(struct jp *j, struct sb *o, const uint8_t *base)
{
	const uint8_t *from = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0') {
		j->p++;
	} else if (j->p < j->end && *j->p >= '1' && *j->p <= '9') {
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	} else {
		return jp_bad(j, "not a value", base);
	}
	if (j->p < j->end && *j->p == '.') {
		if (++j->p >= j->end || *j->p < '0' || *j->p > '9')
			return jp_bad(j, "a fraction without digits", base);
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return jp_bad(j, "an exponent without digits", base);
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	sb_put(o, from, (size_t)(j->p - from));
}

static void jv_free(struct jv *v)
{
	while (v) {
		struct jv *next = v->next;

		jv_free(v->kid);
		free(v->s.s);
		free(v->key.s);
		free(v);
		v = next;
	}
}

static struct jv *jp_value(struct jp *j, const uint8_t *base)
{
	struct jv *v = calloc(1, sizeof(*v)), **tail = &v->kid;
	const char *lit = NULL;

	if (!v)
		abort();
	if (++j->depth > 64 || j->p >= j->end) {
		jp_bad(j, j->p >= j->end ? "a value missing" : "too deep", base);
		return v;
	}
	switch (*j->p) {
	case '"':
		v->t = J_STR;
		jp_string(j, &v->s, base);
		break;
	case '{':
	case '[': {
		int obj = *j->p == '{';
		uint8_t close = obj ? '}' : ']';

		v->t = obj ? J_OBJ : J_ARR;
		j->p++;
		jp_ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			break;
		}
		while (!j->err) {
			struct sb key = {0};

			jp_ws(j);
			if (obj) {
				if (j->p >= j->end || *j->p != '"') {
					jp_bad(j, "a member without its name", base);
					break;
				}
				jp_string(j, &key, base);
				jp_ws(j);
				if (j->err || j->p >= j->end || *j->p != ':') {
					free(key.s);
					jp_bad(j, "a member without ':'", base);
					break;
				}
				j->p++;
				jp_ws(j);
			}
			*tail = jp_value(j, base);
			(*tail)->key = key;
			tail = &(*tail)->next;
			v->nkids++;
			jp_ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
			} else if (j->p < j->end && *j->p == close) {
				j->p++;
				break;
			} else {
				jp_bad(j, obj ? "an object without '}'" : "an array without ']'",
				       base);
			}
		}
		break;
	}
	case 't': lit = "true"; break;
	case 'f': lit = "false"; break;
	case 'n': lit = "null"; break;
	default:
		v->t = J_NUM;
		jp_number(j, &v->s, base);
		break;
	}
	if (lit) {
		size_t n = strlen(lit);

		v->t = lit[0] == 'n' ? J_NULL : J_BOOL;
		v->b = lit[0] == 't';
		if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n))
			jp_bad(j, "not a value", base);
		else
			j->p += n;
	}
	j->depth--;
	return v;
}

/* The JSON text s[0, n): its value, or NULL with *err and *at. */
static struct jv *jparse(const char *s, size_t n, const char **err, size_t *at, int *lone)
{
	struct jp j = {(const uint8_t *)s, (const uint8_t *)s + n, NULL, 0, 0, 0};
	struct jv *v;

	jp_ws(&j);
	v = jp_value(&j, (const uint8_t *)s);
	jp_ws(&j);
	if (!j.err && j.p != j.end)
		jp_bad(&j, "more after the value", (const uint8_t *)s);
	*err = j.err;
	*at = j.at;
	if (lone)
		*lone = j.lone;
	if (j.err) {
		jv_free(v);
		return NULL;
	}
	return v;
}

/* ---- reading the export back -------------------------------------------- */

static int str_is(const struct jv *v, const char *s, size_t n)
{
	return v && v->t == J_STR && v->s.len == n && !memcmp(v->s.s, s, n);
}

static int name_is(const struct jv *m, const char *name)
{
	return m->key.len == strlen(name) && !memcmp(m->key.s, name, m->key.len);
}

/* o is an object whose members are exactly names (NULL-terminated), each
 * once; returns o. */
static const struct jv *only(const struct jv *o, const char *what, const char *const *names)
{
	size_t want = 0;

	if (!o || o->t != J_OBJ)
		fail("%s: not an object", what);
	for (; names[want]; want++) {
		int seen = 0;

		for (const struct jv *m = o->kid; m; m = m->next)
			seen += name_is(m, names[want]);
		if (seen != 1)
			fail("%s: \"%s\" %d times", what, names[want], seen);
	}
	if (o->nkids != want)
		fail("%s: %zu members, expected %zu", what, o->nkids, want);
	return o;
}

static const struct jv *mem(const struct jv *o, const char *name)
{
	for (const struct jv *m = o->kid; m; m = m->next)
		if (name_is(m, name))
			return m;
	return NULL;
}

static const struct jv *one_of(const struct jv *a, const char *what)
{
	if (!a || a->t != J_ARR || a->nkids != 1)
		fail("%s: not an array of one", what);
	return a->kid;
}

/* A uint64's decimal digits (a fixed64 in OTLP/JSON) */
static int is_uint64(const struct jv *v)
{
	char *end;

	if (!v || v->t != J_STR || !v->s.len || strspn(v->s.s, "0123456789") != v->s.len)
		return 0;
	errno = 0;
	(void)strtoull(v->s.s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* An int64 in decimal (intValue) */
static int is_int64(const struct jv *v)
{
	const char *s = v->s.s;
	char *end;

	if (v->t != J_STR || !v->s.len)
		return 0;
	if (strspn(s + (s[0] == '-'), "0123456789") != v->s.len - (s[0] == '-'))
		return 0;
	errno = 0;
	(void)strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* The names operators.md gives attributes, besides "aspen." anything. */
static int documented(const struct jv *key)
{
	static const char *const names[] = {
	    "host.name",
	    "service.name",
	    "service.version",
	    "process.pid",
	    "process.executable.path",
	    "process.command",
	    "process.real_user.id",
	    "process.real_user.name",
	    "container.id",
	    "event.name",
	    "gen_ai.provider.name",
	    "gen_ai.operation.name",
	    "gen_ai.request.model",
	    "gen_ai.response.model",
	    "gen_ai.usage.input_tokens",
	    "gen_ai.usage.output_tokens",
	    "server.address",
	    "server.port",
	    "network.peer.address",
	    "network.transport",
	    "http.request.method",
	    "http.response.status_code",
	    "thread.id",
	};

	if (key->s.len >= 6 && !memcmp(key->s.s, "aspen.", 6))
		return 1;
	for (size_t i = 0; i < LEN(names); i++)
		if (str_is(key, names[i], strlen(names[i])))
			return 1;
	return 0;
}

/* Every attribute is {"key": a documented name, "value": {one value}},
 * and no key twice. */
static void attr_shapes(const struct jv *a, const char *what)
{
	static const char *const kv[] = {"key", "value", NULL};

	if (!a || a->t != J_ARR)
		fail("%s: not an array", what);
	for (const struct jv *x = a->kid; x; x = x->next) {
		const struct jv *key = mem(only(x, what, kv), "key"), *v = mem(x, "value");

		if (key->t != J_STR || !documented(key))
			fail("%s: an attribute named %.*s, not as operators.md names them", what,
			     (int)key->s.len, key->t == J_STR ? key->s.s : "(not a string)");
		for (const struct jv *y = x->next; y; y = y->next)
			if (str_is(mem(y, "key"), key->s.s, key->s.len))
				fail("%s: attribute %s twice", what, key->s.s);
		if (!v || v->t != J_OBJ || v->nkids != 1)
			fail("%s: %s: not a value of one member", what, key->s.s);
		v = v->kid;
		if (!((name_is(v, "stringValue") && v->t == J_STR) ||
		      (name_is(v, "intValue") && is_int64(v)) ||
		      (name_is(v, "boolValue") && v->t == J_BOOL) ||
		      (name_is(v, "doubleValue") && v->t == J_NUM)))
			fail("%s: %s: a bad %.*s", what, key->s.s, (int)v->key.len, v->key.s);
	}
}

/* One ResourceLogs: the skeleton, the scope and the body (line[0, n));
 * returns the record, *res its resource's attributes. */
static const struct jv *resource_logs(const struct jv *rl, const char *line, size_t n,
				      const char *version, const struct jv **res)
{
	static const char *const rl_names[] = {"resource", "scopeLogs", NULL};
	static const char *const attrs[] = {"attributes", NULL};
	static const char *const sl_names[] = {"scope", "logRecords", NULL};
	static const char *const scope[] = {"name", "version", NULL};
	static const char *const rec_names[] = {"timeUnixNano",
						"observedTimeUnixNano",
						"severityNumber",
						"severityText",
						"body",
						"attributes",
						NULL};
	static const char *const body[] = {"stringValue", NULL};
	const struct jv *sl, *rec, *sev, *text;
	struct sb want = {0};
	int ok;

	only(rl, "a ResourceLogs", rl_names);
	*res = mem(only(mem(rl, "resource"), "a resource", attrs), "attributes");
	attr_shapes(*res, "the resource's attributes");
	sl = only(one_of(mem(rl, "scopeLogs"), "scopeLogs"), "a ScopeLogs", sl_names);
	only(mem(sl, "scope"), "a scope", scope);
	ref_decoded(&want, version, strlen(version));
	if (!str_is(mem(mem(sl, "scope"), "name"), "aspend", 6) ||
	    !str_is(mem(mem(sl, "scope"), "version"), want.s, want.len))
		fail("the scope is not aspend %s", version);
	rec = only(one_of(mem(sl, "logRecords"), "logRecords"), "a LogRecord", rec_names);
	if (!is_uint64(mem(rec, "timeUnixNano")) || !is_uint64(mem(rec, "observedTimeUnixNano")))
		fail("a time that is not a uint64's digits");
	sev = mem(rec, "severityNumber");
	text = mem(rec, "severityText");
	if (sev->t != J_NUM || !((!strcmp(sev->s.s, "9") && str_is(text, "INFO", 4)) ||
				 (!strcmp(sev->s.s, "13") && str_is(text, "WARN", 4)) ||
				 (!strcmp(sev->s.s, "17") && str_is(text, "ERROR", 5))))
		fail("severity %s %s", sev->s.s ? sev->s.s : "?", text->s.s ? text->s.s : "?");
	ref_decoded(&want, line, n);
	ok = str_is(mem(only(mem(rec, "body"), "a body", body), "stringValue"), want.s, want.len);
	free(want.s);
	if (!ok)
		fail("the body is not the line");
	attr_shapes(mem(rec, "attributes"), "the record's attributes");
	return rec;
}

/* The export b: valid JSON, and the skeleton of an ExportLogsServiceRequest
 * with one ResourceLogs per line taken (lines[i], len[i]). Returns it. */
static struct jv *read_export(const struct rt_otlp_buf *b, const char *const *lines,
			      const size_t *len, int taken, const char *version, int text)
{
	static const char *const top[] = {"resourceLogs", NULL};
	const char *err;
	size_t at;
	struct jv *root;
	struct jref jr;
	int lone, i = 0;

	shown = b->p;
	if (b->bad)
		fail("out of memory");
	if (b->count != taken)
		fail("count %d, %d lines taken", b->count, taken);
	root = jparse(b->p, b->len, &err, &at, &lone);
	if (!root)
		fail("the export is not JSON: %s at byte %zu: ...%.40s", err, at,
		     b->p + (at > 20 ? at - 20 : 0));
	if (text && lone)
		fail("the export has %d lone surrogate escapes", lone);
	if (!jref_read(&jr, (const uint8_t *)b->p, b->len))
		fail("the export is not JSON to json_ref.h");
	const struct jv *rls = mem(only(root, "the export", top), "resourceLogs");

	if (rls->t != J_ARR || rls->nkids != (size_t)taken)
		fail("%zu ResourceLogs, %d lines taken", rls->nkids, taken);
	for (const struct jv *rl = rls->kid; rl; rl = rl->next, i++) {
		const struct jv *res;

		resource_logs(rl, lines[i], len[i], version, &res);
	}
	return root;
}

/* ---- the unstructured mode ------------------------------------------------- */

static void any_lines(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *lines[MAX_LINES];
	size_t len[MAX_LINES];
	struct rt_otlp_buf b = {0};
	int taken = 0, k = 0;

	rt_otlp_begin(&b);
	while (k < MAX_LINES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		/* a copy of exactly n bytes, so ASan sees a read past the line */
		char *line = malloc(n ? n : 1);

		if (!line)
			abort();
		memcpy(line, p, n);
		if (rt_otlp_add_line(&b, line, n, HOST, VERSION) == 0) {
			lines[taken] = p;
			len[taken++] = n;
		}
		free(line);
		k++;
		if (!nl)
			break;
		p = nl + 1;
	}
	rt_otlp_end(&b);
	jv_free(read_export(&b, lines, len, taken, VERSION, 0));
	shown = NULL;
	free(b.p);
}

/* ---- the structured mode: events aspend writes ------------------------------ */

enum { K_STR, K_UINT, K_BOOL, K_PROV, K_TOKENS, K_REDACT, K_LIBS };

static const struct {
	const char *key;
	int kind;
} FIELDS[] = {
    {"decision", K_STR},
    {"rule", K_STR},
    {"reason", K_STR},
    {"policy", K_STR},
    {"policy_sha256", K_STR},
    {"provider", K_PROV},
    {"host", K_STR},
    {"dst_ip", K_STR},
    {"dst_port", K_UINT},
    {"proto", K_STR},
    {"hook", K_STR},
    {"unparsed", K_STR},
    {"method", K_STR},
    {"path", K_STR},
    {"model", K_STR},
    {"request_user", K_STR},
    {"stream", K_BOOL},
    {"bytes", K_UINT},
    {"ws", K_STR},
    {"tls", K_STR},
    {"pid", K_UINT},
    {"tid", K_UINT},
    {"comm", K_STR},
    {"exe", K_STR},
    {"uid", K_UINT},
    {"user", K_STR},
    {"gid", K_UINT},
    {"cgroup", K_STR},
    {"container_id", K_STR},
    {"redactions", K_REDACT},
    {"redaction", K_STR},
    {"status", K_UINT},
    {"tokens", K_TOKENS},
    {"count", K_UINT},
    {"message", K_STR},
    {"object", K_STR},
    {"object_sha256", K_STR},
    {"mode", K_STR},
    {"rules", K_UINT},
    {"providers", K_UINT},
    {"lib", K_STR},
    {"libs", K_LIBS},
    {"probes", K_UINT},
    {"found", K_STR},
    {"go_version", K_STR},
    {"previous_file", K_STR},
};
#define NF LEN(FIELDS)

static const char *const EVENTS[] = {"request",	    "response", "connect", "tls_attach",
				     "policy_load", "error",	"lost",	   "audit_rotate"};
#define NEV LEN(EVENTS)

/* Words operators.md gives meaning to; a value may begin with one. */
static const char *const WORDS[] = {
    "deny",
    "kill",
    "allow",
    "would_deny",
    "/v1/chat/completions",
    "/v1/messages",
    "/v1/responses",
    ":generateContent",
    ":streamGenerateContent",
    "/v1/embeddings",
    "/v1/completions",
    "/usr/bin/",
    "gpt-4o",
    "/",
    "",
    "\\",
};

/* Provider names as policies give them (identifiers) */
static const char *const PROVIDERS[] = {
    "openai",	 "anthropic", "mistral", "bedrock",  "azure_openai", "gemini",
    "vertex_ai", "xai",	      "cohere",	 "deepseek", "groq",	     "perplexity",
};

static const char IDENT[] = "abcdefghijklmnopqrstuvwxyz_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.";

/* The GenAI names operators.md lists */
static const char *genai_provider(const char *name)
{
	static const char *const map[][2] = {
	    {"mistral", "mistral_ai"},		 {"bedrock", "aws.bedrock"},
	    {"azure_openai", "azure.ai.openai"}, {"gemini", "gcp.gemini"},
	    {"vertex_ai", "gcp.vertex_ai"},	 {"xai", "x_ai"},
	};

	for (size_t i = 0; i < LEN(map); i++)
		if (!strcmp(name, map[i][0]))
			return map[i][1];
	return name;
}

struct field {
	int f, null;
	struct sb v;		  /* decoded string, JSON text (raw), provider */
	unsigned long long u, u2; /* numbers; tokens: input, output */
};

struct event {
	int ev;
	struct timespec ts;
	struct field fl[NF];
	int n;
	uint64_t used; /* fields given (bit per FIELDS index) */
};

static unsigned long long le(const uint8_t *c, size_t n, size_t from, size_t len)
{
	unsigned long long v = 0;

	for (size_t i = 0; i < len && from + i < n; i++)
		v |= (unsigned long long)c[from + i] << (8 * i);
	return v;
}

/* A JSON array (rt_audit_raw) of the strings in c[0, n) cut at NUL, as
 * hook_uprobe.c (libs) and audit.c (redactions) write them. */
static void raw_list(struct sb *o, const uint8_t *c, size_t n, int redactions)
{
	size_t at = 0;
	int i = 0;

	sb_puts(o, "[");
	while (at < n) {
		const char *s = (const char *)c + at;
		size_t k = strnlen(s, n - at), need = json_quote_buf(NULL, 0, s, k);
		char *q = malloc(need + 1);

		if (!q)
			abort();
		json_quote_buf(q, need + 1, s, k);
		if (i++)
			sb_puts(o, ",");
		if (redactions)
			sb_printf(o, "{\"pattern\":");
		sb_put(o, q, need);
		if (redactions)
			sb_printf(o, ",\"count\":%zu}", k + 1);
		free(q);
		at += k + 1;
	}
	sb_puts(o, "]");
}

/* One field op: FIELDS[f], given as variant says, from c[0, n). */
static void field(struct rt_audit_ev *ev, struct event *e, int f, int variant, const uint8_t *c,
		  size_t n)
{
	const char *key = FIELDS[f].key;
	struct field *x = &e->fl[e->n];
	char *s = NULL;

	if (e->used & (1ULL << f) ||
	    (FIELDS[f].kind == K_TOKENS && strcmp(EVENTS[e->ev], "response")))
		return; /* aspend writes a field once, tokens on responses */
	e->used |= 1ULL << f;
	e->n++;
	memset(x, 0, sizeof(*x));
	x->f = f;
	sb_put(&x->v, "", 0);
	if (variant == 2) {
		x->null = 1;
		if (FIELDS[f].kind == K_STR && n & 1)
			rt_audit_str(ev, key, NULL);
		else
			rt_audit_null(ev, key);
		return;
	}
	switch (FIELDS[f].kind) {
	case K_STR:
		if (variant == 1) { /* exactly n bytes, no NUL after them */
			s = malloc(n ? n : 1);
			if (!s)
				abort();
			memcpy(s, c, n);
			rt_audit_strn(ev, key, s, n);
			ref_decoded(&x->v, s, strnlen(s, n));
		} else {
			struct sb w = {0};

			if (variant == 3 && n) {
				sb_puts(&w, WORDS[c[0] % LEN(WORDS)]);
				c++;
				n--;
			}
			sb_put(&w, c, strnlen((const char *)c, n));
			s = w.s;
			rt_audit_str(ev, key, s);
			ref_decoded(&x->v, s, strlen(s));
		}
		break;
	case K_UINT:
		x->u = le(c, n, 0, 8) & INT64_MAX;
		rt_audit_uint(ev, key, x->u);
		break;
	case K_BOOL:
		x->u = n && c[0] & 1;
		rt_audit_bool(ev, key, (int)x->u);
		break;
	case K_PROV: {
		/* names joined as aspen_meta_provider_names() joins them into
		 * 256 bytes: a byte < 0x80 a known name, bytes >= 0x80 an
		 * identifier's characters, '|' (0x7c) after the byte ends */
		char prov[256];
		size_t used = 0;

		prov[0] = '\0';
		for (size_t i = 0; i < n && used + 1 < sizeof(prov); i++) {
			char name[64];
			size_t k = 0;

			if (c[i] < 0x80) {
				snprintf(name, sizeof(name), "%s",
					 PROVIDERS[c[i] % LEN(PROVIDERS)]);
			} else {
				for (; i < n && c[i] >= 0x80 && k < sizeof(name) - 1; i++)
					name[k++] = IDENT[c[i] & 63];
				name[k] = '\0';
				i--;
			}
			used += (size_t)snprintf(prov + used, sizeof(prov) - used, "%s%s",
						 used ? "|" : "", name);
		}
		if (!prov[0]) {
			x->null = 1;
			rt_audit_null(ev, key);
			break;
		}
		rt_audit_str(ev, key, prov);
		sb_puts(&x->v, prov);
		break;
	}
	case K_TOKENS: {
		char tokens[96];

		x->u = le(c, n, 0, 6) & ((1ULL << 44) - 1);
		x->u2 = le(c, n, 6, 6) & ((1ULL << 44) - 1);
		snprintf(tokens, sizeof(tokens), "{\"input\":%llu,\"output\":%llu}", x->u, x->u2);
		rt_audit_raw(ev, key, tokens);
		break;
	}
	case K_REDACT:
	case K_LIBS:
		raw_list(&x->v, c, n, FIELDS[f].kind == K_REDACT);
		rt_audit_raw(ev, key, x->v.s);
		break;
	}
	free(s);
}

/* ---- what operators.md says the record is ---------------------------------- */

struct want {
	char key[96];
	int type; /* 'S' stringValue, 'I' intValue, 'B' boolValue */
	struct sb v;
	int seen;
};

struct wants {
	struct want w[NF * 2 + 16];
	int n;
};

static struct want *want(struct wants *ws, int type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static struct want *want(struct wants *ws, int type, const char *fmt, ...)
{
	struct want *w = &ws->w[ws->n++];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->key, sizeof(w->key), fmt, ap);
	va_end(ap);
	w->type = type;
	w->seen = 0;
	w->v.len = 0;
	sb_put(&w->v, "", 0);
	return w;
}

static void want_s(struct wants *ws, const char *key, const char *s, size_t n)
{
	sb_put(&want(ws, 'S', "%s", key)->v, s, n);
}

static void want_u(struct wants *ws, const char *key, unsigned long long u)
{
	sb_printf(&want(ws, 'I', "%s", key)->v, "%llu", u);
}

/* A field's value under name: null fields are left out. */
static void want_field(struct wants *ws, const char *name, const struct field *x)
{
	if (x->null)
		return;
	switch (FIELDS[x->f].kind) {
	case K_UINT: want_u(ws, name, x->u); break;
	case K_BOOL: sb_puts(&want(ws, 'B', "%s", name)->v, x->u ? "true" : "false"); break;
	default: want_s(ws, name, x->v.s, x->v.len); break;
	}
}

static const struct field *find_field(const struct event *e, const char *key)
{
	for (int i = 0; i < e->n; i++)
		if (!strcmp(FIELDS[e->fl[i].f].key, key))
			return &e->fl[i];
	return NULL;
}

/* Resource attributes of the observed process (operators.md) */
static const char *const PROC[][2] = {
    {"pid", "process.pid"},
    {"exe", "process.executable.path"},
    {"comm", "process.command"},
    {"uid", "process.real_user.id"},
    {"user", "process.real_user.name"},
    {"container_id", "container.id"},
    {"cgroup", "aspen.cgroup"},
};

/* Record attributes with a standard name (operators.md) */
static const char *const STD[][2] = {
    {"host", "server.address"},
    {"dst_port", "server.port"},
    {"dst_ip", "network.peer.address"},
    {"proto", "network.transport"},
    {"method", "http.request.method"},
    {"status", "http.response.status_code"},
    {"tid", "thread.id"},
};

static const char *map(const char *const (*t)[2], size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i][0], key))
			return t[i][1];
	return NULL;
}

/* gen_ai.operation.name of a request's path (operators.md), or NULL */
static const char *operation(const struct sb *path)
{
	static const char *const ops[][2] = {
	    {"/chat/completions", "chat"},
	    {"/v1/messages", "chat"},
	    {"/responses", "chat"},
	    {":generateContent", "generate_content"},
	    {":streamGenerateContent", "generate_content"},
	    {"/embeddings", "embeddings"},
	    {"/completions", "text_completion"},
	};

	for (size_t i = 0; i < LEN(ops); i++)
		if (memmem(path->s, path->len, ops[i][0], strlen(ops[i][0])))
			return ops[i][1];
	return NULL;
}

static void expect(const struct event *e, uint64_t seq, const char *prev, const char *host,
		   struct wants *res, struct wants *rec)
{
	const char *ev = EVENTS[e->ev];
	int proc = !strcmp(ev, "connect") || !strcmp(ev, "request") || !strcmp(ev, "response") ||
		   !strcmp(ev, "tls_attach");
	const struct field *exe = find_field(e, "exe"), *comm = find_field(e, "comm");
	struct sb h = {0};

	res->n = rec->n = 0;
	ref_decoded(&h, host, strlen(host));
	want_s(res, "host.name", h.s, h.len);
	if (!proc) {
		want_s(res, "service.name", "aspend", 6);
		ref_decoded(&h, VERSION2, strlen(VERSION2));
		want_s(res, "service.version", h.s, h.len);
	} else if (exe && !exe->null && exe->v.len) {
		const char *slash = memrchr(exe->v.s, '/', exe->v.len),
			   *base = slash ? slash + 1 : exe->v.s;

		want_s(res, "service.name", base, exe->v.len - (size_t)(base - exe->v.s));
	} else if (comm) {
		want_field(res, "service.name", comm);
	}
	free(h.s);
	sb_printf(&want(rec, 'S', "event.name")->v, "aspen.%s", ev);
	for (int i = 0; i < e->n; i++) {
		const struct field *x = &e->fl[i];
		const char *key = FIELDS[x->f].key, *name;

		if (proc && (name = map(PROC, LEN(PROC), key))) {
			want_field(res, name, x);
		} else if (!strcmp(key, "provider")) {
			if (!x->null && !strchr(x->v.s, '|')) {
				const char *g = genai_provider(x->v.s);

				want_s(rec, "gen_ai.provider.name", g, strlen(g));
			}
			want_field(rec, "aspen.provider", x);
		} else if (!strcmp(key, "model") && !strcmp(ev, "request")) {
			want_field(rec, "gen_ai.request.model", x);
		} else if (!strcmp(key, "model") && !strcmp(ev, "response")) {
			want_field(rec, "gen_ai.request.model", x);
			want_field(rec, "gen_ai.response.model", x);
		} else if (!strcmp(key, "tokens")) {
			if (!x->null) {
				want_u(rec, "gen_ai.usage.input_tokens", x->u);
				want_u(rec, "gen_ai.usage.output_tokens", x->u2);
			}
		} else if (!strcmp(key, "path")) {
			const char *op =
			    !x->null && !strcmp(ev, "request") ? operation(&x->v) : NULL;

			if (op)
				want_s(rec, "gen_ai.operation.name", op, strlen(op));
			want_field(rec, "aspen.path", x);
		} else if ((name = map(STD, LEN(STD), key))) {
			want_field(rec, name, x);
		} else {
			char aspen[64];

			snprintf(aspen, sizeof(aspen), "aspen.%s", key);
			want_field(rec, aspen, x);
		}
	}
	want_u(rec, "aspen.seq", seq);
	want_s(rec, "aspen.prev_sha256", prev, strlen(prev));
}

/* The attributes a are exactly ws. */
static void same_attrs(const struct jv *a, struct wants *ws, const char *what, int line)
{
	for (const struct jv *x = a->kid; x; x = x->next) {
		const struct jv *key = mem(x, "key"), *v = mem(x, "value")->kid;
		struct want *w = NULL;

		for (int i = 0; i < ws->n && !w; i++)
			if (!ws->w[i].seen && str_is(key, ws->w[i].key, strlen(ws->w[i].key)))
				w = &ws->w[i];
		if (!w)
			fail("line %d: %s: %s, which the line does not make", line, what, key->s.s);
		w->seen = 1;
		if (w->type == 'S' ? !(name_is(v, "stringValue") && v->s.len == w->v.len &&
				       !memcmp(v->s.s, w->v.s, w->v.len))
		    : w->type == 'I'
			? !(name_is(v, "intValue") && !strcmp(v->s.s, w->v.s))
			: !(name_is(v, "boolValue") && v->b == !strcmp(w->v.s, "true")))
			fail("line %d: %s: %s is %.*s %.*s, expected %c %s", line, what, w->key,
			     (int)v->key.len, v->key.s, (int)v->s.len, v->s.len ? v->s.s : "",
			     w->type, w->v.s);
	}
	for (int i = 0; i < ws->n; i++)
		if (!ws->w[i].seen)
			fail("line %d: %s: no %s (%c %s)", line, what, ws->w[i].key, ws->w[i].type,
			     ws->w[i].v.s);
}

struct tee {
	char *line[MAX_EVENTS];
	size_t len[MAX_EVENTS];
	int n;
};

static void tee(void *ctx, const char *line, size_t len)
{
	struct tee *t = ctx;

	if (t->n == MAX_EVENTS)
		fail("the tee got more lines than events");
	t->line[t->n] = malloc(len + 1);
	if (!t->line[t->n])
		abort();
	memcpy(t->line[t->n], line, len);
	t->line[t->n][len] = '\0';
	t->len[t->n++] = len;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void check_records(const struct jv *root, const struct event *ev, const struct tee *t,
			  const char *host, long long t0, long long t1)
{
	static struct wants res, rec;
	const struct jv *rl = mem(root, "resourceLogs")->kid;
	char prev[65];

	memset(prev, '0', 64);
	prev[64] = '\0';
	for (int i = 0; i < t->n; i++, rl = rl->next) {
		const struct event *e = &ev[i];
		const struct jv *resattrs,
		    *r = resource_logs(rl, t->line[i], t->len[i], VERSION2, &resattrs);
		const struct jv *sev = mem(r, "severityNumber");
		const struct field *d = find_field(e, "decision");
		const char *evn = EVENTS[e->ev], *want_sev = "9";
		char ts[32];
		long long seen;

		snprintf(ts, sizeof(ts), "%llu",
			 (unsigned long long)e->ts.tv_sec * 1000000000ULL +
			     (unsigned long long)(e->ts.tv_nsec / 1000) * 1000);
		if (strcmp(mem(r, "timeUnixNano")->s.s, ts))
			fail("line %d: timeUnixNano %s, its ts says %s", i + 1,
			     mem(r, "timeUnixNano")->s.s, ts);
		seen = strtoll(mem(r, "observedTimeUnixNano")->s.s, NULL, 10);
		if (seen < t0 || seen > t1)
			fail("line %d: observedTimeUnixNano %lld, not in [%lld, %lld]", i + 1, seen,
			     t0, t1);
		if (!strcmp(evn, "error") || !strcmp(evn, "lost"))
			want_sev = "17";
		else if (d && !d->null && (!strcmp(d->v.s, "deny") || !strcmp(d->v.s, "kill")) &&
			 strlen(d->v.s) == d->v.len)
			want_sev = "13";
		if (strcmp(sev->s.s, want_sev))
			fail("line %d: severity %s, expected %s", i + 1, sev->s.s, want_sev);
		expect(e, (uint64_t)i + 1, prev, host, &res, &rec);
		same_attrs(resattrs, &res, "resource", i + 1);
		same_attrs(mem(r, "attributes"), &rec, "record", i + 1);
		aspen_sha256_hex(t->line[i], t->len[i], prev);
	}
}

static void events(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1, *end = data + size;
	static struct event ev[MAX_EVENTS];
	struct rt_audit_ev rev;
	struct rt_otlp_buf b = {0};
	struct tee t = {0};
	struct rt_audit *a;
	char err[256], *host;
	int nev = 0, open = 0;
	long long t0, t1;
	struct jv *root;
	size_t hl = 0;

	if (p < end) {
		hl = *p++ & 63;
		hl = hl < (size_t)(end - p) ? hl : (size_t)(end - p);
	}
	host = strndup((const char *)p, hl);
	if (!host)
		abort();
	p += hl;
	if (ftruncate(trail_fd, 0))
		fail("ftruncate: %m");
	a = rt_audit_open(trail_path, err, sizeof(err));
	if (!a)
		fail("rt_audit_open: %s", err);
	rt_audit_set_tee(a, tee, &t);
	while (end - p >= 2 || (!nev && !open)) {
		size_t left = (size_t)(end - p), n = left >= 2 ? p[1] : 0;
		int k = left ? p[0] : 0, f = k & 63, variant = k >> 6;
		const uint8_t *c;

		p += left < 2 ? left : 2;
		n = n < (size_t)(end - p) ? n : (size_t)(end - p);
		c = p;
		p += n;
		if ((size_t)f >= NF || !open) {
			struct event *e;

			if (open && rt_audit_emit(a, &rev))
				fail("event %d: rt_audit_emit: %m", nev);
			if (nev == MAX_EVENTS) {
				open = 0;
				break;
			}
			e = &ev[nev++];
			e->n = 0;
			e->used = 0;
			if ((size_t)f >= NF) {
				e->ev = (int)(((size_t)f - NF + (size_t)variant * (64 - NF)) % NEV);
				e->ts.tv_sec = 1 + (time_t)le(c, n, 0, 4) +
					       (time_t)(le(c, n, 4, 1) & 1) * 4294967296LL;
				e->ts.tv_nsec = (long)(le(c, n, 5, 4) % 1000000000u);
			} else {
				e->ev = (data[0] >> 1) % NEV;
				e->ts.tv_sec = 1700000000 + (time_t)data[0] * 1000;
				e->ts.tv_nsec = 123456789;
			}
			rt_audit_ev_init(&rev, EVENTS[e->ev]);
			rev.ts = e->ts;
			open = 1;
			if ((size_t)f >= NF)
				continue;
		}
		field(&rev, &ev[nev - 1], f, variant, c, n);
	}
	if (open && rt_audit_emit(a, &rev))
		fail("event %d: rt_audit_emit: %m", nev);
	rt_audit_close(a);
	if (t.n != nev)
		fail("%d events, %d lines", nev, t.n);
	for (int i = 0; i < t.n; i++) {
		const char *why;
		size_t at;
		struct jv *v = jparse(t.line[i], t.len[i], &why, &at, NULL);

		if (!v)
			fail("the writer's line %d is not JSON (%s at %zu): %s", i + 1, why, at,
			     t.line[i]);
		jv_free(v);
	}
	t0 = now_ns();
	rt_otlp_begin(&b);
	for (int i = 0; i < t.n; i++)
		if (rt_otlp_add_line(&b, t.line[i], t.len[i], host, VERSION2))
			fail("line %d not taken: %s", i + 1, t.line[i]);
	rt_otlp_end(&b);
	t1 = now_ns();
	root = read_export(&b, (const char *const *)t.line, t.len, t.n, VERSION2, 1);
	check_records(root, ev, &t, host, t0, t1);
	jv_free(root);
	shown = NULL;
	free(b.p);
	for (int i = 0; i < t.n; i++)
		free(t.line[i]);
	for (int i = 0; i < nev; i++)
		for (int j = 0; j < ev[i].n; j++)
			free(ev[i].fl[j].v.s);
	free(host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] & 1)
		events(data, size);
	else
		any_lines(data + !!size, size - !!size);
	return 0;
}
