/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fields a rule may read: name, value type, range, and the rule kinds
 * (`on connect`, `on request`, ...) that can see them. typecheck.c checks
 * rules against this table; the back end reads it to know what to compute.
 */
#ifndef ASPEN_FIELDS_H
#define ASPEN_FIELDS_H

#include <stdint.h>

#include "ast.h"

enum field_type {
	FT_PROVIDER, /* provider names, any, unknown            */
	FT_IP,	     /* IPv4/IPv6 address or CIDR strings       */
	FT_INT,	     /* integers in [min, max]                  */
	FT_GLOB,     /* strings; == and in match globs          */
	FT_BOOL,     /* true / false                            */
	FT_BODY,     /* only `matches PATTERN`                  */
};

#define ON_BIT(on) (1u << (on))
#define ON_CONNECT_KINDS (ON_BIT(ON_CONNECT) | ON_BIT(ON_CONNECT_ANY))
#define ON_ALL_KINDS (ON_CONNECT_KINDS | ON_BIT(ON_REQUEST) | ON_BIT(ON_RESPONSE))

struct field_info {
	enum field_id id;
	const char *name; /* "process.exe" */
	enum field_type type;
	unsigned on_mask; /* ON_BIT() of the rule kinds that may read it */
	int64_t min, max; /* FT_INT range; FT_GLOB: max meaningful length (0: any) */
};

/* NULL when no field has that name. */
const struct field_info *field_lookup(const char *name);
/* id must be a real field (not F_NONE / F__COUNT). */
const struct field_info *field_get(enum field_id id);
/* All field names, for "did you mean". */
const char *const *field_names(size_t *n);

#endif
