/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SEC("syscall") programs: attached nowhere. aspend runs them itself with
 * BPF_PROG_TEST_RUN (aspen_redact_done: a hold's HELD -> DONE swapped in
 * the kernel, redact.c); loading them with the object is all there is.
 */
#include "hook.h"

const struct hook_kind hook_syscall = {
    .sec_prefix = "syscall",
    .phase = HOOK_DECIDE,
    .attach = hook_attach_nothing,
    .detach = hook_detach_nothing,
};
