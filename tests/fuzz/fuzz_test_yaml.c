/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for `aspenc test` files (compiler/test/test_yaml.c).
 * Built and run with the others (tests/fuzz/README.md): `bench/fuzz.sh
 * SECONDS fuzz_test_yaml`; ctest replays its seeds and corpus.
 */
#include <stdint.h>
#include <stdlib.h>

#include "test_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct test_file tf;
	char err[512];

	test_file_parse("/fuzz/t.yaml", (const char *)data, size, &tf, err, sizeof(err));
	test_file_free(&tf);
	return 0;
}
