/* SPDX-License-Identifier: Apache-2.0 */
/* Request values masked before the audit trail and --record traces get
 * them (scrub.c, over runtime/lib/rt_scrub.h). */
#ifndef ASPEND_SCRUB_H
#define ASPEND_SCRUB_H

#include <stddef.h>
#include <linux/types.h>

#include "aspen_shared.h"

struct daemon;
struct policy_obj;

/* The standard library's pii and secrets patterns (d->std_scrub), once at
 * start, built in a thread while the policy loads (start, then wait);
 * none with --no-stdlib-scan or without a stdlib (warned). wait: -1 when
 * the stdlib's patterns cannot be read (said). free also joins a thread
 * never waited for. */
int scrub_stdlib_start(struct daemon *d);
int scrub_stdlib_wait(struct daemon *d);
void scrub_stdlib_free(struct daemon *d);
/* Every pattern of p's metadata (p->scrub) / free them */
int scrub_prepare(struct policy_obj *p);
void scrub_release(struct policy_obj *p);
/* One value in place (NUL-terminated within size, or filling it) */
unsigned scrub_value(struct daemon *d, const struct policy_obj *p, char *s, size_t size);
/* A copy of e with its request values masked */
void scrub_request(struct daemon *d, const struct policy_obj *p,
		   const struct aspen_request_event *e, struct aspen_request_event *out);
/* A copy of e with the model it carries masked */
void scrub_response(struct daemon *d, const struct policy_obj *p,
		    const struct aspen_response_event *e, struct aspen_response_event *out);
/* name (may be NULL) masked into buf; NULL for NULL */
const char *scrub_name(struct daemon *d, const struct policy_obj *p, const char *name, char *buf,
		       size_t len);

#endif
