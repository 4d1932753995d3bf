/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON strings as Aspen writes them: the audit trail (runtime/lib/rt_audit),
 * recorded traces (common/trace_write.c) and aspenc test's JSON output
 * use this one encoding, so a string (an exe path, a comm) is spelled the
 * same everywhere. `"` and `\` are escaped; control characters and DEL
 * become \u00XX; every byte that does not start a valid UTF-8 sequence
 * becomes \ufffd (so every line is valid UTF-8 and reads back: the trace
 * reader, common/trace_json.c, decodes it to U+FFFD).
 */
#ifndef ASPEN_JSON_H
#define ASPEN_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Length of the valid UTF-8 sequence at s (n >= 1 bytes available): 1..4,
 * or 0 if s[0] starts none. Overlong forms, surrogates and code points
 * above U+10FFFF are invalid. */
size_t utf8_len(const unsigned char *s, size_t n);

/* Receives the encoded string, n bytes at a time. */
typedef void (*json_put_fn)(void *ctx, const char *s, size_t n);

/* Writes s (n bytes, NULs included) as a quoted JSON string through put. */
void json_quote(json_put_fn put, void *ctx, const char *s, size_t n);

/* The same into out, snprintf style: returns the length it needs without
 * the NUL; out holds as much as fits, NUL-terminated (outlen > 0). */
size_t json_quote_buf(char *out, size_t outlen, const char *s, size_t n);

/* A JSON array of the n NUL-terminated strings into out (outlen > 0):
 * always a whole array, "]" and NUL included; an item that does not fit
 * is left out (the later ones may still fit). Returns its length. */
size_t json_array_buf(char *out, size_t outlen, const char *const *items, int n);

/* The same to a stdio stream, s NUL-terminated. */
void json_quote_file(FILE *f, const char *s);

#endif
