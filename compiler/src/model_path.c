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

int model_path_encode(const char *src, char *out, char *err, size_t errlen)
{
	static const char model[] = "{model}";
	size_t n = 0;
	int models = 0;

	if (src[0] != '/')
		return fail(err, errlen, "a model path starts with '/'");
	for (const char *p = src; *p; p++) {
		unsigned char c = (unsigned char)*p;
		char t;

		if (!strncmp(p, model, sizeof(model) - 1)) {
			if (models++)
				return fail(err, errlen, "a model path names {model} once");
			t = ASPEN_TMPL_MODEL;
			p += sizeof(model) - 2;
		} else if (c == '*') {
			t = ASPEN_TMPL_STAR;
		} else if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '{' || c == '}' ||
			   c == '%') {
			return fail(err, errlen,
				    "a model path holds printable bytes, no '?', '#', '%', "
				    "'{' or '}' but in {model}");
		} else {
			t = (char)c;
		}
		if (n && (t == ASPEN_TMPL_MODEL || t == ASPEN_TMPL_STAR) &&
		    (out[n - 1] == ASPEN_TMPL_MODEL || out[n - 1] == ASPEN_TMPL_STAR))
			return fail(err, errlen, "'*' and {model} must be apart: what would end the first?");
		if (n >= ASPEN_TMPL_LEN - 2)
			return fail(err, errlen, "a model path is at most 62 bytes ({model} counts 1)");
		out[n++] = t;
	}
	if (!models)
		return fail(err, errlen, "a model path names {model}");
	memset(out + n, 0, ASPEN_TMPL_LEN - n);
	return 0;
}
