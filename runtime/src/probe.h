/* SPDX-License-Identifier: Apache-2.0 */
/* The feature probe printed at start (probe.c). */
#ifndef ASPEND_PROBE_H
#define ASPEND_PROBE_H

/* Log which enforcement modes this kernel allows */
void probe_print(void);

#endif
