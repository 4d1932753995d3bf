/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `aspenc fmt`: the canonical layout of .asp files (docs/language.md,
 * "Canonical form"). fmt.c formats one text; fmt_cmd.c is the command.
 */
#ifndef ASPEN_FMT_H
#define ASPEN_FMT_H

#include <stddef.h>

/*
 * The canonical form of TEXT (LEN bytes), malloc'd and NUL-terminated, or
 * NULL when out of memory. Only white space changes, plus the trailing comma
 * of a list (added when the list is one item a line, dropped when it fits
 * on one); comments stay where they were. TEXT must parse (fmt_cmd.c
 * checks): what does not is still formatted token by token. fmt of fmt is
 * identical.
 */
char *fmt_text(const char *text, size_t len);

/*
 * 0 when A and B (NUL-terminated) hold the same tokens and comments in the
 * same order, trailing commas of lists aside: the formatter's own check that
 * it changed nothing but the layout.
 */
int fmt_same_tokens(const char *a, const char *b);

/* `aspenc fmt [--check | --stdout] FILE|DIR...`: exit status. */
int aspenc_fmt_main(int argc, char **argv);

#endif
