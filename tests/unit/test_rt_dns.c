/* SPDX-License-Identifier: Apache-2.0 */
/* DNS answer parsing on hand-built responses, including every truncation
 * of them (this runs under ASan: a read past the end fails the test). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "rt_dns.h"
#include "rt_hosts.h"

struct pkt {
	uint8_t b[512];
	size_t n;
};

static void u8(struct pkt *p, uint8_t v)
{
	assert_true(p->n < sizeof(p->b));
	p->b[p->n++] = v;
}

static void u16(struct pkt *p, uint16_t v)
{
	u8(p, (uint8_t)(v >> 8));
	u8(p, (uint8_t)v);
}

static void u32(struct pkt *p, uint32_t v)
{
	u16(p, (uint16_t)(v >> 16));
	u16(p, (uint16_t)v);
}

/* Labels of a dotted name; terminated by a zero byte unless ptr >= 0, in
 * which case a compression pointer to ptr ends it. Returns its offset. */
static size_t labels(struct pkt *p, const char *dotted, int ptr)
{
	size_t at = p->n;
	const char *s = dotted;

	while (*s) {
		size_t l = strcspn(s, ".");

		u8(p, (uint8_t)l);
		for (size_t i = 0; i < l; i++)
			u8(p, (uint8_t)s[i]);
		s += l;
		s += *s == '.';
	}
	if (ptr >= 0)
		u16(p, (uint16_t)(0xc000 | ptr));
	else
		u8(p, 0);
	return at;
}

static void header(struct pkt *p, uint16_t flags, uint16_t qd, uint16_t an)
{
	p->n = 0;
	u16(p, 0x1234);
	u16(p, flags);
	u16(p, qd);
	u16(p, an);
	u16(p, 0);
	u16(p, 0);
}

static size_t question(struct pkt *p, const char *name, uint16_t type)
{
	size_t at = labels(p, name, -1);

	u16(p, type);
	u16(p, 1);
	return at;
}

/* Record head after its owner name. */
static void rr(struct pkt *p, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
	u16(p, type);
	u16(p, 1);
	u32(p, ttl);
	u16(p, rdlen);
}

static void a_rr(struct pkt *p, size_t owner, uint32_t ttl, const char *ip)
{
	struct in_addr a;

	u16(p, (uint16_t)(0xc000 | owner));
	rr(p, 1, ttl, 4);
	assert_int_equal(inet_pton(AF_INET, ip, &a), 1);
	for (int i = 0; i < 4; i++)
		u8(p, ((uint8_t *)&a)[i]);
}

struct seen {
	int n;
	char text[16][128]; /* "name ip ttl" */
	int stop_after;
};

static int record(const char *name, const struct in6_addr *addr, int family, uint32_t ttl,
		  void *ctx)
{
	struct seen *s = ctx;
	char ip[INET6_ADDRSTRLEN];

	assert_int_equal(family == AF_INET, IN6_IS_ADDR_V4MAPPED(addr));
	if (s->n < 16)
		snprintf(s->text[s->n], sizeof(s->text[0]), "%s %s %u", name,
			 rt_ip_to_str(addr, ip, sizeof(ip)), ttl);
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

/* Parses the first len bytes from an exactly-sized heap copy, so that ASan
 * sees any read beyond them. */
static int parse_exact(const struct pkt *p, size_t len, struct seen *s)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, p->b, len);
	rc = rt_dns_parse_answers(copy, len, record, s);
	free(copy);
	return rc;
}

static void test_a(void **state)
{
	struct pkt p;
	struct seen s = {0};
	size_t q;

	header(&p, 0x8180, 1, 1);
	q = question(&p, "API.OpenAI.com", 1);
	a_rr(&p, q, 300, "104.18.7.192");
	assert_int_equal(parse_exact(&p, p.n, &s), 1);
	assert_string_equal(s.text[0], "api.openai.com 104.18.7.192 300");
}

static void test_aaaa(void **state)
{
	struct pkt p;
	struct seen s = {0};
	struct in6_addr a;
	size_t q;

	header(&p, 0x8180, 1, 1);
	q = question(&p, "api.anthropic.com", 28);
	u16(&p, (uint16_t)(0xc000 | q));
	rr(&p, 28, 60, 16);
	inet_pton(AF_INET6, "2607:6bc0::10", &a);
	for (int i = 0; i < 16; i++)
		u8(&p, a.s6_addr[i]);
	assert_int_equal(parse_exact(&p, p.n, &s), 1);
	assert_string_equal(s.text[0], "api.anthropic.com 2607:6bc0::10 60");
}

/* myres.openai.azure.com CNAME myres.privatelink.openai.azure.com (600)
 *   CNAME az-ep.trafficmanager.net (100), A 10.0.0.1 (50), A 10.0.0.2 (500);
 * plus an A record for a name outside the chain. */
static void build_chain(struct pkt *p)
{
	size_t q, pl, tm;

	header(p, 0x8180, 1, 6);
	q = question(p, "myres.openai.azure.com", 1);
	u16(p, (uint16_t)(0xc000 | q));
	rr(p, 5, 600, 20); /* 6 "myres" + 12 "privatelink" + 2 pointer */
	pl = labels(p, "myres.privatelink", (int)q + 6); /* -> openai.azure.com */
	u16(p, (uint16_t)(0xc000 | pl));
	rr(p, 5, 100, 26);
	tm = labels(p, "az-ep.trafficmanager.net", -1);
	a_rr(p, tm, 50, "10.0.0.1");
	a_rr(p, tm, 500, "10.0.0.2");
	labels(p, "evil.example", -1);
	rr(p, 1, 300, 4);
	u32(p, 0x06060606);
	a_rr(p, q, 30, "10.0.0.3"); /* the question name itself, directly */
}

static void test_cname_chain(void **state)
{
	struct pkt p;
	struct seen s = {0};

	build_chain(&p);
	assert_int_equal(parse_exact(&p, p.n, &s), 5);
	assert_string_equal(s.text[0], "az-ep.trafficmanager.net 10.0.0.1 50");
	assert_string_equal(s.text[1], "myres.openai.azure.com 10.0.0.1 50");
	assert_string_equal(s.text[2], "az-ep.trafficmanager.net 10.0.0.2 500");
	assert_string_equal(s.text[3], "myres.openai.azure.com 10.0.0.2 100");
	assert_string_equal(s.text[4], "myres.openai.azure.com 10.0.0.3 30");
}

static void test_stop(void **state)
{
	struct pkt p;
	struct seen s = {.stop_after = 2};

	build_chain(&p);
	assert_int_equal(parse_exact(&p, p.n, &s), 2);
}

/* Every prefix of a valid response: no crash, no read past the end, and
 * never more answers than the whole message has. */
static void test_truncated_everywhere(void **state)
{
	struct pkt p;

	build_chain(&p);
	for (size_t len = 0; len <= p.n; len++) {
		struct seen s = {0};
		int rc = parse_exact(&p, len, &s);

		assert_true(len < 12 ? rc == -1 : (rc >= 0 && rc <= 5));
		assert_int_equal(rc < 0 ? 0 : rc, s.n);
	}
}

static void test_not_answers(void **state)
{
	struct pkt p;
	struct seen s = {0};
	size_t q;

	header(&p, 0x0100, 1, 0); /* a query */
	question(&p, "api.openai.com", 1);
	assert_int_equal(parse_exact(&p, p.n, &s), -1);
	header(&p, 0x8183, 1, 1); /* NXDOMAIN */
	q = question(&p, "api.openai.com", 1);
	a_rr(&p, q, 1, "1.1.1.1");
	assert_int_equal(parse_exact(&p, p.n, &s), 0);
	header(&p, 0x8180, 2, 1); /* two questions */
	q = question(&p, "a.com", 1);
	question(&p, "b.com", 1);
	a_rr(&p, q, 1, "1.1.1.1");
	assert_int_equal(parse_exact(&p, p.n, &s), 0);
	header(&p, 0x8180, 1, 1); /* class CH */
	q = question(&p, "a.com", 1);
	u16(&p, (uint16_t)(0xc000 | q));
	u16(&p, 1);
	u16(&p, 3);
	u32(&p, 1);
	u16(&p, 4);
	u32(&p, 0x01020304);
	assert_int_equal(parse_exact(&p, p.n, &s), 0);
	assert_int_equal(rt_dns_parse_answers(NULL, 0, record, &s), -1);
	assert_int_equal(s.n, 0);
}

static void test_hostile(void **state)
{
	struct pkt p;
	struct seen s = {0};
	size_t q, self;

	/* an owner name that points at itself */
	header(&p, 0x8180, 1, 1);
	q = question(&p, "a.com", 1);
	self = p.n;
	u16(&p, (uint16_t)(0xc000 | self));
	rr(&p, 1, 1, 4);
	u32(&p, 0x01020304);
	assert_int_equal(parse_exact(&p, p.n, &s), 0);

	/* two names pointing at each other, and a pointer past the end */
	header(&p, 0x8180, 1, 2);
	q = question(&p, "a.com", 1);
	u16(&p, (uint16_t)(0xc000 | (p.n + 2)));
	u16(&p, (uint16_t)(0xc000 | (p.n - 2)));
	u16(&p, 0xc000 | 0x3fff);
	assert_int_equal(parse_exact(&p, p.n, &s), 0);

	/* a CNAME loop a.com -> b.com -> a.com, with an address for b.com */
	header(&p, 0x8180, 1, 3);
	q = question(&p, "a.com", 1);
	u16(&p, (uint16_t)(0xc000 | q));
	rr(&p, 5, 10, 7);
	self = labels(&p, "b.com", -1);
	u16(&p, (uint16_t)(0xc000 | self));
	rr(&p, 5, 10, 2);
	u16(&p, (uint16_t)(0xc000 | q));
	a_rr(&p, self, 10, "9.9.9.9");
	assert_int_equal(parse_exact(&p, p.n, &s), 2);
	assert_string_equal(s.text[1], "a.com 9.9.9.9 10");

	/* an AAAA holding a v4-mapped address is not learnt */
	s.n = 0;
	header(&p, 0x8180, 1, 1);
	q = question(&p, "a.com", 28);
	u16(&p, (uint16_t)(0xc000 | q));
	rr(&p, 28, 10, 16);
	for (int i = 0; i < 16; i++)
		u8(&p, i < 10 ? 0 : i < 12 ? 0xff : 7);
	assert_int_equal(parse_exact(&p, p.n, &s), 0);

	/* a label with a dot and a NUL inside is no host name */
	s.n = 0;
	header(&p, 0x8180, 1, 1);
	q = p.n;
	u8(&p, 3);
	u8(&p, 'a');
	u8(&p, '.');
	u8(&p, 0);
	u8(&p, 0);
	u16(&p, 1);
	u16(&p, 1);
	a_rr(&p, q, 1, "1.2.3.4");
	assert_int_equal(parse_exact(&p, p.n, &s), 0);
}

/* Random corruption of a valid message: only crashes matter here. */
static void test_mutations(void **state)
{
	struct pkt base, p;

	build_chain(&base);
	srand(42);
	for (int i = 0; i < 20000; i++) {
		struct seen s = {0};
		int flips = 1 + rand() % 4;

		p = base;
		for (int k = 0; k < flips; k++)
			p.b[rand() % p.n] = (uint8_t)rand();
		parse_exact(&p, (size_t)(rand() % (int)(p.n + 1)), &s);
	}
}

/* An answer may add a provider to an address only when its name belongs
 * to every provider known there. Bits: 1 openai, 2 mistral, 4 azure_openai. */
static void test_relabel(void **state)
{
	assert_true(rt_dns_relabel_ok(0, 1));	  /* nothing known yet */
	assert_true(rt_dns_relabel_ok(1, 1));	  /* the same provider */
	assert_true(rt_dns_relabel_ok(1 | 2, 1)); /* a shared address: adds nothing */
	assert_true(rt_dns_relabel_ok(1, 1 | 4)); /* the name is both providers' */
	assert_true(rt_dns_relabel_ok(1, 0));	  /* a dst.host name only */
	assert_false(rt_dns_relabel_ok(2, 1));	  /* mistral's address named openai */
	assert_false(rt_dns_relabel_ok(2, 1 | 4));
	assert_false(rt_dns_relabel_ok(1 | 2, 4)); /* a shared address, a third provider */
	assert_false(rt_dns_relabel_ok(1 | 2, 1 | 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a),
	    cmocka_unit_test(test_aaaa),
	    cmocka_unit_test(test_cname_chain),
	    cmocka_unit_test(test_stop),
	    cmocka_unit_test(test_truncated_everywhere),
	    cmocka_unit_test(test_not_answers),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_mutations),
	    cmocka_unit_test(test_relabel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
