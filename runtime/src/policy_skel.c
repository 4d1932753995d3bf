/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resolving a policy object's skeleton (policy_skel.h): one table of the
 * maps and programs aspend uses, each with the set of objects that have it.
 */
#include <stdbool.h>
#include <stdio.h>

#include <bpf/libbpf.h>
#include <linux/types.h>

#include "aspen_shared.h"
#include "policy_skel.h"

/* Which objects have a name: all, or none or all of a set. */
enum skel_set {
	SKEL_EVERY,    /* every object */
	SKEL_SOCKMAP,  /* every object built now; not connect-only objects of older builds */
	SKEL_TLS,      /* policies with request or response rules */
	SKEL_TLS_READ, /* policies with response rules */
	SKEL_DNS,      /* policies with wildcard provider hosts */
	SKEL_GO_READ,  /* policies with response rules, objects built since Go's read probes */
	SKEL_REDACT,   /* policies that redact, objects built since session 41 */
	SKEL_NSETS,
};

static const char *const set_what[SKEL_NSETS] = {
    [SKEL_EVERY] = "every policy object has it",
    [SKEL_SOCKMAP] = "the SOCKHASH and its socket states come together",
    [SKEL_TLS] = "the TLS maps and probes come together",
    [SKEL_TLS_READ] = "the TLS read probes come together",
    [SKEL_DNS] = "the DNS maps come together",
    [SKEL_GO_READ] = "Go's read probes come together",
    [SKEL_REDACT] = "aspen_redact_done comes alone",
};

struct skel_entry {
	const char *name;
	bool prog;  /* a program (else a map) */
	size_t off; /* of its field in struct policy_maps / policy_progs */
	enum skel_set set;
};

/* clang-format off */
#define MAP(field, name, set) { name, false, offsetof(struct policy_maps, field), set }
#define PROG(field, name, set) { name, true, offsetof(struct policy_progs, field), set }
/* clang-format on */

static const struct skel_entry entries[] = {
    MAP(config, ASPEN_MAP_CONFIG, SKEL_EVERY),
    MAP(events, ASPEN_MAP_EVENTS, SKEL_EVERY),
    MAP(lost, ASPEN_MAP_LOST, SKEL_EVERY),
    MAP(dst, ASPEN_MAP_DST, SKEL_EVERY),
    MAP(cidr, ASPEN_MAP_CIDR, SKEL_EVERY),
    MAP(ports, ASPEN_MAP_PORTS, SKEL_EVERY),
    MAP(proc, ASPEN_MAP_PROC, SKEL_EVERY),
    MAP(cgroup, ASPEN_MAP_CGROUP, SKEL_EVERY),
    MAP(user, ASPEN_MAP_USER, SKEL_EVERY),
    MAP(tls_ready, ASPEN_MAP_TLS_READY, SKEL_TLS),
    MAP(ledger, ASPEN_MAP_LEDGER, SKEL_TLS),
    MAP(tid_session, ASPEN_MAP_TID_SESSION, SKEL_TLS),
    MAP(sockhash, ASPEN_MAP_SOCKHASH, SKEL_SOCKMAP),
    MAP(socks, ASPEN_MAP_SOCKS, SKEL_SOCKMAP),
    MAP(h2conns, ASPEN_MAP_H2CONNS, SKEL_TLS),
    MAP(redact_held, ASPEN_MAP_REDACT_HELD, SKEL_TLS),
    MAP(spill, ASPEN_MAP_SPILL, SKEL_TLS),
    MAP(spill_free, ASPEN_MAP_SPILL_FREE, SKEL_TLS),
    MAP(spill_of, ASPEN_MAP_SPILL_OF, SKEL_TLS),
    MAP(dns_stats, ASPEN_MAP_DNS_STATS, SKEL_DNS),
    PROG(ssl_write, ASPEN_PROG_SSL_WRITE, SKEL_TLS),
    PROG(gnutls_send, ASPEN_PROG_GNUTLS_SEND, SKEL_TLS),
    PROG(write_ret, ASPEN_PROG_WRITE_RET, SKEL_TLS),
    PROG(go_write, ASPEN_PROG_GO_WRITE, SKEL_TLS),
    PROG(ssl_read, ASPEN_PROG_SSL_READ, SKEL_TLS_READ),
    PROG(ssl_read_ex, ASPEN_PROG_SSL_READ_EX, SKEL_TLS_READ),
    PROG(gnutls_recv, ASPEN_PROG_GNUTLS_RECV, SKEL_TLS_READ),
    PROG(tls_read_ret, ASPEN_PROG_TLS_READ_RET, SKEL_TLS_READ),
    PROG(go_read, ASPEN_PROG_GO_READ, SKEL_GO_READ),
    PROG(go_read_ret, ASPEN_PROG_GO_READ_RET, SKEL_GO_READ),
    PROG(redact_done, ASPEN_PROG_REDACT_DONE, SKEL_REDACT),
};

#define NENTRIES (sizeof(entries) / sizeof(entries[0]))

static void *slot(const struct skel_entry *e, struct policy_maps *maps, struct policy_progs *progs)
{
	return (char *)(e->prog ? (void *)progs : (void *)maps) + e->off;
}

static bool resolve(struct bpf_object *obj, const struct skel_entry *e, struct policy_maps *maps,
		    struct policy_progs *progs)
{
	void *p = slot(e, maps, progs);

	if (e->prog) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, e->name);

		*(struct bpf_program **)p = prog;
		return prog != NULL;
	}
	struct bpf_map *map = bpf_object__find_map_by_name(obj, e->name);

	*(struct bpf_map **)p = map;
	return map != NULL;
}

int policy_skel_open(struct bpf_object *obj, struct policy_maps *maps, struct policy_progs *progs,
		     char *err, size_t errlen)
{
	const struct skel_entry *found[SKEL_NSETS] = {0}, *missing[SKEL_NSETS] = {0};

	for (size_t i = 0; i < NENTRIES; i++) {
		const struct skel_entry *e = &entries[i];

		if (resolve(obj, e, maps, progs))
			found[e->set] = found[e->set] ? found[e->set] : e;
		else
			missing[e->set] = missing[e->set] ? missing[e->set] : e;
	}
	for (int s = 0; s < SKEL_NSETS; s++) {
		const struct skel_entry *m = missing[s];

		if (!m || (s != SKEL_EVERY && !found[s]))
			continue;
		if (s == SKEL_EVERY)
			snprintf(err, errlen, "the object has no %s %s (%s)",
				 m->prog ? "program" : "map", m->name, set_what[s]);
		else
			snprintf(err, errlen, "the object has %s %s but no %s %s (%s)",
				 found[s]->prog ? "program" : "map", found[s]->name,
				 m->prog ? "program" : "map", m->name, set_what[s]);
		return -1;
	}
	return 0;
}

int policy_map_fd(const struct bpf_map *m)
{
	return m ? bpf_map__fd(m) : -1;
}
