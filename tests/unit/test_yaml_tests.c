/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test files of `aspenc test` (compiler/test/test_yaml.c): a good file, and
 * malformed ones, each of which must name FILE:LINE:COL and never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_cmd.h"

static int parse(const char *text, struct test_file *tf, char *err, size_t errlen)
{
	int rc = test_file_parse("/x/t.yaml", text, strlen(text), tf, err, errlen);

	return rc;
}

static void test_good(void **state)
{
	struct test_file tf;
	char err[512];

	(void)state;
	assert_int_equal(parse("policy: p.asp\nmonitor: true\ntraces: [a.jsonl, /abs/b.jsonl]\n"
			       "cases:\n"
			       "  - name: one\n"
			       "    event: {event: connect, pid: 12, comm: \"007\", dst_port: 443,"
			       " provider: [openai], dst_host: api.openai.com}\n"
			       "    expect: {decision: would_deny, rule: r, redact: [pii.ssn]}\n"
			       "  - trace: a.jsonl\n    line: 3\n",
			       &tf, err, sizeof(err)),
			 0);
	assert_string_equal(tf.policy, "/x/p.asp");
	assert_true(tf.monitor);
	assert_int_equal(tf.ntraces, 2);
	assert_string_equal(tf.traces[1], "/abs/b.jsonl");
	assert_int_equal(tf.ncases, 2);
	assert_int_equal(tf.cases[0].line, 5);
	assert_int_equal(tf.cases[0].event.pid, 12);
	assert_string_equal(tf.cases[0].event.comm, "007");
	assert_string_equal(tf.cases[0].event.dst_host[0], "api.openai.com");
	assert_string_equal(tf.cases[0].expect.decision, "would_deny");
	assert_int_equal(tf.cases[0].expect.nredact, 1);
	assert_string_equal(tf.cases[1].trace, "/x/a.jsonl");
	assert_int_equal(tf.cases[1].trace_line, 3);
	test_file_free(&tf);
}

struct bad {
	const char *text, *where, *msg;
};

static void test_malformed(void **state)
{
	static const struct bad bad[] = {
	    {"", "t.yaml:1:1:", "empty"},
	    {"- a\n- b\n", "t.yaml:1:1:", "a test file is a mapping"},
	    {"policy: [\n", "t.yaml:2:1:", ""},
	    {"policy: p.asp\ncases: {a: 1}\n", "t.yaml:2:8:", "'cases' is a list"},
	    {"policy: p.asp\n", "t.yaml:1:1:", "no 'cases' and no 'traces'"},
	    {"cases: []\ntraces: [a]\n", "t.yaml:1:1:", "names no 'policy'"},
	    {"policy: p.asp\npolcy: x\n", "t.yaml:2:1:", "unknown key 'polcy'"},
	    {"policy: p.asp\nmonitor: perhaps\ntraces: [a]\n", "t.yaml:2:10:", "true or false"},
	    {"policy: p.asp\ncases:\n  - name: x\n", "t.yaml:3:5:", "needs 'event'"},
	    {"policy: p.asp\ncases:\n  - event: {event: connect, pid: x, dst_port: 1}\n",
	     "t.yaml:3:34:", "'pid' must be an integer"},
	    {"policy: p.asp\ncases:\n  - event: {event: connect, bogus: 1, dst_port: 1}\n",
	     "t.yaml:3:29:", "unknown field 'bogus'"},
	    {"policy: p.asp\ncases:\n  - event: {event: connect}\n", "t.yaml:3:12:",
	     "needs 'dst_port'"},
	    {"policy: p.asp\ncases:\n  - event: {event: connect, dst_port: 1}\n"
	     "    expect: {decision: maybe}\n",
	     "t.yaml:4:24:", "unknown decision"},
	    {"policy: p.asp\ncases:\n  - event: {event: connect, dst_port: 1}\n"
	     "    expect: {rul: x}\n",
	     "t.yaml:4:14:", "unknown key 'rul'"},
	    {"policy: p.asp\ncases:\n  - trace: a\n    line: -3\n", "t.yaml:4:11:", "line number"},
	    {"policy: p.asp\ncases:\n  - event: {event: connect, dst_host: {a: b}, dst_port: 1}\n",
	     "t.yaml:3:39:", "nested mappings"},
	    {"policy: p.asp\ncases:\n  - event: {event: connect, dst_port: 1}\n    trace: a\n"
	     "    line: 2\n",
	     "t.yaml:3:5:", "not both"},
	    {"policy: &a [*a]\n", "t.yaml:1:9:", "path of a .asp file"},
	    {"\xff\xfe", "t.yaml:1:1:", ""},
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct test_file tf;

		err[0] = 0;
		if (parse(bad[i].text, &tf, err, sizeof(err)) == 0)
			fail_msg("accepted: %s", bad[i].text);
		test_file_free(&tf);
		if (!strstr(err, bad[i].where) || !strstr(err, bad[i].msg))
			fail_msg("%s: got '%s', want '%s' '%s'", bad[i].text, err, bad[i].where,
				 bad[i].msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
