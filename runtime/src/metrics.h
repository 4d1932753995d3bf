/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus metrics (metrics.c): counters kept where the audit lines are
 * written, served on /metrics by `aspend --metrics ADDR:PORT`. Every call
 * is a no-op until metrics_start(); all are thread-safe. */
#ifndef ASPEND_METRICS_H
#define ASPEND_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* addr: "127.0.0.1:9464", "[::1]:9464" or ":9464" (every address).
 * Returns 0, or -1 with a message in err. */
int metrics_start(const char *addr, char *err, size_t errlen);
void metrics_stop(void);

/* One audited decision (connect, request, response); NULL labels are "" */
void metrics_decision(const char *event, const char *decision, const char *rule,
		      const char *provider);
/* One request line, its provider and model (masked, as in the trail) */
void metrics_request(const char *provider, const char *model);
void metrics_tokens(const char *provider, const char *model, uint64_t input, uint64_t output);
void metrics_redactions(const char *pattern, unsigned count);
/* An audit line with an "unparsed" reason */
void metrics_uninspected(const char *reason);
void metrics_lost(uint64_t count);
/* A thread the kernel held for aspend (reason "tls_attach" or "redact") */
void metrics_hold(const char *reason, long us);
void metrics_probe_attach(long us);
void metrics_probed_processes(unsigned n);
void metrics_policy_load(const char *policy, const char *sha256, const char *reason);
void metrics_audit_error(void);
/* OTLP export: records sent or failed per output ("collector", "file"),
 * records dropped because the export queue was full */
void metrics_otlp(const char *output, const char *outcome, unsigned n);
void metrics_otlp_dropped(unsigned n);
/* A program's run count and time as the kernel reports them (set, not
 * added: the kernel's counters) */
void metrics_program(const char *name, uint64_t runs, uint64_t run_ns);

#endif
