/* SPDX-License-Identifier: Apache-2.0 */
/* A kernel record in the terms people read (view.c): shared by the audit
 * trail (audit.c) and the recorder (record.c). */
#ifndef ASPEND_VIEW_H
#define ASPEND_VIEW_H

#include <stdbool.h>
#include <linux/types.h>

#include "aspen_shared.h"
#include "meta.h"

struct daemon;

/* Who did it: the process fields of a record, completed from /proc while
 * the process lives. */
struct proc_view {
	unsigned tgid, pid, uid, gid;
	char comm[ASPEN_COMM_LEN + 1];
	char exe[512];
	char user[64], cgroup[512], cid[80];
	bool has_user, has_cgroup, has_cid;
};

/* exe: the record's executable path (NUL-terminated), or NULL/"" to ask
 * /proc */
void proc_view_of(struct daemon *d, const struct aspen_conn *c, const char *exe,
		  struct proc_view *v);
/* The rule of index idx, or NULL */
const struct aspen_meta_rule *rule_at(const struct aspen_meta *m, unsigned idx);

#endif
