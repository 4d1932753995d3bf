/* SPDX-License-Identifier: Apache-2.0 */
/* A write's bytes as the kernel's body patterns read them. See rt_jview.h. */
#include "rt_jview.h"

#include <stdlib.h>

static bool grow(struct rt_jview *v, size_t need)
{
	uint8_t *dec;
	uint32_t *at;
	size_t cap = v->cap ? v->cap : 4096;

	if (need <= v->cap)
		return true;
	while (cap < need)
		cap *= 2;
	dec = realloc(v->dec, cap);
	if (!dec)
		return false;
	v->dec = dec;
	at = realloc(v->at, cap * sizeof(*at));
	if (!at)
		return false;
	v->at = at;
	v->cap = cap;
	return true;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* the code unit of the \uXXXX at buf[i] (i at the backslash), or -1 */
static long unit_at(const uint8_t *buf, size_t len, size_t i)
{
	long u = 0;

	if (i + 6 > len || buf[i] != '\\' || buf[i + 1] != 'u')
		return -1;
	for (size_t k = 2; k < 6; k++) {
		int h = hexval(buf[i + k]);

		if (h < 0)
			return -1;
		u = u * 16 + h;
	}
	return u;
}

static size_t put_utf8(uint8_t *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* The escape at buf[i] (a backslash): its decoded bytes in out (at most
 * 4), how many in *nout; returns its length on the wire, 0 if none starts
 * there (the backslash is then a plain byte). */
static size_t escape_at(const uint8_t *buf, size_t len, size_t i, uint8_t *out, size_t *nout)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	long u = unit_at(buf, len, i), lo;

	*nout = 0;
	if (i + 1 >= len)
		return 0;
	if (buf[i + 1] != 'u') {
		for (size_t k = 0; from[k]; k++)
			if (buf[i + 1] == (uint8_t)from[k]) {
				out[0] = (uint8_t)to[k];
				*nout = 1;
				return 2;
			}
		return 0;
	}
	if (u < 0)
		return 0;
	if (u >= 0xd800 && u < 0xdc00 && (lo = unit_at(buf, len, i + 6)) >= 0xdc00 && lo < 0xe000) {
		*nout = put_utf8(out, 0x10000 + ((unsigned long)(u - 0xd800) << 10) +
					  (unsigned long)(lo - 0xdc00));
		return 12;
	}
	/* a lone high half is dropped, a lone low half read as its own 3
	 * bytes: as the kernel's scanner does (aspen_http_json_utf8()) */
	if (u < 0xd800 || u >= 0xdc00)
		*nout = put_utf8(out, (unsigned long)u);
	return 6;
}

bool rt_jview_build(struct rt_jview *v, const uint8_t *buf, size_t len)
{
	size_t i = 0;

	v->n = 0;
	if (len > RT_JVIEW_MAX || !grow(v, len))
		return false;
	/* an escape never decodes to more bytes than it takes on the wire */
	while (i < len) {
		uint8_t out[4];
		size_t nout, w = buf[i] == '\\' ? escape_at(buf, len, i, out, &nout) : 0;

		if (!w) {
			v->dec[v->n] = buf[i];
			v->at[v->n++] = (uint32_t)i++;
			continue;
		}
		for (size_t k = 0; k < nout; k++) {
			v->dec[v->n] = out[k];
			v->at[v->n++] = (uint32_t)i | RT_JVIEW_ESC;
		}
		i += w;
	}
	return true;
}

void rt_jview_free(struct rt_jview *v)
{
	free(v->dec);
	free(v->at);
	*v = (struct rt_jview){0};
}

bool rt_jview_plain(const struct rt_jview *v, size_t s, size_t e, size_t *a, size_t *b)
{
	if (s >= e || e > v->n)
		return false;
	for (size_t i = s; i < e; i++)
		if ((v->at[i] & RT_JVIEW_ESC) || v->at[i] != v->at[s] + (i - s))
			return false;
	*a = v->at[s];
	*b = (size_t)v->at[e - 1] + 1;
	return true;
}
