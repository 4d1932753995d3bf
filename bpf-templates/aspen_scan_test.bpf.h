/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The body scanner under test: a SEC("syscall") program, run only with
 * BPF_PROG_TEST_RUN (never attached), that runs the generated aspen_body_scan -- the very loop the
 * TLS probes run over body bytes -- over bytes userspace put in the map
 * aspen_scan_buf, from a given state, and reports every byte after which
 * some pattern matched. tests/lib/scan-kernel.c drives it
 * (tests/e2e/test_scanner_kernel.sh, bench/scan.sh; docs/testing.md).
 *
 * One call scans data[off .. off+len) starting in ctx->state; a buffer
 * scanned in pieces, each call carrying the previous call's end state,
 * finds what one call over the whole buffer finds (matches across the
 * boundaries of TLS writes).
 *
 * Included at the end of the generated C after aspen_test.bpf.h, under
 * #ifdef ASPEN_TEST_PROGRAMS: only in objects built by `aspenc test` or
 * `aspenc --test-programs` (as the scanner test and bench do). The structs
 * are also read by userspace, which includes this file after linux/types.h
 * without __bpf__ defined.
 */
#ifndef ASPEN_SCAN_TEST_BPF_H
#define ASPEN_SCAN_TEST_BPF_H

#define ASPEN_SCAN_MAX 65536	/* bytes of data (the body scan bound) */
#define ASPEN_SCAN_EVENTS 1024	/* match events kept per call */

/* A byte after which patterns matched: aspen_body_scan's *matched. */
struct aspen_scan_event {
	__u32 off; /* index of the byte in data[] */
	__u32 _pad;
	__u64 mask; /* bit = pattern index */
};

/* The map value: userspace writes data[], reads ev[] (mmap, BPF_F_MMAPABLE). */
struct aspen_scan_buf {
	__u8 data[ASPEN_SCAN_MAX];
	struct aspen_scan_event ev[ASPEN_SCAN_EVENTS];
};

/* In and out of BPF_PROG_TEST_RUN (ctx_in, copied back). */
struct aspen_scan_ctx {
	__u32 off;	/* in: first byte of data[] to scan        */
	__u32 len;	/* in: bytes to scan (off + len <= MAX)    */
	__u64 state;	/* in: start state; out: the state after   */
	__u64 matched;	/* out: OR of the masks of all events      */
	__u32 nevents;	/* out: events (ev[] holds the first EVENTS) */
	__u32 done;	/* out: 1 when the program ran to the end  */
};

#if defined(__bpf__) || defined(__BPF__)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct aspen_scan_buf);
} aspen_scan_buf SEC(".maps");

/* What the runs carry from one to the next (no pointer: an argument of
 * the global functions below). */
struct aspen_scan_acc {
	__u64 state;
	__u64 matched;
	__u32 n;
	__u32 _pad;
};

struct aspen_scan_loop {
	struct aspen_scan_buf *b;
	struct aspen_scan_acc acc;
	__u32 off;
	__u32 len;
};

/* The bytes of a run after which patterns matched (a run with a match:
 * rare), again one byte at a time from the run's first state. Global:
 * checked once. */
__noinline int aspen_scan_events(struct aspen_scan_buf *b, struct aspen_scan_acc *a, __u64 state,
				 __u32 pos, __u32 k)
{
	if (!b || !a)
		return 0;
#pragma clang loop unroll(disable)
	for (__u32 j = 0; j < ASPEN_BODY_RUN; j++) {
		__u32 at = pos + j, n;
		__u64 m = 0;

		if (j >= k)
			break;
		state = aspen_body_step(state, b->data[at & (ASPEN_SCAN_MAX - 1)], &m);
		if (!m)
			continue;
		n = a->n;
		if (n < ASPEN_SCAN_EVENTS) {
			b->ev[n & (ASPEN_SCAN_EVENTS - 1)].off = at;
			b->ev[n & (ASPEN_SCAN_EVENTS - 1)].mask = m;
		}
		a->n = n + 1;
	}
	return 0;
}

/* k <= ASPEN_BODY_RUN bytes from pos through the generated
 * aspen_body_scan() -- the loop aspen_body_run runs in the TLS probes.
 * Global, like aspen_body_run: the verifier checks the loop once. */
__noinline int aspen_scan_chunk(struct aspen_scan_buf *b, struct aspen_scan_acc *a, __u32 pos,
				__u32 k)
{
	__u64 state, m = 0;

	if (!b || !a)
		return 0;
	state = a->state;
	aspen_body_scan(&state, b->data, ASPEN_SCAN_MAX - 1, pos, k, &m, 0);
	if (m) {
		a->matched |= m;
		aspen_scan_events(b, a, a->state, pos, k);
	}
	a->state = state;
	return 0;
}

/* Run i: bytes [i x ASPEN_BODY_RUN, + ASPEN_BODY_RUN) of the call's. */
static int aspen_scan_run(__u32 i, void *arg)
{
	struct aspen_scan_loop *l = arg;
	__u32 at = i * ASPEN_BODY_RUN, k;

	if (at >= l->len)
		return 1;
	k = l->len - at < ASPEN_BODY_RUN ? l->len - at : ASPEN_BODY_RUN;
	aspen_scan_chunk(l->b, &l->acc, l->off + at, k);
	return 0;
}

SEC("syscall")
int aspen_scan_test(struct aspen_scan_ctx *ctx)
{
	__u32 k = 0, off = ctx->off, len = ctx->len;
	struct aspen_scan_loop l = {.acc.state = ctx->state, .off = off, .len = len};

	l.b = bpf_map_lookup_elem(&aspen_scan_buf, &k);
	if (!l.b || off > ASPEN_SCAN_MAX || len > ASPEN_SCAN_MAX - off)
		return 1;
	bpf_loop((len + ASPEN_BODY_RUN - 1) / ASPEN_BODY_RUN, aspen_scan_run, &l, 0);
	ctx->state = l.acc.state;
	ctx->matched = l.acc.matched;
	ctx->nevents = l.acc.n;
	ctx->done = 1;
	return 0;
}

#endif /* __bpf__ */
#endif
