/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer entry for the DNS answer parser. Built and run with the
 * others (tests/fuzz/README.md): `bench/fuzz.sh SECONDS fuzz_dns`; ctest
 * replays its seeds and corpus. Inputs are at most 512 bytes,
 * ASPEN_DNS_MAX, what the kernel captures. The callback checks what the
 * parser promises: names are valid lower-case host names, addresses
 * match their family.
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
