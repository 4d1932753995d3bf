/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A write's bytes as the kernel's body patterns read them: JSON escapes
 * decoded (`\n` a newline, `\u00e9` its UTF-8 bytes, a surrogate pair one
 * 4-byte character, a lone high half dropped, a lone low half its own 3
 * bytes, as the kernel reads them), every other byte as it is; and
 * where each decoded byte came from. aspend searches this view for the
 * matches to mask, so that it finds the matches the kernel saw, and masks
 * in place only those whose every byte is plain on the wire: on the wire
 * `\njohn.smith@example.com` reads as an address from the escape's "n",
 * and in `john\u002esmith@example.com` only the piece after the escape.
 */
#ifndef ASPEN_RT_JVIEW_H
#define ASPEN_RT_JVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rt_jview {
	uint8_t *dec;  /* the decoded bytes */
	uint32_t *at;  /* dec[i] came from buf[at[i] & RT_JVIEW_AT] (an escape's first byte) */
	size_t n, cap; /* bytes in dec, room in dec and at */
};

#define RT_JVIEW_ESC (1u << 31) /* in at[i]: dec[i] came from an escape */
#define RT_JVIEW_AT (RT_JVIEW_ESC - 1)
#define RT_JVIEW_MAX ((size_t)RT_JVIEW_AT)

/* Decode buf[0..len) into v (its arrays grown as needed; len at most
 * RT_JVIEW_MAX). A backslash that starts no valid escape is a plain
 * byte. false when memory runs out. */
bool rt_jview_build(struct rt_jview *v, const uint8_t *buf, size_t len);
void rt_jview_free(struct rt_jview *v);

/* Where decoded bytes [s, e) lie on the wire: [*a, *b). true only when
 * each of them is a plain byte and they are adjacent there (no escape
 * among them, none dropped between them): then a mask over [*a, *b)
 * covers exactly that text. */
bool rt_jview_plain(const struct rt_jview *v, size_t s, size_t e, size_t *a, size_t *b);

#endif
