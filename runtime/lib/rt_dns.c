/* SPDX-License-Identifier: Apache-2.0 */
/* DNS response parsing for address learning. See rt_dns.h. */
#include "rt_dns.h"

#include <string.h>
#include <sys/socket.h>

#include "rt_hosts.h"

#define DNS_HDR 12
#define DNS_MAX_HOPS 16	 /* compression pointers followed per name      */
#define DNS_MAX_RR 64	 /* answer records looked at; a reply has a few */
#define DNS_MAX_CNAME 16 /* CNAME records kept, and chain length        */
#define DNS_NAME 256

#define T_A 1
#define T_CNAME 5
#define T_AAAA 28
#define C_IN 1

struct dns_addr {
	char owner[DNS_NAME];
	struct in6_addr addr;
	int family;
	uint32_t ttl;
};

struct dns_cname {
	char owner[DNS_NAME];
	char target[DNS_NAME];
	uint32_t ttl;
};

struct dns_msg {
	char qname[DNS_NAME];
	struct dns_addr a[DNS_MAX_RR];
	struct dns_cname c[DNS_MAX_CNAME];
	int na, nc;
	/* the question name and the names its CNAMEs lead to, with the
	 * smallest TTL met on the way to each */
	const char *chain[DNS_MAX_CNAME + 1];
	uint32_t chain_ttl[DNS_MAX_CNAME + 1];
	int nchain;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_label(char *out, size_t *olen, const uint8_t *l, size_t len)
{
	if (*olen)
		out[(*olen)++] = '.';
	for (size_t i = 0; i < len; i++) {
		char c = (char)l[i];

		out[(*olen)++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
}

/* Decodes the name at off into out (lower-case, dotted). *next is the
 * offset just after the name where it started (not where a pointer led).
 * Returns 0, 1 if the name is well-formed but not a host name we would
 * ever match (bytes outside [a-z0-9_-], the root), or -1 if malformed. */
static int dns_name(const uint8_t *p, size_t n, size_t off, char out[DNS_NAME], size_t *next)
{
	size_t o = off, olen = 0;
	int hops = 0, jumped = 0;

	for (;;) {
		uint8_t l;

		if (o >= n)
			return -1;
		l = p[o];
		if ((l & 0xc0) == 0xc0) {
			if (o + 1 >= n || ++hops > DNS_MAX_HOPS)
				return -1;
			if (!jumped)
				*next = o + 2;
			jumped = 1;
			o = (size_t)(l & 0x3f) << 8 | p[o + 1];
			continue;
		}
		if (l & 0xc0) /* 0x40, 0x80: extended label types, unused */
			return -1;
		if (l == 0)
			break;
		if (o + 1 + l > n || olen + (olen > 0) + l > DNS_NAME - 3)
			return -1;
		put_label(out, &olen, p + o + 1, l);
		o += 1 + (size_t)l;
	}
	if (!jumped)
		*next = o + 1;
	out[olen] = '\0';
	return rt_host_valid(out) ? 0 : 1;
}

/* One answer record at *off. Returns 0 (kept or ignored), -1 to stop. */
static int parse_rr(const uint8_t *p, size_t n, size_t *off, struct dns_msg *m)
{
	char owner[DNS_NAME];
	size_t o, next = 0;
	uint16_t type, cls, rdlen;
	uint32_t ttl;
	int bad = dns_name(p, n, *off, owner, &next);

	if (bad < 0 || next + 10 > n)
		return -1;
	type = be16(p + next);
	cls = be16(p + next + 2);
	ttl = be32(p + next + 4);
	rdlen = be16(p + next + 8);
	o = next + 10;
	if (o + rdlen > n)
		return -1;
	*off = o + rdlen;
	/* RFC 2181 8: a TTL with the top bit set is to be read as zero. */
	if (ttl & 0x80000000u)
		ttl = 0;
	if (bad || cls != C_IN)
		return 0;
	if ((type == T_A && rdlen == 4) || (type == T_AAAA && rdlen == 16)) {
		struct dns_addr *a = &m->a[m->na];

		memset(&a->addr, 0, sizeof(a->addr));
		if (type == T_A) {
			a->addr.s6_addr[10] = a->addr.s6_addr[11] = 0xff;
			memcpy(&a->addr.s6_addr[12], p + o, 4);
		} else {
			memcpy(&a->addr, p + o, 16);
			/* A v4-mapped AAAA is no real address; it would alias
			 * the v4 key of that address in aspen_dst. */
			if (IN6_IS_ADDR_V4MAPPED(&a->addr))
				return 0;
		}
		memcpy(a->owner, owner, sizeof(owner));
		a->family = type == T_A ? AF_INET : AF_INET6;
		a->ttl = ttl;
		m->na++;
	} else if (type == T_CNAME && m->nc < DNS_MAX_CNAME) {
		struct dns_cname *c = &m->c[m->nc];

		/* The target must lie inside this record's rdata. */
		if (dns_name(p, o + rdlen, o, c->target, &next) == 0 && next == o + rdlen) {
			memcpy(c->owner, owner, sizeof(owner));
			c->ttl = ttl;
			m->nc++;
		}
	}
	return 0;
}

/* Follows the CNAME records from the question name. Bounded by
 * DNS_MAX_CNAME steps, so a loop a -> b -> a ends. */
static void build_chain(struct dns_msg *m)
{
	const char *cur = m->qname;
	uint32_t ttl = UINT32_MAX;

	m->chain[0] = cur;
	m->chain_ttl[0] = ttl;
	m->nchain = 1;
	while (m->nchain <= DNS_MAX_CNAME) {
		int i;

		for (i = 0; i < m->nc && strcmp(m->c[i].owner, cur) != 0; i++)
			;
		if (i == m->nc)
			break;
		cur = m->c[i].target;
		ttl = m->c[i].ttl < ttl ? m->c[i].ttl : ttl;
		m->chain[m->nchain] = cur;
		m->chain_ttl[m->nchain] = ttl;
		m->nchain++;
	}
}

/* Position of name in the chain, or -1. */
static int in_chain(const struct dns_msg *m, const char *name)
{
	for (int i = 0; i < m->nchain; i++)
		if (strcmp(m->chain[i], name) == 0)
			return i;
	return -1;
}

static int report(const struct dns_msg *m, rt_dns_cb cb, void *ctx)
{
	int calls = 0;

	for (int i = 0; i < m->na; i++) {
		const struct dns_addr *a = &m->a[i];
		int k = in_chain(m, a->owner);
		uint32_t ttl;

		if (k < 0)
			continue;
		calls++;
		if (cb(a->owner, &a->addr, a->family, a->ttl, ctx))
			return calls;
		if (k == 0)
			continue;
		ttl = a->ttl < m->chain_ttl[k] ? a->ttl : m->chain_ttl[k];
		calls++;
		if (cb(m->qname, &a->addr, a->family, ttl, ctx))
			return calls;
	}
	return calls;
}

int rt_dns_parse_answers(const uint8_t *p, size_t n, rt_dns_cb cb, void *ctx)
{
	struct dns_msg m;
	uint16_t flags, qd, an;
	size_t off = DNS_HDR, next = 0;

	if (!p || n < DNS_HDR)
		return -1;
	flags = be16(p + 2);
	if (!(flags & 0x8000))
		return -1;
	qd = be16(p + 4);
	an = be16(p + 6);
	/* opcode QUERY, rcode NOERROR, one question: anything else teaches
	 * us nothing we could attribute. */
	if ((flags & 0x7800) || (flags & 0x000f) || qd != 1)
		return 0;
	memset(&m, 0, sizeof(m));
	if (dns_name(p, n, off, m.qname, &next) != 0 || next + 4 > n)
		return 0;
	off = next + 4;
	for (int i = 0; i < an && i < DNS_MAX_RR; i++)
		if (parse_rr(p, n, &off, &m))
			break;
	build_chain(&m);
	return report(&m, cb, ctx);
}

bool rt_dns_relabel_ok(uint64_t known, uint64_t named)
{
	return !known || !(named & ~known) || !(known & ~named);
}
