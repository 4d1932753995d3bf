/* One CIDR parser for aspenc (dst.ip), aspend (provider CIDRs) and aspenc
 * test. aspend once had its own, which refused a bare address that the
 * compiler accepted: the provider's address was then never governed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "preds.h"

static void expect(const char *text, const uint8_t want[16], int want_len)
{
	uint8_t net[16];
	int plen = -1;

	assert_int_equal(aspen_cidr_parse(text, net, &plen), 0);
	assert_memory_equal(net, want, 16);
	assert_int_equal(plen, want_len);
}

static void test_forms(void **state)
{
	const uint8_t v4[16] = { [10] = 0xff, [11] = 0xff, [12] = 10, [13] = 1 };
	const uint8_t host[16] = { [10] = 0xff, [11] = 0xff, [12] = 203, [13] = 0, [14] = 113, [15] = 7 };
	const uint8_t v6[16] = { 0xfd };
	uint8_t net[16];
	int plen;

	(void)state;
	expect("10.1.0.0/16", v4, 96 + 16);
	expect("203.0.113.7", host, 128); /* a bare address: one host */
	expect("fd00::/8", v6, 8);
	assert_int_equal(aspen_cidr_parse("10.0.0.0/33", net, &plen), -1);
	assert_int_equal(aspen_cidr_parse("fd00::/129", net, &plen), -1);
	assert_int_equal(aspen_cidr_parse("10.0.0.0/", net, &plen), -1);
	assert_int_equal(aspen_cidr_parse("api.openai.com", net, &plen), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_forms) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
