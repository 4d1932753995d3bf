/* SPDX-License-Identifier: Apache-2.0 */
/*
 * When the kernel refuses a policy object, say which policy rule and .asp
 * line the refused code came from. The object is loaded a second time with
 * a log buffer; kernels since 6.4 keep the tail of the log, which holds the
 * error.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aspend.h"

#define LOG_SIZE (1 << 20)

/* The verifier echoes the source line of each instruction (BTF line info,
 * "; <C text> @ file:line"). aspenc ends every rule's condition line with
 * a marker comment, aspen-rule <index>, so the last marker in the log names
 * the rule whose code was being checked. Returns that index or -1, and
 * copies the last line of the log that is not a source echo (the error). */
static int scan_log(const char *log, char *last, size_t lastlen)
{
	int rule = -1;
	const char *p = log;

	last[0] = 0;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *mark = memmem(p, n, "aspen-rule ", 11);

		if (p[0] == ';' && mark)
			rule = atoi(mark + 11);
		else if (n && p[0] != ';' && strncmp(p, "processed ", 10) &&
			 strncmp(p, "verification time", 17) && strncmp(p, "stack depth", 11))
			snprintf(last, lastlen, "%.*s", (int)(n < 200 ? n : 200), p);
		p = nl ? nl + 1 : NULL;
	}
	return rule;
}

static const struct aspen_meta_rule *rule_by_index(const struct aspen_meta *m, int idx)
{
	for (size_t i = 0; i < m->nrules; i++)
		if (m->rules[i].idx == idx)
			return &m->rules[i];
	return NULL;
}

static struct bpf_program *prog_at(struct bpf_object *o, int i)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, o)
		if (i-- == 0)
			return prog;
	return NULL;
}

void verifier_explain(const char *path, const struct aspen_meta *m, char *err, size_t errlen)
{
	struct bpf_object *o = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	char *bufs[ASPEND_MAX_LINKS] = { 0 };
	int n = 0;

	if (!o)
		goto out;
	bpf_object__for_each_program(prog, o) {
		if (n == ASPEND_MAX_LINKS || !(bufs[n] = calloc(1, LOG_SIZE)))
			break;
		bpf_program__set_log_buf(prog, bufs[n++], LOG_SIZE);
		bpf_program__set_log_level(prog, 1);
	}
	if (bpf_object__load(o) == 0)
		goto out; /* loads now: nothing to explain */
	/* libbpf stops at the first program the kernel refuses: the last
	 * non-empty log is the refused one */
	for (int i = n - 1; i >= 0; i--) {
		char last[256];
		int idx = scan_log(bufs[i], last, sizeof(last));
		const struct aspen_meta_rule *r = rule_by_index(m, idx);

		if (!bufs[i][0])
			continue;
		if (r)
			snprintf(err + strlen(err), errlen - strlen(err),
				 "\n  the verifier refused the code of rule '%s' (%s:%d): %s", r->name,
				 m->source, r->line, last);
		else
			snprintf(err + strlen(err), errlen - strlen(err),
				 "\n  the verifier refused program %s: %s", bpf_program__name(prog_at(o, i)), last);
		break;
	}
out:
	for (int i = 0; i < n; i++)
		free(bufs[i]);
	bpf_object__close(o);
}
