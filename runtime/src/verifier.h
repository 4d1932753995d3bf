/* SPDX-License-Identifier: Apache-2.0 */
/* Naming the policy rule behind a verifier error (verifier.c). */
#ifndef ASPEND_VERIFIER_H
#define ASPEND_VERIFIER_H

#include <stddef.h>

struct aspen_meta;

/* Which programs of the object were being loaded (policy_late.h) */
enum verifier_set {
	VERIFIER_ALL,	      /* every program */
	VERIFIER_START,	      /* all but the per-process ones (uprobe, uretprobe) */
	VERIFIER_PER_PROCESS, /* the per-process ones only */
};

/* Append to err the rule and .asp line of the code the verifier refused */
void verifier_explain(const char *path, const struct aspen_meta *m, enum verifier_set set,
		      char *err, size_t errlen);

#endif
