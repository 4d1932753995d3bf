/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Audit formatting: turns a kernel record into an audit line (the field
 * names are the audit contract) and writes it to the trail. Never writes a
 * payload to the trail.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "daemon.h"
#include "hosts.h"
#include "log.h"
#include "metrics.h"
#include "policy_obj.h"
#include "preds.h"
#include "scrub.h"
#include "view.h"
#include "rt_audit.h"
#include "rt_hosts.h"

/* The kernel stamps records with the boot clock; the audit wants the wall
 * clock of the decision, not of the moment aspend wrote it. */
static void set_ts(struct rt_audit_ev *ev, __u64 boot_ns)
{
	struct timespec real, boot;
	long long delta;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	delta = ((long long)boot.tv_sec * 1000000000LL + boot.tv_nsec) - (long long)boot_ns;
	if (delta < 0)
		delta = 0;
	long long r = (long long)real.tv_sec * 1000000000LL + real.tv_nsec - delta;

	ev->ts.tv_sec = r / 1000000000LL;
	ev->ts.tv_nsec = r % 1000000000LL;
}

/* A line the trail could not take (disk full, I/O error) is never dropped
 * silently: say so on stderr, the first time and then every 1000th. */
static void audit_failed(uint64_t n, int err)
{
	static unsigned long failed;

	for (uint64_t i = 0; i < n; i++) {
		metrics_audit_error();
		if (failed++ % 1000 == 0)
			log_err("audit trail: cannot write an event (%s); %lu lost so far",
				strerror(err), failed);
	}
}

static void audit_emit(struct daemon *d, struct rt_audit_ev *ev)
{
	if (rt_audit_emit(d->audit, ev) == 0)
		return;
	audit_failed(1, errno);
}

void audit_hold(struct daemon *d)
{
	rt_audit_hold(d->audit);
}

void audit_flush(struct daemon *d)
{
	uint64_t lost = 0;

	if (rt_audit_flush(d->audit, &lost) < 0)
		audit_failed(lost, errno ? errno : EIO);
}

/* policy and policy_sha256 of the policy in force (p, else the daemon's
 * current one), so that every line tells a fleet query which policy a host
 * enforced (docs/operators.md, "Fleet view") */
static void add_policy(struct daemon *d, struct policy_obj *p, struct rt_audit_ev *ev)
{
	if (!p)
		p = d->cur;
	if (!p)
		return;
	rt_audit_str(ev, "policy", p->meta.policy);
	rt_audit_str(ev, "policy_sha256", p->meta.sha256);
}

/* The deciding rule's name as the trail writes it ("" for none): the
 * metrics' rule label */
static const char *rule_label(const struct aspen_meta *m, const struct aspen_verdict *v)
{
	const struct aspen_meta_rule *r;

	if (v->rule == ASPEN_RULE_NONE)
		return "";
	if (pseudo_rule_name(v->rule))
		return pseudo_rule_name(v->rule);
	r = rule_at(m, v->rule);
	return r ? r->name : "?";
}

static void add_rule(struct rt_audit_ev *ev, const struct aspen_meta *m,
		     const struct aspen_verdict *v)
{
	const struct aspen_meta_rule *r;

	if (v->rule == ASPEN_RULE_NONE) {
		rt_audit_null(ev, "rule");
		return;
	}
	if (pseudo_rule_name(v->rule)) {
		rt_audit_str(ev, "rule", pseudo_rule_name(v->rule));
		return;
	}
	r = rule_at(m, v->rule);
	rt_audit_str(ev, "rule", r ? r->name : "?");
	if (r && r->reason && r->reason[0] &&
	    (v->decision == ASPEN_DENY || v->decision == ASPEN_WOULD_DENY))
		rt_audit_str(ev, "reason", r->reason);
}

static void add_process(struct rt_audit_ev *ev, const struct proc_view *v)
{
	rt_audit_uint(ev, "pid", v->tgid);
	if (v->pid != v->tgid)
		rt_audit_uint(ev, "tid", v->pid);
	rt_audit_str(ev, "comm", v->comm);
	if (v->exe[0])
		rt_audit_str(ev, "exe", v->exe);
	else
		rt_audit_null(ev, "exe");
	rt_audit_uint(ev, "uid", v->uid);
	if (v->has_user)
		rt_audit_str(ev, "user", v->user);
	else
		rt_audit_null(ev, "user");
	rt_audit_uint(ev, "gid", v->gid);
	if (v->has_cgroup)
		rt_audit_str(ev, "cgroup", v->cgroup);
	else
		rt_audit_null(ev, "cgroup");
	if (v->has_cid)
		rt_audit_str(ev, "container_id", v->cid);
	else
		rt_audit_null(ev, "container_id");
}

void audit_connect(struct daemon *d, struct policy_obj *p, const struct aspen_connect_event *e,
		   const struct proc_view *v)
{
	const struct aspen_conn *c = &e->conn;
	struct rt_audit_ev ev;
	char prov[256], ip[INET6_ADDRSTRLEN], name[256];
	const char *host = scrub_name(d, p, hosts_name(d, c->host_idx), name, sizeof(name));

	rt_audit_ev_init(&ev, "connect");
	set_ts(&ev, e->ts_ns);
	rt_audit_str(&ev, "decision", decision_name(e->verdict.decision));
	add_rule(&ev, &p->meta, &e->verdict);
	rt_audit_str(&ev, "policy", p->meta.policy);
	rt_audit_str(&ev, "policy_sha256", p->meta.sha256);
	aspen_meta_provider_names(&p->meta, c->providers, prov, sizeof(prov));
	if (prov[0])
		rt_audit_str(&ev, "provider", prov);
	else
		rt_audit_null(&ev, "provider");
	if (host)
		rt_audit_str(&ev, "host", host);
	else
		rt_audit_null(&ev, "host");
	rt_ip_to_str((const struct in6_addr *)c->addr, ip, sizeof(ip));
	rt_audit_str(&ev, "dst_ip", ip);
	rt_audit_uint(&ev, "dst_port", c->port);
	rt_audit_str(&ev, "proto", c->proto == 17 ? "udp" : "tcp");
	rt_audit_str(&ev, "hook", hook_name(e->hook));
	if (aspen_unparsed_name(e->unparsed)) {
		rt_audit_str(&ev, "unparsed", aspen_unparsed_name(e->unparsed));
		metrics_uninspected(aspen_unparsed_name(e->unparsed));
	}
	add_process(&ev, v);
	metrics_decision("connect", decision_name(e->verdict.decision),
			 rule_label(&p->meta, &e->verdict), prov);
	audit_emit(d, &ev);
}

/* a fixed-size field from the kernel, NUL-terminated or full */
static void add_field(struct rt_audit_ev *ev, const char *key, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n)
		rt_audit_strn(ev, key, s, n);
	else
		rt_audit_null(ev, key);
}

/* prov: the provider names, for the caller's metrics */
static void add_head(struct rt_audit_ev *ev, struct policy_obj *p, const char *event,
		     const struct aspen_verdict *v, __u64 providers, char prov[256])
{
	rt_audit_ev_init(ev, event);
	rt_audit_str(ev, "decision", decision_name(v->decision));
	add_rule(ev, &p->meta, v);
	rt_audit_str(ev, "policy", p->meta.policy);
	rt_audit_str(ev, "policy_sha256", p->meta.sha256);
	aspen_meta_provider_names(&p->meta, providers == ~0ULL ? 0 : providers, prov, 256);
	if (prov[0])
		rt_audit_str(ev, "provider", prov);
	else
		rt_audit_null(ev, "provider");
	metrics_decision(event, decision_name(v->decision), rule_label(&p->meta, v), prov);
}

/* a fixed-size field from the kernel as a C string, for a metrics label */
static const char *field_str(char *out, size_t cap, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), s);
	return out;
}

/* The request line of a session that had matches masked: the counts
 * ("redactions": [{"pattern": ..., "count": n}]); never the matched text. */
static void add_redactions(struct rt_audit_ev *ev, const struct policy_obj *p,
			   const struct redact_counts *sc)
{
	char json[2048];
	size_t used = 0;

	used += (size_t)snprintf(json, sizeof(json), "[");
	for (int i = 0; i < 32 && used < sizeof(json) - 128; i++) {
		char name[160];

		if (!sc->count[i] || !p->rx_pattern[i])
			continue;
		json_quote_buf(name, sizeof(name), p->rx_pattern[i]->name,
			       strlen(p->rx_pattern[i]->name));
		used += (size_t)snprintf(json + used, sizeof(json) - used,
					 "%s{\"pattern\":%s,\"count\":%u}", used > 1 ? "," : "",
					 name, sc->count[i]);
		metrics_redactions(p->rx_pattern[i]->name, sc->count[i]);
	}
	snprintf(json + used, sizeof(json) - used, "]");
	rt_audit_raw(ev, "redactions", json);
	if (sc->escaped)
		rt_audit_str(ev, "redaction", "writer resumed before masking: denied");
	else if (sc->split)
		rt_audit_str(ev, "redaction", "match across writes: denied");
}

void audit_request(struct daemon *d, struct policy_obj *p, const struct aspen_request_event *e,
		   const struct proc_view *v, const struct redact_counts *rc)
{
	const struct aspen_req *r = &e->req;
	struct rt_audit_ev ev;
	const char *why = aspen_unparsed_name(r->unparsed);
	char prov[256], model[sizeof(r->model) + 1];
	struct aspen_verdict verdict = e->verdict;

	if (rc && (rc->split || rc->escaped) && e->req_seq) {
		/* denied at a hold after the kernel's decision (a match aspend
		 * could not mask in place, or a writer resumed before it was
		 * masked: redact.c): this line says so */
		verdict.decision = ASPEN_DENY;
		verdict.rule = ASPEN_RULE_UNINSPECTABLE;
		why = aspen_unparsed_name(ASPEN_UNPARSED_NO_REDACT);
	}
	add_head(&ev, p, "request", &verdict, r->conn.providers, prov);
	metrics_request(prov, field_str(model, sizeof(model), r->model, sizeof(r->model)));
	if (why)
		metrics_uninspected(why);
	set_ts(&ev, e->ts_ns);
	add_field(&ev, "host", r->host, sizeof(r->host));
	add_field(&ev, "method", r->method, sizeof(r->method));
	add_field(&ev, "path", r->path, sizeof(r->path));
	add_field(&ev, "model", r->model, sizeof(r->model));
	add_field(&ev, "request_user", r->user, sizeof(r->user));
	rt_audit_bool(&ev, "stream", !!(r->flags & ASPEN_REQ_STREAM));
	rt_audit_uint(&ev, "bytes", e->bytes);
	if (why)
		rt_audit_str(&ev, "unparsed", why);
	else
		rt_audit_null(&ev, "unparsed");
	if (r->flags & (ASPEN_REQ_WS_HEAD | ASPEN_REQ_WS_MSG)) {
		rt_audit_str(&ev, "proto", "websocket");
		rt_audit_str(&ev, "ws", (r->flags & ASPEN_REQ_WS_HEAD) ? "upgrade" : "message");
	}
	rt_audit_str(&ev, "tls",
		     e->probe == ASPEN_PROBE_GNUTLS ? "gnutls"
		     : e->probe == ASPEN_PROBE_GO   ? "go"
						    : "openssl");
	add_process(&ev, v);
	if (rc)
		add_redactions(&ev, p, rc);
	audit_emit(d, &ev);
}

void audit_response(struct daemon *d, struct policy_obj *p, const struct aspen_response_event *e,
		    const struct proc_view *v)
{
	const struct aspen_resp *r = &e->resp;
	struct rt_audit_ev ev;
	char tokens[96], prov[256], model[sizeof(e->model) + 1];

	add_head(&ev, p, "response", &e->verdict, r->conn.providers, prov);
	metrics_tokens(prov, field_str(model, sizeof(model), e->model, sizeof(e->model)),
		       r->tokens_in, r->tokens_out);
	set_ts(&ev, e->ts_ns);
	add_field(&ev, "model", e->model, sizeof(e->model));
	rt_audit_uint(&ev, "status", r->status);
	snprintf(tokens, sizeof(tokens), "{\"input\":%llu,\"output\":%llu}",
		 (unsigned long long)r->tokens_in, (unsigned long long)r->tokens_out);
	rt_audit_raw(&ev, "tokens", tokens);
	rt_audit_uint(&ev, "bytes", r->bytes);
	add_process(&ev, v);
	audit_emit(d, &ev);
}

void audit_mismatch(struct daemon *d, struct policy_obj *p, const struct aspen_mismatch_event *e,
		    const struct proc_view *v)
{
	struct rt_audit_ev ev;

	rt_audit_ev_init(&ev, "request");
	rt_audit_str(&ev, "decision", decision_name(e->dropped ? ASPEN_DENY : ASPEN_ALLOW));
	rt_audit_str(&ev, "rule", pseudo_rule_name(e->reason == ASPEN_UNPARSED_SNI_MISMATCH ||
							   e->reason == ASPEN_UNPARSED_PROVIDER_MISMATCH
						       ? ASPEN_RULE_FRONTING
						       : ASPEN_RULE_UNINSPECTABLE));
	rt_audit_str(&ev, "policy", p->meta.policy);
	rt_audit_str(&ev, "policy_sha256", p->meta.sha256);
	{
		char prov[256], ip[INET6_ADDRSTRLEN];
		const char *why = aspen_unparsed_name(e->reason);

		aspen_meta_provider_names(&p->meta, e->providers, prov, sizeof(prov));
		if (prov[0])
			rt_audit_str(&ev, "provider", prov);
		else
			rt_audit_null(&ev, "provider");
		rt_ip_to_str((const struct in6_addr *)e->sock.raddr, ip, sizeof(ip));
		rt_audit_str(&ev, "dst_ip", ip);
		rt_audit_uint(&ev, "dst_port", e->sock.rport);
		rt_audit_str(&ev, "unparsed", why ? why : "malformed");
		metrics_decision("request", decision_name(e->dropped ? ASPEN_DENY : ASPEN_ALLOW),
				 pseudo_rule_name(ASPEN_RULE_UNINSPECTABLE), prov);
		metrics_uninspected(why ? why : "malformed");
	}
	add_process(&ev, v);
	audit_emit(d, &ev);
}

/* Records the kernel had no room for (count since the last report). */
void audit_lost(struct daemon *d, struct policy_obj *p, __u64 count)
{
	struct rt_audit_ev ev;

	metrics_lost(count);
	rt_audit_ev_init(&ev, "lost");
	rt_audit_uint(&ev, "count", count);
	add_policy(d, p, &ev);
	audit_emit(d, &ev);
}

void audit_policy_load(struct daemon *d, struct policy_obj *p, const char *what)
{
	struct rt_audit_ev ev;

	rt_audit_ev_init(&ev, "policy_load");
	rt_audit_str(&ev, "policy", p->meta.policy);
	rt_audit_str(&ev, "policy_sha256", p->meta.sha256);
	rt_audit_str(&ev, "object", d->opts.obj_path);
	rt_audit_str(&ev, "object_sha256", p->sha256_obj);
	rt_audit_str(&ev, "reason", what);
	rt_audit_str(&ev, "mode", d->opts.monitor || p->meta.monitor ? "monitor" : "enforce");
	rt_audit_str(&ev, "cgroup", d->cgroup_path);
	rt_audit_uint(&ev, "rules", p->meta.nrules);
	rt_audit_uint(&ev, "providers", p->meta.nproviders);
	rt_audit_uint(&ev, "pid", getpid());
	metrics_policy_load(p->meta.policy, p->meta.sha256, what);
	audit_emit(d, &ev);
}

void audit_error(struct daemon *d, const char *msg)
{
	struct rt_audit_ev ev;

	rt_audit_ev_init(&ev, "error");
	rt_audit_str(&ev, "message", msg);
	add_policy(d, NULL, &ev);
	audit_emit(d, &ev);
}

void audit_dns_ignored(struct daemon *d, const char *reason, const char *msg, __u64 count)
{
	struct rt_audit_ev ev;

	rt_audit_ev_init(&ev, "error");
	rt_audit_str(&ev, "reason", reason);
	rt_audit_str(&ev, "message", msg);
	rt_audit_uint(&ev, "count", count);
	add_policy(d, NULL, &ev);
	audit_emit(d, &ev);
}

void audit_dns_relabel(struct daemon *d, const char *msg, const char *host, const char *ip)
{
	struct rt_audit_ev ev;

	rt_audit_ev_init(&ev, "error");
	rt_audit_str(&ev, "reason", "dns_relabel");
	rt_audit_str(&ev, "message", msg);
	rt_audit_str(&ev, "host", host);
	rt_audit_str(&ev, "dst_ip", ip);
	add_policy(d, NULL, &ev);
	audit_emit(d, &ev);
}

/* The request line of a write aspend refused to let go unmasked: its own
 * line (the write fails, so the kernel's line for it is never published). */
void audit_redact_denied(struct daemon *d, struct policy_obj *p, const char *reason,
			 const struct aspen_redact_event *e)
{
	struct aspen_conn c = {.tgid = e->tgid, .pid = e->pid};
	struct rt_audit_ev ev;
	struct proc_view v;

	rt_audit_ev_init(&ev, "request");
	rt_audit_str(&ev, "decision", decision_name(ASPEN_DENY));
	rt_audit_str(&ev, "rule", pseudo_rule_name(ASPEN_RULE_UNINSPECTABLE));
	rt_audit_str(&ev, "reason", reason);
	rt_audit_str(&ev, "policy", p->meta.policy);
	rt_audit_str(&ev, "policy_sha256", p->meta.sha256);
	rt_audit_str(&ev, "unparsed", aspen_unparsed_name(ASPEN_UNPARSED_NO_REDACT));
	metrics_decision("request", decision_name(ASPEN_DENY),
			 pseudo_rule_name(ASPEN_RULE_UNINSPECTABLE), "");
	metrics_uninspected(aspen_unparsed_name(ASPEN_UNPARSED_NO_REDACT));
	proc_view_of(d, &c, NULL, &v);
	rt_audit_uint(&ev, "pid", v.tgid);
	rt_audit_str(&ev, "comm", v.comm);
	rt_audit_str(&ev, "exe", v.exe);
	audit_emit(d, &ev);
}

/* A process's TLS probes are attached (lib: the library named, libs: a
 * JSON array of every library probed), or it has none to probe (lib NULL). */
void audit_tls_attach(struct daemon *d, struct policy_obj *p, int tgid,
		      const struct tls_attach_info *ti, long us)
{
	struct rt_audit_ev ev;
	char exe[PATH_MAX], link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", tgid);
	n = readlink(link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	rt_audit_ev_init(&ev, "tls_attach");
	add_policy(d, p, &ev);
	rt_audit_uint(&ev, "pid", (unsigned)tgid);
	rt_audit_str(&ev, "exe", exe);
	if (ti->lib) {
		rt_audit_str(&ev, "lib", ti->lib);
		rt_audit_raw(&ev, "libs", ti->libs);
		rt_audit_uint(&ev, "probes", (unsigned)ti->nprobes);
		rt_audit_str(&ev, "found", ti->found ? ti->found : "symbol");
		metrics_probe_attach(us);
	} else {
		const char *why = ti->unparsed ? ti->unparsed : "no_tls_lib";

		rt_audit_null(&ev, "lib");
		rt_audit_str(&ev, "unparsed", why);
		metrics_uninspected(why);
	}
	if (ti->version)
		rt_audit_str(&ev, "go_version", ti->version);
	if (ti->rustls_version)
		rt_audit_str(&ev, "rustls_version", ti->rustls_version);
	if (ti->go_read)
		rt_audit_str(&ev, "go_read", ti->go_read);
	metrics_hold("tls_attach", us);
	rt_audit_uint(&ev, "hold_us", (unsigned long)us);
	audit_emit(d, &ev);
}
