/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook kinds attached to --cgroup with a bpf_link: socket-address programs
 * (connect4/6, sendmsg4/6), socket-buffer programs (DNS answers for
 * address learning) and sockops (files provider sockets into the policy's
 * SOCKHASH). On reload the existing link is switched to the new program in
 * one step (BPF_LINK_UPDATE), so there is no instant at which connections
 * go undecided. Detach destroys the link.
 */
#include <errno.h>

#include <bpf/libbpf.h>

#include "daemon.h"
#include "hook.h"

static int cgroup_attach(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
			 struct hook_att *prev, struct hook_att *a)
{
	if (prev && prev->link) {
		int rc = bpf_link__update_program(prev->link, prog);

		if (rc) {
			errno = -rc;
			return -1;
		}
		a->link = prev->link;
		prev->link = NULL;
		return 0;
	}
	a->link = bpf_program__attach_cgroup(prog, d->cgroup_fd);
	return a->link ? 0 : -1;
}

const struct hook_kind hook_cgroup_sock_addr = {
    .sec_prefix = "cgroup/",
    .phase = HOOK_DECIDE,
    .attach = cgroup_attach,
    .detach = hook_detach_link,
};

const struct hook_kind hook_cgroup_skb = {
    .sec_prefix = "cgroup_skb/",
    .phase = HOOK_DECIDE,
    .attach = cgroup_attach,
    .detach = hook_detach_link,
};

const struct hook_kind hook_sockops = {
    .sec_prefix = "sockops",
    .phase = HOOK_DECIDE,
    .attach = cgroup_attach,
    .detach = hook_detach_link,
};
