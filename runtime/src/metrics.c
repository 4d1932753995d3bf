/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prometheus metrics: a small table of series (family + rendered labels),
 * updated where audit lines are written, rendered in the text exposition
 * format (0.0.4) by libmicrohttpd's own thread on GET /metrics.
 *
 * Label values come from the policy (rules, providers, patterns) or from
 * requests (models, already masked as in the trail). A family holds at most
 * MAX_PER_FAMILY series; later label sets are counted in one series whose
 * labels are all "_other", so a client inventing models cannot grow it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "json.h" /* utf8_len */
#include "metrics.h"

#define MAX_PER_FAMILY 500
#define NBUCKETS 10

enum kind { COUNTER, GAUGE, HISTOGRAM };

enum fam {
	F_DECISIONS,
	F_REQUESTS,
	F_TOKENS,
	F_REDACTIONS,
	F_UNINSPECTED,
	F_LOST,
	F_HOLD,
	F_ATTACH,
	F_PROBED,
	F_POLICY,
	F_LOADS,
	F_AUDIT_ERR,
	F_OTLP,
	F_OTLP_DROP,
	F_PROG_RUNS,
	F_PROG_TIME,
	F_COUNT
};

struct family {
	const char *name, *help;
	enum kind kind;
	int nlabels;
	const char *labels[4];
};

static const struct family families[F_COUNT] = {
    [F_DECISIONS] = {"aspen_decisions_total",
		     "Audited decisions.",
		     COUNTER,
		     4,
		     {"event", "decision", "rule", "provider"}},
    [F_REQUESTS] = {"aspen_requests_total",
		    "AI requests seen (any decision).",
		    COUNTER,
		    2,
		    {"provider", "model"}},
    [F_TOKENS] = {"aspen_tokens_total",
		  "Tokens reported in response bodies.",
		  COUNTER,
		  3,
		  {"provider", "model", "type"}},
    [F_REDACTIONS] =
	{"aspen_redactions_total", "Matches masked in request bodies.", COUNTER, 1, {"pattern"}},
    [F_UNINSPECTED] = {"aspen_uninspected_total",
		       "Audit lines of traffic that could not be inspected, by reason.",
		       COUNTER,
		       1,
		       {"reason"}},
    [F_LOST] = {"aspen_lost_events_total",
		"Kernel records lost because the ring buffer was full.",
		COUNTER,
		0,
		{0}},
    [F_HOLD] = {"aspen_hold_seconds",
		"Time threads were held stopped for aspend.",
		HISTOGRAM,
		1,
		{"reason"}},
    [F_ATTACH] = {"aspen_probe_attach_seconds",
		  "Time to attach a process's TLS probes (processes that got probes).",
		  HISTOGRAM,
		  0,
		  {0}},
    [F_PROBED] =
	{"aspen_probed_processes", "Processes with TLS probes attached now.", GAUGE, 0, {0}},
    [F_POLICY] = {"aspen_policy_info",
		  "The policy in force (value 1).",
		  GAUGE,
		  2,
		  {"policy", "policy_sha256"}},
    [F_LOADS] =
	{"aspen_policy_loads_total", "Policy objects put in force.", COUNTER, 1, {"reason"}},
    [F_AUDIT_ERR] = {"aspen_audit_write_errors_total",
		     "Audit lines the trail could not take.",
		     COUNTER,
		     0,
		     {0}},
    [F_OTLP] = {"aspen_otlp_records_total",
		"Audit lines exported as OTLP log records.",
		COUNTER,
		2,
		{"output", "outcome"}},
    [F_OTLP_DROP] = {"aspen_otlp_dropped_records_total",
		     "Audit lines not exported: the export queue was full.",
		     COUNTER,
		     0,
		     {0}},
    [F_PROG_RUNS] = {"aspen_program_runs_total",
		     "Runs of each eBPF program in force, as the kernel counts them "
		     "(with run-time statistics on).",
		     COUNTER,
		     1,
		     {"program"}},
    [F_PROG_TIME] = {"aspen_program_run_seconds_total",
		     "Time spent in each eBPF program in force, as the kernel counts it "
		     "(with run-time statistics on).",
		     COUNTER,
		     1,
		     {"program"}},
};

/* seconds */
static const double bounds[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
					0.025,	0.05,  0.1,    0.25,  1.0};

struct series {
	enum fam fam;
	char *labels; /* rendered: a="x",b="y" (empty: none) */
	double value; /* counter, gauge; histogram: sum */
	uint64_t count, buckets[NBUCKETS];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct series *tab;
static size_t ntab, captab;
static unsigned nfam[F_COUNT];
static struct MHD_Daemon *httpd;
static bool on;

/* ---- label sets ---------------------------------------------------------- */

/* Appends name="value" with the format's escapes (\\, \", \n); bytes that are
 * not UTF-8 become U+FFFD, as in the trail (json.h). */
static size_t put_label(char *out, size_t cap, size_t used, const char *name, const char *v)
{
	size_t left = v ? strlen(v) : 0;

	used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, "%s%s=\"",
				 used ? "," : "", name);
	while (left && used + 5 < cap) {
		size_t n = utf8_len((const unsigned char *)v, left);

		if (n == 0) {
			memcpy(out + used, "\xef\xbf\xbd", 3);
			used += 3;
			n = 1;
		} else if (*v == '\\' || *v == '"' || *v == '\n') {
			out[used++] = '\\';
			out[used++] = *v == '\n' ? 'n' : *v;
		} else {
			memcpy(out + used, v, n);
			used += n;
		}
		v += n;
		left -= n;
	}
	if (used + 1 < cap)
		out[used++] = '"';
	out[used < cap ? used : cap - 1] = '\0';
	return used;
}

static void render_labels(enum fam f, const char *const *vals, char *out, size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < families[f].nlabels; i++)
		used = put_label(out, cap, used, families[f].labels[i], vals ? vals[i] : "_other");
}

/* The series of f with these labels, made if new; the overflow series when
 * the family is full. Called with the lock held. */
static struct series *series_of(enum fam f, const char *const *vals)
{
	char labels[768];

	render_labels(f, vals, labels, sizeof(labels));
	for (size_t i = 0; i < ntab; i++)
		if (tab[i].fam == f && strcmp(tab[i].labels, labels) == 0)
			return &tab[i];
	if (vals && nfam[f] >= MAX_PER_FAMILY)
		return series_of(f, NULL);
	if (ntab == captab) {
		size_t cap = captab ? captab * 2 : 64;
		struct series *t = realloc(tab, cap * sizeof(*t));

		if (!t)
			return NULL;
		tab = t;
		captab = cap;
	}
	memset(&tab[ntab], 0, sizeof(tab[ntab]));
	tab[ntab].fam = f;
	tab[ntab].labels = strdup(labels);
	if (!tab[ntab].labels)
		return NULL;
	nfam[f]++;
	return &tab[ntab++];
}

static void add(enum fam f, const char *const *vals, double by)
{
	struct series *s;

	if (!on)
		return;
	pthread_mutex_lock(&lock);
	s = series_of(f, vals);
	if (s)
		s->value += by;
	pthread_mutex_unlock(&lock);
}

static void set(enum fam f, const char *const *vals, double to)
{
	struct series *s;

	if (!on)
		return;
	pthread_mutex_lock(&lock);
	s = series_of(f, vals);
	if (s)
		s->value = to;
	pthread_mutex_unlock(&lock);
}

static void observe(enum fam f, const char *const *vals, double secs)
{
	struct series *s;

	if (!on)
		return;
	pthread_mutex_lock(&lock);
	s = series_of(f, vals);
	if (s) {
		s->value += secs;
		s->count++;
		for (int b = 0; b < NBUCKETS; b++)
			s->buckets[b] += secs <= bounds[b];
	}
	pthread_mutex_unlock(&lock);
}

#define L(...) ((const char *const[]){__VA_ARGS__})
#define S(x) ((x) ? (x) : "")

void metrics_decision(const char *event, const char *decision, const char *rule,
		      const char *provider)
{
	add(F_DECISIONS, L(S(event), S(decision), S(rule), S(provider)), 1);
}

void metrics_request(const char *provider, const char *model)
{
	add(F_REQUESTS, L(S(provider), S(model)), 1);
}

void metrics_tokens(const char *provider, const char *model, uint64_t input, uint64_t output)
{
	add(F_TOKENS, L(S(provider), S(model), "input"), (double)input);
	add(F_TOKENS, L(S(provider), S(model), "output"), (double)output);
}

void metrics_redactions(const char *pattern, unsigned count)
{
	add(F_REDACTIONS, L(S(pattern)), count);
}

void metrics_uninspected(const char *reason)
{
	add(F_UNINSPECTED, L(S(reason)), 1);
}

void metrics_lost(uint64_t count)
{
	add(F_LOST, NULL, (double)count);
}

void metrics_hold(const char *reason, long us)
{
	observe(F_HOLD, L(S(reason)), (double)us / 1e6);
}

void metrics_probe_attach(long us)
{
	observe(F_ATTACH, NULL, (double)us / 1e6);
}

void metrics_probed_processes(unsigned n)
{
	set(F_PROBED, NULL, n);
}

void metrics_policy_load(const char *policy, const char *sha256, const char *reason)
{
	if (!on)
		return;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ntab; i++)
		if (tab[i].fam == F_POLICY)
			tab[i].value = 0; /* the policy no longer in force */
	pthread_mutex_unlock(&lock);
	set(F_POLICY, L(S(policy), S(sha256)), 1);
	add(F_LOADS, L(S(reason)), 1);
}

void metrics_audit_error(void)
{
	add(F_AUDIT_ERR, NULL, 1);
}

void metrics_otlp(const char *output, const char *outcome, unsigned n)
{
	add(F_OTLP, L(S(output), S(outcome)), n);
}

void metrics_otlp_dropped(unsigned n)
{
	add(F_OTLP_DROP, NULL, n);
}

void metrics_program(const char *name, uint64_t runs, uint64_t run_ns)
{
	set(F_PROG_RUNS, L(S(name)), (double)runs);
	set(F_PROG_TIME, L(S(name)), (double)run_ns / 1e9);
}

/* ---- exposition ---------------------------------------------------------- */

struct text {
	char *buf;
	size_t len, cap;
	bool bad;
};

static void out(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (t->bad)
			return;
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		char *b = realloc(t->buf, t->cap * 2 + (size_t)n);

		if (!b) {
			t->bad = true;
			return;
		}
		t->buf = b;
		t->cap = t->cap * 2 + (size_t)n;
	}
}

/* {labels} or {labels,extra} or {extra} or nothing */
static void braces(struct text *t, const char *labels, const char *extra)
{
	if (!labels[0] && !extra)
		return;
	out(t, "{%s%s%s}", labels, labels[0] && extra ? "," : "", extra ? extra : "");
}

static void render_series(struct text *t, const struct family *fm, const struct series *s)
{
	char le[32];

	if (fm->kind != HISTOGRAM) {
		out(t, "%s", fm->name);
		braces(t, s->labels, NULL);
		out(t, " %.17g\n", s->value);
		return;
	}
	for (int b = 0; b < NBUCKETS; b++) {
		snprintf(le, sizeof(le), "le=\"%g\"", bounds[b]);
		out(t, "%s_bucket", fm->name);
		braces(t, s->labels, le);
		out(t, " %llu\n", (unsigned long long)s->buckets[b]);
	}
	out(t, "%s_bucket", fm->name);
	braces(t, s->labels, "le=\"+Inf\"");
	out(t, " %llu\n%s_sum", (unsigned long long)s->count, fm->name);
	braces(t, s->labels, NULL);
	out(t, " %.17g\n%s_count", s->value, fm->name);
	braces(t, s->labels, NULL);
	out(t, " %llu\n", (unsigned long long)s->count);
}

/* The families without labels always have their one series. */
static void render(struct text *t)
{
	pthread_mutex_lock(&lock);
	for (int f = 0; f < F_COUNT; f++) {
		const struct family *fm = &families[f];

		if (fm->nlabels == 0)
			series_of((enum fam)f, NULL);
		out(t, "# HELP %s %s\n# TYPE %s %s\n", fm->name, fm->help, fm->name,
		    fm->kind == COUNTER ? "counter"
		    : fm->kind == GAUGE ? "gauge"
					: "histogram");
		for (size_t i = 0; i < ntab; i++)
			if (tab[i].fam == (enum fam)f)
				render_series(t, fm, &tab[i]);
	}
	pthread_mutex_unlock(&lock);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct text t = {.cap = 16384};
	struct MHD_Response *r;
	enum MHD_Result rc;
	unsigned status = MHD_HTTP_OK;

	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	else if (strcmp(url, "/metrics"))
		status = MHD_HTTP_NOT_FOUND;
	t.buf = malloc(t.cap);
	if (!t.buf)
		return MHD_NO;
	t.buf[0] = '\0';
	if (status == MHD_HTTP_OK)
		render(&t);
	else
		out(&t, "aspend serves /metrics only\n");
	if (t.bad) {
		free(t.buf);
		return MHD_NO;
	}
	r = MHD_create_response_from_buffer(t.len, t.buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(t.buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* "host:port", "[v6]:port", ":port" -> a numeric address to listen on */
static int parse_addr(const char *addr, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char host[128];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM},
			*res;
	size_t hl;
	int rc;

	if (!colon || !colon[1] || colon - addr >= (long)sizeof(host)) {
		snprintf(err, errlen, "--metrics %s: ADDR:PORT, e.g. 127.0.0.1:9464", addr);
		return -1;
	}
	hl = (size_t)(colon - addr);
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(hl - 2), addr + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hl, addr);
	rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "--metrics %s: %s", addr, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

int metrics_start(const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss = {0};
	/* epoll, not select(): aspend may hold more than FD_SETSIZE descriptors */
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	sigset_t all, old;

	if (parse_addr(addr, &ss, err, errlen))
		return -1;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	on = true;
	/* its thread takes no signal: they are the event loop's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	httpd = MHD_start_daemon(flags, 0, NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR,
				 (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 16,
				 MHD_OPTION_CONNECTION_TIMEOUT, 10, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!httpd) {
		on = false;
		snprintf(err, errlen, "--metrics %s: cannot listen (in use? %s)", addr,
			 strerror(errno));
		return -1;
	}
	return 0;
}

void metrics_stop(void)
{
	if (httpd)
		MHD_stop_daemon(httpd);
	httpd = NULL;
	on = false;
	for (size_t i = 0; i < ntab; i++)
		free(tab[i].labels);
	free(tab);
	tab = NULL;
	ntab = captab = 0;
	memset(nfam, 0, sizeof(nfam));
}
