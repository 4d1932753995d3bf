/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Process tracking: which executable each process runs, and the policy's
 * process.exe predicate bits for it, computed in the kernel at exec so a
 * process that connects right after exec() is already known (no race with
 * aspend). Needs aspen_exe_bits() from the generated code.
 */
#ifndef ASPEN_PROC_BPF_H
#define ASPEN_PROC_BPF_H

/* Minimal kernel structures, relocated by CO-RE against the running
 * kernel's BTF: only the fields read below. */
struct qstr {
	union {
		struct {
			__u32 hash;
			__u32 len;
		};
		__u64 hash_len;
	};
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
} __attribute__((preserve_access_index));

struct vfsmount {
	struct dentry *mnt_root;
} __attribute__((preserve_access_index));

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
} __attribute__((preserve_access_index));

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
} __attribute__((preserve_access_index));

struct file {
	struct path f_path;
} __attribute__((preserve_access_index));

struct mm_struct {
	struct file *exe_file;
} __attribute__((preserve_access_index));

struct task_struct {
	struct mm_struct *mm;
} __attribute__((preserve_access_index));

#define ASPEN_PATH_DEPTH 32
#define ASPEN_SCRATCH 1024 /* path is assembled backwards from offset 512 */

struct aspen_path_scratch {
	char buf[ASPEN_SCRATCH];
	struct aspen_proc proc;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aspen_path_scratch);
} aspen_path_scratch SEC(".maps");

struct aspen_walk {
	struct aspen_path_scratch *s;
	struct dentry *d;
	struct mount *m;
	int pos;
};

/* One step of the walk up from the file to the root: crossing a mount
 * point, or prepending one path component. Written for bpf_loop so the
 * verifier checks the body once instead of once per level. */
static long aspen_walk_step(__u32 i, void *arg)
{
	struct aspen_walk *w = arg;
	/* locals: CO-RE reads must not see through struct aspen_walk */
	struct dentry *d = w->d;
	struct mount *m = w->m;
	struct vfsmount *vm = (struct vfsmount *)((char *)m +
						   bpf_core_field_offset(struct mount, mnt));
	struct dentry *root = BPF_CORE_READ(vm, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);

	if (d == root) {
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);

		if (mp == m)
			return 1; /* the root of the mount tree */
		w->d = BPF_CORE_READ(m, mnt_mountpoint);
		w->m = mp;
		return 0;
	}
	if (d == parent)
		return 1;
	__u32 len = BPF_CORE_READ(d, d_name.len);
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	int pos = w->pos;

	if (len > 255 || (int)len + 1 > pos - 256)
		return 1; /* keep at most ASPEN_EXE_LEN - 1 bytes */
	pos -= len;
	if (pos < 1 || pos > 511)
		return 1;
	bpf_probe_read_kernel(&w->s->buf[pos], len & 255, name);
	pos -= 1;
	w->s->buf[pos] = '/';
	w->pos = pos;
	w->d = parent;
	return 0;
}

/* Walk dentries (crossing mounts) from the file up to the root, writing
 * components right to left so the result is "/a/b/c" ending at offset 512.
 * Returns the start offset; paths longer than ASPEN_EXE_LEN are cut. */
static __always_inline int aspen_build_path(struct aspen_path_scratch *s, struct path *fp)
{
	struct vfsmount *vm = fp->mnt;
	struct dentry *d = fp->dentry;
	struct aspen_walk w = {
		.s = s,
		.d = d,
		.m = (struct mount *)((char *)vm - bpf_core_field_offset(struct mount, mnt)),
		.pos = 512,
	};

	s->buf[512] = 0;
	bpf_loop(ASPEN_PATH_DEPTH, aspen_walk_step, &w, 0);
	if (w.pos >= 512) {
		w.pos = 511;
		s->buf[511] = '/';
	}
	return w.pos & 511;
}

#if ASPEN_NEED_TLS
/* where each process stands with its TLS probes (aspen_tls.bpf.h) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* entries allocated on insert: start-up (issue 14) */
	__uint(max_entries, 65536);
	__type(key, __u32); /* tgid */
	__type(value, struct aspen_tls_proc);
} aspen_tls_ready SEC(".maps");
#endif

SEC("tracepoint/sched/sched_process_exec")
int aspen_exec(void *ctx)
{
	__u32 k = 0;
	struct aspen_path_scratch *s = bpf_map_lookup_elem(&aspen_path_scratch, &k);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!s)
		return 0;
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);

	if (!exe)
		return 0;
	struct path fp;

	if (bpf_probe_read_kernel(&fp, sizeof(fp), &exe->f_path))
		return 0;
	int pos = aspen_build_path(s, &fp);

	bpf_probe_read_kernel(s->proc.exe, ASPEN_EXE_LEN, &s->buf[pos]);
	s->proc.exe[ASPEN_EXE_LEN - 1] = 0;
	s->proc.exe_bits = aspen_exe_bits(s->proc.exe);
	bpf_map_update_elem(&aspen_proc, &tgid, &s->proc, BPF_ANY);
#if ASPEN_NEED_TLS
	/* a new image is a new process to inspect: its first provider
	 * connection holds it again while its own TLS library is probed */
	bpf_map_delete_elem(&aspen_tls_ready, &tgid);
#endif
	return 0;
}

/* Tracepoint records, relocated by CO-RE against this kernel's BTF: their
 * layouts change between releases (6.1 had char[16] comms in fork, no
 * group_dead in exit). Only the fields read are declared. */
struct trace_event_raw_sched_process_fork {
	int child_pid;
} __attribute__((preserve_access_index));

struct trace_event_raw_sched_process_template {
	int pid;
	_Bool group_dead;
} __attribute__((preserve_access_index));

/* 6.18 gave sched_process_exit a record of its own (comm[16], pid, prio,
 * group_dead); the template above then has no group_dead. */
struct trace_event_raw_sched_process_exit {
	_Bool group_dead;
} __attribute__((preserve_access_index));

struct trace_event_raw_cgroup {
	int root; /* the hierarchy: 0 is cgroup v2's (the one programs see) */
	__u64 id;
	__u32 __data_loc_path;
} __attribute__((preserve_access_index));

/* A child without exec runs its parent's executable. */
SEC("tracepoint/sched/sched_process_fork")
int aspen_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	__u32 parent = bpf_get_current_pid_tgid() >> 32;
	__u32 child = ctx->child_pid;
	struct aspen_proc *p = bpf_map_lookup_elem(&aspen_proc, &parent);

	if (p && child != parent)
		bpf_map_update_elem(&aspen_proc, &child, p, BPF_ANY);
	return 0;
}

/* Whether the whole thread group is gone. A kernel whose record has no
 * group_dead falls back to "the leader exited", which forgets a process
 * whose main thread exits before its other threads: its exe-keyed rules
 * would stop matching (e2e test_per_exe). */
static __always_inline int aspen_exit_group_dead(void *ctx, __u32 pid, __u32 tgid)
{
	struct trace_event_raw_sched_process_exit *ex = ctx;
	struct trace_event_raw_sched_process_template *tp = ctx;

	if (bpf_core_type_exists(struct trace_event_raw_sched_process_exit) &&
	    bpf_core_field_exists(ex->group_dead))
		return ex->group_dead;
	if (bpf_core_field_exists(tp->group_dead))
		return tp->group_dead;
	return pid == tgid;
}

SEC("tracepoint/sched/sched_process_exit")
int aspen_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = (__u32)id, tgid = id >> 32;
	int group_dead = aspen_exit_group_dead(ctx, pid, tgid);
	/* forks of threads were recorded under the thread id */
	if (pid != tgid)
		bpf_map_delete_elem(&aspen_proc, &pid);
	if (group_dead)
		bpf_map_delete_elem(&aspen_proc, &tgid);
	return 0;
}

/* cgroup v2's hierarchy id in the cgroup tracepoints (v1 hierarchies, on
 * hybrid hosts, have ids of their own, and cgroup ids that may be equal to
 * v2 ones: their events are not ours) */
#define ASPEN_CGROUP_V2_ROOT 0

/* New cgroups (a container starting) are announced to aspend, which
 * computes their process.cgroup / container.id predicate bits. Until it
 * has, the cgroup has no aspen_cgroup entry: under a policy with such
 * predicates, its provider connections are decided by `uninspectable`
 * (aspen_subject_unknown). */
SEC("tracepoint/cgroup/cgroup_mkdir")
int aspen_cgroup_mkdir(struct trace_event_raw_cgroup *ctx)
{
	if (ctx->root != ASPEN_CGROUP_V2_ROOT)
		return 0;

	struct aspen_cgroup_event *e = bpf_ringbuf_reserve(&aspen_events, sizeof(*e), 0);

	if (!e) {
		aspen_count_lost();
		return 0;
	}
	e->kind = ASPEN_EV_CGROUP_MKDIR;
	e->_pad = 0;
	e->cgroup_id = ctx->id;
	bpf_probe_read_kernel_str(e->path, sizeof(e->path),
				  (char *)ctx + (ctx->__data_loc_path & 0xffff));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* A removed cgroup's entry goes with it: ids are never reused, and a host
 * that makes short-lived cgroups (CI jobs, pods) would fill the map. */
SEC("tracepoint/cgroup/cgroup_rmdir")
int aspen_cgroup_rmdir(struct trace_event_raw_cgroup *ctx)
{
	__u64 id = ctx->id;

	if (ctx->root == ASPEN_CGROUP_V2_ROOT)
		bpf_map_delete_elem(&aspen_cgroup, &id);
	return 0;
}

#endif
