/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watchdog (watchdog.c): a small child process that sees aspend end,
 * however it ends (SIGKILL, the OOM killer, a crash, an exit), and within
 * milliseconds tells the kernel that no aspend is alive (heartbeat 0: no
 * thread is ever stopped again for probes nobody would attach) and resumes
 * every thread held for its probes (its connection is then decided by
 * `uninspectable`). It holds no link and no program: the pinned policy
 * (pin.h) is what keeps enforcing.
 */
#ifndef ASPEND_WATCHDOG_H
#define ASPEND_WATCHDOG_H

struct daemon;
struct policy_obj;

/* Start it for d (before any thread of aspend's). 0, or -1 (logged). */
int watchdog_start(struct daemon *d, struct policy_obj *p);
/* Stop it (aspend detaches everything itself). */
void watchdog_stop(struct daemon *d);

#endif
