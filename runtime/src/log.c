/* SPDX-License-Identifier: Apache-2.0 */
/* aspend's log (log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

void logf_(const char *lvl, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "aspend: %s: ", lvl);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define NPHASES 24

static struct timespec phase_t0, phase_last;
static struct {
	const char *what;
	long us;
} phases[NPHASES];
static int nphases;

static long us_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000L + (b->tv_nsec - a->tv_nsec) / 1000L;
}

void log_phase_start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &phase_t0);
	phase_last = phase_t0;
	nphases = 0;
}

void log_phase(const char *what)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (nphases < NPHASES)
		phases[nphases++] = (typeof(phases[0])){what, us_between(&phase_last, &now)};
	phase_last = now;
}

void log_phases(void)
{
	char line[1024];
	size_t n = 0;

	for (int i = 0; i < nphases && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %.1f", i ? ", " : "",
				      phases[i].what, (double)phases[i].us / 1000.0);
	log_info("start-up phases (ms): %s", n ? line : "none");
}
