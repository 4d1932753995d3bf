/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The skeleton of a policy object: every map and program aspend uses,
 * resolved by name once, when the object is opened (as libbpf-bootstrap's
 * generated skeletons do), so that no hot path looks a name up. Names and
 * value layouts: bpf-templates/aspen_shared.h.
 */
#ifndef ASPEND_POLICY_SKEL_H
#define ASPEND_POLICY_SKEL_H

#include <stddef.h>

struct bpf_object;
struct bpf_map;
struct bpf_program;

struct policy_maps {
	/* in every object (aspen_prelude.bpf.h) */
	struct bpf_map *config, *events, *lost;
	struct bpf_map *dst, *cidr, *ports;
	struct bpf_map *proc, *cgroup, *user;
	/* policies with request or response rules; NULL in the others */
	struct bpf_map *tls_ready, *ledger, *tid_session, *sockhash, *socks, *h2conns;
	struct bpf_map *redact_held;
	struct bpf_map *spill, *spill_free, *spill_of; /* spill slots (spill.c) */
	/* policies with wildcard provider hosts (aspen_dns.bpf.h); NULL in the others */
	struct bpf_map *dns_stats;
};

struct policy_progs {
	/* TLS probes, attached per process (policies with request or
	 * response rules); NULL in the others */
	struct bpf_program *ssl_write, *gnutls_send, *write_ret, *go_write;
	/* read probes (policies with response rules); NULL in the others */
	struct bpf_program *ssl_read, *ssl_read_ex, *gnutls_recv, *tls_read_ret;
	/* Go's read probes (the same policies; NULL in objects built before them) */
	struct bpf_program *go_read, *go_read_ret;
	/* a hold's HELD -> DONE (policies that redact, objects built since
	 * session 41; NULL in the others: redact.c updates the map) */
	struct bpf_program *redact_done;
};

/* Fill maps and progs from an opened (not necessarily loaded) object.
 * Returns 0, or -1 with err naming the map or program the object lacks:
 * one every object has, or one of a set that comes whole (the TLS maps
 * and probes, the read probes). */
int policy_skel_open(struct bpf_object *obj, struct policy_maps *maps, struct policy_progs *progs,
		     char *err, size_t errlen);

/* The map's fd once the object is loaded; -1 for a map the object lacks. */
int policy_map_fd(const struct bpf_map *m);

#endif
