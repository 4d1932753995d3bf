/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenTelemetry export: the trail's lines are copied into a bounded queue
 * (under the trail's lock: a strdup, never I/O), and a thread turns them
 * into OTLP/JSON ExportLogsServiceRequests (runtime/lib/rt_otlp.c), a batch
 * at a time, POSTs them with libcurl and/or appends them to a file. A full
 * queue drops lines (counted: aspen_otlp_dropped_records_total); a failed
 * export is tried twice more when the failure may pass (1 s, then 2 s
 * later), then counted. The trail itself is never held back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"
#include "metrics.h"
#include "otlp.h"
#include "rt_audit.h"
#include "rt_otlp.h"

#define QUEUE_MAX 8192
#define BATCH_MAX 512
#define EXPORT_TIMEOUT_S 5L

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char **q;
	size_t head, n;
	bool stop, running;
	pthread_t thread;
	char *url;
	FILE *file;
	CURL *curl;
	struct curl_slist *headers;
	char host[256];
	unsigned long failures;
} O = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* The trail's tee: runs on whichever thread wrote the line. */
static void enqueue(void *ctx, const char *line, size_t len)
{
	char *copy = strndup(line, len);

	pthread_mutex_lock(&O.lock);
	if (!copy || O.n == QUEUE_MAX) {
		pthread_mutex_unlock(&O.lock);
		free(copy);
		metrics_otlp_dropped(1);
		return;
	}
	O.q[(O.head + O.n) % QUEUE_MAX] = copy;
	/* the first line starts the batch's second, a full batch ends it */
	if (++O.n == 1 || O.n >= BATCH_MAX)
		pthread_cond_signal(&O.cond);
	pthread_mutex_unlock(&O.lock);
	(void)ctx;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* 0: taken; 1: not taken, worth another try (no answer, or 429, 502, 503,
 * 504: OTLP/HTTP's retryable statuses); -1: refused for good */
static int post_once(const char *body, size_t len, char *why, size_t whylen)
{
	long status = 0;
	CURLcode rc;

	curl_easy_setopt(O.curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(O.curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(O.curl);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return 1;
	}
	curl_easy_getinfo(O.curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		return 0;
	snprintf(why, whylen, "HTTP status %ld", status);
	return status == 429 || status == 502 || status == 503 || status == 504 ? 1 : -1;
}

/* Waits s seconds, or less if aspend stops; false if it stops. */
static bool backoff(int s)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += s;
	pthread_mutex_lock(&O.lock);
	while (!O.stop && pthread_cond_timedwait(&O.cond, &O.lock, &until) == 0)
		;
	stop = O.stop;
	pthread_mutex_unlock(&O.lock);
	return !stop;
}

/* Posts a batch; retry: after 1 s and 2 s more when the failure may pass
 * (not while aspend stops). */
static bool post(const char *body, size_t len, bool retry)
{
	char why[128];

	for (int attempt = 0;; attempt++) {
		int rc = post_once(body, len, why, sizeof(why));

		if (rc == 0)
			return true;
		if (rc < 0 || !retry || attempt == 2 || !backoff(1 << attempt))
			break;
	}
	if (O.failures++ % 100 == 0)
		log_warn("otlp: export to %s failed: %s (%lu batches failed so far)", O.url, why,
			 O.failures);
	return false;
}

/* Exports lines[0..n); returns false if the collector could not take them
 * (skip_url: it is not asked, the lines count as failed). */
static bool export_batch(char **lines, size_t n, bool skip_url, bool retry)
{
	struct rt_otlp_buf b = {0};
	bool ok = true;

	rt_otlp_begin(&b);
	for (size_t i = 0; i < n; i++)
		rt_otlp_add_line(&b, lines[i], strlen(lines[i]), O.host, ASPEN_VERSION);
	rt_otlp_end(&b);
	if (b.bad) {
		free(b.p);
		metrics_otlp_dropped(n);
		return true;
	}
	if (O.file) {
		bool w = fwrite(b.p, 1, b.len, O.file) == b.len && fputc('\n', O.file) != EOF &&
			 fflush(O.file) == 0;

		metrics_otlp("file", w ? "sent" : "failed", (unsigned)n);
	}
	if (O.url) {
		ok = !skip_url && post(b.p, b.len, retry);
		metrics_otlp("collector", ok ? "sent" : "failed", (unsigned)n);
	}
	free(b.p);
	return ok;
}

/* Waits for a batch: BATCH_MAX lines, or a second after the first one. */
static size_t take(char **batch)
{
	size_t k;

	while (O.n == 0 && !O.stop)
		pthread_cond_wait(&O.cond, &O.lock);
	if (O.n < BATCH_MAX && !O.stop) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&O.cond, &O.lock, &until);
	}
	k = O.n < BATCH_MAX ? O.n : BATCH_MAX;
	for (size_t i = 0; i < k; i++)
		batch[i] = O.q[(O.head + i) % QUEUE_MAX];
	O.head = (O.head + k) % QUEUE_MAX;
	O.n -= k;
	return k;
}

static void *run(void *arg)
{
	static char *batch[BATCH_MAX];
	bool give_up = false;

	pthread_mutex_lock(&O.lock);
	for (;;) {
		size_t k = take(batch);
		bool stopping = O.stop;

		pthread_mutex_unlock(&O.lock);
		/* at exit, a collector that is down gets one try, not one per batch */
		if (k && !export_batch(batch, k, give_up, !stopping) && stopping)
			give_up = true;
		for (size_t i = 0; i < k; i++)
			free(batch[i]);
		pthread_mutex_lock(&O.lock);
		if (O.stop && O.n == 0)
			break;
	}
	pthread_mutex_unlock(&O.lock);
	(void)arg;
	return NULL;
}

/* http://host:4318 -> http://host:4318/v1/logs; a URL with a path is kept */
static char *logs_url(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *path = scheme ? strchr(scheme + 3, '/') : NULL;
	char *out;

	if (path && strcmp(path, "/"))
		return strdup(url);
	if (asprintf(&out, "%.*s/v1/logs", (int)(path ? (size_t)(path - url) : strlen(url)), url) <
	    0)
		return NULL;
	return out;
}

static int setup_curl(const char *url, char *err, size_t errlen)
{
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		snprintf(err, errlen, "--otlp %s: an http:// or https:// URL", url);
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(O.curl = curl_easy_init()) ||
	    !(O.url = logs_url(url))) {
		snprintf(err, errlen, "--otlp: cannot set up libcurl");
		return -1;
	}
	O.headers = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(O.curl, CURLOPT_URL, O.url);
	curl_easy_setopt(O.curl, CURLOPT_HTTPHEADER, O.headers);
	curl_easy_setopt(O.curl, CURLOPT_TIMEOUT, EXPORT_TIMEOUT_S);
	curl_easy_setopt(O.curl, CURLOPT_CONNECTTIMEOUT, 2L);
	curl_easy_setopt(O.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(O.curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(O.curl, CURLOPT_PROTOCOLS_STR, "http,https");
	return 0;
}

int otlp_start(struct rt_audit *audit, const char *url, const char *file, char *err, size_t errlen)
{
	sigset_t all, old;
	int rc;

	if (gethostname(O.host, sizeof(O.host) - 1))
		snprintf(O.host, sizeof(O.host), "unknown");
	O.q = calloc(QUEUE_MAX, sizeof(*O.q));
	if (!O.q) {
		snprintf(err, errlen, "otlp: out of memory");
		return -1;
	}
	if (url && setup_curl(url, err, errlen))
		return -1;
	if (file && !(O.file = fopen(file, "ae"))) {
		snprintf(err, errlen, "--otlp-file %s: %s", file, strerror(errno));
		return -1;
	}
	/* the thread takes no signal: they are the event loop's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&O.thread, NULL, run, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		snprintf(err, errlen, "otlp: cannot start its thread");
		return -1;
	}
	O.running = true;
	rt_audit_set_tee(audit, enqueue, NULL);
	return 0;
}

void otlp_stop(struct rt_audit *audit)
{
	if (O.running) {
		rt_audit_set_tee(audit, NULL, NULL);
		pthread_mutex_lock(&O.lock);
		O.stop = true;
		pthread_cond_signal(&O.cond);
		pthread_mutex_unlock(&O.lock);
		pthread_join(O.thread, NULL);
		O.running = false;
	}
	if (O.curl) {
		curl_easy_cleanup(O.curl);
		curl_slist_free_all(O.headers);
		curl_global_cleanup();
	}
	if (O.file)
		fclose(O.file);
	free(O.url);
	free(O.q);
	O.curl = NULL;
	O.headers = NULL;
	O.file = NULL;
	O.url = NULL;
	O.q = NULL;
}
