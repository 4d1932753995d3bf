/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Audit lines as OpenTelemetry logs (OTLP/JSON): one ResourceLogs per
 * audit line, with the GenAI semantic conventions (gen_ai.provider.name,
 * gen_ai.operation.name, gen_ai.request.model, gen_ai.response.model,
 * gen_ai.usage.input_tokens, gen_ai.usage.output_tokens), the observed
 * process and container as resource attributes, the audit line itself as
 * the body, and every other field as an aspen.* attribute. The mapping is
 * documented in docs/operators.md ("OpenTelemetry").
 *
 *   struct rt_otlp_buf b = {0};
 *   rt_otlp_begin(&b);
 *   rt_otlp_add_line(&b, line, len, "host1", "0.1.0");   (per line)
 *   rt_otlp_end(&b);        b.p: {"resourceLogs":[...]}, an
 *                           ExportLogsServiceRequest; free(b.p)
 */
#ifndef ASPEN_RT_OTLP_H
#define ASPEN_RT_OTLP_H

#include <stddef.h>

struct rt_otlp_buf {
	char *p;
	size_t len, cap;
	int bad;   /* out of memory */
	int count; /* ResourceLogs added */
};

void rt_otlp_begin(struct rt_otlp_buf *b);
/* Adds one audit line (without its newline). Returns 0, or -1 when it is
 * not an audit line (nothing added). */
int rt_otlp_add_line(struct rt_otlp_buf *b, const char *line, size_t len, const char *host,
		     const char *version);
void rt_otlp_end(struct rt_otlp_buf *b);

/* The gen_ai.provider.name of an Aspen provider name (stdlib's
 * providers.asp): "mistral" -> "mistral_ai", "bedrock" -> "aws.bedrock",
 * ...; other names as they are. */
const char *rt_otlp_provider_name(const char *aspen_name);

#endif
