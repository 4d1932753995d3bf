/* SPDX-License-Identifier: Apache-2.0 */
/* Audit lines as OTLP/JSON logs: the GenAI names, the resource, the body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt_otlp.h"

#define REQ                                                                                        \
	"{\"ts\":\"2026-11-24T19:08:01.123456Z\",\"event\":\"request\",\"decision\":\"deny\","     \
	"\"rule\":\"no_gpt4o\",\"reason\":\"not \\\"gpt-4o\\\"\",\"policy\":\"p\",\"provider\":"   \
	"\"openai\",\"host\":\"api.openai.com\",\"method\":\"POST\",\"path\":"                     \
	"\"/v1/chat/completions\",\"model\":\"gpt-4o\",\"request_user\":null,\"stream\":false,"    \
	"\"bytes\":120,\"unparsed\":null,\"tls\":\"openssl\",\"pid\":42,\"tid\":43,\"comm\":"      \
	"\"curl\",\"exe\":\"/usr/bin/curl\",\"uid\":0,\"user\":\"root\",\"gid\":0,\"cgroup\":"     \
	"\"/a\",\"container_id\":null,\"redactions\":[{\"pattern\":\"pii.ssn\",\"count\":1}],"     \
	"\"seq\":7,\"prev_sha256\":\"00ff\"}"

#define RESP                                                                                       \
	"{\"ts\":\"2026-11-24T19:08:02.000001Z\",\"event\":\"response\",\"decision\":\"allow\","   \
	"\"rule\":\"log_tokens\",\"policy\":\"p\",\"provider\":\"mistral\",\"model\":\"m-large\"," \
	"\"status\":200,\"tokens\":{\"input\":31,\"output\":5},\"bytes\":400,\"pid\":42,"          \
	"\"comm\":\"curl\",\"exe\":null,\"uid\":0,\"user\":null,\"gid\":0,\"cgroup\":null,"        \
	"\"container_id\":\"abc\",\"seq\":8,\"prev_sha256\":\"11ee\"}"

static char *convert(const char *const *lines, int n)
{
	struct rt_otlp_buf b = {0};

	rt_otlp_begin(&b);
	for (int i = 0; i < n; i++)
		assert_int_equal(rt_otlp_add_line(&b, lines[i], strlen(lines[i]), "h1", "0.1.0"),
				 0);
	rt_otlp_end(&b);
	assert_false(b.bad);
	assert_int_equal(b.count, n);
	return b.p;
}

#define HAS(s, want) assert_non_null(strstr((s), (want)))
#define ATTR_S(k, v) "{\"key\":\"" k "\",\"value\":{\"stringValue\":\"" v "\"}}"
#define ATTR_I(k, v) "{\"key\":\"" k "\",\"value\":{\"intValue\":\"" v "\"}}"

static void test_request(void **state)
{
	const char *lines[] = {REQ};
	char *j = convert(lines, 1);

	assert_memory_equal(j, "{\"resourceLogs\":[{\"resource\":{\"attributes\":[", 44);
	/* resource: the observed process */
	HAS(j, ATTR_S("host.name", "h1") "," ATTR_S("service.name",
						    "curl") "," ATTR_I("process.pid", "42"));
	HAS(j, ATTR_S("process.executable.path", "/usr/bin/curl"));
	HAS(j, ATTR_S("process.command", "curl"));
	HAS(j, ATTR_I("process.real_user.id", "0"));
	assert_null(strstr(j, "container.id")); /* null: left out */
	/* the record */
	HAS(j, "\"scope\":{\"name\":\"aspend\",\"version\":\"0.1.0\"}");
	HAS(j, "\"timeUnixNano\":\"1795547281123456000\"");
	HAS(j, "\"severityNumber\":13,\"severityText\":\"WARN\"");
	HAS(j, ATTR_S("event.name", "aspen.request"));
	HAS(j, ATTR_S("gen_ai.provider.name", "openai"));
	HAS(j, ATTR_S("gen_ai.operation.name", "chat"));
	HAS(j, ATTR_S("gen_ai.request.model", "gpt-4o"));
	HAS(j, ATTR_S("aspen.decision", "deny"));
	HAS(j, ATTR_S("aspen.reason", "not \\\"gpt-4o\\\""));
	HAS(j, ATTR_S("server.address", "api.openai.com"));
	HAS(j, ATTR_S("http.request.method", "POST"));
	HAS(j, ATTR_I("thread.id", "43"));
	HAS(j, ATTR_I("aspen.seq", "7"));
	HAS(j, "{\"key\":\"aspen.stream\",\"value\":{\"boolValue\":false}}");
	HAS(j, ATTR_S("aspen.redactions", "[{\\\"pattern\\\":\\\"pii.ssn\\\",\\\"count\\\":1}]"));
	/* the body is the audit line, byte for byte (quoted) */
	HAS(j, "\"body\":{\"stringValue\":\"{\\\"ts\\\":\\\"2026-11-24T19:08:01.123456Z\\\"");
	assert_null(strstr(j, "aspen.request_user")); /* null: left out */
	/* the process is not repeated among the record's attributes */
	assert_null(strstr(j, "aspen.pid"));
	free(j);
}

static void test_response_and_batch(void **state)
{
	const char *lines[] = {REQ, RESP};
	char *j = convert(lines, 2);

	HAS(j, "]}]}]},{\"resource\"");
	HAS(j, ATTR_S("gen_ai.provider.name", "mistral_ai"));
	HAS(j, ATTR_S("aspen.provider", "mistral"));
	HAS(j, ATTR_S("gen_ai.response.model", "m-large"));
	HAS(j, ATTR_I("gen_ai.usage.input_tokens", "31"));
	HAS(j, ATTR_I("gen_ai.usage.output_tokens", "5"));
	HAS(j, ATTR_I("http.response.status_code", "200"));
	HAS(j, ATTR_S("container.id", "abc"));
	/* no exe: service.name from comm */
	HAS(j, ATTR_S("service.name", "curl") "," ATTR_I("process.pid", "42") "," ATTR_S(
		   "process.command", "curl"));
	assert_int_equal(j[strlen(j) - 1], '}');
	free(j);
}

static void test_daemon_events_and_junk(void **state)
{
	const char *lines[] = {"{\"ts\":\"2026-11-24T19:08:01.000000Z\",\"event\":\"lost\","
			       "\"count\":3,\"policy\":\"p\","
			       "\"seq\":2,\"prev_sha256\":\"aa\"}"};
	struct rt_otlp_buf b = {0};
	char *j = convert(lines, 1);

	HAS(j, ATTR_S("service.name", "aspend") "," ATTR_S("service.version", "0.1.0"));
	HAS(j, "\"severityNumber\":17,\"severityText\":\"ERROR\"");
	HAS(j, ATTR_I("aspen.count", "3"));
	free(j);

	rt_otlp_begin(&b);
	assert_int_equal(rt_otlp_add_line(&b, "hello", 5, "h", "v"), -1);
	assert_int_equal(rt_otlp_add_line(&b, "{\"a\":\"b", 7, "h", "v"), -1);
	assert_int_equal(rt_otlp_add_line(&b, "{\"ts\":1}", 8, "h", "v"), -1);
	assert_int_equal(b.count, 0);
	free(b.p);
	assert_string_equal(rt_otlp_provider_name("bedrock"), "aws.bedrock");
	assert_string_equal(rt_otlp_provider_name("xai"), "x_ai");
	assert_string_equal(rt_otlp_provider_name("groq"), "groq");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_response_and_batch),
	    cmocka_unit_test(test_daemon_events_and_junk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
