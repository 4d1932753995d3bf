/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DNS responses seen in the monitored cgroup (ASPEN_EV_DNS: a UDP payload
 * from the DNS header on, at most ASPEN_DNS_MAX bytes, possibly cut short).
 * aspend learns from them the addresses of wildcard provider hosts
 * (*.openai.azure.com) that it cannot resolve in advance.
 */
#ifndef ASPEN_RT_DNS_H
#define ASPEN_RT_DNS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One learnt (name, address). name is lower-case without a trailing dot;
 * addr is v4-mapped for AF_INET; ttl in seconds: the record's own for its
 * owner name, and for the question name the smallest along the CNAME
 * chain that led to it. Return nonzero to stop. */
typedef int (*rt_dns_cb)(const char *name, const struct in6_addr *addr, int family, uint32_t ttl,
			 void *ctx);

/* Parses a response and calls cb for every A/AAAA answer of class IN
 * that belongs to the question: its owner is the question name or a name
 * the CNAME records of the answer section lead to from it (what a stub
 * resolver accepts; unrelated records in a response are not learnt). Each
 * such address is reported for its owner name and, when the owner is a
 * CNAME target, for the question name too.
 *
 * Never reads past n: a record cut short ends the parse, and the answers
 * before it still count. Compression pointers are followed at most 16
 * times per name. Queries, non-zero rcodes and messages without exactly
 * one question yield nothing.
 *
 * Returns the number of calls made to cb, or -1 if p is not a DNS
 * response at all (shorter than a header, or a query). TCP messages must
 * be passed without their two-byte length prefix. */
int rt_dns_parse_answers(const uint8_t *p, size_t n, rt_dns_cb cb, void *ctx);

/* Whether a DNS answer that names an address for a host of the providers
 * `named` (bit i: provider i's host globs match the name) may be learned
 * where the address is already known for the providers `known`: yes when
 * nothing was known, when it adds no provider, or when the name belongs
 * to every provider known there (the address then serves all of them).
 * Anything else would relabel another provider's address. */
bool rt_dns_relabel_ok(uint64_t known, uint64_t named);

#endif
