/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the formatter (compiler/src/fmt.c). Not built by
 * default; from the repository root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icompiler/src \
 *     tests/fuzz/fuzz_fmt.c compiler/src/fmt.c -o fuzz_fmt && ./fuzz_fmt examples/
 * On any input (parsable or not) it checks what aspenc fmt promises: the
 * output has the same tokens and comments (trailing commas aside) and fmt
 * of it is identical.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), *once, *twice;

	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = 0;
	if (strlen(in) != size) { /* NUL bytes: not a policy */
		free(in);
		return 0;
	}
	once = fmt_text(in, size);
	if (!once)
		abort();
	twice = fmt_text(once, strlen(once));
	if (!twice || strcmp(once, twice) != 0 || fmt_same_tokens(in, once) != 0)
		abort();
	free(twice);
	free(once);
	free(in);
	return 0;
}
