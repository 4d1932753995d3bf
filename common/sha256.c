/* SPDX-License-Identifier: Apache-2.0 */
#include "sha256.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

void aspen_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int aspen_sha256(const void *data, size_t n, uint8_t out[ASPEN_SHA256_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) != 1 || len != ASPEN_SHA256_LEN) {
		memset(out, 0, ASPEN_SHA256_LEN);
		return -1;
	}
	return 0;
}

int aspen_sha256_hex(const void *data, size_t n, char out[ASPEN_SHA256_HEX_LEN + 1])
{
	uint8_t md[ASPEN_SHA256_LEN];
	int rc = aspen_sha256(data, n, md);

	aspen_hex(md, sizeof(md), out);
	return rc;
}

int aspen_sha256_file_hex(const char *path, char out[ASPEN_SHA256_HEX_LEN + 1])
{
	uint8_t md[ASPEN_SHA256_LEN], buf[65536];
	unsigned int len = 0;
	size_t got;
	int rc = -1;
	FILE *f = fopen(path, "rbe");
	EVP_MD_CTX *ctx;

	out[0] = '\0';
	if (!f)
		return -1;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		if (EVP_DigestUpdate(ctx, buf, got) != 1)
			goto out;
	if (ferror(f) || EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != ASPEN_SHA256_LEN)
		goto out;
	aspen_hex(md, sizeof(md), out);
	rc = 0;
out:
	if (rc)
		errno = errno ? errno : EIO;
	EVP_MD_CTX_free(ctx);
	fclose(f);
	return rc;
}
