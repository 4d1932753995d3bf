/* SPDX-License-Identifier: Apache-2.0 */
/* aspend's log: one line per message on stderr, "aspend: LEVEL: ...". */
#ifndef ASPEND_LOG_H
#define ASPEND_LOG_H

void logf_(const char *lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...) logf_("info", __VA_ARGS__)
#define log_warn(...) logf_("warning", __VA_ARGS__)
#define log_err(...) logf_("error", __VA_ARGS__)

/* Start-up phases: log_phase("what") notes the time since log_phase_start;
 * log_phases() prints them on one line ("start-up: what N ms, ..."). */
void log_phase_start(void);
void log_phase(const char *what);
void log_phases(void);

#endif
