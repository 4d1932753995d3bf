/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTF-8 by the book (RFC 3629), for the fuzz targets' references: written
 * apart from common/json.c's utf8_len(), which the targets check.
 */
#ifndef ASPEN_FUZZ_UTF8_REF_H
#define ASPEN_FUZZ_UTF8_REF_H

#include <stddef.h>
#include <stdint.h>

/* The length of the valid UTF-8 sequence at s (n >= 1 bytes), 0 if s[0]
 * begins none: overlong forms, surrogates and code points past U+10FFFF
 * begin none. */
static size_t ref_utf8(const uint8_t *s, size_t n)
{
	size_t len = 0;
	uint32_t cp;

	if (s[0] < 0x80)
		len = 1;
	else if ((s[0] & 0xe0) == 0xc0) /* 110xxxxx */
		len = 2;
	else if ((s[0] & 0xf0) == 0xe0) /* 1110xxxx */
		len = 3;
	else if ((s[0] & 0xf8) == 0xf0) /* 11110xxx */
		len = 4;
	if (len <= 1 || n < len)
		return len == 1;
	cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

#endif
