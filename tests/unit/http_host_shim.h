/* SPDX-License-Identifier: Apache-2.0 */
/* What bpf-templates/aspen_http.h needs around it in host C. */
#ifndef ASPEN_HTTP_HOST_SHIM_H
#define ASPEN_HTTP_HOST_SHIM_H

#include <stdint.h>
#include <string.h>
#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#include "../../bpf-templates/aspen_http.h"

#endif
