/* SPDX-License-Identifier: Apache-2.0 */
/* Masking matches in a stopped writer's buffer (redact.c). */
#ifndef ASPEND_REDACT_H
#define ASPEND_REDACT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "aspen_shared.h"

struct daemon;
struct policy_obj;
struct redact_counts; /* audit.h */

/* Compile p's patterns to mask for userspace (p->rx) / free them */
int redact_prepare(struct policy_obj *p);
void redact_release(struct policy_obj *p);
/* A writer is stopped: mask its buffer (or deny its request), resume it */
/* line_pending: the request's line is held back by events.c (it comes
 * after, and says whether it was denied here) */
void redact_on_hold(struct daemon *d, struct policy_obj *p, const struct aspen_redact_event *e,
		    bool line_pending);
/* A writer the kernel holds for redaction (aspen_redact_held, HELD): deny
 * the session in the ledger (its unmasked bytes are dropped by sk_msg),
 * mark the record RELEASED, resume the writer. Used by the watchdog. */
void redact_deny_ledger(int ledger_fd, __u32 tgid, __u64 session);
void redact_release_held(int held_fd, int ledger_fd, __u32 tid, const struct aspen_redact_held *h);
/* Release the holds recorded long ago that nobody resumed (all: every
 * hold, at start: a predecessor's, before its writer is resumed unmasked);
 * how many */
unsigned redact_sweep(struct policy_obj *p, bool all);
/* The counts of a request (tgid, session, req_seq) for its line, taken;
 * false if none */
bool redact_take_counts(__u32 tgid, __u64 session, __u64 req_seq, struct redact_counts *out);
/* Whether HTTP/2 stream req_seq of (tgid, session), begun before, may have
 * had its matches in a write of several streams' that aspend denied (such
 * a hold names no stream): its line, if it has matches to mask, says deny */
bool redact_stream_denied(__u32 tgid, __u64 session, __u64 req_seq);

/* Whether a thread of tgid is held for redaction (its record HELD): a
 * SIGCONT now would resume it unmasked (and the kernel deny its request) */
bool redact_holds_pending(struct policy_obj *p, __u32 tgid);
/* SIGCONT tgid, unless a thread of it is held for redaction (that hold's
 * own resume wakes the process). rec_len: in a ring record's callback, its
 * length (nothing after it in the ring: no hold, no need to look); else 0 */
void redact_resume(struct policy_obj *p, __u32 tgid, size_t rec_len);

/* ASPEN_REDACT_PROFILE: per-phase timestamps of each hold (redact.c) */
void redact_profile_start(void);
void redact_profile_dump(void);
extern __u64 redact_wake_ns; /* CLOCK_BOOTTIME when the ring's epoll returned */

#endif
