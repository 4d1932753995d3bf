/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Provider identity by destination address. aspend gathers (address, name)
 * pairs from --hosts, --resolve and the system resolver, and writes for
 * each address the providers whose host globs match one of its names
 * (aspen_dst), the providers' CIDRs (aspen_cidr) and ports (aspen_ports).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include <linux/types.h>

#include "aspen_shared.h"
#include "daemon.h"
#include "hosts.h"
#include "log.h"
#include "policy_obj.h"
#include "preds.h"
#include "rt_dns.h"
#include "rt_hosts.h"

#define DEFAULT_PROVIDER_PORT 443

static int add_host(const struct in6_addr *addr, int family, const char *host, void *ctx)
{
	struct daemon *d = ctx;
	struct known_host *h;

	for (size_t i = 0; i < d->nhosts; i++)
		if (!memcmp(&d->hosts[i].addr, addr, sizeof(*addr)) &&
		    !strcmp(d->hosts[i].name, host))
			return 0;
	if (d->nhosts == d->caphosts) {
		size_t cap = d->caphosts ? d->caphosts * 2 : 64;
		struct known_host *n = realloc(d->hosts, cap * sizeof(*n));

		if (!n)
			return -1;
		d->hosts = n;
		d->caphosts = cap;
	}
	h = &d->hosts[d->nhosts++];
	snprintf(h->name, sizeof(h->name), "%s", host);
	h->addr = *addr;
	return 0;
}

const char *hosts_name(struct daemon *d, __u32 idx)
{
	return idx < d->nhosts ? d->hosts[idx].name : NULL;
}

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

/* ---- the system resolver, off the event loop ----------------------------
 * getaddrinfo blocks for as long as DNS takes (seconds per name when the
 * server does not answer); nothing waits for it: neither the start-up (the
 * policy is attached with what --hosts, --resolve and the CIDRs know) nor
 * the event loop (the kernel holds threads only for a live aspend). A few
 * worker threads resolve the provider names; the loop merges each name's
 * addresses as soon as they arrive and says so in the log. */

#define RS_WORKERS 4

struct resolved {
	struct in6_addr addr;
	int family;
	char name[256];
};

static pthread_mutex_t rs_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t rs_threads[RS_WORKERS];
static int rs_nthreads, rs_running;
static bool rs_busy, rs_verbose;
static char **rs_names;
static size_t rs_nnames, rs_next;
static struct resolved *rs_out; /* arrived, not merged yet */
static size_t rs_nout, rs_cap;

static void rs_append(const char *name, const struct rt_ip *ips, int n)
{
	for (int k = 0; k < n; k++) {
		if (rs_nout == rs_cap) {
			size_t cap = rs_cap ? rs_cap * 2 : 64;
			struct resolved *o = realloc(rs_out, cap * sizeof(*o));

			if (!o)
				return;
			rs_out = o;
			rs_cap = cap;
		}
		rs_out[rs_nout].addr = ips[k].addr;
		rs_out[rs_nout].family = ips[k].family;
		snprintf(rs_out[rs_nout].name, sizeof(rs_out[0].name), "%s", name);
		rs_nout++;
	}
}

static void *resolver_main(void *arg)
{
	for (;;) {
		struct rt_ip ips[32];
		char err[256];
		const char *name;
		int n;

		pthread_mutex_lock(&rs_mu);
		if (rs_next == rs_nnames) {
			rs_running--;
			pthread_mutex_unlock(&rs_mu);
			return arg;
		}
		name = rs_names[rs_next++];
		pthread_mutex_unlock(&rs_mu);
		n = rt_resolve_name(name, ips, 32, err, sizeof(err));
		if (n < 0 && rs_verbose)
			log_warn("resolve %s: %s", name, err);
		pthread_mutex_lock(&rs_mu);
		rs_append(name, ips, n);
		pthread_mutex_unlock(&rs_mu);
	}
}

static void free_names(void)
{
	for (size_t i = 0; i < rs_nnames; i++)
		free(rs_names[i]);
	free(rs_names);
	rs_names = NULL;
	rs_nnames = 0;
}

/* Start resolving the policy's (non-wildcard) provider names, unless a
 * round is still running. */
void resolver_start(struct daemon *d, const struct aspen_meta *m)
{
	if (d->opts.no_resolve || rs_busy)
		return;
	free_names();
	rs_names = calloc(m->nhosts ? m->nhosts : 1, sizeof(*rs_names));
	for (size_t i = 0; rs_names && i < m->nhosts; i++)
		if (!is_glob(m->hosts[i].name)) /* wildcards: learned from DNS answers */
			rs_names[rs_nnames++] = strdup(m->hosts[i].name);
	rs_verbose = d->opts.verbose;
	rs_next = 0;
	rs_nthreads = 0;
	rs_running = 0;
	pthread_mutex_lock(&rs_mu);
	for (int i = 0; i < RS_WORKERS && (size_t)i < rs_nnames; i++)
		if (pthread_create(&rs_threads[rs_nthreads], NULL, resolver_main, NULL) == 0)
			rs_nthreads++, rs_running++;
	pthread_mutex_unlock(&rs_mu);
	rs_busy = rs_nthreads > 0;
}

/* Merge the addresses that arrived, one log line per name with new ones. */
static size_t merge(struct daemon *d, struct resolved *out, size_t nout)
{
	size_t added = 0;

	for (size_t i = 0, fresh = 0; i < nout; i++) {
		size_t before = d->nhosts;

		add_host(&out[i].addr, out[i].family, out[i].name, d);
		fresh += d->nhosts > before;
		if (i + 1 == nout || strcmp(out[i + 1].name, out[i].name)) {
			if (fresh)
				log_info("resolved %s: %zu new address(es) in force", out[i].name,
					 fresh);
			added += fresh;
			fresh = 0;
		}
	}
	return added;
}

bool resolver_busy(void)
{
	return rs_busy;
}

/* Merge what arrived into the address maps (wait: the whole round).
 * Returns 1 once the round is over. */
int resolver_poll(struct daemon *d, struct policy_obj *p, bool wait)
{
	struct resolved *out;
	size_t nout;
	int running;

	if (!rs_busy)
		return 0;
	if (wait)
		for (int i = 0; i < rs_nthreads; i++)
			pthread_join(rs_threads[i], NULL);
	pthread_mutex_lock(&rs_mu);
	out = rs_out;
	nout = rs_nout;
	rs_out = NULL;
	rs_nout = rs_cap = 0;
	running = rs_running;
	pthread_mutex_unlock(&rs_mu);
	if (merge(d, out, nout) && p)
		hosts_fill_maps(d, p);
	free(out);
	if (running)
		return 0;
	for (int i = 0; !wait && i < rs_nthreads; i++)
		pthread_join(rs_threads[i], NULL);
	rs_busy = false;
	return 1;
}

/* Static sources (--hosts, --resolve) into the table of known (address,
 * name) pairs; what the resolver and DNS answers taught is kept. */
int hosts_collect(struct daemon *d, const struct aspen_meta *m)
{
	char err[512];
	int rc;

	if (d->opts.hosts_file) {
		rc = rt_hosts_parse_file(d->opts.hosts_file, add_host, d, err, sizeof(err));
		if (rc < 0) {
			log_err("--hosts: %s", err);
			return -1;
		}
		if (rc > 0)
			log_warn("--hosts: %d malformed line(s) skipped, first: %s", rc, err);
	}
	for (int i = 0; i < d->opts.nresolve; i++) {
		if (rt_resolve_arg(d->opts.resolve[i], add_host, d, err, sizeof(err))) {
			log_err("--resolve %s: %s", d->opts.resolve[i], err);
			return -1;
		}
	}
	(void)m;
	return 0;
}


/* Merge known host i into the address map; 1 if it names a provider or a
 * dst.host predicate, 0 if it is of no interest, -1 on a map error. */
static int dst_put(int fd, struct daemon *d, struct policy_obj *p, size_t i)
{
	struct aspen_dst_info info = { 0 }, old;
	struct aspen_ip_key key;

	info.providers = aspen_meta_host_providers(&p->meta, d->hosts[i].name);
	info.host_bits = aspen_pred_bits(&p->meta, PC_HOST, d->hosts[i].name, true);
	if (!info.providers && !info.host_bits)
		return 0;
	memcpy(key.addr, &d->hosts[i].addr, 16);
	info.host_idx = (__u32)i;
	if (bpf_map_lookup_elem(fd, &key, &old) == 0) {
		info.providers |= old.providers;
		info.host_bits |= old.host_bits;
		if (old.providers || !info.providers)
			info.host_idx = old.host_idx;
	}
	return bpf_map_update_elem(fd, &key, &info, BPF_ANY) < 0 ? -1 : 1;
}

static int fill_dst(struct daemon *d, struct policy_obj *p)
{
	int fd = policy_map_fd(p->maps.dst);
	size_t n = 0;

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < d->nhosts; i++) {
		int rc = dst_put(fd, d, p, i);

		if (rc < 0)
			return -1;
		n += rc;
	}
	log_info("%zu provider address(es) known", n);
	return 0;
}

struct learn_ctx {
	struct daemon *d;
	struct policy_obj *p;
	hosts_relabel_fn relabel;
};

/* The providers the kernel takes addr for: aspen_dst and the CIDRs. */
static __u64 known_providers(struct policy_obj *p, const struct in6_addr *addr)
{
	struct aspen_dst_info info;
	struct aspen_cidr_key ck = {.prefixlen = 128};
	struct aspen_ip_key key;
	__u64 known = 0, cidr;

	memcpy(key.addr, addr, 16);
	if (bpf_map_lookup_elem(policy_map_fd(p->maps.dst), &key, &info) == 0)
		known = info.providers;
	memcpy(ck.addr, addr, 16);
	if (bpf_map_lookup_elem(policy_map_fd(p->maps.cidr), &ck, &cidr) == 0)
		known |= cidr;
	return known;
}

/* Whether this (address, name) conflict was reported already: the last
 * few are remembered, so a client asking again does not flood the trail. */
static bool conflict_seen(const struct in6_addr *addr, const char *name)
{
	static struct {
		struct in6_addr addr;
		char name[256];
	} seen[64];
	static unsigned next;

	for (size_t i = 0; i < 64; i++)
		if (!memcmp(&seen[i].addr, addr, sizeof(*addr)) && !strcmp(seen[i].name, name))
			return true;
	seen[next % 64].addr = *addr;
	snprintf(seen[next % 64].name, sizeof(seen[0].name), "%s", name);
	next++;
	return false;
}

/* An answer naming name for an address known for other providers: not
 * learned; logged, and reported to the caller's relabel function. */
static void report_relabel(struct learn_ctx *lc, const char *name, const struct in6_addr *addr,
			   __u64 known, __u64 named)
{
	struct policy_obj *p = lc->p;
	char ip[INET6_ADDRSTRLEN], was[256], now[256], msg[900];

	if (conflict_seen(addr, name))
		return;
	rt_ip_to_str(addr, ip, sizeof(ip));
	aspen_meta_provider_names(&p->meta, known, was, sizeof(was));
	aspen_meta_provider_names(&p->meta, named, now, sizeof(now));
	snprintf(msg, sizeof(msg),
		 "a DNS answer names %s (%s) for %s, an address of %s: not learned", name, now, ip,
		 was);
	log_warn("%s", msg);
	lc->relabel(lc->d, msg, name, ip);
}

static int learn_answer(const char *name, const struct in6_addr *addr, int family,
			uint32_t ttl, void *arg)
{
	struct learn_ctx *lc = arg;
	struct daemon *d = lc->d;
	size_t before = d->nhosts;
	char ip[INET6_ADDRSTRLEN];
	__u64 named = aspen_meta_host_providers(&lc->p->meta, name), known;

	if (!named && !aspen_pred_bits(&lc->p->meta, PC_HOST, name, true))
		return 0;
	known = known_providers(lc->p, addr);
	if (!rt_dns_relabel_ok(known, named)) {
		report_relabel(lc, name, addr, known, named);
		return 0;
	}
	if (add_host(addr, family, name, d) < 0 || d->nhosts == before)
		return 0; /* known already */
	if (dst_put(policy_map_fd(lc->p->maps.dst), d, lc->p, d->nhosts - 1) > 0)
		log_info("learned %s = %s from a DNS answer", name,
			 rt_ip_to_str(addr, ip, sizeof(ip)));
	return 0;
}

/* A DNS answer to a query sent from the monitored cgroup (the kernel
 * matched them): learn provider addresses that only DNS can tell
 * (wildcard hosts, CDN rotation). */
void hosts_learn(struct daemon *d, struct policy_obj *p, const __u8 *payload, size_t len,
		 hosts_relabel_fn relabel)
{
	struct learn_ctx lc = {d, p, relabel};

	rt_dns_parse_answers(payload, len, learn_answer, &lc);
}

static int fill_ports(struct policy_obj *p)
{
	int fd = policy_map_fd(p->maps.ports);

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < p->meta.nproviders; i++) {
		const struct aspen_meta_provider *pr = &p->meta.providers[i];
		__u64 bit = 1ULL << (pr->idx & 63), mask;
		uint16_t dflt = DEFAULT_PROVIDER_PORT;
		const uint16_t *ports = pr->nports ? pr->ports : &dflt;
		size_t np = pr->nports ? pr->nports : 1;

		for (size_t k = 0; k < np; k++) {
			__u16 port = ports[k];

			if (bpf_map_lookup_elem(fd, &port, &mask) < 0)
				mask = 0;
			mask |= bit;
			if (bpf_map_update_elem(fd, &port, &mask, BPF_ANY) < 0)
				return -1;
		}
	}
	return 0;
}


static int fill_cidrs(struct policy_obj *p)
{
	int fd = policy_map_fd(p->maps.cidr);

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < p->meta.ncidrs; i++) {
		struct aspen_cidr_key key;
		__u64 mask = 0;
		int plen;

		if (aspen_cidr_parse(p->meta.cidrs[i].cidr, key.addr, &plen) < 0) {
			log_warn("bad CIDR in policy metadata: %s", p->meta.cidrs[i].cidr);
			continue;
		}
		key.prefixlen = (__u32)plen;
		bpf_map_lookup_elem(fd, &key, &mask);
		mask |= 1ULL << (p->meta.cidrs[i].provider & 63);
		if (bpf_map_update_elem(fd, &key, &mask, BPF_ANY) < 0)
			return -1;
	}
	return 0;
}

int hosts_fill_maps(struct daemon *d, struct policy_obj *p)
{
	if (fill_ports(p) < 0 || fill_cidrs(p) < 0 || fill_dst(d, p) < 0)
		return -1;
	return 0;
}
