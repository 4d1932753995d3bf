/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Predicate maps that aspend fills in userspace: processes that existed
 * before aspend started (later ones are tracked by the exec tracepoint),
 * cgroups (process.cgroup, container.id) and users (process.user).
 * The glob matcher here is the reference the kernel DFAs are tested against.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <linux/types.h>

#include "aspen_shared.h"
#include "daemon.h"
#include "policy_obj.h"
#include "procs.h"
#include "preds.h"
#include "container.h"
#include "rt_cgroup.h"

static bool has_preds(const struct aspen_meta *m, enum pred_class cls)
{
	for (size_t i = 0; i < m->npreds; i++)
		if (m->preds[i].cls == cls)
			return true;
	return false;
}

/* Record one process from /proc (buf: scratch). BPF_NOEXIST leaves
 * anything the kernel already recorded. 0, or -1 when it is gone or has no
 * executable (a kernel thread). */
static int proc_record(struct policy_obj *p, int fd, __u32 tgid, struct aspen_proc *proc)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/exe", tgid);
	memset(proc, 0, sizeof(*proc));
	n = readlink(link, proc->exe, sizeof(proc->exe) - 1);
	if (n <= 0)
		return -1;
	proc->exe[n] = 0;
	proc->exe_bits = aspen_pred_bits(&p->meta, PC_EXE, proc->exe, false);
	return bpf_map_update_elem(fd, &tgid, proc, BPF_NOEXIST) && errno != EEXIST ? -1 : 0;
}

/* exe bits of processes that were running before the exec tracepoint was
 * attached. */
int procs_fill(struct daemon *d, struct policy_obj *p)
{
	int fd = policy_map_fd(p->maps.proc);
	DIR *dir = opendir("/proc");
	struct dirent *de;
	struct aspen_proc *proc;

	(void)d;
	if (fd < 0 || !dir) {
		if (dir)
			closedir(dir);
		return -1;
	}
	proc = calloc(1, sizeof(*proc));
	if (!proc) {
		closedir(dir);
		return -1;
	}
	while ((de = readdir(dir))) {
		if (isdigit((unsigned char)de->d_name[0]))
			proc_record(p, fd, (__u32)strtoul(de->d_name, NULL, 10), proc);
	}
	free(proc);
	closedir(dir);
	return 0;
}

int procs_record(struct policy_obj *p, __u32 tgid)
{
	int fd = policy_map_fd(p->maps.proc);
	struct aspen_proc *proc;
	int rc;

	if (fd < 0 || !(proc = calloc(1, sizeof(*proc))))
		return -1;
	rc = proc_record(p, fd, tgid, proc);
	free(proc);
	return rc;
}

static bool has_cgroup_preds(const struct aspen_meta *m)
{
	return has_preds(m, PC_CGROUP) || has_preds(m, PC_CONTAINER);
}

/* Under a policy with process.cgroup or container.id rules every cgroup
 * gets an entry, 0 bits included: the kernel decides a cgroup with none
 * (one aspend has not seen yet) by `uninspectable` ("cgroup_unknown"). */
int cgroup_update(struct daemon *d, struct policy_obj *p, __u64 id, const char *path)
{
	char cid[80];
	const char *c = aspen_container_id(path, cid, sizeof(cid));
	__u64 bits = aspen_pred_bits(&p->meta, PC_CGROUP, path, false);
	int fd = policy_map_fd(p->maps.cgroup);

	if (c)
		bits |= aspen_pred_bits(&p->meta, PC_CONTAINER, c, false);
	if (d->cgcache)
		rt_cgcache_put(d->cgcache, id, path);
	if (fd < 0)
		return -1;
	if (!has_cgroup_preds(&p->meta))
		return 0;
	return bpf_map_update_elem(fd, &id, &bits, BPF_ANY);
}

struct cg_walk {
	struct daemon *d;
	struct policy_obj *p;
};

static int cg_walk_cb(uint64_t id, const char *path, void *ctx)
{
	struct cg_walk *w = ctx;

	cgroup_update(w->d, w->p, id, path);
	return 0;
}

int cgroups_fill(struct daemon *d, struct policy_obj *p)
{
	struct cg_walk w = {d, p};

	if (!has_cgroup_preds(&p->meta))
		return 0;
	return rt_cgroup_walk(d->cg2_mount, cg_walk_cb, &w) < 0 ? -1 : 0;
}

int users_fill(struct daemon *d, struct policy_obj *p)
{
	int fd = policy_map_fd(p->maps.user);
	struct passwd *pw;

	if (fd < 0)
		return -1;
	if (!has_preds(&p->meta, PC_USER))
		return 0;
	setpwent();
	while ((pw = getpwent())) {
		__u64 bits = aspen_pred_bits(&p->meta, PC_USER, pw->pw_name, false);
		__u32 uid = pw->pw_uid;

		if (bits)
			bpf_map_update_elem(fd, &uid, &bits, BPF_ANY);
	}
	endpwent();
	return 0;
}
