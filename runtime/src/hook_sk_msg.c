/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook kind: the sk_msg verdict program, attached to the policy's SOCKHASH
 * (where sockops files provider sockets); it exists only in policies with
 * request rules. libbpf 1.1 has no bpf_link for sk_msg: attach with
 * BPF_PROG_ATTACH and detach with BPF_PROG_DETACH.
 */
#include <errno.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hook.h"
#include "policy_obj.h"

/* On reload the SOCKHASH is the old one (carried over by policy.c): the new
 * program replaces the old one on it, and the old object's detach then
 * finds its program no longer attached (the kernel says ENOENT). */
static int sk_msg_attach(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
			 struct hook_att *prev, struct hook_att *a)
{
	int map_fd = policy_map_fd(p->maps.sockhash);
	int prog_fd = bpf_program__fd(prog);

	if (map_fd < 0) {
		errno = ENOENT;
		return -1;
	}
	if (bpf_prog_attach(prog_fd, map_fd, BPF_SK_MSG_VERDICT, 0) < 0)
		return -1;
	a->prog_fd = prog_fd;
	a->target_fd = map_fd;
	return 0;
}

static void sk_msg_detach(struct hook_att *a)
{
	if (a->target_fd >= 0)
		bpf_prog_detach2(a->prog_fd, a->target_fd, BPF_SK_MSG_VERDICT);
	a->target_fd = -1;
}

const struct hook_kind hook_sk_msg = {
    .sec_prefix = "sk_msg",
    .phase = HOOK_DECIDE,
    .attach = sk_msg_attach,
    .detach = sk_msg_detach,
};
