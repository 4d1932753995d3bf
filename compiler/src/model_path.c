/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include <linux/types.h>

#include "aspen_path_model.h"
#include "model_path.h"

static int fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -1;
}

/* want_model: a model path names {model} once; a stream path never */
static int encode(const char *src, char *out, char *err, size_t errlen, int want_model)
{
	static const char model[] = "{model}";
	size_t n = 0;
	int models = 0;

	if (src[0] != '/')
		return fail(err, errlen, want_model ? "a model path starts with '/'"
						    : "a stream path starts with '/'");
	for (const char *p = src; *p; p++) {
		unsigned char c = (unsigned char)*p;
		char t;

		if (!strncmp(p, model, sizeof(model) - 1)) {
			if (!want_model)
				return fail(err, errlen, "a stream path names no {model}: '*' matches it");
			if (models++)
				return fail(err, errlen, "a model path names {model} once");
			t = ASPEN_TMPL_MODEL;
			p += sizeof(model) - 2;
		} else if (c == '*') {
			t = ASPEN_TMPL_STAR;
		} else if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '{' || c == '}' ||
			   c == '%') {
			return fail(err, errlen,
				    want_model ? "a model path holds printable bytes, no '?', '#', "
						 "'%', '{' or '}' but in {model}"
					       : "a stream path holds printable bytes, no '?', '#', "
						 "'%', '{' or '}'");
		} else {
			t = (char)c;
		}
		if (n && (t == ASPEN_TMPL_MODEL || t == ASPEN_TMPL_STAR) &&
		    (out[n - 1] == ASPEN_TMPL_MODEL || out[n - 1] == ASPEN_TMPL_STAR))
			return fail(err, errlen, "'*' and {model} must be apart: what would end the first?");
		if (n >= ASPEN_TMPL_LEN - 2)
			return fail(err, errlen,
				    want_model ? "a model path is at most 62 bytes ({model} counts 1)"
					       : "a stream path is at most 62 bytes");
		out[n++] = t;
	}
	if (want_model && !models)
		return fail(err, errlen, "a model path names {model}");
	memset(out + n, 0, ASPEN_TMPL_LEN - n);
	return 0;
}

int model_path_encode(const char *src, char *out, char *err, size_t errlen)
{
	return encode(src, out, err, errlen, 1);
}

int stream_path_encode(const char *src, char *out, char *err, size_t errlen)
{
	return encode(src, out, err, errlen, 0);
}
