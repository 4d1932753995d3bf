/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SipHash (Aumasson and Bernstein, 2012), one 64-bit word at a time: the
 * keyed hash that checks a write call's bytes are the ones its next call
 * brings again (aspen_replay_*() in aspen_tls.bpf.h). Its key is random
 * per call and never leaves the kernel, so a program cannot choose other
 * bytes that hash the same. (The multiply-and-shift hash used before had
 * collisions whatever the key: flip the top bit of one word and bits 34
 * and 63 of the next.) SipHash-1-3 by default, as the kernel's own
 * hsiphash on 64-bit; tests/unit/test_siphash.c builds SipHash-2-4 from
 * the same code and checks it against the paper's test vector.
 *
 * Plain C, no loops but the rounds': BPF and host C alike.
 */
#ifndef ASPEN_SIPHASH_H
#define ASPEN_SIPHASH_H

#ifndef ASPEN_SIP_C
#define ASPEN_SIP_C 1 /* compression rounds per word */
#endif
#ifndef ASPEN_SIP_D
#define ASPEN_SIP_D 3 /* finalization rounds */
#endif

struct aspen_sip {
	__u64 v0, v1, v2, v3;
};

#define ASPEN_ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static __always_inline void aspen_sip_init(struct aspen_sip *s, __u64 k0, __u64 k1)
{
	s->v0 = k0 ^ 0x736f6d6570736575ULL;
	s->v1 = k1 ^ 0x646f72616e646f6dULL;
	s->v2 = k0 ^ 0x6c7967656e657261ULL;
	s->v3 = k1 ^ 0x7465646279746573ULL;
}

static __always_inline void aspen_sip_round(struct aspen_sip *s)
{
	s->v0 += s->v1;
	s->v1 = ASPEN_ROTL64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ASPEN_ROTL64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ASPEN_ROTL64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ASPEN_ROTL64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ASPEN_ROTL64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ASPEN_ROTL64(s->v2, 32);
}

/* One whole word of the message (its 8 bytes read little-endian). */
static __always_inline void aspen_sip_word(struct aspen_sip *s, __u64 m)
{
	s->v3 ^= m;
	for (int r = 0; r < ASPEN_SIP_C; r++)
		aspen_sip_round(s);
	s->v0 ^= m;
}

/* The last 0-7 bytes (`tail`, little-endian, the rest zero) and the
 * message's length: the hash. */
static __always_inline __u64 aspen_sip_final(struct aspen_sip *s, __u64 tail, __u64 len)
{
	aspen_sip_word(s, tail | (len << 56));
	s->v2 ^= 0xff;
	for (int r = 0; r < ASPEN_SIP_D; r++)
		aspen_sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

#endif
