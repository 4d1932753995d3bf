/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TLS probe programs of a policy object, loaded late (policy_late.c).
 * They are most of what the kernel verifies (three write probes of ~139k
 * instructions each against ~48k for everything else of a request-rule
 * policy) and none of them is attached at start: they are attached per
 * process, at its first provider connection, which holds the process until
 * they are. So aspend loads the object without them, attaches and
 * enforces, and verifies them from a second instance of the same object,
 * sharing every map (and making the few only they use), in a thread; a
 * process held meanwhile waits for them.
 */
#ifndef ASPEND_POLICY_LATE_H
#define ASPEND_POLICY_LATE_H

#include <stdbool.h>
#include <stddef.h>

struct daemon;
struct policy_obj;

/* Before p->obj is loaded: leave its per-process programs out, and the
 * maps only they use (unless carried over): the second instance makes
 * them. How many programs. */
int policy_late_defer(struct policy_obj *p);
/* After p->obj is loaded: load them in a thread (0), or -1 (err). */
int policy_late_start(struct policy_obj *p, const char *path, char *err, size_t errlen);
/* 1 loaded (p->progs now name them; the first call says so in the log),
 * 0 still loading (only when !wait), -1 refused (err; the policy cannot
 * inspect TLS). Without late programs: 1. */
int policy_late_poll(struct policy_obj *p, bool wait, char *err, size_t errlen);
/* Whether p's per-process programs can be attached now. */
bool policy_late_ready(const struct policy_obj *p);
/* The maps the second instance made (policy_late_defer), once loaded */
void policy_late_each_map(const struct policy_obj *p,
			  void (*fn)(const char *name, int fd, void *ctx), void *ctx);
/* Instructions the kernel verified for them (0 until loaded). */
unsigned long policy_late_insns(const struct policy_obj *p);
/* Wait for the thread, unload. */
void policy_late_free(struct policy_obj *p);

#endif
