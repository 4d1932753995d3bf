/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bpf-templates/aspen_siphash.h in host C, built as SipHash-2-4 so the
 * reference implementation's test vectors apply (the kernel's build is
 * SipHash-1-3: the same code, fewer rounds), and the pair of messages the
 * replay check's former hash could not tell apart under any key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>

#include <cmocka.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define ASPEN_SIP_C 2
#define ASPEN_SIP_D 4
#include "../../bpf-templates/aspen_siphash.h"

/* A message as the BPF walk hashes it: whole little-endian words, then the
 * tail (this host is little-endian, as are the kernels Aspen runs on). */
static __u64 sip(const unsigned char *m, size_t len, __u64 k0, __u64 k1)
{
	struct aspen_sip s;
	__u64 w, tail = 0;
	size_t i = 0;

	aspen_sip_init(&s, k0, k1);
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, m + i, 8);
		aspen_sip_word(&s, w);
	}
	memcpy(&tail, m + i, len - i);
	return aspen_sip_final(&s, tail, len);
}

/* key 00 01 .. 0f; message 00 01 .. (n - 1) */
static __u64 vector(size_t n)
{
	unsigned char m[64] = { 0 };
	__u64 k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;

	for (size_t i = 0; i < n; i++)
		m[i] = (unsigned char)i;
	return sip(m, n, k0, k1);
}

static void reference_vectors(void **state)
{
	(void)state;
	assert_int_equal(vector(0), 0x726fdb47dd0e0e31ULL);
	assert_int_equal(vector(15), 0xa129ca6149be45e5ULL);
	assert_int_equal(vector(8), 0x93f5f5799a932462ULL);
}

/* The former hash, h = (h ^ w) * P; h ^= h >> 29, keyed by its start:
 * flipping bit 63 of a word changes the state by bits 63 and 34 whatever
 * the key, which the next word cancels. */
static __u64 old_hash(const __u64 *w, size_t n, __u64 key)
{
	__u64 h = key ^ (n * 8);

	for (size_t i = 0; i < n; i++) {
		h = (h ^ w[i]) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h | 1;
}

static void collision_pair_differs(void **state)
{
	__u64 a[4] = { 0x7878787878787878ULL, 0x7878787878787878ULL, 0x41414141ULL, 7 };
	__u64 b[4];

	(void)state;
	memcpy(b, a, sizeof(a));
	b[0] ^= 1ULL << 63;
	b[1] ^= (1ULL << 63) | (1ULL << 34);
	for (__u64 k = 1; k < 1000; k++) {
		__u64 k0 = k * 0x9e3779b97f4a7c15ULL, k1 = ~k0 ^ (k << 7);

		assert_int_equal(old_hash(a, 4, k0), old_hash(b, 4, k0)); /* the weakness */
		assert_int_not_equal(sip((const unsigned char *)a, sizeof(a), k0, k1),
				     sip((const unsigned char *)b, sizeof(b), k0, k1));
	}
}

/* Every length from 0 to 40 hashes apart from its neighbours, and the
 * tail's zero padding is not taken for message bytes. */
static void lengths_and_tails(void **state)
{
	unsigned char z[48] = { 0 };

	(void)state;
	for (size_t n = 0; n < 40; n++)
		assert_int_not_equal(sip(z, n, 1, 2), sip(z, n + 1, 1, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reference_vectors),
		cmocka_unit_test(collision_pair_differs),
		cmocka_unit_test(lengths_and_tails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
