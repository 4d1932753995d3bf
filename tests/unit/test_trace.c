/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trace reader (common/trace*.c): well-formed lines, round trips
 * through the writer, and malformed input that must give a clear error
 * with a column (never a crash: ASan/UBSan builds run these).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "trace.h"

static int parse(const char *line, struct trace_event *ev, char *err, size_t errlen)
{
	return trace_parse_line(line, strlen(line), ev, err, errlen);
}

static void test_good_line(void **state)
{
	struct trace_event ev;
	char err[256];

	(void)state;
	assert_int_equal(parse("{\"event\":\"request\",\"pid\":12,\"exe\":\"/usr/bin/curl\","
			       "\"provider\":\"openai|groq\",\"model\":\"gpt\\u00e9\\n\","
			       "\"stream\":true,\"x_future\":{}}",
			       &ev, err, sizeof(err)),
			 -1); /* nested objects are refused even under x_ */
	assert_int_equal(parse("{\"event\":\"request\",\"pid\":12,\"exe\":\"/usr/bin/curl\","
			       "\"provider\":\"openai|groq\",\"model\":\"gpt\\u00e9\\n\","
			       "\"stream\":true,\"x_future\":1}",
			       &ev, err, sizeof(err)),
			 0);
	assert_int_equal(ev.kind, TRACE_REQUEST);
	assert_int_equal(ev.pid, 12);
	assert_string_equal(ev.exe, "/usr/bin/curl");
	assert_int_equal(ev.nprovider, 2);
	assert_string_equal(ev.provider[1], "groq");
	assert_string_equal(ev.model, "gpt\xc3\xa9\n");
	assert_true(ev.stream);
	assert_null(ev.user);
	trace_event_free(&ev);
}

struct bad {
	const char *line, *msg;
};

static void test_malformed_lines(void **state)
{
	static const struct bad bad[] = {
	    {"", "1: expected '{'"},
	    {"[1]", "1: expected '{'"},
	    {"{\"event\":\"connect\"", "expected ',' or '}'"},
	    {"{\"event\":\"connect\",}", "expected a member name"},
	    {"{\"event\":\"conect\",\"dst_port\":1}", "unknown event 'conect'"},
	    {"{\"event\":\"connect\",\"pid\":\"12\"}", "'pid' must be an integer"},
	    {"{\"event\":\"connect\",\"pid\":1.5}", "only integers"},
	    {"{\"event\":\"connect\",\"pid\":012}", "leading zeros"},
	    {"{\"event\":\"connect\",\"pid\":99999999999999999999}", "out of range"},
	    {"{\"event\":\"connect\",\"dst_port\":70000}", "out of range (1..65535)"},
	    {"{\"event\":\"connect\",\"bogus\":1}", "unknown field 'bogus'"},
	    {"{\"event\":\"connect\",\"event\":\"request\"}", "duplicate member"},
	    {"{\"event\":\"connect\",\"exe\":\"a\\u0000b\"}", "\\u0000"},
	    {"{\"event\":\"connect\",\"exe\":\"\\ud800\"}", "surrogate"},
	    {"{\"event\":\"connect\",\"exe\":\"\\q\"}", "bad escape"},
	    {"{\"event\":\"connect\",\"exe\":\"\xff\"}", "invalid UTF-8"},
	    {"{\"event\":\"connect\",\"exe\":\"a\tb\"}", "control character"},
	    {"{\"event\":\"connect\",\"exe\":\"abc", "unterminated string"},
	    {"{\"event\":\"connect\",\"dst_host\":[[\"a\"]]}", "nested arrays"},
	    {"{\"event\":\"connect\",\"dst_host\":[1]}", "a list of strings"},
	    {"{\"event\":\"connect\",\"dst_port\":443} x", "unexpected text"},
	    {"{\"event\":\"connect\",\"dst_port\":443,\"dst_ip\":\"300.1.1.1\"}", "not an IPv4"},
	    {"{\"event\":\"connect\"}", "needs 'dst_port'"},
	    {"{\"event\":\"request\",\"ws\":\"frame\"}", "'ws' must be \"upgrade\" or \"message\""},
	    {"{\"pid\":1}", "no \"event\""},
	    {"{\"event\":\"connect\",\"dst_port\":443,\"decision\":\"maybe\"}", "unknown decision"},
	    {"{\"event\":tru}", "expected a value"},
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct trace_event ev;

		err[0] = 0;
		if (parse(bad[i].line, &ev, err, sizeof(err)) == 0)
			fail_msg("accepted: %s", bad[i].line);
		trace_event_free(&ev);
		if (!strstr(err, bad[i].msg))
			fail_msg("%s: got '%s', want '%s'", bad[i].line, err, bad[i].msg);
		/* every message starts with a column */
		assert_true(err[0] >= '1' && err[0] <= '9');
	}
}

static char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/aspen-trace-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_file_errors(void **state)
{
	char err[512];
	struct trace_event ev;
	struct trace_reader *r;
	char *p;

	(void)state;
	p = write_tmp("{\"aspen_trace\":2}\n");
	assert_null(trace_open(p, err, sizeof(err)));
	assert_non_null(strstr(err, ":1:1: trace format version 2 is not supported"));
	unlink(p);
	p = write_tmp("{\"event\":\"connect\",\"dst_port\":1}\n");
	assert_null(trace_open(p, err, sizeof(err)));
	assert_non_null(strstr(err, "not an Aspen trace"));
	unlink(p);
	p = write_tmp("");
	assert_null(trace_open(p, err, sizeof(err)));
	unlink(p);
	assert_null(trace_open("/nonexistent/trace", err, sizeof(err)));
	p = write_tmp("{\"aspen_trace\":1}\n\n{\"event\":\"connect\",\"dst_port\":443}\n"
		      "{\"event\":\"connect\",\"dst_port\":\"x\"}\n");
	r = trace_open(p, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 1);
	assert_int_equal(ev.line, 3);
	trace_event_free(&ev);
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":4:31: 'dst_port' must be an integer"));
	trace_close(r);
	unlink(p);
}

static void test_round_trip(void **state)
{
	struct trace_event ev, back;
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f;

	(void)state;
	trace_event_init(&ev);
	ev.kind = TRACE_RESPONSE;
	ev.pid = 7;
	ev.exe = strdup("/bin/\"q\"\\\x01\xe2\x82\xac\xff");
	ev.has_provider = true;
	ev.status = 503;
	ev.tokens_in = 3;
	f = open_memstream(&buf, &len);
	assert_int_equal(trace_event_to_json(&ev, f), 0);
	fclose(f);
	assert_int_equal(trace_parse_line(buf, len, &back, err, sizeof(err)), 0);
	assert_int_equal(back.kind, TRACE_RESPONSE);
	assert_int_equal(back.status, 503);
	assert_int_equal(back.tokens_in, 3);
	assert_true(back.has_provider);
	assert_int_equal(back.nprovider, 0);
	/* the stray 0xff byte comes back as U+FFFD; the rest unchanged */
	assert_string_equal(back.exe, "/bin/\"q\"\\\x01\xe2\x82\xac\xef\xbf\xbd");
	trace_event_free(&ev);
	trace_event_free(&back);
	free(buf);
}

static void test_writer(void **state)
{
	char err[256];
	char path[] = "/tmp/aspen-trace-w-XXXXXX";
	int fd = mkstemp(path);
	struct trace_writer *w;
	struct trace_reader *r;
	struct trace_event ev;

	(void)state;
	close(fd);
	w = trace_writer_open(path, "p", "00", err, sizeof(err));
	assert_non_null(w);
	trace_event_init(&ev);
	ev.kind = TRACE_CONNECT;
	ev.dst_port = 443;
	ev.dst_ip = strdup("::1");
	assert_int_equal(trace_write_event(w, &ev), 0);
	trace_event_free(&ev);
	assert_int_equal(trace_writer_close(w), 0);
	r = trace_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(trace_policy(r), "p");
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 1);
	assert_string_equal(ev.dst_ip, "::1");
	trace_event_free(&ev);
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 0);
	trace_close(r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_line),  cmocka_unit_test(test_malformed_lines),
	    cmocka_unit_test(test_file_errors), cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
