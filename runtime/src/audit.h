/* SPDX-License-Identifier: Apache-2.0 */
/* Audit formatting (audit.c): one audit line per kernel record or daemon
 * event, written to the trail. */
#ifndef ASPEND_AUDIT_H
#define ASPEND_AUDIT_H

#include <stdbool.h>
#include <linux/types.h>

#include "aspen_shared.h"

struct daemon;
struct policy_obj;
struct proc_view;

/* What was masked in one session (SSL * or gnutls session), for the
 * "redactions" of its request line */
struct redact_counts {
	unsigned count[32]; /* per pattern index */
	bool split;	    /* a match crossed writes: the request was denied */
	bool escaped;	    /* its writer ran before aspend masked it: denied */
};

/* The lines of one drain of the ring buffer are written together
 * (rt_audit_hold): audit_hold at its first record, audit_flush after it. */
void audit_hold(struct daemon *d);
void audit_flush(struct daemon *d);
void audit_connect(struct daemon *d, struct policy_obj *p, const struct aspen_connect_event *e,
		   const struct proc_view *v);
/* rc: the session's masked matches, or NULL */
void audit_request(struct daemon *d, struct policy_obj *p, const struct aspen_request_event *e,
		   const struct proc_view *v, const struct redact_counts *rc);
void audit_response(struct daemon *d, struct policy_obj *p, const struct aspen_response_event *e,
		    const struct proc_view *v);
void audit_mismatch(struct daemon *d, struct policy_obj *p, const struct aspen_mismatch_event *e,
		    const struct proc_view *v);
/* A request denied because a match to mask could not be masked in place */
void audit_redact_denied(struct daemon *d, struct policy_obj *p, const char *reason,
			 const struct aspen_redact_event *e);
/* How a process's TLS was found (audit_tls_attach) */
struct tls_attach_info {
	const char *lib;      /* the library named ("go" for Go), or NULL: none probed */
	const char *libs;     /* JSON array of every file probed */
	const char *found;    /* "symbol" (ELF symbols), "pclntab" (Go's symbol table) */
	const char *version;  /* Go version, or NULL */
	const char *rustls_version; /* rustls compiled in (refused), or NULL */
	const char *go_read;  /* Go, response rules: "ret_probes", "not_decoded"; else NULL */
	const char *unparsed; /* with lib NULL: why ("no_tls_lib", "go_version", "rustls") */
	int nprobes;
};
/* A process's TLS probes, or none to probe (lib NULL) */
void audit_tls_attach(struct daemon *d, struct policy_obj *p, int tgid,
		      const struct tls_attach_info *ti, long us);
void audit_lost(struct daemon *d, struct policy_obj *p, __u64 count);
void audit_policy_load(struct daemon *d, struct policy_obj *p, const char *what);
void audit_error(struct daemon *d, const char *msg);
/* DNS answers the kernel ignored (reason dns_unsolicited or
 * dns_other_question), count of them since the last such line */
void audit_dns_ignored(struct daemon *d, const char *reason, const char *msg, __u64 count);
/* A DNS answer naming host for ip, an address of other providers: not learned */
void audit_dns_relabel(struct daemon *d, const char *msg, const char *host, const char *ip);

#endif
