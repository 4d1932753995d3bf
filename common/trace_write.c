/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Trace writer (aspend --record) and the JSON form of one event. Strings
 * are written by common/json.h, as in the audit trail: bytes that are not
 * valid UTF-8 become \ufffd, so every line reads back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

struct trace_writer {
	FILE *f;
	bool own;
};

static void kstr(FILE *o, const char *key, const char *v)
{
	if (!v)
		return;
	fprintf(o, ",\"%s\":", key);
	json_quote_file(o, v);
}

static void kint(FILE *o, const char *key, int64_t v)
{
	if (v >= 0)
		fprintf(o, ",\"%s\":%lld", key, (long long)v);
}

static void klist(FILE *o, const char *key, char **l, size_t n, bool always)
{
	if (!n && !always)
		return;
	fprintf(o, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', o);
		json_quote_file(o, l[i]);
	}
	fputc(']', o);
}

int trace_event_to_json(const struct trace_event *ev, FILE *o)
{
	fprintf(o, "{\"event\":\"%s\"", trace_kind_name(ev->kind));
	kstr(o, "ts", ev->ts);
	kint(o, "pid", ev->pid);
	kint(o, "tid", ev->tid);
	kint(o, "uid", ev->uid);
	kint(o, "gid", ev->gid);
	kstr(o, "comm", ev->comm);
	kstr(o, "exe", ev->exe);
	kstr(o, "user", ev->user);
	kstr(o, "cgroup", ev->cgroup);
	kstr(o, "container_id", ev->container_id);
	kstr(o, "dst_ip", ev->dst_ip);
	kint(o, "dst_port", ev->dst_port);
	kstr(o, "proto", ev->proto);
	klist(o, "dst_host", ev->dst_host, ev->ndst_host, false);
	klist(o, "provider", ev->provider, ev->nprovider, ev->has_provider);
	kstr(o, "method", ev->method);
	kstr(o, "path", ev->path);
	kstr(o, "host", ev->host);
	kstr(o, "model", ev->model);
	kstr(o, "request_user", ev->request_user);
	if (ev->kind == TRACE_REQUEST)
		fprintf(o, ",\"stream\":%s", ev->stream ? "true" : "false");
	kstr(o, "unparsed", ev->unparsed);
	kstr(o, "ws", ev->ws);
	kstr(o, "body", ev->body);
	if (ev->body_redacted)
		fputs(",\"body_redacted\":true", o);
	klist(o, "body_match", ev->body_match, ev->nbody_match, ev->has_body_match);
	kint(o, "status", ev->status);
	if (ev->kind == TRACE_RESPONSE) {
		fprintf(o, ",\"tokens_in\":%lld,\"tokens_out\":%lld", (long long)ev->tokens_in,
			(long long)ev->tokens_out);
	}
	kstr(o, "decision", ev->decision);
	kstr(o, "rule", ev->rule);
	klist(o, "redactions", ev->redactions, ev->nredactions, ev->has_redactions);
	fputc('}', o);
	return ferror(o) ? -1 : 0;
}

static void header(FILE *f, const char *policy, const char *sha256)
{
	fprintf(f, "{\"aspen_trace\":%d", TRACE_VERSION);
	kstr(f, "policy", policy);
	kstr(f, "policy_sha256", sha256);
	fputs("}\n", f);
	fflush(f);
}

struct trace_writer *trace_writer_fdopen(FILE *f, const char *policy, const char *sha256)
{
	struct trace_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->f = f;
	header(f, policy, sha256);
	return w;
}

struct trace_writer *trace_writer_open(const char *path, const char *policy, const char *sha256,
				       char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	struct trace_writer *w;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	w = trace_writer_fdopen(f, policy, sha256);
	if (!w) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->own = true;
	return w;
}

int trace_write_event(struct trace_writer *w, const struct trace_event *ev)
{
	if (trace_event_to_json(ev, w->f) < 0)
		return -1;
	fputc('\n', w->f);
	return fflush(w->f) == 0 && !ferror(w->f) ? 0 : -1;
}

int trace_writer_close(struct trace_writer *w)
{
	int rc = 0;

	if (!w)
		return 0;
	if (w->own)
		rc = fclose(w->f);
	else
		rc = fflush(w->f);
	free(w);
	return rc ? -1 : 0;
}
