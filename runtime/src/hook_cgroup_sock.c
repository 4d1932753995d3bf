/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook kind: cgroup socket-address programs (connect4/6, sendmsg4/6),
 * attached with a bpf_link to --cgroup. On reload the existing link is
 * switched to the new program in one step (BPF_LINK_UPDATE), so there is
 * no instant at which connections go undecided.
 */
#include <errno.h>

#include "aspend.h"

/* Attach prog to --cgroup with a bpf_link, or switch old's link to it in
 * one step. Every cgroup-attached hook kind (socket address, socket
 * buffer, sockops) goes through here. */
int attach_cgroup_link(struct daemon *d, struct bpf_program *prog, struct bpf_link *old,
		       struct bpf_link **link)
{
	if (old) {
		int rc = bpf_link__update_program(old, prog);

		if (rc) {
			errno = -rc;
			return -1;
		}
		*link = old;
		return 0;
	}
	*link = bpf_program__attach_cgroup(prog, d->cgroup_fd);
	return *link ? 0 : -1;
}

static int cgroup_sock_attach(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
			      struct bpf_link *old, struct bpf_link **link)
{
	return attach_cgroup_link(d, prog, old, link);
}

const struct hook_kind hook_cgroup_sock = {
	.sec_prefix = "cgroup/",
	.attach = cgroup_sock_attach,
};
