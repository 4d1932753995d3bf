/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A kernel record in the terms people read, shared by the audit trail and
 * the recorder: who did it (the process, from the record and from /proc
 * while it lives) and which rule (decision names: common/names.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "daemon.h"
#include "rt_cgroup.h"
#include "view.h"

const struct aspen_meta_rule *rule_at(const struct aspen_meta *m, unsigned idx)
{
	for (size_t i = 0; i < m->nrules; i++)
		if (m->rules[i].idx == (int)idx)
			return &m->rules[i];
	return NULL;
}

/* Who did it, from a kernel record (and /proc while the process lives):
 * shared by the audit trail and the recorder. */
void proc_view_of(struct daemon *d, const struct aspen_conn *c, const char *exe,
		  struct proc_view *v)
{
	char link[64];

	memset(v, 0, sizeof(*v));
	v->tgid = c->tgid;
	v->pid = c->pid;
	v->uid = c->uid;
	v->gid = c->gid;
	memcpy(v->comm, c->comm, ASPEN_COMM_LEN);
	v->comm[ASPEN_COMM_LEN] = 0;
	if (!v->comm[0]) { /* a record the kernel could not name: ask /proc */
		FILE *f;

		snprintf(link, sizeof(link), "/proc/%u/comm", c->tgid);
		f = fopen(link, "r");
		if (f && fgets(v->comm, sizeof(v->comm), f))
			v->comm[strcspn(v->comm, "\n")] = 0;
		if (f)
			fclose(f);
	}
	if (exe && exe[0]) {
		snprintf(v->exe, sizeof(v->exe), "%s", exe);
	} else { /* not seen by the exec hook: ask /proc while it lives */
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/%u/exe", c->tgid);
		n = readlink(link, v->exe, sizeof(v->exe) - 1);
		v->exe[n > 0 ? n : 0] = 0;
	}
	v->has_user = rt_user_name(c->uid, v->user, sizeof(v->user)) == 0;
	v->has_cgroup = d->cgcache && rt_cgcache_resolve(d->cgcache, c->cgroup_id, v->cgroup,
							 sizeof(v->cgroup)) == 0;
	v->has_cid = v->has_cgroup && aspen_container_id(v->cgroup, v->cid, sizeof(v->cid));
}
