/* SPDX-License-Identifier: Apache-2.0 */
/* Ring dispatch (events.c): a policy object's ring buffer, read and routed
 * record by record. */
#ifndef ASPEND_EVENTS_H
#define ASPEND_EVENTS_H

#include <stdbool.h>

struct daemon;
struct policy_obj;

/* Open p's ring buffer (p->rb), its records routed with d */
int events_open(struct daemon *d, struct policy_obj *p);
/* Free what events_open made */
void events_close(struct policy_obj *p);
/* A mismatch record (bytes `uninspectable` decided), from the ring buffer
 * or from the sweep of connections open before aspend (hook_iter.c): its
 * audit line. */
struct aspen_mismatch_event;
void events_mismatch(struct daemon *d, struct policy_obj *p, const struct aspen_mismatch_event *e);
/* Write the request lines held back for their redaction counts since the
 * drain before this one (a drain's end) */
void events_flush(struct daemon *d, struct policy_obj *p);
/* ... all of them (a reload, the exit) */
void events_flush_all(struct daemon *d, struct policy_obj *p);
/* Report records the kernel had no room for (a `lost` line) */
void events_check_lost(struct daemon *d, struct policy_obj *p);
/* Report DNS answers the kernel ignored (unsolicited, another question);
 * flush: now, else at most every 10 s per reason */
void events_check_dns(struct daemon *d, struct policy_obj *p, bool flush);

#endif
