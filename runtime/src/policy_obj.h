/* SPDX-License-Identifier: Apache-2.0 */
/* One loaded policy object and everything attached for it. */
#ifndef ASPEND_POLICY_OBJ_H
#define ASPEND_POLICY_OBJ_H

#include <linux/types.h>

#include "aspen_shared.h"
#include "hook.h"
#include "meta.h"
#include "policy_skel.h"
#include "ringpos.h"

struct bpf_object;
struct policy_late;
struct ring_buffer;
struct rt_scrub;
struct rx;

#define ASPEND_MAX_LINKS 32

struct policy_obj {
	struct bpf_object *obj;
	struct aspen_meta meta;
	struct policy_maps maps; /* resolved when the object is opened */
	struct policy_progs progs;
	char sha256_obj[65];
	__u32 gen; /* aspen_config.gen: nonzero, differs from the object it replaces */
	struct hook_att att[ASPEND_MAX_LINKS]; /* what is attached for it (hooks.c) */
	int natt;
	struct ring_buffer *rb;
	void *rb_ctx;
	struct ringpos rpos; /* the ring's positions (redact.c: other holds?) */
	__u64 lost_seen;
	__u64 dns_seen[ASPEN_DNS_NSTATS]; /* DNS answers ignored, reported so far */
	struct rx *rx[64]; /* patterns to mask, for userspace (redact.c) */
	const struct aspen_meta_pattern *rx_pattern[64];
	struct rt_scrub *scrub; /* every pattern of the policy, for audit values (scrub.c) */
	int nlate;		/* per-process programs loaded late (policy_late.h) */
	struct policy_late *late;
	char btf_path[4096];  /* a small copy of the kernel's BTF for CO-RE, or "" (btf_cache.h) */
	char btf_build[4096]; /* where to write it after enforcing, or "" */
};

#endif
