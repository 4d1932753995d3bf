/* SPDX-License-Identifier: Apache-2.0 */
/* A policy object's life (policy.c): open and check it, load it, fill its
 * maps, attach it, keep its heartbeat, retire it at a reload, tear it down. */
#ifndef ASPEND_POLICY_H
#define ASPEND_POLICY_H

#include <stddef.h>

struct daemon;
struct policy_obj;

/* Open, check, load and fill the object at path; NULL with err on failure. */
struct policy_obj *policy_load(struct daemon *d, const char *path, char *err, size_t errlen);
/* Attach p's programs; old is the object p replaces (reload) or NULL. */
int policy_attach(struct daemon *d, struct policy_obj *p, struct policy_obj *old);
/* Tell p's programs aspend is alive (aspen_config.heartbeat_ns). */
void policy_heartbeat(struct policy_obj *p);
/* p's probes stand down: a reload replaced it. */
void policy_retire(struct policy_obj *p);
/* Detach and free everything of p (p may be NULL). */
void policy_destroy(struct policy_obj *p);

#endif
