/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook kind: SEC("syscall") programs, the policy's decision code for
 * `aspenc test` (BPF_PROG_TEST_RUN). aspend loads them with the object and
 * never attaches them.
 */
#include "hook.h"

const struct hook_kind hook_syscall = {
    .sec_prefix = "syscall",
    .phase = HOOK_NEVER,
    .attach = hook_attach_nothing,
    .detach = hook_detach_nothing,
};
