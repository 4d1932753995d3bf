/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where aspend learns provider addresses: hosts(5) files (--hosts, the
 * e2e tests' bind-mounted /etc/hosts), --resolve HOST=IP, and getaddrinfo.
 * Addresses are carried as struct in6_addr, IPv4 as v4-mapped
 * (::ffff:a.b.c.d), the key layout of map aspen_dst.
 */
#ifndef ASPEN_RT_HOSTS_H
#define ASPEN_RT_HOSTS_H

#include <netinet/in.h>
#include <stddef.h>

#define RT_HOST_MAX 254 /* 253 characters of a DNS name, plus the NUL */

/* One (address, name) pair. family is AF_INET (addr v4-mapped) or
 * AF_INET6; host is normalised (rt_host_normalize). Return 0 to go on,
 * anything else to stop the parse, which then returns that value. */
typedef int (*rt_host_cb)(const struct in6_addr *addr, int family, const char *host, void *ctx);

struct rt_ip {
	struct in6_addr addr; /* v4-mapped for AF_INET */
	int family;
};

/* Lower-cases ASCII letters and drops one trailing dot, in place.
 * Returns 0, or -1 if the result is not a valid host name (rt_host_valid). */
int rt_host_normalize(char *host);

/* 1 if host is a DNS name we accept: 1..253 characters, labels of 1..63
 * of [A-Za-z0-9_-] separated by single dots. */
int rt_host_valid(const char *host);

/* Parses an IPv4 or IPv6 literal ("1.2.3.4", "::1", "[::1]", "fe80::1%eth0"
 * without the zone). Returns 0 or -1. */
int rt_ip_parse(const char *s, struct rt_ip *out);

/* Text for the audit: v4-mapped addresses as a dotted quad. Returns out
 * (INET6_ADDRSTRLEN bytes are enough). */
const char *rt_ip_to_str(const struct in6_addr *addr, char *out, size_t len);

/* Calls cb for every name on every address line of a hosts(5) file.
 * Comments (#) and blank lines are skipped. A malformed line (bad address,
 * no name, bad name) is skipped too and counted: the return value is the
 * number of malformed lines, err names the first as "file:line: why".
 * Returns -1 with err set if the file cannot be read, or cb's nonzero
 * value if it stopped the parse. */
int rt_hosts_parse_file(const char *path, rt_host_cb cb, void *ctx, char *err, size_t errlen);

/* Parses one --resolve argument, HOST=IP[,IP...] (IPv6 may be bracketed),
 * calling cb for every address. Returns 0, -1 with err set, or cb's
 * nonzero value. */
int rt_resolve_arg(const char *arg, rt_host_cb cb, void *ctx, char *err, size_t errlen);

/* Every A and AAAA address of host (getaddrinfo, deduplicated), at most
 * max in out. Returns the count (0 never: no address is an error), or -1
 * with err set. getaddrinfo blocks for as long as the system resolver
 * takes: call this from the resolver thread, never from the event loop. */
int rt_resolve_name(const char *host, struct rt_ip *out, size_t max, char *err, size_t errlen);

#endif
