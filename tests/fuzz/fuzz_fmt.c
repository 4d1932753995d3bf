/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the formatter (compiler/src/fmt.c).
 * Built and run with the others (tests/fuzz/README.md): `bench/fuzz.sh
 * SECONDS fuzz_fmt`; ctest replays its seeds and corpus.
 * On any input (parsable or not) it checks what aspenc fmt promises: the
 * output has the same tokens and comments (trailing commas aside) and fmt
 * of it is identical.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "fuzz_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_text(data, size), *once, *twice;

	if (!in)
		return 0;
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
