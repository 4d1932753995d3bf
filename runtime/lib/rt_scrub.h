/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Masking request values before they are written to the audit trail or a
 * recorded trace (model, request_user, host, method, path with its query):
 * every match of every pattern in a scrubber is overwritten with a mask of
 * the same length, whatever the request's own decision.
 *
 * - Matches are found with the userspace matcher (rx.h: the same regular
 *   expressions as the kernel's body DFA), leftmost-longest, in the value
 *   as it is and, when it holds %XX escapes or '+', in its percent-decoded
 *   form too (a match there masks the source bytes it was decoded from).
 * - Every pattern scans the original value; the masks of all of them are
 *   applied (a later pattern's mask wins where two overlap).
 * - A pattern's validator (Luhn) must accept a match for it to be masked.
 * - The mask is the pattern's own (cycled over the match) when it is
 *   printable ASCII other than '"' and '\\', else "X": masks never make a
 *   value less valid UTF-8 than it was. Bytes that were invalid UTF-8 stay
 *   as they are; the JSON writer (common/json.h) spells them \ufffd.
 * - A value that was cut to fit a buffer ("cut") may end in the first part
 *   of a match: the tail that could begin a match of some pattern is
 *   masked too (rx_tail()).
 *
 * A scrubber is read-only once built: apply it from any thread.
 */
#ifndef ASPEN_RT_SCRUB_H
#define ASPEN_RT_SCRUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "luhn.h"
#include "rx.h"

struct rt_scrub;

#define RT_SCRUB_MASK "X" /* the mask of a pattern without a usable one */

struct rt_scrub *rt_scrub_new(void);
void rt_scrub_free(struct rt_scrub *s);

/* Adds a pattern. own: rx is freed with s (else the caller keeps it alive
 * as long as s). mask: NULL, "" or not printable ASCII means RT_SCRUB_MASK.
 * valid: NULL for none. 0, or -1 when out of memory (rx is freed if own). */
int rt_scrub_add(struct rt_scrub *s, struct rx *rx, bool own, const char *mask,
		 aspen_validator_fn valid);

/* Compiles and adds the patterns of an Aspen source file: every one-line
 * declaration `pattern NAME = /REGEX/FLAGS [validate NAME]`, the form the
 * standard library (stdlib-policies/) writes them in; mask RT_SCRUB_MASK.
 * Returns how many were added, or -1 with err filled (the file cannot be
 * read, a pattern does not compile, an unknown validator). */
int rt_scrub_add_asp(struct rt_scrub *s, const char *path, char *err, size_t errlen);

size_t rt_scrub_count(const struct rt_scrub *s);

/* Pattern i (0 <= i < rt_scrub_count()) and its validator (may be NULL),
 * for tests (tests/fuzz/fuzz_scrub.c); NULL when there is none. */
const struct rx *rt_scrub_pattern(const struct rt_scrub *s, size_t i, aspen_validator_fn *valid);

/* Masks, in out[0..n), every match the patterns of s find in in[0..n);
 * out must hold a copy of in (or in's masks so far: several scrubbers are
 * applied by calling this once for each with the same in and out); in
 * and out are different buffers. cut: the
 * value was cut off at n (see above). Returns the number of spans masked.
 * s may be NULL (nothing to mask). */
unsigned rt_scrub_apply(const struct rt_scrub *s, const uint8_t *in, uint8_t *out, size_t n,
			bool cut);

/* One value, in place: s is NUL-terminated within size bytes or fills
 * them; a and b (either may be NULL) are applied in that order. cut is
 * taken to be true when the value fills size - 1 bytes or more (the
 * kernel's fixed-size fields keep at most size - 1). Returns the spans
 * masked. */
unsigned rt_scrub_field(const struct rt_scrub *a, const struct rt_scrub *b, char *s, size_t size);

#endif
