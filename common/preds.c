/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"
#include "preds.h"

uint64_t aspen_pred_bits(const struct aspen_meta *m, enum pred_class cls, const char *s, bool icase)
{
	uint64_t bits = 0;

	for (size_t i = 0; i < m->npreds; i++) {
		const struct aspen_meta_pred *p = &m->preds[i];

		if (p->cls != cls || p->bit < 0 || p->bit >= 64)
			continue;
		if (icase ? aspen_glob_match_ci(p->glob, s) : aspen_glob_match(p->glob, s))
			bits |= 1ULL << p->bit;
	}
	return bits;
}

uint64_t aspen_meta_host_providers(const struct aspen_meta *m, const char *name)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < m->nhosts; i++) {
		int pi = m->hosts[i].provider;

		if (pi >= 0 && pi < 64 && aspen_glob_match_ci(m->hosts[i].name, name))
			mask |= 1ULL << pi;
	}
	return mask;
}

void aspen_meta_provider_names(const struct aspen_meta *m, uint64_t mask, char *out, size_t len)
{
	size_t used = 0;

	out[0] = 0;
	for (size_t i = 0; i < m->nproviders && used + 1 < len; i++) {
		int idx = m->providers[i].idx;

		if (idx < 0 || idx >= 64 || !(mask & (1ULL << idx)))
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "|" : "",
					 m->providers[i].name);
	}
}

int aspen_cidr_parse(const char *text, uint8_t net[16], int *plen)
{
	char buf[64], *slash;
	long n = -1;

	if (strlen(text) >= sizeof(buf))
		return -1;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash) {
		char *end;

		*slash = 0;
		n = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || n < 0)
			return -1;
	}
	memset(net, 0, 16);
	if (inet_pton(AF_INET, buf, net + 12) == 1) {
		if (n > 32)
			return -1;
		net[10] = net[11] = 0xff;
		*plen = 96 + (n < 0 ? 32 : (int)n);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, net) == 1 && n <= 128) {
		*plen = n < 0 ? 128 : (int)n;
		return 0;
	}
	return -1;
}

static bool prefix_eq(const uint8_t *a, const uint8_t *b, int bits)
{
	for (int i = 0; i < 16 && bits > 0; i++, bits -= 8) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((a[i] & mask) != (b[i] & mask))
			return false;
	}
	return true;
}

uint64_t aspen_meta_cidr_providers(const struct aspen_meta *m, const uint8_t addr[16])
{
	uint64_t mask = 0;

	for (size_t i = 0; i < m->ncidrs; i++) {
		uint8_t net[16];
		int plen, pi = m->cidrs[i].provider;

		if (pi < 0 || pi >= 64 || aspen_cidr_parse(m->cidrs[i].cidr, net, &plen) < 0)
			continue;
		if (prefix_eq(addr, net, plen))
			mask |= 1ULL << pi;
	}
	return mask;
}

uint64_t aspen_meta_port_providers(const struct aspen_meta *m, uint16_t port)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < m->nproviders; i++) {
		const struct aspen_meta_provider *p = &m->providers[i];
		bool on = p->nports == 0 && port == 443;

		for (size_t k = 0; k < p->nports; k++)
			on |= p->ports[k] == port;
		if (on && p->idx >= 0 && p->idx < 64)
			mask |= 1ULL << p->idx;
	}
	return mask;
}

int aspen_meta_provider_index(const struct aspen_meta *m, const char *name)
{
	for (size_t i = 0; i < m->nproviders; i++)
		if (!strcmp(m->providers[i].name, name))
			return m->providers[i].idx;
	return -1;
}
