/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86-64 instruction lengths (rt_x86len.h), from the Intel SDM vol. 2
 * opcode maps (appendix A), 64-bit mode only:
 *
 *   [legacy prefixes] [REX] opcode [ModRM [SIB] [disp]] [imm]
 *   VEX:  C5 + 1 byte (map 0F) or C4 + 2 bytes (map 0F/0F38/0F3A), opcode
 *   EVEX: 62 + 3 bytes (map 0F/0F38/0F3A), opcode
 *
 * Each opcode map says whether the opcode has a ModRM byte and what
 * immediate follows. What the decoder does not know (invalid opcodes in
 * 64-bit mode, 3DNow!, AMD's XOP, maps 5-7) is an error, never a guess:
 * the caller then refuses to probe the function.
 */
#include <stdbool.h>

#include "rt_x86len.h"

enum imm {
	I_NONE,
	I_B,	 /* imm8 / rel8 */
	I_W,	 /* imm16 */
	I_Z,	 /* imm16 with 0x66, else imm32 */
	I_D,	 /* imm32 / rel32 whatever the prefixes (branches in 64-bit mode) */
	I_V,	 /* MOV r, imm: imm64 with REX.W, else as I_Z */
	I_WB,	 /* ENTER: imm16 + imm8 */
	I_MOFFS, /* MOV AL/rAX <-> moffs: 8 bytes, 4 with 0x67 */
	I_GRP3B, /* F6: imm8 for /0 and /1 (TEST) */
	I_GRP3Z, /* F7: immz for /0 and /1 (TEST) */
};

struct op {
	bool modrm;
	enum imm imm;
	bool bad;
};

static struct op op(bool modrm, enum imm imm)
{
	return (struct op){.modrm = modrm, .imm = imm};
}

static const struct op BAD = {.bad = true};

/* The one-byte map (prefixes, REX, VEX, EVEX dealt with by the caller) */
static struct op map1(uint8_t b)
{
	if (b < 0x40) {
		switch (b & 7) {
		case 0:
		case 1:
		case 2:
		case 3: return op(true, I_NONE);
		case 4: return op(false, I_B);
		case 5: return op(false, I_Z);
		default: return BAD; /* push/pop seg, daa...: invalid; 26/2E/36/3E are prefixes */
		}
	}
	if (b >= 0x50 && b <= 0x5f)
		return op(false, I_NONE);
	if (b >= 0x70 && b <= 0x7f)
		return op(false, I_B);
	if (b >= 0x84 && b <= 0x8f)
		return op(true, I_NONE);
	if (b >= 0x90 && b <= 0x9f)
		return b == 0x9a ? BAD : op(false, I_NONE);
	if (b >= 0xb0 && b <= 0xb7)
		return op(false, I_B);
	if (b >= 0xb8 && b <= 0xbf)
		return op(false, I_V);
	if (b >= 0xd8 && b <= 0xdf)
		return op(true, I_NONE); /* x87 */
	switch (b) {
	case 0x63: return op(true, I_NONE);
	case 0x68: return op(false, I_Z);
	case 0x69: return op(true, I_Z);
	case 0x6a: return op(false, I_B);
	case 0x6b: return op(true, I_B);
	case 0x6c:
	case 0x6d:
	case 0x6e:
	case 0x6f: return op(false, I_NONE);
	case 0x80:
	case 0x83: return op(true, I_B);
	case 0x81: return op(true, I_Z);
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa3: return op(false, I_MOFFS);
	case 0xa4:
	case 0xa5:
	case 0xa6:
	case 0xa7: return op(false, I_NONE);
	case 0xa8: return op(false, I_B);
	case 0xa9: return op(false, I_Z);
	case 0xaa:
	case 0xab:
	case 0xac:
	case 0xad:
	case 0xae:
	case 0xaf: return op(false, I_NONE);
	case 0xc0:
	case 0xc1: return op(true, I_B);
	case 0xc2: return op(false, I_W);
	case 0xc3: return op(false, I_NONE);
	case 0xc6: return op(true, I_B);
	case 0xc7: return op(true, I_Z);
	case 0xc8: return op(false, I_WB);
	case 0xc9: return op(false, I_NONE);
	case 0xca: return op(false, I_W);
	case 0xcb:
	case 0xcc: return op(false, I_NONE);
	case 0xcd: return op(false, I_B);
	case 0xcf: return op(false, I_NONE);
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3: return op(true, I_NONE);
	case 0xd7: return op(false, I_NONE);
	case 0xe0:
	case 0xe1:
	case 0xe2:
	case 0xe3:
	case 0xe4:
	case 0xe5:
	case 0xe6:
	case 0xe7: return op(false, I_B);
	case 0xe8:
	case 0xe9: return op(false, I_D);
	case 0xeb: return op(false, I_B);
	case 0xec:
	case 0xed:
	case 0xee:
	case 0xef: return op(false, I_NONE);
	case 0xf1:
	case 0xf4:
	case 0xf5: return op(false, I_NONE);
	case 0xf6: return op(true, I_GRP3B);
	case 0xf7: return op(true, I_GRP3Z);
	case 0xf8:
	case 0xf9:
	case 0xfa:
	case 0xfb:
	case 0xfc:
	case 0xfd: return op(false, I_NONE);
	case 0xfe:
	case 0xff: return op(true, I_NONE);
	}
	return BAD; /* 60-62, 82, c4/c5 (VEX), ce, d4-d6, ea */
}

/* The two-byte map, 0F xx (also VEX/EVEX map 1) */
static struct op map2(uint8_t b)
{
	if ((b >= 0x10 && b <= 0x1f) || (b >= 0x28 && b <= 0x2f) || (b >= 0x40 && b <= 0x6f) ||
	    (b >= 0x74 && b <= 0x76) || (b >= 0x78 && b <= 0x7f) || (b >= 0x90 && b <= 0x9f) ||
	    (b >= 0xb0 && b <= 0xb9) || (b >= 0xbb && b <= 0xc1) || b == 0xc3 || b == 0xc7 ||
	    b >= 0xd0)
		return op(true, I_NONE);
	if ((b >= 0x70 && b <= 0x73) || b == 0xa4 || b == 0xac || b == 0xba || b == 0xc2 ||
	    (b >= 0xc4 && b <= 0xc6))
		return op(true, I_B);
	if (b >= 0x80 && b <= 0x8f)
		return op(false, I_D);
	if (b >= 0xc8 && b <= 0xcf)
		return op(false, I_NONE); /* bswap */
	switch (b) {
	case 0x00:
	case 0x01:
	case 0x02:
	case 0x03:
	case 0x0d:
	case 0x20:
	case 0x21:
	case 0x22:
	case 0x23:
	case 0xa3:
	case 0xa5:
	case 0xab:
	case 0xad:
	case 0xae:
	case 0xaf: return op(true, I_NONE);
	case 0x05:
	case 0x06:
	case 0x07:
	case 0x08:
	case 0x09:
	case 0x0b:
	case 0x0e:
	case 0x30:
	case 0x31:
	case 0x32:
	case 0x33:
	case 0x34:
	case 0x35:
	case 0x37:
	case 0x77:
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa8:
	case 0xa9:
	case 0xaa: return op(false, I_NONE);
	}
	return BAD; /* 0F 0F (3DNow!), 0F 38/3A (three-byte maps: the caller), reserved */
}

/* ModRM [SIB] [disp] bytes at p (avail readable): their count, or -1 */
static int modrm_len(const uint8_t *p, size_t avail)
{
	uint8_t m, mod, rm;
	int n = 1;

	if (avail < 1)
		return -1;
	m = p[0];
	mod = m >> 6;
	rm = m & 7;
	if (mod == 3)
		return 1;
	if (rm == 4) { /* SIB */
		if (avail < 2)
			return -1;
		n++;
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4; /* no base: disp32 */
	} else if (mod == 0 && rm == 5) {
		n += 4; /* RIP-relative disp32 */
	}
	if (mod == 1)
		n += 1;
	else if (mod == 2)
		n += 4;
	return n;
}

static int imm_len(enum imm imm, bool opsize, bool adsize, bool rexw, uint8_t modrm)
{
	int z = opsize ? 2 : 4;

	switch (imm) {
	case I_NONE: return 0;
	case I_B: return 1;
	case I_W: return 2;
	case I_Z: return z;
	case I_D: return 4;
	case I_V: return rexw ? 8 : z;
	case I_WB: return 3;
	case I_MOFFS: return adsize ? 4 : 8;
	case I_GRP3B: return ((modrm >> 3) & 7) < 2 ? 1 : 0;
	case I_GRP3Z: return ((modrm >> 3) & 7) < 2 ? z : 0;
	}
	return -1;
}

static bool legacy_prefix(uint8_t b)
{
	return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e ||
	       b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65;
}

/* The opcode of a VEX/EVEX instruction at p[i] (its map given): its op */
static struct op vex_op(unsigned map, uint8_t b)
{
	switch (map) {
	case 1:
		if (b == 0x77)
			return op(false, I_NONE); /* vzeroupper / vzeroall */
		return map2(b).bad ? BAD : map2(b);
	case 2: return op(true, I_NONE);
	case 3: return op(true, I_B);
	}
	return BAD;
}

int rt_x86_len(const uint8_t *p, size_t avail, int *ret)
{
	bool opsize = false, adsize = false, rexw = false;
	size_t i = 0, max = avail < 15 ? avail : 15;
	struct op o;
	int n;

	if (ret)
		*ret = 0;
	while (i < max && legacy_prefix(p[i])) {
		opsize |= p[i] == 0x66;
		adsize |= p[i] == 0x67;
		i++;
	}
	if (i < max && (p[i] & 0xf0) == 0x40) {
		rexw = p[i] & 8;
		i++;
	}
	if (i >= max)
		return -1;
	if (p[i] == 0xc4 || p[i] == 0xc5 || p[i] == 0x62) {
		unsigned map, payload = p[i] == 0xc5 ? 1 : p[i] == 0xc4 ? 2 : 3;

		if (i + payload + 1 >= max)
			return -1;
		map = p[i] == 0xc5 ? 1 : p[i] == 0xc4 ? (p[i + 1] & 0x1f) : (p[i + 1] & 7);
		rexw = p[i] == 0xc5 ? false : (p[i + 2] & 0x80);
		i += 1 + payload;
		o = vex_op(map, p[i]);
	} else if (p[i] == 0x0f) {
		if (++i >= max)
			return -1;
		if (p[i] == 0x38 || p[i] == 0x3a) {
			o = op(true, p[i] == 0x38 ? I_NONE : I_B);
			if (++i >= max)
				return -1;
		} else {
			o = map2(p[i]);
		}
	} else {
		o = map1(p[i]);
		if (ret && (p[i] == 0xc3 || p[i] == 0xc2))
			*ret = 1;
	}
	if (o.bad)
		return -1;
	i++; /* the opcode byte */
	uint8_t modrm = 0;

	if (o.modrm) {
		if (i >= max)
			return -1;
		modrm = p[i];
		n = modrm_len(p + i, max - i);
		if (n < 0)
			return -1;
		i += (size_t)n;
	}
	n = imm_len(o.imm, opsize, adsize, rexw, modrm);
	if (n < 0 || i + (size_t)n > max)
		return -1;
	return (int)i + n;
}

int rt_x86_rets(const uint8_t *code, size_t n, uint32_t *rets, unsigned max, unsigned *nrets,
		size_t *bad)
{
	size_t at = 0;

	*nrets = 0;
	while (at < n) {
		int ret, len = rt_x86_len(code + at, n - at, &ret);

		if (len <= 0)
			break;
		if (ret) {
			if (*nrets == max)
				break;
			rets[(*nrets)++] = (uint32_t)at;
		}
		at += (size_t)len;
	}
	if (bad)
		*bad = at;
	return at == n ? 0 : -1;
}
