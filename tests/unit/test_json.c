/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON strings (common/json.c): escaping, invalid UTF-8, the UTF-8 check,
 * and that the audit trail and a recorded trace spell a string the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "json.h"
#include "rt_audit.h"
#include "trace.h"

static void quote_is(const char *in, size_t n, const char *want)
{
	char out[256];
	size_t need = json_quote_buf(out, sizeof(out), in, n);

	assert_string_equal(out, want);
	assert_int_equal(need, strlen(want));
}

static void test_escape(void **state)
{
	quote_is("plain", 5, "\"plain\"");
	quote_is("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	quote_is("l1\nl2\t\r\x01\x1f\x7f", 10,
		 "\"l1\\u000al2\\u0009\\u000d\\u0001\\u001f\\u007f\"");
	quote_is("nul\0x", 5, "\"nul\\u0000x\"");
	/* valid UTF-8 passes through: é, €, 😀 */
	quote_is("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
		 "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	/* invalid: stray continuation, lone lead, overlong, surrogate, > U+10FFFF */
	quote_is("\xff", 1, "\"\\ufffd\"");
	quote_is("a\x80z", 3, "\"a\\ufffdz\"");
	quote_is("\xc3", 1, "\"\\ufffd\"");
	quote_is("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
	quote_is("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	quote_is("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	quote_is("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");
}

static void test_quote_truncates(void **state)
{
	char small[6];

	assert_int_equal(json_quote_buf(small, sizeof(small), "abcdefgh", 8), 10);
	assert_string_equal(small, "\"abcd");
}

/* Decode-then-check definition of a valid UTF-8 sequence, to hold
 * utf8_len() (a table of byte ranges) against. */
static size_t utf8_len_by_decoding(const unsigned char *s, size_t n)
{
	size_t need;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		need = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		need = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		need = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/* A JSON array of strings is whole whatever its items (the tls_attach
 * line's "libs": until session 43 a long path cut it, "\u0]") */
static void test_array_buf(void **state)
{
	char big[3000], out[64];
	const char *items[3] = {"/lib/libssl.so.3", big, "/lib/b"};
	size_t len;

	(void)state;
	memset(big, 0x01, sizeof(big) - 1); /* each byte quoted as \u0001 */
	big[sizeof(big) - 1] = 0;
	len = json_array_buf(out, sizeof(out), items, 3);

	assert_int_equal(len, strlen(out));
	assert_string_equal(out, "[\"/lib/libssl.so.3\",\"/lib/b\"]");
	assert_int_equal(json_array_buf(out, sizeof(out), items, 0), 2);
	assert_string_equal(out, "[]");
	/* room for "[" "]" only: the items are left out */
	assert_int_equal(json_array_buf(out, 4, items, 1), 2);
	assert_string_equal(out, "[]");
	/* exactly fits: ["/lib/b"] is 10 bytes, 11 with the NUL */
	assert_int_equal(json_array_buf(out, 11, items + 2, 1), 10);
	assert_int_equal(json_array_buf(out, 10, items + 2, 1), 2);
}

static void test_utf8_len(void **state)
{
	static const unsigned char tails[] = {0x00, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
	unsigned char s[4];

	/* every 1-, 2- and 3-byte string, and every 4-byte lead and second
	 * byte with boundary values after them */
	for (unsigned a = 0; a < 256; a++) {
		for (unsigned b = 0; b < 256; b++) {
			for (unsigned c = 0; c < 256; c++) {
				s[0] = (unsigned char)a, s[1] = (unsigned char)b;
				s[2] = (unsigned char)c;
				assert_int_equal(utf8_len(s, 3), utf8_len_by_decoding(s, 3));
			}
			s[0] = (unsigned char)a, s[1] = (unsigned char)b;
			assert_int_equal(utf8_len(s, 2), utf8_len_by_decoding(s, 2));
			for (size_t i = 0; i < sizeof(tails) * sizeof(tails); i++) {
				s[2] = tails[i / sizeof(tails)], s[3] = tails[i % sizeof(tails)];
				assert_int_equal(utf8_len(s, 4), utf8_len_by_decoding(s, 4));
			}
		}
		s[0] = (unsigned char)a;
		assert_int_equal(utf8_len(s, 1), utf8_len_by_decoding(s, 1));
	}
}

/* The value of "key":... in a JSON line, as written. */
static char *value_of(const char *line, const char *key)
{
	char pat[64];
	const char *p, *end;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	assert_non_null(p);
	p += strlen(pat);
	assert_int_equal(*p, '"');
	for (end = p + 1; *end != '"'; end++)
		if (*end == '\\')
			end++;
	return strndup(p, (size_t)(end + 1 - p));
}

/* An exe path with invalid UTF-8 (a Latin-1 name, a stray byte, an
 * encoded surrogate) and bytes that need escaping. */
#define ODD_EXE "/opt/caf\xe9/bin/py\"thon\n\xff\xed\xa0\x80-\xc3\xa9"

static void test_exe_same_in_audit_and_trace(void **state)
{
	char dir[] = "/tmp/aspen-json-XXXXXX", path[64], err[256], line[1024];
	char *tline = NULL, *in_audit, *in_trace;
	size_t tlen = 0;
	struct rt_audit *a;
	struct rt_audit_ev ev;
	struct trace_event te, back;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	a = rt_audit_open(path, err, sizeof(err));
	assert_non_null(a);
	rt_audit_ev_init(&ev, "request");
	rt_audit_str(&ev, "exe", ODD_EXE);
	assert_int_equal(rt_audit_emit(a, &ev), 0);
	rt_audit_close(a);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(path);
	rmdir(dir);

	trace_event_init(&te);
	te.kind = TRACE_REQUEST;
	te.exe = strdup(ODD_EXE);
	f = open_memstream(&tline, &tlen);
	assert_int_equal(trace_event_to_json(&te, f), 0);
	fclose(f);

	in_audit = value_of(line, "exe");
	in_trace = value_of(tline, "exe");
	assert_string_equal(in_audit, in_trace);
	assert_string_equal(in_trace, "\"/opt/caf\\ufffd/bin/py\\\"thon\\u000a\\ufffd\\ufffd\\ufffd"
				      "\\ufffd-\xc3\xa9\"");
	/* and the trace reads back what it wrote */
	assert_int_equal(trace_parse_line(tline, tlen, &back, err, sizeof(err)), 0);
	assert_string_equal(back.exe, "/opt/caf\xef\xbf\xbd/bin/py\"thon\n\xef\xbf\xbd\xef\xbf\xbd"
				      "\xef\xbf\xbd\xef\xbf\xbd-\xc3\xa9");
	trace_event_free(&back);
	trace_event_free(&te);
	free(in_audit);
	free(in_trace);
	free(tline);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_quote_truncates),
	    cmocka_unit_test(test_utf8_len),
	    cmocka_unit_test(test_array_buf),
	    cmocka_unit_test(test_exe_same_in_audit_and_trace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
