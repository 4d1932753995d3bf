/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The .aspen.meta section of a compiled policy (format in
 * docs/internals.md): what aspend needs to run a .bpf.o with no other
 * input. One module for both directions: aspenc fills a struct aspen_meta
 * from its IR and writes it with aspen_meta_text(); aspend and aspenc test
 * read it back with aspen_meta_parse() / aspen_meta_read_elf().
 */
#ifndef ASPEN_META_H
#define ASPEN_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "names.h"

#define ASPEN_META_SECTION ".aspen.meta"
#define ASPEN_META_VERSION 1 /* of the format: the aspen-meta line */

struct aspen_meta_rule {
	int idx;
	char *name;
	int on;	      /* enum rule_on; -1: a kind this reader does not know */
	int terminal; /* ACT_ALLOW, ACT_DENY, ACT_KILL; -1: none (or unknown) */
	bool monitor;	/* the rule's effective mode */
	int line;
	char *reason; /* "" when none */
};

struct aspen_meta_provider {
	int idx;
	char *name;
	uint16_t *ports;
	size_t nports;
};

struct aspen_meta_host {
	int provider;
	char *name; /* host name or glob */
};

struct aspen_meta_cidr {
	int provider;
	char *cidr; /* a.b.c.d/n or ipv6/n, as written */
};

struct aspen_meta_pred {
	enum pred_class cls;
	int bit;
	char *glob;
};

/* A pattern the policy's rules use (`matches`, `redact`): bit idx of
 * aspen_req.body_match and aspen_verdict.redact. */
struct aspen_meta_pattern {
	int idx;
	char *name;	 /* qualified: "pii.ssn" */
	bool redact;	 /* some rule redacts it */
	char *mask;	 /* redact: repeated (cycled) over each match (aspenc writes "*"
			  * when the rule names none); NULL otherwise */
	char *validator; /* "luhn", NULL when none (common/luhn.h) */
	char *regex;	 /* source, for rx_new() (runtime/lib/rx.h) */
	bool icase;	 /* flag i: pass RX_FLAG_ICASE */
};

struct aspen_meta {
	int version; /* of the metadata format */
	int abi;     /* ASPEN_ABI_VERSION the object was built for */
	char *policy;
	char sha256[65];
	char *source;
	bool monitor;
	bool default_deny;
	char *hooks; /* comma-separated program kinds */
	bool uninspectable_deny; /* `setting uninspectable deny` (also when absent) */
	struct aspen_meta_rule *rules;
	size_t nrules;
	struct aspen_meta_provider *providers;
	size_t nproviders;
	struct aspen_meta_host *hosts;
	size_t nhosts;
	struct aspen_meta_cidr *cidrs;
	size_t ncidrs;
	struct aspen_meta_pred *preds;
	size_t npreds;
	struct aspen_meta_pattern *patterns;
	size_t npatterns;
};

/* The metadata text of m (malloc'd, NUL-terminated): the records in the
 * order docs/internals.md lists them, each provider followed by its host
 * and cidr records, string fields escaped. aspen_meta_parse() reads it
 * back to the same struct. NULL when out of memory. */
char *aspen_meta_text(const struct aspen_meta *m);

/* Parse metadata text (len bytes; a trailing NUL is allowed). 0, or -1
 * with a message in err. Unknown record kinds are skipped. */
int aspen_meta_parse(const char *text, size_t len, struct aspen_meta *out, char *err,
		     size_t errlen);

/* Read and parse section .aspen.meta of an ELF object (a .bpf.o). */
int aspen_meta_read_elf(const char *obj_path, struct aspen_meta *out, char *err, size_t errlen);

void aspen_meta_free(struct aspen_meta *m);

bool aspen_meta_has_hook(const struct aspen_meta *m, const char *hook);

#endif
