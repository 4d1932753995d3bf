/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request values masked before the audit trail and --record traces get
 * them (runtime/lib/rt_scrub.h): the request's host, method, path (query
 * included), model and request_user, the model on a response line and the
 * host name on a connect line. Two scrubbers apply, whatever the request's
 * own decision:
 *
 * - the standard library's `pii` and `secrets` patterns, compiled once at
 *   start from the stdlib aspenc imports from (unless --no-stdlib-scan);
 * - every pattern in the policy's metadata (the patterns its rules name),
 *   compiled at each load, with the mask of the policy's redact rule.
 *
 * Both use rx_new_short(): audit values are short, and some patterns'
 * unanchored DFA (secrets.openai_key) takes most of a second to build.
 */
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "paths.h"
#include "policy_obj.h"
#include "scrub.h"
#include "luhn.h"
#include "rt_scrub.h"
#include "rx.h"

/* The standard library's pattern files scanned for every request. */
static const char *const stdlib_files[] = {"pii.asp", "secrets.asp"};

/* The stdlib directory, searched as aspenc searches imports: $ASPEN_STDLIB_DIR,
 * then the installed or source tree's one (common/paths.c). NULL if none
 * holds the files. */
static const char *stdlib_dir(char *buf, size_t len)
{
	static char found[PATH_MAX];
	const char *env = getenv("ASPEN_STDLIB_DIR");
	const char *dirs[] = {env && *env ? env : NULL,
			      aspen_data_dir(ASPEN_DATA_STDLIB, found, sizeof(found))};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i])
			continue;
		snprintf(buf, len, "%s/%s", dirs[i], stdlib_files[0]);
		if (access(buf, R_OK) == 0)
			return dirs[i];
	}
	return NULL;
}

/* The stdlib's patterns, built by a thread while the policy is loaded
 * (issue 14: 6-18 ms of the start, CPU the kernel's verifier leaves idle
 * on the other core). It touches only its own struct. */
static struct stdlib_job {
	pthread_t thread;
	bool started;
	struct rt_scrub *scrub;
	int rc;
	int n;
	char dir[PATH_MAX];
	char err[768];
} job;

static void *stdlib_build(void *arg)
{
	struct stdlib_job *j = arg;
	char path[PATH_MAX * 2], why[512];

	j->scrub = rt_scrub_new();
	if (!j->scrub) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		j->rc = -1;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(stdlib_files) / sizeof(stdlib_files[0]); i++) {
		int rc;

		snprintf(path, sizeof(path), "%s/%s", j->dir, stdlib_files[i]);
		rc = rt_scrub_add_asp(j->scrub, path, why, sizeof(why));
		if (rc < 0) {
			snprintf(j->err, sizeof(j->err), "audit masking: %s", why);
			j->rc = -1;
			return NULL;
		}
		j->n += rc;
	}
	return NULL;
}

int scrub_stdlib_start(struct daemon *d)
{
	char path[PATH_MAX];
	const char *dir;

	if (d->opts.no_stdlib_scan)
		return 0;
	dir = stdlib_dir(path, sizeof(path));
	if (!dir) {
		log_warn("no standard library (pii.asp) found: audit values are masked with the "
			 "policy's own patterns only (set ASPEN_STDLIB_DIR)");
		return 0;
	}
	memset(&job, 0, sizeof(job));
	snprintf(job.dir, sizeof(job.dir), "%s", dir);
	if (pthread_create(&job.thread, NULL, stdlib_build, &job)) {
		stdlib_build(&job); /* no thread: here */
		return 0;
	}
	job.started = true;
	return 0;
}

int scrub_stdlib_wait(struct daemon *d)
{
	if (job.started)
		pthread_join(job.thread, NULL);
	job.started = false;
	if (!job.scrub)
		return job.rc;
	if (job.rc < 0) {
		log_err("%s", job.err);
		rt_scrub_free(job.scrub);
		job.scrub = NULL;
		return -1;
	}
	d->std_scrub = job.scrub;
	job.scrub = NULL;
	log_info("audit values are masked with %d patterns of %s (pii, secrets) and the policy's",
		 job.n, job.dir);
	return 0;
}

void scrub_stdlib_free(struct daemon *d)
{
	if (job.started) {
		pthread_join(job.thread, NULL);
		job.started = false;
		rt_scrub_free(job.scrub);
		job.scrub = NULL;
	}
	rt_scrub_free(d->std_scrub);
	d->std_scrub = NULL;
}

int scrub_prepare(struct policy_obj *p)
{
	p->scrub = rt_scrub_new();
	if (!p->scrub)
		return -1;
	for (size_t i = 0; i < p->meta.npatterns; i++) {
		const struct aspen_meta_pattern *mp = &p->meta.patterns[i];
		aspen_validator_fn valid = mp->validator ? aspen_validator(mp->validator) : NULL;
		struct rx_error err;
		struct rx *rx = rx_new_short(mp->regex, mp->icase ? RX_FLAG_ICASE : 0, &err);

		if (!rx) {
			log_err("pattern %s: %s", mp->name, err.msg);
			return -1;
		}
		if (rt_scrub_add(p->scrub, rx, true, mp->redact ? mp->mask : NULL, valid) < 0)
			return -1;
	}
	return 0;
}

void scrub_release(struct policy_obj *p)
{
	rt_scrub_free(p->scrub);
	p->scrub = NULL;
}

unsigned scrub_value(struct daemon *d, const struct policy_obj *p, char *s, size_t size)
{
	return rt_scrub_field(d->std_scrub, p->scrub, s, size);
}

void scrub_request(struct daemon *d, const struct policy_obj *p,
		   const struct aspen_request_event *e, struct aspen_request_event *out)
{
	struct aspen_req *r = &out->req;

	*out = *e;
	scrub_value(d, p, r->method, sizeof(r->method));
	scrub_value(d, p, r->path, sizeof(r->path));
	scrub_value(d, p, r->host, sizeof(r->host));
	scrub_value(d, p, r->model, sizeof(r->model));
	scrub_value(d, p, r->user, sizeof(r->user));
}

void scrub_response(struct daemon *d, const struct policy_obj *p,
		    const struct aspen_response_event *e, struct aspen_response_event *out)
{
	*out = *e;
	scrub_value(d, p, out->model, sizeof(out->model));
}

const char *scrub_name(struct daemon *d, const struct policy_obj *p, const char *name, char *buf,
		       size_t len)
{
	if (!name)
		return NULL;
	snprintf(buf, len, "%s", name);
	scrub_value(d, p, buf, len);
	return buf;
}
