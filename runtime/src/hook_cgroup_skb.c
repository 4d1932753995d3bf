/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook kind: cgroup socket-buffer programs (DNS answers for address
 * learning), attached with a bpf_link to --cgroup like the socket-address
 * hooks, and swapped in place on reload.
 */
#include "aspend.h"

static int cgroup_skb_attach(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
			     struct bpf_link *old, struct bpf_link **link)
{
	return attach_cgroup_link(d, prog, old, link);
}

const struct hook_kind hook_cgroup_skb = {
	.sec_prefix = "cgroup_skb/",
	.attach = cgroup_skb_attach,
};
