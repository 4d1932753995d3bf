/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON string writer and the UTF-8 check (json.h). */
#include "json.h"

#include <stdio.h>
#include <string.h>

size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	/* the second byte's range excludes overlong forms (e0, f0),
	 * surrogates (ed) and code points above U+10FFFF (f4) */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Bytes from s that go out unchanged: printable ASCII but `"` and `\`,
 * and valid UTF-8 sequences. */
static size_t plain_run(const unsigned char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (s[i] == '"' || s[i] == '\\' || s[i] < 0x20 || s[i] == 0x7f)
			break;
		k = utf8_len(s + i, n - i);
		if (!k)
			break;
		i += k;
	}
	return i;
}

void json_quote(json_put_fn put, void *ctx, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	char esc[8];
	size_t i = 0, run;

	put(ctx, "\"", 1);
	while (i < n) {
		run = plain_run(s + i, n - i);
		if (run) {
			put(ctx, str + i, run);
			i += run;
			continue;
		}
		if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)s[i];
			put(ctx, esc, 2);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
			put(ctx, esc, 6);
		} else {
			put(ctx, "\\ufffd", 6);
		}
		i++;
	}
	put(ctx, "\"", 1);
}

struct buf_sink {
	char *out;
	size_t cap, len; /* len counts what did not fit too */
};

static void buf_put(void *ctx, const char *s, size_t n)
{
	struct buf_sink *b = ctx;

	if (b->len < b->cap) {
		size_t room = b->cap - b->len;

		memcpy(b->out + b->len, s, n < room ? n : room);
	}
	b->len += n;
}

size_t json_quote_buf(char *out, size_t outlen, const char *s, size_t n)
{
	struct buf_sink b = {.out = out, .cap = outlen ? outlen - 1 : 0};

	json_quote(buf_put, &b, s, n);
	if (outlen)
		out[b.len < b.cap ? b.len : b.cap] = '\0';
	return b.len;
}

static void file_put(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, ctx);
}

void json_quote_file(FILE *f, const char *s)
{
	json_quote(file_put, f, s, strlen(s));
}

size_t json_array_buf(char *out, size_t outlen, const char *const *items, int n)
{
	size_t used = 0;

	if (outlen < 3)
		return outlen ? (out[0] = '\0', 0) : 0;
	out[used++] = '[';
	for (int i = 0, k = 0; i < n; i++) {
		size_t need = json_quote_buf(NULL, 0, items[i], strlen(items[i]));

		/* the item, a comma before it, "]" and the NUL must fit */
		if (used + (k ? 1 : 0) + need + 2 > outlen)
			continue;
		if (k++)
			out[used++] = ',';
		used += json_quote_buf(out + used, outlen - used, items[i], strlen(items[i]));
	}
	out[used++] = ']';
	out[used] = '\0';
	return used;
}
