/* SPDX-License-Identifier: Apache-2.0 */
/* Naming the policy rule behind a verifier error (verifier.c). */
#ifndef ASPEND_VERIFIER_H
#define ASPEND_VERIFIER_H

#include <stddef.h>

struct aspen_meta;

/* Append to err the rule and .asp line of the code the verifier refused */
void verifier_explain(const char *path, const struct aspen_meta *m, char *err, size_t errlen);

#endif
