/* SPDX-License-Identifier: Apache-2.0 */
/* Audit lines as OTLP/JSON logs. See rt_otlp.h and docs/operators.md. */
#define _GNU_SOURCE
#include "rt_otlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"

#define MAX_MEMBERS 64

/* ---- output buffer ------------------------------------------------------- */

static void put(struct rt_otlp_buf *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->bad = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct rt_otlp_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void sink(void *ctx, const char *s, size_t n)
{
	put(ctx, s, n);
}

static void quote(struct rt_otlp_buf *b, const char *s, size_t n)
{
	json_quote(sink, b, s, n);
}

/* ---- the audit line's members -------------------------------------------- */

struct span {
	const char *p;
	size_t n;
};

struct member {
	struct span key, val; /* key without its quotes; val as written */
};

/* Strict JSON (RFC 8259, UTF-8), the writer's flat form: no whitespace.
 * Each returns the end of the value at p, or NULL when it is not one: a
 * line that is not what the writer writes is refused whole, so nothing of
 * it is copied into the export unchecked (until session 43 a value was
 * copied as written: a line with a space after a colon, a raw control
 * byte or a crafted value made the batch invalid JSON or added an
 * attribute of its own; tests/fuzz/fuzz_otlp.c). */
#define NEST_MAX 8

static const char *value_end(const char *p, const char *end, int depth);

static const char *string_end(const char *p, const char *end)
{
	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end;) {
		unsigned char c = (unsigned char)*p;
		size_t k;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			if (p + 1 >= end)
				return NULL;
			if (p[1] == 'u') {
				if (p + 6 > end)
					return NULL;
				for (int i = 2; i < 6; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 6;
			} else if (p[1] && strchr("\"\\/bfnrt", p[1])) {
				p += 2;
			} else {
				return NULL;
			}
			continue;
		}
		k = utf8_len((const unsigned char *)p, (size_t)(end - p));
		if (!k)
			return NULL;
		p += k;
	}
	return NULL;
}

static const char *digits_end(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q >= '0' && *q <= '9')
		q++;
	return q > p ? q : NULL;
}

static const char *number_end(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (!(p = digits_end(p, end)))
		return NULL;
	if (p < end && *p == '.' && !(p = digits_end(p + 1, end)))
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!(p = digits_end(p, end)))
			return NULL;
	}
	return p;
}

/* The members of an object or the items of an array at p ('{' or '[') */
static const char *nested_end(const char *p, const char *end, int depth)
{
	char close = *p == '{' ? '}' : ']';

	if (depth >= NEST_MAX)
		return NULL;
	p++;
	if (p < end && *p == close)
		return p + 1;
	while (p < end) {
		if (close == '}') {
			p = string_end(p, end);
			if (!p || p >= end || *p != ':')
				return NULL;
			p++;
		}
		p = value_end(p, end, depth + 1);
		if (!p || p >= end)
			return NULL;
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
	return NULL;
}

static const char *value_end(const char *p, const char *end, int depth)
{
	static const char *const lits[] = {"true", "false", "null"};

	if (p >= end)
		return NULL;
	if (*p == '"')
		return string_end(p, end);
	if (*p == '{' || *p == '[')
		return nested_end(p, end, depth);
	if (*p == '-' || (*p >= '0' && *p <= '9'))
		return number_end(p, end);
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(lits[i]);

		if ((size_t)(end - p) >= n && !memcmp(p, lits[i], n))
			return p + n;
	}
	return NULL;
}

/* A key the writer writes: letters, digits, '_', '.', '-', at most 63 */
static int plain_key(const char *p, size_t n)
{
	if (!n || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '.' || p[i] == '-'))
			return 0;
	return 1;
}

static int same_key(const struct span *a, const struct span *b)
{
	return a->n == b->n && !memcmp(a->p, b->p, a->n);
}

/* The members of a flat-written JSON object (the writer's own format: no
 * whitespace, plain keys, each once). Returns their number, or -1. */
static int members(const char *s, size_t len, struct member *m, int max)
{
	const char *p = s, *end = s + len, *q;
	int n = 0;

	if (len < 2 || *p != '{' || end[-1] != '}')
		return -1;
	for (p++; p < end - 1; n++) {
		if (n == max || !(q = string_end(p, end - 1)) || q >= end - 1 || *q != ':')
			return -1;
		m[n].key = (struct span){p + 1, (size_t)(q - p - 2)};
		if (!plain_key(m[n].key.p, m[n].key.n))
			return -1;
		for (int i = 0; i < n; i++)
			if (same_key(&m[i].key, &m[n].key))
				return -1;
		p = q + 1;
		q = value_end(p, end - 1, 1);
		if (!q)
			return -1;
		m[n].val = (struct span){p, (size_t)(q - p)};
		p = q;
		if (p < end - 1 && *p++ != ',')
			return -1;
		if (p == end - 1 && p[-1] == ',')
			return -1;
	}
	return n;
}

static const struct span *find(const struct member *m, int n, const char *key)
{
	size_t kl = strlen(key);

	for (int i = 0; i < n; i++)
		if (m[i].key.n == kl && memcmp(m[i].key.p, key, kl) == 0)
			return &m[i].val;
	return NULL;
}

static int is(const struct span *v, const char *s)
{
	size_t n = strlen(s);

	return v && v->n == n + 2 && v->p[0] == '"' && memcmp(v->p + 1, s, n) == 0;
}

/* ---- attributes ------------------------------------------------------------ */

struct attrs {
	struct rt_otlp_buf *b;
	int n;
};

static void attr_head(struct attrs *a, const char *name)
{
	puts_(a->b, a->n++ ? ",{\"key\":\"" : "{\"key\":\"");
	puts_(a->b, name);
	puts_(a->b, "\",\"value\":{");
}

/* Whether a number (valid JSON) is an integer that fits an int64 */
static int int64_text(const struct span *v)
{
	static const char max[] = "9223372036854775807";
	size_t neg = v->p[0] == '-', d = v->n - neg;

	if (memchr(v->p, '.', v->n) || memchr(v->p, 'e', v->n) || memchr(v->p, 'E', v->n))
		return 0;
	if (d != sizeof(max) - 1)
		return d < sizeof(max) - 1;
	/* 19 digits: at most INT64_MAX (INT64_MIN's last digit is 8: allowed) */
	return memcmp(v->p + neg, max, d - 1) < 0 ||
	       (!memcmp(v->p + neg, max, d - 1) && v->p[v->n - 1] <= '7' + (char)neg);
}

/* An audit value as an AnyValue: strings as they are written (the same
 * JSON encoding), integers as int64 strings, objects and arrays as their
 * JSON text; null is left out. */
static void attr_val(struct attrs *a, const char *name, const struct span *v)
{
	if (!v || (v->n == 4 && memcmp(v->p, "null", 4) == 0))
		return;
	attr_head(a, name);
	if (v->p[0] == '"') {
		puts_(a->b, "\"stringValue\":");
		put(a->b, v->p, v->n);
	} else if (v->p[0] == 't' || v->p[0] == 'f') {
		puts_(a->b, "\"boolValue\":");
		put(a->b, v->p, v->n);
	} else if (v->p[0] == '{' || v->p[0] == '[') {
		puts_(a->b, "\"stringValue\":");
		quote(a->b, v->p, v->n);
	} else if (!int64_text(v)) { /* a fraction, an exponent, past int64 */
		puts_(a->b, "\"doubleValue\":");
		put(a->b, v->p, v->n);
	} else {
		puts_(a->b, "\"intValue\":\"");
		put(a->b, v->p, v->n);
		puts_(a->b, "\"");
	}
	puts_(a->b, "}}");
}

static void attr_str(struct attrs *a, const char *name, const char *s, size_t n)
{
	attr_head(a, name);
	puts_(a->b, "\"stringValue\":");
	quote(a->b, s, n);
	puts_(a->b, "}}");
}

static void attr_cstr(struct attrs *a, const char *name, const char *s)
{
	attr_str(a, name, s, strlen(s));
}

/* ---- the GenAI conventions ------------------------------------------------- */

const char *rt_otlp_provider_name(const char *name)
{
	static const char *const map[][2] = {
	    {"azure_openai", "azure.ai.openai"},
	    {"bedrock", "aws.bedrock"},
	    {"gemini", "gcp.gemini"},
	    {"vertex_ai", "gcp.vertex_ai"},
	    {"mistral", "mistral_ai"},
	    {"xai", "x_ai"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(name, map[i][0]) == 0)
			return map[i][1];
	return name;
}

static void add_provider(struct attrs *a, const struct span *v)
{
	char name[512]; /* aspend joins the names in 255 bytes (audit.c); 128 lost some */

	if (!v || v->p[0] != '"' || v->n < 3 || v->n - 2 >= sizeof(name) ||
	    memchr(v->p, '\\', v->n))
		return;
	memcpy(name, v->p + 1, v->n - 2);
	name[v->n - 2] = '\0';
	/* several providers share the address: no single gen_ai.provider.name */
	if (!strchr(name, '|'))
		attr_cstr(a, "gen_ai.provider.name", rt_otlp_provider_name(name));
	attr_val(a, "aspen.provider", v);
}

/* gen_ai.operation.name from the request path, when the API is known */
static void add_operation(struct attrs *a, const struct span *path)
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

	if (!path || path->p[0] != '"')
		return;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (memmem(path->p, path->n, ops[i][0], strlen(ops[i][0]))) {
			attr_cstr(a, "gen_ai.operation.name", ops[i][1]);
			return;
		}
}

static void add_tokens(struct attrs *a, const struct span *v)
{
	struct member t[4];
	int n = v ? members(v->p, v->n, t, 4) : -1;

	if (n < 0)
		return;
	attr_val(a, "gen_ai.usage.input_tokens", find(t, n, "input"));
	attr_val(a, "gen_ai.usage.output_tokens", find(t, n, "output"));
}

/* ---- one line ---------------------------------------------------------------- */

/* Fields of the observed process: resource attributes */
static const char *const PROC_KEYS[][2] = {
    {"pid", "process.pid"},
    {"exe", "process.executable.path"},
    {"comm", "process.command"},
    {"uid", "process.real_user.id"},
    {"user", "process.real_user.name"},
    {"container_id", "container.id"},
    {"cgroup", "aspen.cgroup"},
};

/* Other fields with a standard name */
static const char *const STD_KEYS[][2] = {
    {"host", "server.address"},
    {"dst_ip", "network.peer.address"},
    {"dst_port", "server.port"},
    {"proto", "network.transport"},
    {"method", "http.request.method"},
    {"status", "http.response.status_code"},
    {"tid", "thread.id"},
};

static const char *lookup(const char *const (*t)[2], size_t n, const struct span *key)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i][0]) == key->n && memcmp(t[i][0], key->p, key->n) == 0)
			return t[i][1];
	return NULL;
}

static int process_event(const struct span *ev)
{
	return is(ev, "connect") || is(ev, "request") || is(ev, "response") || is(ev, "tls_attach");
}

/* service.name of an observed process: its executable's base name */
static void add_service(struct attrs *a, const struct member *m, int n)
{
	const struct span *exe = find(m, n, "exe"), *comm = find(m, n, "comm");

	if (exe && exe->p[0] == '"' && exe->n > 2) {
		const char *s = exe->p + 1, *e = exe->p + exe->n - 1,
			   *slash = memrchr(s, '/', (size_t)(e - s));

		if (slash)
			s = slash + 1;
		attr_head(a, "service.name");
		puts_(a->b, "\"stringValue\":\"");
		put(a->b, s, (size_t)(e - s));
		puts_(a->b, "\"}}");
	} else {
		attr_val(a, "service.name", comm);
	}
}

static void add_resource(struct rt_otlp_buf *b, const struct member *m, int n, int proc,
			 const char *host, const char *version)
{
	struct attrs a = {b, 0};

	puts_(b, "{\"resource\":{\"attributes\":[");
	attr_cstr(&a, "host.name", host);
	if (!proc) {
		attr_cstr(&a, "service.name", "aspend");
		attr_cstr(&a, "service.version", version);
	} else {
		add_service(&a, m, n);
		for (int i = 0; i < n; i++) {
			const char *name =
			    lookup(PROC_KEYS, sizeof(PROC_KEYS) / sizeof(PROC_KEYS[0]), &m[i].key);

			if (name)
				attr_val(&a, name, &m[i].val);
		}
	}
	puts_(b, "]},");
}

/* ts "2026-11-24T19:08:01.123456Z" -> ns since the epoch, "" if unreadable */
static void ts_nanos(const struct span *ts, char out[32])
{
	struct tm tm = {0};
	int us = 0;
	char s[40];

	out[0] = '\0';
	if (!ts || ts->n >= sizeof(s))
		return;
	memcpy(s, ts->p, ts->n);
	s[ts->n] = '\0';
	if (sscanf(s, "\"%4d-%2d-%2dT%2d:%2d:%2d.%6dZ\"", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us) != 7)
		return;
	/* a time before 1970, or fields out of range, is no uint64 of ns */
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || us < 0 ||
	    tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0)
		return;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if (timegm(&tm) < 0 || timegm(&tm) > 18446744072LL) /* ns in a uint64 */
		return;
	snprintf(out, 32, "%lld%06d000", (long long)timegm(&tm), us);
}

static void add_severity(struct rt_otlp_buf *b, const struct member *m, int n)
{
	const struct span *ev = find(m, n, "event"), *d = find(m, n, "decision");
	const char *text = "INFO";
	int num = 9;
	char s[64];

	if (is(ev, "error") || is(ev, "lost")) {
		text = "ERROR";
		num = 17;
	} else if (is(d, "deny") || is(d, "kill")) {
		text = "WARN";
		num = 13;
	}
	snprintf(s, sizeof(s), "\"severityNumber\":%d,\"severityText\":\"%s\",", num, text);
	puts_(b, s);
}

static void add_attributes(struct rt_otlp_buf *b, const struct member *m, int n, int proc)
{
	const struct span *ev = find(m, n, "event");
	struct attrs a = {b, 0};
	char name[96];

	puts_(b, ",\"attributes\":[");
	for (int i = 0; i < n; i++) {
		const struct span *k = &m[i].key, *v = &m[i].val;
		const char *std;

		if (k->n >= 64 || (k->n == 2 && !memcmp(k->p, "ts", 2)))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)k->n, k->p);
		if (proc && lookup(PROC_KEYS, sizeof(PROC_KEYS) / sizeof(PROC_KEYS[0]), k))
			continue;
		if (!strcmp(name, "event")) {
			snprintf(name, sizeof(name), "aspen.%.*s", (int)(v->n - 2), v->p + 1);
			attr_cstr(&a, "event.name", name);
		} else if (!strcmp(name, "provider")) {
			add_provider(&a, v);
		} else if (!strcmp(name, "model") && is(ev, "request")) {
			attr_val(&a, "gen_ai.request.model", v);
		} else if (!strcmp(name, "model") && is(ev, "response")) {
			attr_val(&a, "gen_ai.request.model", v);
			attr_val(&a, "gen_ai.response.model", v);
		} else if (!strcmp(name, "tokens")) {
			add_tokens(&a, v);
		} else if (!strcmp(name, "path") && is(ev, "request")) {
			add_operation(&a, v);
			attr_val(&a, "aspen.path", v);
		} else if ((std = lookup(STD_KEYS, sizeof(STD_KEYS) / sizeof(STD_KEYS[0]), k))) {
			attr_val(&a, std, v);
		} else {
			snprintf(name, sizeof(name), "aspen.%.*s", (int)k->n, k->p);
			attr_val(&a, name, v);
		}
	}
	puts_(b, "]");
}

/* The event's name: a plain word (it names an attribute value) */
static int event_name(const struct span *v)
{
	return v && v->n > 2 && v->p[0] == '"' && plain_key(v->p + 1, v->n - 2);
}

void rt_otlp_begin(struct rt_otlp_buf *b)
{
	b->len = 0;
	b->count = 0;
	b->bad = 0;
	puts_(b, "{\"resourceLogs\":[");
}

int rt_otlp_add_line(struct rt_otlp_buf *b, const char *line, size_t len, const char *host,
		     const char *version)
{
	struct member m[MAX_MEMBERS];
	int n = members(line, len, m, MAX_MEMBERS), proc;
	char ts[32], now[32];
	struct timespec t;

	if (n < 2 || !event_name(find(m, n, "event")))
		return -1;
	proc = process_event(find(m, n, "event"));
	clock_gettime(CLOCK_REALTIME, &t);
	snprintf(now, sizeof(now), "%lld%09ld", (long long)t.tv_sec, t.tv_nsec);
	ts_nanos(find(m, n, "ts"), ts);
	if (b->count++)
		puts_(b, ",");
	add_resource(b, m, n, proc, host, version);
	puts_(b, "\"scopeLogs\":[{\"scope\":{\"name\":\"aspend\",\"version\":");
	quote(b, version, strlen(version));
	puts_(b, "},\"logRecords\":[{\"timeUnixNano\":\"");
	puts_(b, ts[0] ? ts : now);
	puts_(b, "\",\"observedTimeUnixNano\":\"");
	puts_(b, now);
	puts_(b, "\",");
	add_severity(b, m, n);
	puts_(b, "\"body\":{\"stringValue\":");
	quote(b, line, len);
	puts_(b, "}");
	add_attributes(b, m, n, proc);
	puts_(b, "}]}]}");
	return 0;
}

void rt_otlp_end(struct rt_otlp_buf *b)
{
	puts_(b, "]}");
}
