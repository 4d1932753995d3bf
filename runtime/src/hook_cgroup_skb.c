/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook kind: cgroup socket-buffer programs (DNS answers for address
 * learning), attached with a bpf_link to --cgroup like the socket-address
 * hooks, and swapped in place on reload.
 */
#include <errno.h>

#include "aspend.h"

static int cgroup_skb_attach(struct daemon *d, struct policy_obj *p,
			      struct bpf_program *prog, struct bpf_link *old,
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

const struct hook_kind hook_cgroup_skb = {
	.sec_prefix = "cgroup_skb/",
	.attach = cgroup_skb_attach,
};
