/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * `aspenc test`: run the policy's compiled decision code on a recorded
 * event. A SEC("syscall") program, run only with BPF_PROG_TEST_RUN (never
 * attached), calls the very functions the real hooks call:
 * aspen_decide_connect / _request / _response, and the generated
 * aspen_exe_bits / aspen_comm_bits / aspen_host_providers on the strings
 * the event carries.
 *
 * Included at the end of the generated C under #ifdef ASPEN_TEST_PROGRAMS
 * (emit_c.c): only the objects `aspenc test` builds have it, never those
 * aspend loads. The context struct is also read by userspace
 * (compiler/test/test_kernel.c), which includes this file after
 * aspen_shared.h without __bpf__ defined.
 */
#ifndef ASPEN_TEST_BPF_H
#define ASPEN_TEST_BPF_H

enum aspen_test_kind {
	ASPEN_TEST_CONNECT = 1,
	ASPEN_TEST_REQUEST = 2,
	ASPEN_TEST_RESPONSE = 3,
};

enum aspen_test_flags {
	ASPEN_TEST_EXE = 1 << 0,       /* compute exe_bits from exe[]          */
	ASPEN_TEST_COMM = 1 << 1,      /* compute comm_bits from conn.comm     */
	ASPEN_TEST_HOST_PROV = 1 << 2, /* request/response: providers from host */
	ASPEN_TEST_MONITOR = 1 << 3,   /* informative: aspen_config says monitor */
};

/* In and out of BPF_PROG_TEST_RUN. conn is req.conn for every kind. */
struct aspen_test_ctx {
	__u32 kind;  /* enum aspen_test_kind */
	__u32 flags; /* enum aspen_test_flags */
	struct aspen_req req;	/* connect: req.conn; request: all of it */
	struct aspen_resp resp; /* response: all but conn (taken from req.conn) */
	char exe[ASPEN_EXE_LEN];
	struct aspen_verdict verdict; /* out */
	__u32 done;		      /* out: 1 when the program ran to the end */
	__u32 _pad;
};

#if defined(__bpf__) || defined(__BPF__)

#include "aspen_path_model.h"
#include "aspen_ws.h"

/* The context is copied to a map value: generated code walks strings with
 * variable offsets, which the verifier allows in a map value, not in ctx. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aspen_test_ctx);
} aspen_test_buf SEC(".maps");

SEC("syscall")
int aspen_test_decide(struct aspen_test_ctx *ctx)
{
	__u32 k = 0;
	struct aspen_test_ctx *t = bpf_map_lookup_elem(&aspen_test_buf, &k);
	struct aspen_verdict v = {};

	if (!t)
		return 1;
	if (bpf_probe_read_kernel(t, sizeof(*t), ctx))
		return 1;
	t->exe[ASPEN_EXE_LEN - 1] = 0;
	t->req.conn.comm[ASPEN_COMM_LEN - 1] = 0;
	if (t->flags & ASPEN_TEST_EXE)
		t->req.conn.exe_bits = aspen_exe_bits(t->exe);
	if (t->flags & ASPEN_TEST_COMM)
		t->req.conn.comm_bits = aspen_comm_bits(t->req.conn.comm);
	if (t->kind == ASPEN_TEST_CONNECT) {
		aspen_decide_connect(&t->req.conn, &v);
	} else if (t->kind == ASPEN_TEST_REQUEST) {
		t->req.host[ASPEN_HOST_LEN - 1] = 0;
		if (t->flags & ASPEN_TEST_HOST_PROV)
			t->req.conn.providers = aspen_host_providers(t->req.host);
		t->req.path[ASPEN_PATH_LEN - 1] = 0;
		t->req.model[ASPEN_MODEL_LEN - 1] = 0;
		aspen_req_path_model(&t->req);
		if (t->req.flags & ASPEN_REQ_PATH_MODEL) /* as aspen_decide_stream() */
			t->req.flags &= ~ASPEN_REQ_UNSEEN_MODEL;
		aspen_decide_request(&t->req, &v);
		if (t->req.flags & (ASPEN_REQ_WS_HEAD | ASPEN_REQ_WS_MSG))
			aspen_ws_verdict(&t->req, &v);
		v.redact = aspen_decide_redact(&t->req);
	} else if (t->kind == ASPEN_TEST_RESPONSE) {
		t->req.host[ASPEN_HOST_LEN - 1] = 0;
		if (t->flags & ASPEN_TEST_HOST_PROV)
			t->req.conn.providers = aspen_host_providers(t->req.host);
		__builtin_memcpy(&t->resp.conn, &t->req.conn, sizeof(t->resp.conn));
		aspen_decide_response(&t->resp, &v);
	} else {
		return 2;
	}
	ctx->verdict = v;
	ctx->done = 1;
	return 0;
}

#endif /* __bpf__ */
#endif
