/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Diagnostics: collected, never printed at the first error. Each is shown as
 *
 *   policy.asp:12:7: error: unknown provider 'opneai'
 *      12 |   when provider in [opneai]
 *         |                     ^~~~~~
 *   hint: did you mean 'openai'?
 *
 * All passes report through diag_error/diag_warn; the driver prints them
 * sorted by file and position and exits 1 if any error was reported.
 */
#ifndef ASPEN_DIAG_H
#define ASPEN_DIAG_H

#include <stdarg.h>
#include <stdio.h>

#include "ast.h"

struct source {
	char *path;   /* as given on the command line or resolved import path */
	char *text;   /* NUL-terminated contents */
	size_t len;
};

struct source *source_load(const char *path); /* NULL + errno on failure */
struct source *source_from_string(const char *path, const char *text);
void source_free(struct source *src);

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

struct diags; /* opaque collection */

struct diags *diags_new(void);
void diags_free(struct diags *d);

/* fmt is printf-like; hint may be NULL. Spans with src == NULL print
 * without a location ("aspenc: error: ..."). */
void diag_report(struct diags *d, enum diag_level lvl, struct span at,
		 const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
#define diag_error(d, at, hint, ...) diag_report(d, DIAG_ERROR, at, hint, __VA_ARGS__)
#define diag_warn(d, at, hint, ...) diag_report(d, DIAG_WARNING, at, hint, __VA_ARGS__)

int diags_errors(const struct diags *d);
int diags_warnings(const struct diags *d);
/* How many diagnostics so far point inside s (same file). */
int diags_within(const struct diags *d, struct span s);
/* Print all, sorted by (file, offset); color only if the stream is a tty. */
void diags_print(const struct diags *d, FILE *out);

/* Closest candidate by edit distance (<= 2, or <= len/3), or NULL. */
const char *diag_suggest(const char *word, const char *const *candidates, size_t n);

#endif
