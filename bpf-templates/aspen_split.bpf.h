/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The end of the generated part of a linked object (clang
 * -DASPEN_PART_GENERATED; aspen_generated.h, docs/internals.md "Two
 * objects, linked"): what the templates' part calls of the body DFAs, which
 * stay inlined here, and the body scanner's test program, which runs them
 * directly. The programs, the maps and the license are the templates'.
 */
#ifndef ASPEN_SPLIT_BPF_H
#define ASPEN_SPLIT_BPF_H

ASPEN_GEN_FN __u64 aspen_body_step_call(__u64 state, __u32 c, __u64 *matched)
{
	return aspen_body_step(state, (__u8)c, matched);
}

ASPEN_GEN_FN __u32 aspen_body_scan_call(__u64 *sm, const __u8 *buf, __u64 bmask, __u32 pos, __u32 n)
{
	__u64 state = sm[0], m = sm[1];
	__u32 k = aspen_body_scan(&state, buf, bmask, pos, n, &m, 0);

	sm[0] = state;
	sm[1] = m;
	return k;
}

#ifdef ASPEN_TEST_PROGRAMS
#include "aspen_scan_test.bpf.h"
#endif

#endif
