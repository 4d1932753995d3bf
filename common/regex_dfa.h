/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Regular expressions -> NFA (dfa.h) -> DFA, shared by aspenc (the
 * kernel body DFA) and aspend (runtime/lib/rx.h, match spans). Syntax and the
 * exact semantics are in docs/language.md, "Patterns".
 *
 * Word boundaries \b and \B are compiled exactly, by tracking in the NFA
 * whether the previous byte was a word byte (begin of input: not a word
 * byte) and turning the "next byte" half of the assertion into a condition
 * on the next consumed byte. An assertion pending at the end of a match
 * (`foo\b`) is decided by the byte after the match: see enum rx_mode.
 */
#ifndef ASPEN_REGEX_DFA_H
#define ASPEN_REGEX_DFA_H

#include <stddef.h>
#include <stdint.h>

#include "dfa.h"

#define RX_FLAG_ICASE 1	  /* /.../i: ASCII case-insensitive */
#define RX_MAX_REPEAT 256 /* largest m or n in {m,n}        */
#define RX_MAX_NFA 20000  /* NFA states of one pattern, after expanding {m,n} */

/* A parse error: offset is the byte offset inside the regex source. */
struct rx_error {
	int offset;
	char msg[200];
};

/* Parse flags from the text after the closing '/': 0 and *flags, or -1 with
 * the offending character's offset in err. */
int rx_parse_flags(const char *text, int *flags, struct rx_error *err);

/* Check a pattern: syntax, features a DFA cannot do, size, and that it
 * cannot match the empty string. 0, or -1 with err filled. */
int rx_check(const char *src, int flags, struct rx_error *err);

/* Bits of the accept masks of RX_ANCHORED_CTX / RX_UNANCHORED_CTX DFAs. */
#define RX_ACC_NOW 1u	      /* a match ends here                          */
#define RX_ACC_NEXT_NONWORD 2u /* ... if the next byte is not a word byte or
				* there is none (a trailing \b after a word)  */
#define RX_ACC_NEXT_WORD 4u    /* ... if the next byte is a word byte         */

enum rx_mode {
	/* Kernel body scan: many patterns, a match may start anywhere; after
	 * each byte, mask[state] is the OR of masks[i] of the patterns a match
	 * of which ends at that byte. A match whose last assertion needs the
	 * following byte (`\bfoo\b`) is reported one byte late, on that byte;
	 * at the very end of the input it is not reported (the body is JSON:
	 * a closing quote follows any string). */
	RX_UNANCHORED_LATE,
	/* Userspace, one pattern: the first byte fed is context only (the byte
	 * before the match start, or any non-word byte at the start of the
	 * buffer); then a match starts at the next byte. Masks are RX_ACC_*. */
	RX_ANCHORED_CTX,
	/* Userspace, one pattern, match anywhere from the first byte (begin of
	 * input before it); masks are RX_ACC_*. */
	RX_UNANCHORED_CTX,
};

/* Build one DFA over patterns srcs[i] (flags[i], masks[i]; masks ignored
 * in the _CTX modes, which take n == 1). NULL with err set: a pattern error
 * (err->offset >= 0, *bad = its index) or a size error (err->offset == -1,
 * message names the state count). */
struct dfa *rx_build_dfa(const char *const *srcs, const int *flags, const uint64_t *masks,
			 size_t n, enum rx_mode mode, int max_states, struct rx_error *err,
			 size_t *bad);

/* \w: [A-Za-z0-9_] (ASCII, as PCRE2 without UTF/UCP) */
static inline int rx_is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

#endif
