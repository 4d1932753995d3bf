/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A strict JSON reader (RFC 8259): a server's view of a request body, the
 * oracle of tests/fuzz/fuzz_http.c and fuzz_jview.c. It reads the
 * top-level "model", "stream", "user" and "metadata": {"user_id"} as a
 * server does. Where servers differ it takes the kernel parser's
 * documented choice (bpf-templates/aspen_http.h): a duplicate key's last
 * value wins; a high surrogate escape not followed at once by a low one is
 * dropped, a lone low one encoded on its own. Include after
 * http_host_shim.h (ASPEN_MODEL_LEN).
 */
#ifndef ASPEN_FUZZ_JSON_REF_H
#define ASPEN_FUZZ_JSON_REF_H

#include <stdint.h>
#include <string.h>

struct jref {
	const uint8_t *p, *end;
	int depth, bad;
	/* what a server reads at the top level */
	char model[ASPEN_MODEL_LEN * 4 + 8], user[ASPEN_USER_LEN * 4 + 8];
	size_t model_len, user_len;
	int has_model, has_user, stream, has_metadata;
};

static void ws(struct jref *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static int hex4(const uint8_t *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = p[i], h = c >= '0' && c <= '9'	 ? c - '0'
				  : c >= 'a' && c <= 'f' ? c - 'a' + 10
				  : c >= 'A' && c <= 'F' ? c - 'A' + 10
							 : -1;
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static void put(char *out, size_t cap, size_t *len, uint32_t c)
{
	if (*len < cap)
		out[*len] = (char)c;
	(*len)++;
}

static void put_cp(char *out, size_t cap, size_t *len, uint32_t cp)
{
	if (cp < 0x80) {
		put(out, cap, len, cp);
	} else if (cp < 0x800) {
		put(out, cap, len, 0xc0 | cp >> 6);
		put(out, cap, len, 0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		put(out, cap, len, 0xe0 | cp >> 12);
		put(out, cap, len, 0x80 | ((cp >> 6) & 0x3f));
		put(out, cap, len, 0x80 | (cp & 0x3f));
	} else {
		put(out, cap, len, 0xf0 | cp >> 18);
		put(out, cap, len, 0x80 | ((cp >> 12) & 0x3f));
		put(out, cap, len, 0x80 | ((cp >> 6) & 0x3f));
		put(out, cap, len, 0x80 | (cp & 0x3f));
	}
}

/* A string at j->p (its '"'), decoded into out (cap bytes kept, *len the
 * whole length). */
static void string(struct jref *j, char *out, size_t cap, size_t *len)
{
	uint32_t hi = 0; /* a high surrogate waiting for its low half */

	*len = 0;
	j->p++;
	while (!j->bad) {
		if (j->p >= j->end || *j->p < 0x20) {
			j->bad = 1;
			return;
		}
		uint8_t c = *j->p++;

		if (c == '"')
			return;
		if (c != '\\') {
			hi = 0;
			put(out, cap, len, c);
			continue;
		}
		if (j->p >= j->end) {
			j->bad = 1;
			return;
		}
		c = *j->p++;
		if (c != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *k = memchr(from, c, sizeof(from) - 1);

			if (!k) {
				j->bad = 1;
				return;
			}
			hi = 0;
			put(out, cap, len, (uint8_t)to[k - from]);
			continue;
		}
		int cp = j->end - j->p >= 4 ? hex4(j->p) : -1;

		if (cp < 0) {
			j->bad = 1;
			return;
		}
		j->p += 4;
		if (cp >= 0xd800 && cp < 0xdc00) {
			hi = (uint32_t)cp;
			continue;
		}
		if (cp >= 0xdc00 && cp < 0xe000 && hi)
			cp = 0x10000 + (int)((hi - 0xd800) << 10) + (cp - 0xdc00);
		hi = 0;
		put_cp(out, cap, len, (uint32_t)cp);
	}
}

static int literal(struct jref *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n)) {
		j->bad = 1;
		return 0;
	}
	j->p += n;
	return 1;
}

static void number(struct jref *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0') {
		j->p++;
	} else if (j->p < j->end && *j->p >= '1' && *j->p <= '9') {
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	} else {
		j->bad = 1;
		return;
	}
	if (j->p < j->end && *j->p == '.') {
		if (++j->p >= j->end || *j->p < '0' || *j->p > '9')
			j->bad = 1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			j->bad = 1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
}

enum { V_OTHER, V_STRING, V_TRUE, V_OBJECT };

static int value(struct jref *j, int level, const char *key, size_t klen, int in_meta);

/* An object's members; level 1 is the body's own. */
static void object(struct jref *j, int level, int in_meta)
{
	char key[64];
	size_t klen;

	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return;
	}
	while (!j->bad) {
		ws(j);
		if (j->p >= j->end || *j->p != '"') {
			j->bad = 1;
			return;
		}
		string(j, key, sizeof(key), &klen);
		ws(j);
		if (j->bad || j->p >= j->end || *j->p != ':') {
			j->bad = 1;
			return;
		}
		j->p++;
		ws(j);
		value(j, level, klen < sizeof(key) ? key : "", klen < sizeof(key) ? klen : 0,
		      in_meta);
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return;
		}
		j->bad = 1;
	}
}

static int is_key(const char *key, size_t klen, const char *name)
{
	return klen == strlen(name) && !memcmp(key, name, klen);
}

/* A value; key: the member it is the value of at level (klen 0: none). */
static int value(struct jref *j, int level, const char *key, size_t klen, int in_meta)
{
	int top = level == 1 && klen, kind = V_OTHER;

	if (++j->depth > 200 || j->p >= j->end) {
		j->bad = 1;
		return V_OTHER;
	}
	switch (*j->p) {
	case '"': {
		char tmp[ASPEN_MODEL_LEN * 4 + 8];
		size_t len;

		string(j, tmp, sizeof(tmp), &len);
		kind = V_STRING;
		if ((top && is_key(key, klen, "model"))) {
			memcpy(j->model, tmp, sizeof(tmp));
			j->model_len = len;
		} else if ((top && is_key(key, klen, "user")) ||
			   (in_meta && level == 2 && is_key(key, klen, "user_id"))) {
			memcpy(j->user, tmp, sizeof(tmp));
			j->user_len = len;
		}
		break;
	}
	case '{':
		object(j, level + 1, top && is_key(key, klen, "metadata"));
		kind = V_OBJECT;
		break;
	case '[':
		j->p++;
		ws(j);
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			break;
		}
		while (!j->bad) {
			ws(j);
			value(j, level + 1, "", 0, 0);
			ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
			} else if (j->p < j->end && *j->p == ']') {
				j->p++;
				break;
			} else {
				j->bad = 1;
			}
		}
		break;
	case 't': kind = literal(j, "true") ? V_TRUE : V_OTHER; break;
	case 'f': literal(j, "false"); break;
	case 'n': literal(j, "null"); break;
	default: number(j); break;
	}
	j->depth--;
	if (top && is_key(key, klen, "model"))
		j->has_model = kind == V_STRING;
	else if (top && is_key(key, klen, "stream"))
		j->stream = kind == V_TRUE;
	else if (top && is_key(key, klen, "metadata"))
		j->has_metadata = 1;
	if ((top && is_key(key, klen, "user")) ||
	    (in_meta && level == 2 && is_key(key, klen, "user_id")))
		j->has_user = kind == V_STRING;
	return kind;
}

/* 1 when body is one JSON value (white space around it), j filled. */
static int jref_read(struct jref *j, const uint8_t *body, size_t n)
{
	memset(j, 0, sizeof(*j));
	j->p = body;
	j->end = body + n;
	ws(j);
	value(j, 0, "", 0, 0);
	ws(j);
	return !j->bad && j->p == j->end;
}

#endif
