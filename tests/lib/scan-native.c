/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy's generated body scan (aspenc --emit-c: the body DFA tables,
 * aspen_body_step and aspen_body_scan, cut out by tests/lib/scan-native.sh
 * into ASPEN_DFA_INC)
 * compiled natively, as a shared object for tests/lib/scan-kernel.c: the same
 * loop as aspen_scan_test (bpf-templates/aspen_scan_test.bpf.h) minus the
 * verifier and bpf_loop.
 */
#include <stdint.h>

typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
#undef __always_inline
#define __always_inline inline
#define barrier_var(x) (void)0
#define ASPEN_TABLE
#define ASPEN_GEN_FN static inline /* aspen_generated.h */
#define ASPEN_GEN_DATA static

#include ASPEN_DFA_INC

#include "aspen_scan_test.bpf.h"

uint64_t aspen_native_start(void)
{
	return ASPEN_BODY_START;
}

uint64_t aspen_native_scan(const uint8_t *buf, uint32_t len, uint32_t base, uint64_t state,
			   uint64_t *matched, struct aspen_scan_event *ev, uint32_t cap,
			   uint32_t *nev)
{
	uint32_t n = 0, i = 0;

	while (i < len) {
		__u64 m = 0;

		i += aspen_body_scan(&state, buf, ~0ULL, i, len - i, &m, 1);
		if (m) {
			*matched |= m;
			if (n < cap) {
				ev[n].off = base + i - 1;
				ev[n].mask = m;
			}
			n++;
		}
	}
	*nev = n;
	return state;
}
