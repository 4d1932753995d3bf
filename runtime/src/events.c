/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ring dispatch: reads the policy's ring buffer and routes each kernel
 * record to the module that handles it (audit lines, the recorder,
 * redaction, TLS probe attach, address learning, cgroup cache), and
 * reports records the kernel could not queue. The audit trail and the
 * recorder get request values masked (scrub.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "audit.h"
#include "events.h"
#include "hook_uprobe.h"
#include "hosts.h"
#include "log.h"
#include "pin.h"
#include "policy_obj.h"
#include "procs.h"
#include "record.h"
#include "redact.h"
#include "scrub.h"
#include "view.h"

/* A request with matches to mask is decided (and reported by the kernel)
 * before aspend has masked its last write: its line waits for the hold of
 * that write (on_redact_hold), the session's next HTTP/1.1 request, or the
 * end of the ring drain, when the counts of that write are known. */
static struct pending_line {
	struct aspen_request_event e;
	unsigned drain; /* the drain that queued it */
} pending[32];
static unsigned drain_no;
static int npending;
/* the audit trail is held (audit_hold) since this drain's first record */
static bool holding;

/* The process of a record, with the exe path it carries (full, or
 * NUL-terminated) */
static void view_of(struct daemon *d, const struct aspen_conn *c,
		    const char exe_field[ASPEN_EXE_LEN], struct proc_view *v)
{
	char exe[ASPEN_EXE_LEN];

	memcpy(exe, exe_field, sizeof(exe));
	exe[sizeof(exe) - 1] = 0;
	proc_view_of(d, c, exe, v);
}

/* The kernel had no record of a connecting process's executable: record
 * it from /proc so that its next connection is decided by the rules. The
 * first failure is logged, then every 1000th (a full aspen_proc fails them
 * all). */
static void on_exe_unknown(struct policy_obj *p, __u32 tgid)
{
	static unsigned long failed;

	if (procs_record(p, tgid) == 0)
		return;
	if (failed++ % 1000 == 0)
		log_warn("pid %u: its executable could not be recorded for process.exe rules "
			 "(%lu so far): %s; its connections are decided by `uninspectable`",
			 tgid, failed, strerror(errno));
}

static void on_connect(struct daemon *d, struct policy_obj *p, const struct aspen_connect_event *e)
{
	struct proc_view v;

	view_of(d, &e->conn, e->exe, &v);
	if (e->unparsed == ASPEN_UNPARSED_EXE_UNKNOWN)
		on_exe_unknown(p, e->conn.tgid);
	/* a cgroup the kernel had no entry of: its path is in the view */
	if (e->unparsed == ASPEN_UNPARSED_CGROUP_UNKNOWN && v.has_cgroup)
		cgroup_update(d, p, e->conn.cgroup_id, v.cgroup);
	/* `aspenc test` replays the policy's rules, not the templates' own
	 * `uninspectable` decisions: those are not recorded */
	if (!e->unparsed)
		record_connect(d, p, e, &v);
	audit_connect(d, p, e, &v);
}

static void emit_request(struct daemon *d, struct policy_obj *p,
			 const struct aspen_request_event *e)
{
	struct aspen_request_event masked;
	struct proc_view v;
	struct redact_counts rc;
	bool counted =
	    e->verdict.redact && redact_take_counts(e->req.conn.tgid, e->session, e->req_seq, &rc);

	if ((e->verdict.redact & e->req.body_match) &&
	    redact_stream_denied(e->req.conn.tgid, e->session, e->req_seq)) {
		/* its matches were in a write aspend denied with other streams' */
		if (!counted)
			rc = (struct redact_counts){0};
		rc.split = counted = true;
	}
	scrub_request(d, p, e, &masked);
	view_of(d, &e->req.conn, e->exe, &v);
	record_request(d, p, &masked, &v);
	audit_request(d, p, &masked, &v, counted ? &rc : NULL);
}

/* a held-back line of the session's requests (req_seq 0: none is named) */
static bool of_session(const struct aspen_request_event *q, __u32 tgid, __u64 session,
		       __u64 req_seq)
{
	return req_seq && q->req.conn.tgid == tgid && q->session == session;
}

/* earlier: the lines held back for the session's HTTP/1.1 requests before
 * req_seq: their writes were all parsed, and held, before this request's
 * first byte (requests on a session follow each other), so their counts
 * are complete; out first, the session's lines stay in order. Else: the
 * line of request req_seq itself, once the hold of its last write is done
 * (HTTP/2 too). */
static void emit_pending(struct daemon *d, struct policy_obj *p, __u32 tgid, __u64 session,
			 __u64 req_seq, bool earlier)
{
	int kept = 0;

	for (int i = 0; i < npending; i++) {
		const struct aspen_request_event *q = &pending[i].e;

		if (of_session(q, tgid, session, req_seq) &&
		    (earlier ? !(req_seq & ASPEN_REQ_SEQ_H2) && q->req_seq && q->req_seq < req_seq
			     : q->req_seq == req_seq))
			emit_request(d, p, q);
		else
			pending[kept++] = pending[i];
	}
	npending = kept;
}

static void emit_earlier(struct daemon *d, struct policy_obj *p, __u32 tgid, __u64 session,
			 __u64 req_seq)
{
	emit_pending(d, p, tgid, session, req_seq, true);
}

static bool events_pending(__u32 tgid, __u64 session, __u64 req_seq)
{
	for (int i = 0; i < npending; i++)
		if (of_session(&pending[i].e, tgid, session, req_seq) &&
		    pending[i].e.req_seq == req_seq)
			return true;
	return false;
}

static void on_request(struct daemon *d, struct policy_obj *p, const struct aspen_request_event *e)
{
	emit_earlier(d, p, e->req.conn.tgid, e->session, e->req_seq);
	if (!(e->verdict.redact & e->req.body_match) || npending == 32) {
		emit_request(d, p, e);
		return;
	}
	pending[npending].e = *e;
	pending[npending++].drain = drain_no;
}

/* all: every held-back line; else those a drain before this one queued
 * (the hold of the request's last write is submitted just after its
 * request record, and may have missed this drain) */
static void flush(struct daemon *d, struct policy_obj *p, bool all)
{
	int kept = 0;

	for (int i = 0; i < npending; i++) {
		if (all || pending[i].drain != drain_no)
			emit_request(d, p, &pending[i].e);
		else
			pending[kept++] = pending[i];
	}
	npending = kept;
	drain_no++;
	if (holding) {
		holding = false;
		audit_flush(d); /* the drain's lines, one write */
	}
}

void events_flush(struct daemon *d, struct policy_obj *p)
{
	flush(d, p, false);
}

void events_flush_all(struct daemon *d, struct policy_obj *p)
{
	flush(d, p, true);
}

static void on_response(struct daemon *d, struct policy_obj *p,
			const struct aspen_response_event *e)
{
	struct aspen_response_event masked;
	struct proc_view v;

	scrub_response(d, p, e, &masked);
	view_of(d, &e->resp.conn, e->exe, &v);
	record_response(d, p, &masked, &v);
	audit_response(d, p, &masked, &v);
}

/* Bytes on a provider connection that no inspection covered: the sk_msg
 * program decided them by `uninspectable` (once per connection). */
void events_mismatch(struct daemon *d, struct policy_obj *p, const struct aspen_mismatch_event *e)
{
	struct aspen_conn c = {.tgid = e->tgid,
			       .pid = e->pid,
			       .uid = e->uid,
			       .gid = e->gid,
			       .cgroup_id = e->cgroup_id};
	struct proc_view v;

	proc_view_of(d, &c, "", &v);
	audit_mismatch(d, p, e, &v);
}

/* A write held for masking (redact.c). The session's earlier requests are
 * done (HTTP/1.1: one after the other), their counts complete: their lines
 * first. This request's own line may be held back already (its end was in
 * the write): then it tells whether the hold denied it. */
static void on_redact_hold(struct daemon *d, struct policy_obj *p,
			   const struct aspen_redact_event *e)
{
	emit_earlier(d, p, e->tgid, e->session, e->req_seq);
	redact_on_hold(d, p, e, events_pending(e->tgid, e->session, e->req_seq));
	/* its line, held back, waited for this hold of its last write */
	emit_pending(d, p, e->tgid, e->session, e->req_seq, false);
}

struct rb_ctx {
	struct daemon *d;
	struct policy_obj *p;
};

static int on_record(void *ctx, void *data, size_t len)
{
	struct rb_ctx *rc = ctx;
	__u32 kind;

	if (len < sizeof(kind))
		return 0;
	if (!holding) {
		holding = true;
		audit_hold(rc->d);
	}
	memcpy(&kind, data, sizeof(kind));
	switch (kind) {
	case ASPEN_EV_CONNECT:
		if (len >= sizeof(struct aspen_connect_event))
			on_connect(rc->d, rc->p, data);
		break;
	case ASPEN_EV_REQUEST:
		if (len >= sizeof(struct aspen_request_event))
			on_request(rc->d, rc->p, data);
		break;
	case ASPEN_EV_RESPONSE:
		if (len >= sizeof(struct aspen_response_event))
			on_response(rc->d, rc->p, data);
		break;
	case ASPEN_EV_MISMATCH:
		if (len >= sizeof(struct aspen_mismatch_event))
			events_mismatch(rc->d, rc->p, data);
		break;
	case ASPEN_EV_REDACT_HOLD:
		if (len >= sizeof(struct aspen_redact_event))
			on_redact_hold(rc->d, rc->p, data);
		break;
	case ASPEN_EV_TLS_HOLD:
		if (len >= sizeof(struct aspen_hold_event)) {
			const struct aspen_hold_event *e = data;

			tls_on_hold(rc->d, rc->p, e->tgid, e->pid);
		}
		break;
	case ASPEN_EV_TLS_READS:
		if (len >= sizeof(struct aspen_hold_event)) {
			const struct aspen_hold_event *e = data;

			tls_on_reads(rc->d, rc->p, e->tgid);
		}
		break;
	case ASPEN_EV_DNS:
		if (len >= sizeof(struct aspen_dns_event)) {
			const struct aspen_dns_event *e = data;

			hosts_learn(rc->d, rc->p, e->payload,
				    e->len < ASPEN_DNS_MAX ? e->len : ASPEN_DNS_MAX,
				    audit_dns_relabel);
		}
		break;
	case ASPEN_EV_CGROUP_MKDIR:
		if (len >= sizeof(struct aspen_cgroup_event)) {
			/* the ring is mapped read-only: terminate a copy */
			const struct aspen_cgroup_event *e = data;
			char path[sizeof(e->path) + 1];

			memcpy(path, e->path, sizeof(e->path));
			path[sizeof(e->path)] = 0;
			cgroup_update(rc->d, rc->p, e->cgroup_id, path);
		}
		break;
	}
	return 0;
}

int events_open(struct daemon *d, struct policy_obj *p)
{
	struct rb_ctx *ctx = calloc(1, sizeof(*ctx));
	int fd = policy_map_fd(p->maps.events);

	if (!ctx || fd < 0) {
		free(ctx);
		return -1;
	}
	ctx->d = d;
	ctx->p = p;
	p->rb_ctx = ctx;
	p->rb = ring_buffer__new(fd, on_record, ctx, NULL);
	if (!p->rb)
		return -1;
	if (!ringpos_open(&p->rpos, fd)) /* then every hold looks in /proc (redact.c) */
		log_warn("cannot map the ring's positions: %s", strerror(errno));
	return 0;
}

void events_close(struct policy_obj *p)
{
	ring_buffer__free(p->rb);
	p->rb = NULL;
	ringpos_close(&p->rpos);
	free(p->rb_ctx);
	p->rb_ctx = NULL;
}

/* The kernel counts records it had no room for; say so in the trail. */
/* The sum over CPUs of a per-CPU __u64 map's entry k; -1 if unreadable */
static int percpu_total(int fd, __u32 k, __u64 *total)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[1024] = {0};

	*total = 0;
	if (fd < 0 || ncpu <= 0 || ncpu > 1024 || bpf_map_lookup_elem(fd, &k, vals) < 0)
		return -1;
	for (int i = 0; i < ncpu; i++)
		*total += vals[i];
	return 0;
}

void events_check_lost(struct daemon *d, struct policy_obj *p)
{
	__u64 total;

	if (percpu_total(policy_map_fd(p->maps.lost), 0, &total) < 0 || total <= p->lost_seen)
		return;
	audit_lost(d, p, total - p->lost_seen);
	log_warn("%llu audit events lost: the ring buffer was full",
		 (unsigned long long)(total - p->lost_seen));
	p->lost_seen = total;
	pin_set_lost(d, total); /* a successor does not report them again */
}

/* DNS answers the kernel did not pass on (enum aspen_dns_stat) are
 * reported at most every DNS_REPORT_S seconds per reason (unless flush):
 * one warning and one audit line (error, reason, count) for those since
 * the last one. */
#define DNS_REPORT_S 10

void events_check_dns(struct daemon *d, struct policy_obj *p, bool flush)
{
	static const char *const reason[ASPEN_DNS_NSTATS] = {
	    [ASPEN_DNS_UNSOLICITED] = "dns_unsolicited",
	    [ASPEN_DNS_OTHER_QUESTION] = "dns_other_question",
	};
	static const char *const what[ASPEN_DNS_NSTATS] = {
	    [ASPEN_DNS_UNSOLICITED] = "that answer no query sent from the cgroup",
	    [ASPEN_DNS_OTHER_QUESTION] = "whose question is not the query's",
	};
	static time_t last[ASPEN_DNS_NSTATS];
	time_t now = time(NULL);

	for (__u32 k = 0; k < ASPEN_DNS_NSTATS; k++) {
		__u64 total, n;
		char msg[160];

		if (percpu_total(policy_map_fd(p->maps.dns_stats), k, &total) < 0 ||
		    total <= p->dns_seen[k] || (!flush && now - last[k] < DNS_REPORT_S))
			continue;
		n = total - p->dns_seen[k];
		snprintf(msg, sizeof(msg), "%llu DNS answer(s) %s ignored", (unsigned long long)n,
			 what[k]);
		log_warn("%s", msg);
		audit_dns_ignored(d, reason[k], msg, n);
		p->dns_seen[k] = total;
		last[k] = now;
	}
}
