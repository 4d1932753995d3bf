/* SPDX-License-Identifier: Apache-2.0 */
/* The predicate maps aspend fills (procs.c): processes that ran before it
 * started (aspen_proc), cgroups (aspen_cgroup) and users (aspen_user). */
#ifndef ASPEND_PROCS_H
#define ASPEND_PROCS_H

#include <linux/types.h>

struct daemon;
struct policy_obj;

int procs_fill(struct daemon *d, struct policy_obj *p);
/* A process the kernel has no record of (aspen_proc was full, or it forked
 * while aspend started): record it from /proc, as procs_fill does. */
int procs_record(struct policy_obj *p, __u32 tgid);
int cgroups_fill(struct daemon *d, struct policy_obj *p);
/* A cgroup was created (or found at start): its predicate bits and the
 * audit's cgroup cache */
int cgroup_update(struct daemon *d, struct policy_obj *p, __u64 id, const char *path);
int users_fill(struct daemon *d, struct policy_obj *p);

#endif
