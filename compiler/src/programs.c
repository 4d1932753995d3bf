/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The programs a policy object contains, in groups: the one table from
 * which emit_c.c writes the ASPEN_NEED_* flags the templates test (#if,
 * bpf-templates/aspen_generated.h) and ir_meta.c writes the metadata `hooks`
 * record aspend reads (docs/internals.md).
 */
#include <stdlib.h>

#include "lower.h"

static bool always(const struct ir *ir)
{
	(void)ir;
	return true;
}

/* with request or response rules, UDP to providers is refused (QUIC):
 * the sendmsg hooks decide unconnected UDP */
static bool sendmsg(const struct ir *ir)
{
	return ir->need_sendmsg || ir->has_request || ir->has_response;
}

static bool dns(const struct ir *ir)
{
	return ir->need_dns;
}

static bool tls(const struct ir *ir)
{
	return ir->has_request || ir->has_response;
}

/* request rules without response rules: the read probes serve HTTP/2's
 * windows only, attached at a process's first HTTP/2 connection */
static bool lazy_reads(const struct ir *ir)
{
	return ir->has_request && !ir->has_response;
}


const struct program_group program_groups[] = {
    /* aspen_connect.bpf.h: cgroup/connect4, cgroup/connect6 */
    {NULL, NULL, "connect4,connect6", always},
    /* aspen_connect.bpf.h: cgroup/sendmsg4, cgroup/sendmsg6 */
    {"ASPEN_NEED_SENDMSG", "UDP to providers is decided too", "sendmsg4,sendmsg6", sendmsg},
    /* aspen_proc.bpf.h: sched_process_exec/fork/exit, cgroup_mkdir tracepoints */
    {NULL, NULL, "exec,cgroup", always},
    /* aspen_dns.bpf.h: cgroup_skb/egress (queries), cgroup_skb/ingress (answers) */
    {"ASPEN_NEED_DNS", "policy has wildcard provider hosts", "dns", dns},
    /* aspen_sockmap.bpf.h: sockops, sk_msg reading each ClientHello's SNI
     * (unlearned addresses, fronting); all of the sk_msg walk with "tls" */
    {NULL, NULL, "sni", always},
    /* aspen_sockmap.bpf.h: sk_msg's byte ledger; aspen_tls.bpf.h: TLS write uprobes */
    {"ASPEN_NEED_TLS", "policy has on request/on response rules", "tls", tls},
    /* aspen_tls.bpf.h: TLS read uprobes: responses (ASPEN_NEED_RESPONSE), and
     * the server's HTTP/2 flow control for every request policy */
    {"ASPEN_NEED_TLS_READ", "TLS read probes: responses, HTTP/2 windows", "tls_read", tls},
    /* aspen_tls.bpf.h (aspen_reads_follow): aspend attaches the read probes
     * at a process's first HTTP/2 preface, not at its first connection */
    {"ASPEN_LAZY_READS", "read probes from a process's first HTTP/2 connection", "tls_read_lazy",
     lazy_reads},
};
const size_t nprogram_groups = sizeof(program_groups) / sizeof(program_groups[0]);

char *programs_hooks(const struct ir *ir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool first = true;

	if (!f)
		abort();
	for (size_t i = 0; i < nprogram_groups; i++) {
		if (!program_groups[i].present(ir))
			continue;
		fprintf(f, "%s%s", first ? "" : ",", program_groups[i].hooks);
		first = false;
	}
	if (fclose(f) != 0 || !buf)
		abort();
	return buf;
}
