/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Userspace pattern matcher (aspend): the spans of a pattern's matches in a
 * buffer, from the same parser and DFA construction as the kernel's body
 * DFA (common/regex_dfa.h), so both agree on what matches.
 *
 * Matches are leftmost-longest and non-overlapping: the match that starts
 * first, and of those the longest; the search goes on after its end. \b
 * and \B are exact here (the byte before a span and the byte after it are
 * looked at; the buffer's ends count as non-word bytes).
 */
#ifndef ASPEN_RX_H
#define ASPEN_RX_H

#include <stddef.h>
#include <stdint.h>

#include "regex_dfa.h"

struct rx;

/* Compile a pattern (flags: RX_FLAG_*). NULL with err filled. */
struct rx *rx_new(const char *src, int flags, struct rx_error *err);
/* The same for short values (audit fields, a few hundred bytes): only the
 * anchored DFA is built, rx_find() and rx_search() try every start. Much
 * cheaper to build for patterns whose unanchored DFA is costly (a
 * `[...]{16,}` in the middle: seconds of subset construction). */
struct rx *rx_new_short(const char *src, int flags, struct rx_error *err);
void rx_free(struct rx *rx);

/* Called for each match [start, end) in order; a nonzero return stops. */
typedef int (*rx_match_cb)(size_t start, size_t end, void *arg);

/* Leftmost-longest, non-overlapping matches of rx in buf[0..n). Returns
 * the number of matches reported. Linear when nothing matches (one DFA
 * pass); otherwise each candidate start runs the anchored DFA until it
 * dies. */
size_t rx_find(const struct rx *rx, const uint8_t *buf, size_t n, rx_match_cb cb, void *arg);
/* The same for matches that begin at `from` or later; the byte before
 * `from` is their context (a \b at a match's start reads it), as it is for
 * every start: rx_find(buf + from) would take it for a non-word byte. */
size_t rx_find_at(const struct rx *rx, const uint8_t *buf, size_t n, size_t from, rx_match_cb cb,
		  void *arg);

/* Whether some match ends in buf (one unanchored pass, as the kernel). */
int rx_search(const struct rx *rx, const uint8_t *buf, size_t n);

/* Where a match could begin that the end of buf cuts off: the first s < n
 * such that buf[s..n) is a match or the beginning of one (the anchored DFA
 * started at s is still alive at n). n when there is none. For values that
 * were cut to fit a buffer: what might be the start of a secret. */
size_t rx_tail(const struct rx *rx, const uint8_t *buf, size_t n);

/* DFA sizes (tests, docs). */
int rx_states(const struct rx *rx); /* anchored DFA states */

#endif
