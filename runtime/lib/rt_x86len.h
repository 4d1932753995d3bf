/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86-64 instruction lengths, enough for Go-compiled code (rt_x86len.c):
 * legacy prefixes, REX, VEX (C4/C5) and EVEX (62), the one-, two- and
 * three-byte opcode maps, ModRM, SIB, displacements and immediates. Used to
 * find the RET instructions of a Go function (rt_gosym.c), where a probe
 * reads its return values: Go functions get no uretprobes.
 */
#ifndef ASPEN_RT_X86LEN_H
#define ASPEN_RT_X86LEN_H

#include <stddef.h>
#include <stdint.h>

/* Length of the instruction at p (at most avail bytes readable), or -1 for
 * one the decoder does not know (invalid in 64-bit mode, 3DNow!, XOP...),
 * or one that runs past avail or over 15 bytes. *ret is set to 1 for a
 * near RET (C3, C2 iw; prefixes allowed), else 0 (may be NULL). */
int rt_x86_len(const uint8_t *p, size_t avail, int *ret);

/* Decode a function's code from its first byte to its last: 0 when the
 * decode lands exactly on n (every instruction known), with the offsets of
 * its RETs in rets[0..*nrets); -1 when it does not, or when it has more
 * than max RETs. *bad is the offset where it failed (may be NULL). */
int rt_x86_rets(const uint8_t *code, size_t n, uint32_t *rets, unsigned max, unsigned *nrets,
		size_t *bad);

#endif
