/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the data is found (common/paths.c): from the build tree, the
 * source tree's templates and stdlib (an installed copy is found beside
 * the installed binaries: tests/e2e/test_install.sh).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "paths.h"

static void test_build_tree_uses_the_source_tree(void **state)
{
	char buf[PATH_MAX], got[PATH_MAX], want[PATH_MAX];

	assert_non_null(realpath(ASPEN_SRC_DIR "/bpf-templates", want));
	assert_non_null(realpath(aspen_data_dir(ASPEN_DATA_TEMPLATES, buf, sizeof(buf)), got));
	assert_string_equal(got, want);
	assert_non_null(realpath(ASPEN_SRC_DIR "/stdlib-policies", want));
	assert_non_null(realpath(aspen_data_dir(ASPEN_DATA_STDLIB, buf, sizeof(buf)), got));
	assert_string_equal(got, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_tree_uses_the_source_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
