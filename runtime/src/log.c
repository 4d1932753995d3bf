/* SPDX-License-Identifier: Apache-2.0 */
/* aspend's log (log.h). */
#include <stdarg.h>
#include <stdio.h>

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
