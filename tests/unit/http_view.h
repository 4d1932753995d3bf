/* SPDX-License-Identifier: Apache-2.0 */
/* The body as bpf-templates/aspen_http.h's scanner reads it for the
 * patterns, in host C: shared by tests/unit/test_http.c (through
 * http_feed.h) and tests/fuzz/fuzz_jview.c. */
#ifndef ASPEN_HTTP_VIEW_H
#define ASPEN_HTTP_VIEW_H

#include <stddef.h>

#include "http_host_shim.h"

/* What the body byte c, just fed, stands for as the body patterns read it
 * (aspen_tls.bpf.h steps their DFA with the same): itself, nothing, or the
 * 1 to 4 bytes an escape decodes to. Written to out; returns how many. */
static inline size_t view_put(const struct aspen_http_req_state *st, __u8 c, __u8 *out)
{
	if (st->dec_n == AH_DEC_RAW) {
		out[0] = c;
		return 1;
	}
	for (unsigned k = 0; k < st->dec_n; k++)
		out[k] = (__u8)(st->dec >> (8 * k));
	return st->dec_n;
}

#endif
