/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Trace events: fields from JSON (trace_json.c) or YAML values, the
 * reader of trace files and the writer aspend --record uses. The format
 * is documented in docs/testing-policies.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "trace.h"

int trace_json_object(const char *line, size_t len, char *err, size_t errlen,
		      int (*set)(void *ctx, const char *key, const struct trace_val *v, char *err,
				 size_t errlen),
		      void *ctx);

#define TRACE_MAX_LINE (4u << 20) /* a body may be long; 4 MiB per line */

void trace_event_init(struct trace_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->pid = ev->tid = ev->uid = ev->gid = -1;
	ev->dst_port = -1;
	ev->status = -1;
}

static void free_list(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

void trace_event_free(struct trace_event *ev)
{
	char **strs[] = {&ev->ts,     &ev->comm,   &ev->exe,	      &ev->user,     &ev->cgroup,
			 &ev->container_id, &ev->dst_ip, &ev->proto,    &ev->method,   &ev->path,
			 &ev->host,   &ev->model,  &ev->request_user, &ev->unparsed, &ev->body, &ev->ws,
			 &ev->decision, &ev->rule};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	free_list(ev->dst_host, ev->ndst_host);
	free_list(ev->provider, ev->nprovider);
	free_list(ev->body_match, ev->nbody_match);
	free_list(ev->redactions, ev->nredactions);
	trace_event_init(ev);
}

const char *trace_kind_name(enum trace_kind k)
{
	return k == TRACE_CONNECT ? "connect" : k == TRACE_REQUEST ? "request" : "response";
}

/* ---- fields ------------------------------------------------------------------ */

enum ftype { T_STR, T_INT, T_BOOL, T_LIST, T_KIND };

struct tfield {
	const char *key;
	enum ftype type;
	size_t off;	     /* of the member */
	size_t noff;	     /* T_LIST: of the count */
	size_t hoff;	     /* T_LIST: of the has_ flag, or (size_t)-1 */
	int64_t min, max;    /* T_INT */
};

#define OFF(m) offsetof(struct trace_event, m)
#define NOHAS ((size_t)-1)

static const struct tfield fields[] = {
    {"event", T_KIND, OFF(kind), 0, 0, 0, 0},
    {"ts", T_STR, OFF(ts), 0, 0, 0, 0},
    {"pid", T_INT, OFF(pid), 0, 0, 0, 4194304},
    {"tid", T_INT, OFF(tid), 0, 0, 0, 4194304},
    {"uid", T_INT, OFF(uid), 0, 0, 0, 4294967295LL},
    {"gid", T_INT, OFF(gid), 0, 0, 0, 4294967295LL},
    {"comm", T_STR, OFF(comm), 0, 0, 0, 0},
    {"exe", T_STR, OFF(exe), 0, 0, 0, 0},
    {"user", T_STR, OFF(user), 0, 0, 0, 0},
    {"cgroup", T_STR, OFF(cgroup), 0, 0, 0, 0},
    {"container_id", T_STR, OFF(container_id), 0, 0, 0, 0},
    {"dst_ip", T_STR, OFF(dst_ip), 0, 0, 0, 0},
    {"dst_port", T_INT, OFF(dst_port), 0, 0, 1, 65535},
    {"proto", T_STR, OFF(proto), 0, 0, 0, 0},
    {"dst_host", T_LIST, OFF(dst_host), OFF(ndst_host), NOHAS, 0, 0},
    {"provider", T_LIST, OFF(provider), OFF(nprovider), OFF(has_provider), 0, 0},
    {"method", T_STR, OFF(method), 0, 0, 0, 0},
    {"path", T_STR, OFF(path), 0, 0, 0, 0},
    {"host", T_STR, OFF(host), 0, 0, 0, 0},
    {"model", T_STR, OFF(model), 0, 0, 0, 0},
    {"request_user", T_STR, OFF(request_user), 0, 0, 0, 0},
    {"stream", T_BOOL, OFF(stream), 0, 0, 0, 0},
    {"unparsed", T_STR, OFF(unparsed), 0, 0, 0, 0},
    {"ws", T_STR, OFF(ws), 0, 0, 0, 0},
    {"body", T_STR, OFF(body), 0, 0, 0, 0},
    {"body_redacted", T_BOOL, OFF(body_redacted), 0, 0, 0, 0},
    {"body_match", T_LIST, OFF(body_match), OFF(nbody_match), OFF(has_body_match), 0, 0},
    {"status", T_INT, OFF(status), 0, 0, 0, 999},
    {"tokens_in", T_INT, OFF(tokens_in), 0, 0, 0, INT64_MAX},
    {"tokens_out", T_INT, OFF(tokens_out), 0, 0, 0, INT64_MAX},
    {"decision", T_STR, OFF(decision), 0, 0, 0, 0},
    {"rule", T_STR, OFF(rule), 0, 0, 0, 0},
    {"redactions", T_LIST, OFF(redactions), OFF(nredactions), OFF(has_redactions), 0, 0},
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

static int type_err(char *err, size_t errlen, const char *key, const char *what)
{
	snprintf(err, errlen, "'%s' must be %s", key, what);
	return -1;
}

/* A list of strings; a single string (or "a|b", as the audit trail writes
 * shared-address providers) is accepted for dst_host and provider. */
static int set_list(const struct tfield *f, struct trace_event *ev, const struct trace_val *v,
		    char *err, size_t errlen)
{
	char ***lp = (char ***)((char *)ev + f->off);
	size_t *np = (size_t *)((char *)ev + f->noff);

	free_list(*lp, *np);
	*lp = NULL;
	*np = 0;
	if (f->hoff != NOHAS)
		*(bool *)((char *)ev + f->hoff) = true;
	if (v->kind == TV_NULL)
		return 0;
	if (v->kind == TV_STR) {
		const char *s = v->str;

		while (*s) {
			const char *bar = strchr(s, '|');
			size_t n = bar ? (size_t)(bar - s) : strlen(s);

			*lp = realloc(*lp, (*np + 1) * sizeof(char *));
			if (!*lp)
				abort();
			(*lp)[*np] = strndup(s, n);
			if (!(*lp)[(*np)++])
				abort();
			s += n + (bar ? 1 : 0);
		}
		return 0;
	}
	if (v->kind != TV_LIST)
		return type_err(err, errlen, f->key, "a list of strings");
	*lp = calloc(v->n ? v->n : 1, sizeof(char *));
	if (!*lp)
		abort();
	for (size_t i = 0; i < v->n; i++) {
		if (v->items[i].kind != TV_STR && !(v->items[i].kind == TV_INT && v->items[i].str))
			return type_err(err, errlen, f->key, "a list of strings");
		(*lp)[(*np)++] = xstrdup(v->items[i].str);
	}
	return 0;
}

int trace_event_set(struct trace_event *ev, const char *key, const struct trace_val *v,
		    char *err, size_t errlen)
{
	const struct tfield *f = NULL;
	char *base = (char *)ev;

	if (!strncmp(key, "x_", 2))
		return 0;
	for (size_t i = 0; i < NFIELDS; i++)
		if (!strcmp(fields[i].key, key))
			f = &fields[i];
	if (!f) {
		snprintf(err, errlen, "unknown field '%s'", key);
		return -1;
	}
	switch (f->type) {
	case T_KIND: {
		enum trace_kind k;

		if (v->kind != TV_STR)
			return type_err(err, errlen, key, "\"connect\", \"request\" or \"response\"");
		if (!strcmp(v->str, "connect"))
			k = TRACE_CONNECT;
		else if (!strcmp(v->str, "request"))
			k = TRACE_REQUEST;
		else if (!strcmp(v->str, "response"))
			k = TRACE_RESPONSE;
		else {
			snprintf(err, errlen,
				 "unknown event '%.60s' (expected connect, request or response)",
				 v->str);
			return -1;
		}
		ev->kind = k;
		return 0;
	}
	case T_STR: {
		char **sp = (char **)(base + f->off);

		if (v->kind == TV_NULL) {
			free(*sp);
			*sp = NULL;
			return 0;
		}
		if (v->kind != TV_STR && !(v->kind == TV_INT && v->str))
			return type_err(err, errlen, key, "a string");
		free(*sp);
		*sp = xstrdup(v->str);
		return 0;
	}
	case T_INT: {
		int64_t *ip = (int64_t *)(base + f->off);

		if (v->kind == TV_NULL) {
			*ip = -1;
			return 0;
		}
		if (v->kind != TV_INT)
			return type_err(err, errlen, key, "an integer");
		if (v->num < f->min || v->num > f->max) {
			snprintf(err, errlen, "'%s' %lld is out of range (%lld..%lld)", key,
				 (long long)v->num, (long long)f->min, (long long)f->max);
			return -1;
		}
		*ip = v->num;
		return 0;
	}
	case T_BOOL:
		if (v->kind != TV_BOOL)
			return type_err(err, errlen, key, "true or false");
		*(bool *)(base + f->off) = v->b;
		return 0;
	case T_LIST: return set_list(f, ev, v, err, errlen);
	}
	return -1;
}

int trace_event_check(const struct trace_event *ev, char *err, size_t errlen)
{
	struct in6_addr a;

	if (!ev->kind) {
		snprintf(err, errlen, "no \"event\" (connect, request or response)");
		return -1;
	}
	if (ev->dst_ip && inet_pton(AF_INET, ev->dst_ip, &a) != 1 &&
	    inet_pton(AF_INET6, ev->dst_ip, &a) != 1) {
		snprintf(err, errlen, "'dst_ip' \"%.60s\" is not an IPv4 or IPv6 address",
			 ev->dst_ip);
		return -1;
	}
	if (ev->ws && strcmp(ev->ws, "upgrade") && strcmp(ev->ws, "message")) {
		snprintf(err, errlen, "'ws' must be \"upgrade\" or \"message\"");
		return -1;
	}
	if (ev->proto && strcmp(ev->proto, "tcp") && strcmp(ev->proto, "udp")) {
		snprintf(err, errlen, "'proto' must be \"tcp\" or \"udp\"");
		return -1;
	}
	if (ev->kind == TRACE_CONNECT && ev->dst_port < 0 && !ev->has_provider) {
		snprintf(err, errlen, "a connect event needs 'dst_port' (or 'provider')");
		return -1;
	}
	if (ev->decision && decision_from_name(ev->decision) < 0) {
		snprintf(err, errlen, "unknown decision '%.40s'", ev->decision);
		return -1;
	}
	return 0;
}

static int set_cb(void *ctx, const char *key, const struct trace_val *v, char *err, size_t errlen)
{
	return trace_event_set(ctx, key, v, err, errlen);
}

int trace_parse_line(const char *line, size_t len, struct trace_event *ev, char *err,
		     size_t errlen)
{
	trace_event_init(ev);
	if (trace_json_object(line, len, err, errlen, set_cb, ev) < 0) {
		trace_event_free(ev);
		return -1;
	}
	if (trace_event_check(ev, err, errlen) < 0) {
		char m[200];

		snprintf(m, sizeof(m), "%.*s", (int)sizeof(m) - 1, err);
		snprintf(err, errlen, "1: %s", m);
		trace_event_free(ev);
		return -1;
	}
	return 0;
}

/* ---- reader ------------------------------------------------------------------ */

struct trace_reader {
	FILE *f;
	char *path;
	char *buf;
	size_t cap;
	int line;
	int64_t version;
	char *policy;
};

struct header {
	int64_t version;
	char *policy;
};

static int header_cb(void *ctx, const char *key, const struct trace_val *v, char *err,
		     size_t errlen)
{
	struct header *h = ctx;

	if (!strcmp(key, "aspen_trace")) {
		if (v->kind != TV_INT) {
			snprintf(err, errlen, "'aspen_trace' must be an integer version");
			return -1;
		}
		h->version = v->num;
	} else if (!strcmp(key, "policy") && v->kind == TV_STR) {
		free(h->policy);
		h->policy = xstrdup(v->str);
	}
	return 0; /* other header members are informative */
}

/* Reads one line into r->buf; its length, or -1 at EOF, -2 if too long. */
static ssize_t read_line(struct trace_reader *r)
{
	ssize_t n = getline(&r->buf, &r->cap, r->f);

	if (n < 0)
		return -1;
	r->line++;
	if ((size_t)n > TRACE_MAX_LINE)
		return -2;
	while (n > 0 && (r->buf[n - 1] == '\n' || r->buf[n - 1] == '\r'))
		r->buf[--n] = 0;
	return n;
}

static void loc_err(char *err, size_t errlen, const char *path, int line, const char *msg)
{
	/* msg is "COL: text" from the JSON reader */
	snprintf(err, errlen, "%s:%d:%s", path, line, msg);
}

struct trace_reader *trace_open(const char *path, char *err, size_t errlen)
{
	struct trace_reader *r = calloc(1, sizeof(*r));
	struct header h = {.version = -1};
	char msg[256];
	ssize_t n;

	if (!r)
		abort();
	r->path = xstrdup(path);
	r->f = fopen(path, "r");
	if (!r->f) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		goto fail;
	}
	n = read_line(r);
	if (n < 0) {
		snprintf(err, errlen, "%s:1:1: not an Aspen trace: %s", path,
			 n == -1 ? "the file is empty" : "first line too long");
		goto fail;
	}
	if (trace_json_object(r->buf, (size_t)n, msg, sizeof(msg), header_cb, &h) < 0) {
		loc_err(err, errlen, path, 1, msg);
		goto fail;
	}
	if (h.version < 0) {
		snprintf(err, errlen,
			 "%s:1:1: not an Aspen trace: the first line must be the header "
			 "{\"aspen_trace\":%d,...}",
			 path, TRACE_VERSION);
		goto fail;
	}
	if (h.version != TRACE_VERSION) {
		snprintf(err, errlen,
			 "%s:1:1: trace format version %lld is not supported by this aspenc "
			 "(it reads version %d)",
			 path, (long long)h.version, TRACE_VERSION);
		goto fail;
	}
	r->version = h.version;
	r->policy = h.policy;
	return r;
fail:
	free(h.policy);
	trace_close(r);
	return NULL;
}

int trace_next(struct trace_reader *r, struct trace_event *ev, char *err, size_t errlen)
{
	char msg[256];
	ssize_t n;

	trace_event_init(ev);
	do {
		n = read_line(r);
		if (n == -1)
			return ferror(r->f) ? (snprintf(err, errlen, "%s: read error", r->path), -1)
					    : 0;
		if (n == -2) {
			snprintf(err, errlen, "%s:%d:1: line longer than %u bytes", r->path,
				 r->line, TRACE_MAX_LINE);
			return -1;
		}
	} while (strspn(r->buf, " \t") == (size_t)n);
	if ((ssize_t)strlen(r->buf) != n) {
		snprintf(err, errlen, "%s:%d:%zu: NUL byte in a trace line", r->path, r->line,
			 strlen(r->buf) + 1);
		return -1;
	}
	if (trace_parse_line(r->buf, (size_t)n, ev, msg, sizeof(msg)) < 0) {
		trace_event_free(ev);
		loc_err(err, errlen, r->path, r->line, msg);
		return -1;
	}
	ev->file = r->path;
	ev->line = r->line;
	return 1;
}

void trace_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	free(r->buf);
	free(r->path);
	free(r->policy);
	free(r);
}

const char *trace_policy(const struct trace_reader *r)
{
	return r->policy;
}
