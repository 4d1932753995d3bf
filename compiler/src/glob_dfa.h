/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Globs -> minimal DFAs for the kernel (exe, comm, host and request-field
 * predicates): the glob front end of the DFA builder in common/dfa.h,
 * whose types and functions (struct dfa, dfa_match, dfa_free, ...) come
 * with this header.
 */
#ifndef ASPEN_GLOB_DFA_H
#define ASPEN_GLOB_DFA_H

#include <stddef.h>
#include <stdint.h>

#include "dfa.h"

#define DFA_MAX_STATES 255 /* glob tables index states with a __u8 */

#define GLOB_DFA_ICASE 1 /* ASCII case-insensitive (host names) */

/* NULL with err set on a malformed glob or a DFA over DFA_MAX_STATES. */
struct dfa *glob_dfa_build(const char *glob, int flags, char *err, size_t errlen);

/* One DFA for many globs: after reading s, mask[state] is the OR of
 * masks[i] over the globs i that match s. NULL with err set when the
 * combined DFA would exceed max_states (callers split the set). */
struct dfa *glob_dfa_build_multi(const char *const *globs, const uint64_t *masks, size_t n,
				 int flags, int max_states, char *err, size_t errlen);

#endif
