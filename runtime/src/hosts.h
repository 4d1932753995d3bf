/* SPDX-License-Identifier: Apache-2.0 */
/* Provider identity by destination address (hosts.c): the known (address,
 * name) pairs from --hosts, --resolve, the resolver thread and DNS answers,
 * and the maps they fill (aspen_dst, aspen_cidr, aspen_ports). */
#ifndef ASPEND_HOSTS_H
#define ASPEND_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct aspen_meta;
struct daemon;
struct policy_obj;

/* --hosts and --resolve into the known pairs */
int hosts_collect(struct daemon *d, const struct aspen_meta *m);
/* Resolve the policy's provider names on a thread (unless a round runs) */
void resolver_start(struct daemon *d, const struct aspen_meta *m);
/* Merge a finished round (wait: for it to finish); 1 if one was merged */
int resolver_poll(struct daemon *d, struct policy_obj *p, bool wait);
/* A resolver round is under way (not yet merged by resolver_poll). */
bool resolver_busy(void);
int hosts_fill_maps(struct daemon *d, struct policy_obj *p);
/* The name of known host idx (aspen_dst_info.host_idx), or NULL */
const char *hosts_name(struct daemon *d, __u32 idx);
/* An answer that names host for ip, an address of other providers: it is
 * not learned; msg says so (and is logged already) */
typedef void (*hosts_relabel_fn)(struct daemon *d, const char *msg, const char *host,
				 const char *ip);
/* Learn provider addresses from a DNS answer (the kernel matched it to a
 * query from the cgroup); relabel is told of the answers refused */
void hosts_learn(struct daemon *d, struct policy_obj *p, const __u8 *payload, size_t len,
		 hosts_relabel_fn relabel);

#endif
