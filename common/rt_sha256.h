/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256 helpers for the audit chain (OpenSSL libcrypto, EVP). Kept apart
 * so that the audit writer and aspend share one spelling of "hex sha256".
 */
#ifndef ASPEN_RT_SHA256_H
#define ASPEN_RT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define RT_SHA256_LEN 32
#define RT_SHA256_HEX_LEN 64 /* without the NUL */

/* Digest of n bytes. Returns 0, or -1 if libcrypto failed (out zeroed). */
int rt_sha256(const void *data, size_t n, uint8_t out[RT_SHA256_LEN]);

/* Lower-case hex digest, NUL-terminated. Returns 0 or -1. */
int rt_sha256_hex(const void *data, size_t n, char out[RT_SHA256_HEX_LEN + 1]);

/* Lower-case hex digest of a whole file (e.g. the policy .bpf.o).
 * Returns 0, or -1 with errno set. */
int rt_sha256_file_hex(const char *path, char out[RT_SHA256_HEX_LEN + 1]);

/* Hex-encodes n bytes into out (2n+1 bytes). */
void rt_hex(const uint8_t *in, size_t n, char *out);

#endif
