/* SPDX-License-Identifier: Apache-2.0 */
/* TLS probes, attached per process (hook_uprobe.c). */
#ifndef ASPEND_HOOK_UPROBE_H
#define ASPEND_HOOK_UPROBE_H

#include <linux/types.h>

struct daemon;
struct policy_obj;

/* A thread of tgid is stopped at its first provider connection: attach
 * its process's probes, mark it ready, resume it */
void tls_on_hold(struct daemon *d, struct policy_obj *p, __u32 tgid, __u32 tid);
/* A thread of tgid is stopped at its first HTTP/2 preface: attach its
 * process's read probes, resume it */
void tls_on_reads(struct daemon *d, struct policy_obj *p, __u32 tgid);
/* SIGCONT once more to processes held a little while ago (a stop queued
 * by another thread after the first SIGCONT), none of whose writers p
 * holds for redaction */
void tls_resume_late(struct policy_obj *p);
/* Detach the probes of processes that exited */
void tls_check_exits(struct daemon *d, struct policy_obj *p);
/* Move every probed process to p's programs (reload) */
void tls_reattach(struct daemon *d, struct policy_obj *p);
/* The processes held while p's probe programs were loading: probe them. */
void tls_flush_pending(struct daemon *d, struct policy_obj *p);
/* Take over the probes a previous aspend pinned and move them to p's
 * programs; returns how many processes */
int tls_adopt_pinned(struct daemon *d, struct policy_obj *p);
/* Detach every probe and wait until they are gone (exit) */
void tls_detach_all(struct daemon *d);
/* Resume processes a previous aspend left stopped */
void tls_resume_orphans(struct daemon *d);

#endif
