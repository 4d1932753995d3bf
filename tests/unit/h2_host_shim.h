/* SPDX-License-Identifier: Apache-2.0 */
/* What bpf-templates/aspen_h2.h (and aspen_hpack.h) need around them in host C. */
#ifndef ASPEN_H2_HOST_SHIM_H
#define ASPEN_H2_HOST_SHIM_H

#include <stdint.h>
#include <string.h>
#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#include "../../bpf-templates/aspen_h2.h"

#endif
