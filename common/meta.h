/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reader for the .aspen.meta section of a compiled policy (format in
 * docs/internals.md): what aspend needs to run a .bpf.o with no other input.
 */
#ifndef ASPEN_META_H
#define ASPEN_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "names.h"

#define ASPEN_META_SECTION ".aspen.meta"

enum aspen_pred_class {
	ASPEN_PRED_HOST,
	ASPEN_PRED_EXE,
	ASPEN_PRED_COMM,
	ASPEN_PRED_USER,
	ASPEN_PRED_CGROUP,
	ASPEN_PRED_CONTAINER,
	ASPEN_PRED__COUNT
};

struct aspen_meta_rule {
	int idx;
	char *name;
	char *on;	/* connect | connect_any | request | response */
	char *terminal; /* allow | deny | kill | - */
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
	enum aspen_pred_class cls;
	int bit;
	char *glob;
};

/* A pattern the policy's rules use (`matches`, `redact`): bit idx of
 * aspen_req.body_match and aspen_verdict.redact. */
struct aspen_meta_pattern {
	int idx;
	char *name;	 /* qualified: "pii.ssn" */
	bool redact;	 /* some rule redacts it */
	char *mask;	 /* redact: repeated (cycled) over each match; NULL otherwise */
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

/* Parse metadata text (len bytes; a trailing NUL is allowed). 0, or -1
 * with a message in err. Unknown record kinds are skipped. */
int aspen_meta_parse(const char *text, size_t len, struct aspen_meta *out, char *err,
		     size_t errlen);

/* Read and parse section .aspen.meta of an ELF object (a .bpf.o). */
int aspen_meta_read_elf(const char *obj_path, struct aspen_meta *out, char *err, size_t errlen);

void aspen_meta_free(struct aspen_meta *m);

bool aspen_meta_has_hook(const struct aspen_meta *m, const char *hook);

const char *aspen_pred_class_name(enum aspen_pred_class c);

#endif
