/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Spill slots (spill.c): aspend holds the ciphertext of requests too big
 * for sk_msg to cork until they are decided, and forwards what sk_msg
 * allowed to the provider connection (docs/internals.md, "Spill").
 */
#ifndef ASPEND_SPILL_H
#define ASPEND_SPILL_H

struct policy_obj;

/* Set up the slots in p's SOCKHASH (once the sk_msg program is attached)
 * and start the forwarding thread. Returns the number of slots (0: none,
 * said in the log: undecided requests are then held up to 64 KiB only). */
unsigned spill_start(struct policy_obj *p, unsigned want);
/* Stop the thread; the slots' sockets are closed (a connection still
 * spilling is cut) and p's config says there are none. */
void spill_stop(struct policy_obj *p);
/* Slots in service (for aspen_config.spill_slots of a new object). */
unsigned spill_slots(void);

#endif
