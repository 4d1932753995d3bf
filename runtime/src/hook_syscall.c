/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook kind: SEC("syscall") programs, the policy's decision code for
 * `aspenc test` (BPF_PROG_TEST_RUN). aspend loads them with the object and
 * never attaches them.
 */
#include "hook.h"

static int syscall_attach(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
			  struct hook_att *prev, struct hook_att *a)
{
	return 0;
}

static void syscall_detach(struct hook_att *a)
{
}

const struct hook_kind hook_syscall = {
    .sec_prefix = "syscall",
    .phase = HOOK_NEVER,
    .attach = syscall_attach,
    .detach = syscall_detach,
};
