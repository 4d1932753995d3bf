/* SPDX-License-Identifier: Apache-2.0 */
/* A fuzz input as a policy's text: fuzz_fmt.c and fuzz_policy.c. */
#ifndef ASPEN_FUZZ_TEXT_H
#define ASPEN_FUZZ_TEXT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* data as a NUL-terminated string (malloc'd), or NULL when it holds a NUL
 * byte: not a policy. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);

	if (!in)
		abort();
	memcpy(in, data, size);
	in[size] = 0;
	if (strlen(in) != size) {
		free(in);
		return NULL;
	}
	return in;
}

#endif
