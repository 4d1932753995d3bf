/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The body scanner under test: a SEC("syscall") program, run only with
 * BPF_PROG_TEST_RUN (never attached), that runs the generated aspen_body_step -- the very step the
 * TLS probes run on every body byte -- over bytes userspace put in the map
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

/* A byte after which patterns matched: aspen_body_step's *matched. */
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

struct aspen_scan_loop {
	struct aspen_scan_buf *b;
	__u64 state;
	__u64 matched;
	__u32 off;
	__u32 n;
};

static int aspen_scan_byte(__u32 i, void *arg)
{
	struct aspen_scan_loop *l = arg;
	struct aspen_scan_buf *b = l->b;
	__u32 pos = l->off + i;
	__u64 m = 0;

	if (!b || pos >= ASPEN_SCAN_MAX)
		return 1;
	l->state = aspen_body_step(l->state, b->data[pos & (ASPEN_SCAN_MAX - 1)], &m);
	if (m) {
		__u32 n = l->n;

		l->matched |= m;
		if (n < ASPEN_SCAN_EVENTS) {
			b->ev[n & (ASPEN_SCAN_EVENTS - 1)].off = pos;
			b->ev[n & (ASPEN_SCAN_EVENTS - 1)].mask = m;
		}
		l->n = n + 1;
	}
	return 0;
}

SEC("syscall")
int aspen_scan_test(struct aspen_scan_ctx *ctx)
{
	__u32 k = 0, off = ctx->off, len = ctx->len;
	struct aspen_scan_loop l = {.state = ctx->state, .off = off};

	l.b = bpf_map_lookup_elem(&aspen_scan_buf, &k);
	if (!l.b || off > ASPEN_SCAN_MAX || len > ASPEN_SCAN_MAX - off)
		return 1;
	bpf_loop(len, aspen_scan_byte, &l, 0);
	ctx->state = l.state;
	ctx->matched = l.matched;
	ctx->nevents = l.n;
	ctx->done = 1;
	return 0;
}

#endif /* __bpf__ */
#endif
