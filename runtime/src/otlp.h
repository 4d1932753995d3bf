/* SPDX-License-Identifier: Apache-2.0 */
/* OpenTelemetry export (otlp.c): every audit line, as an OTLP log record
 * with the GenAI conventions (runtime/lib/rt_otlp.h), posted to a
 * collector (`--otlp URL`, OTLP/HTTP JSON) and/or appended to a file
 * (`--otlp-file FILE`, one ExportLogsServiceRequest per line) by a
 * background thread. The event loop only queues a copy of the line. */
#ifndef ASPEND_OTLP_H
#define ASPEND_OTLP_H

#include <stddef.h>

struct rt_audit;

/* url or file may be NULL (not both). Starts the thread and tees the trail
 * into it. Returns 0, or -1 with a message in err. */
int otlp_start(struct rt_audit *audit, const char *url, const char *file, char *err, size_t errlen);
/* Sends what is queued (bounded by the export timeout) and stops. */
void otlp_stop(struct rt_audit *audit);

#endif
