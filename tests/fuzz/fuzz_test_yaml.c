/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for `aspenc test` files (compiler/test/test_yaml.c). Not
 * built by default; from a configured build directory:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icompiler/test -Icompiler/src \
 *     -Icommon -Ibpf-templates tests/fuzz/fuzz_test_yaml.c compiler/test/test_yaml.c \
 *     common/trace.c common/trace_json.c common/trace_write.c -lyaml \
 *     -o fuzz_test_yaml && ./fuzz_test_yaml
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
