/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small strict JSON reader for trace lines: one object whose values are
 * null, true, false, integers, strings, or arrays of those. Strings are
 * UTF-8 (checked), escapes decoded (\u0000 refused: fields are C strings).
 * Errors name the 1-based column of the offending byte.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

#define JSON_MAX_ITEMS 4096

struct jp {
	const char *s;
	size_t len, pos;
	char *err;
	size_t errlen;
	int failed;
};

static int fail(struct jp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct jp *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return -1;
	p->failed = 1;
	n = snprintf(p->err, p->errlen, "%zu: ", p->pos + 1);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void ws(struct jp *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\r' || p->s[p->pos] == '\n'))
		p->pos++;
}

static int peek(struct jp *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int hex4(struct jp *p, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++) {
		int c = peek(p);

		if (c >= '0' && c <= '9')
			*out = *out * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*out = *out * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*out = *out * 16 + (unsigned)(c - 'A' + 10);
		else
			return fail(p, "bad \\u escape: expected 4 hex digits");
		p->pos++;
	}
	return 0;
}

static void put_utf8(char *o, size_t *n, unsigned cp)
{
	if (cp < 0x80) {
		o[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		o[(*n)++] = (char)(0xc0 | (cp >> 6));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		o[(*n)++] = (char)(0xe0 | (cp >> 12));
		o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		o[(*n)++] = (char)(0xf0 | (cp >> 18));
		o[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* At the opening quote. Returns a malloc'd string or NULL. */
static char *string(struct jp *p)
{
	char *o = malloc(p->len - p->pos + 1); /* decoded text is never longer */
	size_t n = 0;

	if (!o) {
		fail(p, "out of memory");
		return NULL;
	}
	p->pos++;
	for (;;) {
		int c = peek(p);

		if (c < 0) {
			fail(p, "unterminated string");
			break;
		}
		if (c == '"') {
			p->pos++;
			o[n] = 0;
			return o;
		}
		if (c < 0x20) {
			fail(p, "control character in a string (escape it)");
			break;
		}
		if (c == '\\') {
			unsigned cp, lo;

			p->pos++;
			c = peek(p);
			p->pos++;
			switch (c) {
			case '"': o[n++] = '"'; continue;
			case '\\': o[n++] = '\\'; continue;
			case '/': o[n++] = '/'; continue;
			case 'b': o[n++] = '\b'; continue;
			case 'f': o[n++] = '\f'; continue;
			case 'n': o[n++] = '\n'; continue;
			case 'r': o[n++] = '\r'; continue;
			case 't': o[n++] = '\t'; continue;
			case 'u': break;
			default:
				p->pos--;
				fail(p, "bad escape in a string");
				free(o);
				return NULL;
			}
			if (hex4(p, &cp) < 0)
				break;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (peek(p) != '\\' || p->pos + 1 >= p->len || p->s[p->pos + 1] != 'u') {
					fail(p, "unpaired UTF-16 surrogate");
					break;
				}
				p->pos += 2;
				if (hex4(p, &lo) < 0)
					break;
				if (lo < 0xdc00 || lo > 0xdfff) {
					fail(p, "unpaired UTF-16 surrogate");
					break;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail(p, "unpaired UTF-16 surrogate");
				break;
			}
			if (cp == 0) {
				fail(p, "\\u0000 is not allowed in a trace string");
				break;
			}
			put_utf8(o, &n, cp);
			continue;
		}
		size_t l = utf8_len((const unsigned char *)p->s + p->pos, p->len - p->pos);

		if (!l) {
			fail(p, "invalid UTF-8 in a string");
			break;
		}
		memcpy(o + n, p->s + p->pos, l);
		n += l;
		p->pos += l;
	}
	free(o);
	return NULL;
}

static int number(struct jp *p, int64_t *out)
{
	size_t start = p->pos;
	int neg = 0;
	uint64_t v = 0;

	if (peek(p) == '-') {
		neg = 1;
		p->pos++;
	}
	if (peek(p) < '0' || peek(p) > '9')
		return fail(p, "expected a value");
	if (peek(p) == '0' && p->pos + 1 < p->len && p->s[p->pos + 1] >= '0' &&
	    p->s[p->pos + 1] <= '9')
		return fail(p, "leading zeros are not allowed");
	while (peek(p) >= '0' && peek(p) <= '9') {
		unsigned d = (unsigned)(peek(p) - '0');

		if (v > (UINT64_C(9223372036854775807) - d) / 10) {
			p->pos = start;
			return fail(p, "integer out of range");
		}
		v = v * 10 + d;
		p->pos++;
	}
	if (peek(p) == '.' || peek(p) == 'e' || peek(p) == 'E')
		return fail(p, "only integers are allowed in a trace");
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int literal(struct jp *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return fail(p, "expected a value");
	p->pos += n;
	return 0;
}

static void val_free(struct trace_val *v)
{
	if (v->kind == TV_STR)
		free((char *)v->str);
	if (v->kind == TV_LIST) {
		for (size_t i = 0; i < v->n; i++)
			val_free((struct trace_val *)&v->items[i]);
		free((void *)v->items);
	}
	memset(v, 0, sizeof(*v));
}

static int value(struct jp *p, struct trace_val *v, int depth)
{
	int c;

	memset(v, 0, sizeof(*v));
	ws(p);
	c = peek(p);
	if (c == '"') {
		v->kind = TV_STR;
		v->str = string(p);
		return v->str ? 0 : -1;
	}
	if (c == 't' || c == 'f') {
		v->kind = TV_BOOL;
		v->b = c == 't';
		return literal(p, c == 't' ? "true" : "false");
	}
	if (c == 'n') {
		v->kind = TV_NULL;
		return literal(p, "null");
	}
	if (c == '{')
		return fail(p, "nested objects are not part of the trace format");
	if (c == '[') {
		struct trace_val *items = NULL;

		if (depth > 0)
			return fail(p, "nested arrays are not part of the trace format");
		v->kind = TV_LIST;
		p->pos++;
		ws(p);
		if (peek(p) == ']') {
			p->pos++;
			return 0;
		}
		for (;;) {
			struct trace_val *ni;

			if (v->n == JSON_MAX_ITEMS)
				return fail(p, "too many array items");
			ni = realloc(items, (v->n + 1) * sizeof(*items));
			if (!ni)
				return fail(p, "out of memory");
			items = ni;
			v->items = items;
			if (value(p, &items[v->n], depth + 1) < 0)
				return -1;
			v->n++;
			ws(p);
			if (peek(p) == ',') {
				p->pos++;
				continue;
			}
			if (peek(p) == ']') {
				p->pos++;
				return 0;
			}
			return fail(p, "expected ',' or ']' in an array");
		}
	}
	v->kind = TV_INT;
	return number(p, &v->num);
}

/* Calls set(key, value) for each member of the line's object. */
int trace_json_object(const char *line, size_t len, char *err, size_t errlen,
		      int (*set)(void *ctx, const char *key, const struct trace_val *v, char *err,
				 size_t errlen),
		      void *ctx)
{
	struct jp p = {.s = line, .len = len, .err = err, .errlen = errlen};
	char **seen = NULL;
	size_t nseen = 0;
	int rc = -1;

	ws(&p);
	if (peek(&p) != '{') {
		fail(&p, "expected '{': each line of a trace is one JSON object");
		return -1;
	}
	p.pos++;
	ws(&p);
	if (peek(&p) == '}') {
		p.pos++;
		goto end;
	}
	for (;;) {
		struct trace_val v;
		size_t at;
		char *key, **ns;
		int r;

		ws(&p);
		at = p.pos;
		if (peek(&p) != '"') {
			fail(&p, "expected a member name in double quotes");
			goto out;
		}
		key = string(&p);
		if (!key)
			goto out;
		for (size_t i = 0; i < nseen; i++) {
			if (!strcmp(seen[i], key)) {
				p.pos = at;
				fail(&p, "duplicate member '%s'", key);
				free(key);
				goto out;
			}
		}
		ns = realloc(seen, (nseen + 1) * sizeof(*seen));
		if (!ns) {
			free(key);
			fail(&p, "out of memory");
			goto out;
		}
		seen = ns;
		seen[nseen++] = key;
		ws(&p);
		if (peek(&p) != ':') {
			fail(&p, "expected ':' after a member name");
			goto out;
		}
		p.pos++;
		at = p.pos;
		while (at < len && (line[at] == ' ' || line[at] == '\t'))
			at++;
		r = value(&p, &v, 0);
		if (r == 0) {
			char msg[200];

			if (set(ctx, key, &v, msg, sizeof(msg)) < 0) {
				p.pos = at;
				fail(&p, "%s", msg);
				r = -1;
			}
		}
		val_free(&v);
		if (r < 0)
			goto out;
		ws(&p);
		if (peek(&p) == ',') {
			p.pos++;
			continue;
		}
		if (peek(&p) == '}') {
			p.pos++;
			break;
		}
		fail(&p, "expected ',' or '}' after a member");
		goto out;
	}
end:
	ws(&p);
	if (p.pos != len) {
		fail(&p, "unexpected text after the object");
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	return rc;
}
