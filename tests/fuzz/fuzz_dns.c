/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer entry for the DNS answer parser (not built by default).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I runtime/lib \
 *     tests/fuzz/fuzz_dns.c runtime/lib/rt_dns.c runtime/lib/rt_hosts.c -o fuzz_dns
 *   ./fuzz_dns -max_len=512 corpus/
 *
 * (from the repository root; 512 is ASPEN_DNS_MAX, what the kernel
 * captures). The callback checks what the parser promises: names are
 * valid lower-case host names, addresses match their family.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rt_dns.h"
#include "rt_hosts.h"

static int check(const char *name, const struct in6_addr *addr, int family, uint32_t ttl, void *ctx)
{
	if (!rt_host_valid(name) || strlen(name) > 253)
		abort();
	for (const char *c = name; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			abort();
	if ((family == AF_INET) != (IN6_IS_ADDR_V4MAPPED(addr) != 0))
		abort();
	if (ttl > 0x7fffffffu)
		abort();
	++*(int *)ctx;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int calls = 0;
	int rc = rt_dns_parse_answers(data, size, check, &calls);

	if (rc >= 0 && rc != calls)
		abort();
	return 0;
}
