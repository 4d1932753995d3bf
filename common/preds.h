/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Predicate bits and provider masks computed in userspace from a policy's
 * metadata, exactly as aspend fills its maps: one implementation for
 * aspend (procs.c, hosts.c) and `aspenc test` (which builds the kernel's
 * input from a recorded event).
 */
#ifndef ASPEN_PREDS_H
#define ASPEN_PREDS_H

#include <stdbool.h>
#include <stdint.h>

#include "meta.h"

/* Bit i set when `pred <cls> i <glob>` matches s (host names: icase). */
uint64_t aspen_pred_bits(const struct aspen_meta *m, enum pred_class cls, const char *s,
			 bool icase);

/* Providers whose `host` globs match name (case-insensitive). */
uint64_t aspen_meta_host_providers(const struct aspen_meta *m, const char *name);

/* The names of the providers in mask, "a|b" (the audit's spelling), into
 * out (len bytes, cut short if needed); "" for none. */
void aspen_meta_provider_names(const struct aspen_meta *m, uint64_t mask, char *out, size_t len);

/* Providers whose `cidr` lines hold addr (16 bytes, IPv4 v4-mapped). */
uint64_t aspen_meta_cidr_providers(const struct aspen_meta *m, const uint8_t addr[16]);

/* Providers that serve on port (a provider without ports: 443). */
uint64_t aspen_meta_port_providers(const struct aspen_meta *m, uint16_t port);

/* "a.b.c.d/n", "v6/n", or a bare address (one host) -> the address
 * v4-mapped and the prefix length over 128 bits (IPv4: 96 + n). The one
 * parser of CIDRs for aspenc (dst.ip), aspend (provider CIDRs) and tests.
 * 0, or -1 if text is not a CIDR. */
int aspen_cidr_parse(const char *text, uint8_t net[16], int *plen);

/* Provider index by name, -1 if the policy has none of that name. */
int aspen_meta_provider_index(const struct aspen_meta *m, const char *name);

#endif
