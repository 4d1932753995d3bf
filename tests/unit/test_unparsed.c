/* The reason a request was not inspected is spelled the same by aspend's
 * audit, its recorder and `aspenc test` (traces once said "bound" where
 * the reader expected another word, and replayed it as "malformed"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <linux/types.h>

#include "aspen_shared.h"
#include "meta.h"

static void test_round_trip(void **state)
{
	const unsigned codes[] = { ASPEN_UNPARSED_NOT_HTTP1, ASPEN_UNPARSED_COMPRESSED,
				   ASPEN_UNPARSED_BOUND, ASPEN_UNPARSED_MALFORMED,
				   ASPEN_UNPARSED_NO_TLS_LIB, ASPEN_UNPARSED_NO_REDACT };

	assert_null(aspen_unparsed_name(ASPEN_UNPARSED_NONE));
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *name = aspen_unparsed_name(codes[i]);

		assert_non_null(name);
		assert_int_equal(aspen_unparsed_code(name), codes[i]);
	}
	assert_string_equal(aspen_unparsed_name(ASPEN_UNPARSED_BOUND), "scan_bound");
	assert_int_equal(aspen_unparsed_code("no such reason"), ASPEN_UNPARSED_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_round_trip) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
