/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where aspenc and aspend find their data (the eBPF templates, the standard
 * library) with no environment variable, wherever they were installed.
 */
#ifndef ASPEN_PATHS_H
#define ASPEN_PATHS_H

#include <stddef.h>

enum aspen_data { ASPEN_DATA_TEMPLATES, ASPEN_DATA_STDLIB };

/*
 * The directory of KIND, written to BUF (LEN bytes) and returned, in this
 * order (the callers check their environment variable first):
 *   1. <directory of the running executable>/../share/aspen/<kind>: an
 *      installed copy (/usr/bin/aspenc -> /usr/share/aspen/bpf-templates),
 *      wherever the prefix or DESTDIR put it;
 *   2. the source tree's, when the executable is one of its build tree's;
 *   3. the configured install directory (CMAKE_INSTALL_PREFIX/share/aspen).
 * The last one is returned even when it does not exist, so errors name it.
 */
const char *aspen_data_dir(enum aspen_data kind, char *buf, size_t len);

#endif
