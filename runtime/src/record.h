/* SPDX-License-Identifier: Apache-2.0 */
/* aspend --record FILE (record.c): a trace of every decision, for
 * `aspenc test`. */
#ifndef ASPEND_RECORD_H
#define ASPEND_RECORD_H

#include <linux/types.h>

#include "aspen_shared.h"

struct daemon;
struct policy_obj;
struct proc_view;

int record_open(struct daemon *d, struct policy_obj *p);
void record_close(struct daemon *d);
void record_connect(struct daemon *d, struct policy_obj *p, const struct aspen_connect_event *e,
		    const struct proc_view *v);
void record_request(struct daemon *d, struct policy_obj *p, const struct aspen_request_event *e,
		    const struct proc_view *v);
void record_response(struct daemon *d, struct policy_obj *p, const struct aspen_response_event *e,
		     const struct proc_view *v);

#endif
