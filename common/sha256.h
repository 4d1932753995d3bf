/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256 (libcrypto's EVP) and its hex spelling, the one implementation
 * for every hash Aspen writes: the policy source hash (aspenc, metadata
 * `sha256`), the object hash (aspend, `object_sha256`) and the audit
 * trail's chain (`prev_sha256`).
 */
#ifndef ASPEN_SHA256_H
#define ASPEN_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define ASPEN_SHA256_LEN 32
#define ASPEN_SHA256_HEX_LEN 64 /* without the NUL */

/* Digest of n bytes. Returns 0, or -1 if libcrypto failed (out zeroed). */
int aspen_sha256(const void *data, size_t n, uint8_t out[ASPEN_SHA256_LEN]);

/* Lower-case hex digest, NUL-terminated. Returns 0 or -1 (then the hex
 * of a zeroed digest). */
int aspen_sha256_hex(const void *data, size_t n, char out[ASPEN_SHA256_HEX_LEN + 1]);

/* Lower-case hex digest of a whole file (e.g. the policy .bpf.o).
 * Returns 0, or -1 with errno set (out is then ""). */
int aspen_sha256_file_hex(const char *path, char out[ASPEN_SHA256_HEX_LEN + 1]);

/* Hex-encodes n bytes into out (2n+1 bytes). */
void aspen_hex(const uint8_t *in, size_t n, char *out);

#endif
