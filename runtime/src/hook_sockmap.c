/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook kinds for in-kernel request enforcement: sockops (attached to the
 * cgroup, like the connect hooks) files provider sockets into the policy's
 * SOCKHASH, and the sk_msg verdict program is attached to that SOCKHASH.
 * Both exist only in policies with request rules.
 */
#include <errno.h>

#include <bpf/bpf.h>

#include "aspend.h"

static int sockops_attach(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
			  struct bpf_link *old, struct bpf_link **link)
{
	return attach_cgroup_link(d, prog, old, link);
}

/* libbpf 1.1 has no bpf_link for sk_msg: attach with BPF_PROG_ATTACH and
 * remember the pair, detached in policy_destroy(). */
static int sk_msg_attach(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
			 struct bpf_link *old, struct bpf_link **link)
{
	int map_fd = policy_map_fd(p->maps.sockhash);
	int prog_fd = bpf_program__fd(prog);

	if (map_fd < 0) {
		errno = ENOENT;
		return -1;
	}
	if (bpf_prog_attach(prog_fd, map_fd, BPF_SK_MSG_VERDICT, 0) < 0)
		return -1;
	p->skmsg_prog_fd = prog_fd;
	p->skmsg_map_fd = map_fd;
	/* on reload the SOCKHASH is the old one (policy.c): this replaces the old
	 * sk_msg program on it, nothing to detach first */
	*link = old;
	return 0;
}

const struct hook_kind hook_sockops = {
	.sec_prefix = "sockops",
	.attach = sockops_attach,
};

const struct hook_kind hook_sk_msg = {
	.sec_prefix = "sk_msg",
	.attach = sk_msg_attach,
};

static int lazy_attach(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
		       struct bpf_link *old, struct bpf_link **link)
{
	*link = NULL;
	return 0;
}

const struct hook_kind hook_uprobe = {
	.sec_prefix = "uprobe",
	.attach = lazy_attach,
	.lazy = true,
};

/* SEC("syscall"): the policy's decision code for `aspenc test`
 * (BPF_PROG_TEST_RUN); never attached by aspend. */
const struct hook_kind hook_syscall = {
	.sec_prefix = "syscall",
	.attach = lazy_attach,
	.lazy = true,
};

const struct hook_kind hook_uretprobe = {
	.sec_prefix = "uretprobe",
	.attach = lazy_attach,
	.lazy = true,
};
