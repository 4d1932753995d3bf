/* SPDX-License-Identifier: Apache-2.0 */
/*
 * When the kernel refuses a policy object, say which policy rule and .asp
 * line the refused code came from. The object is loaded a second time with
 * a log buffer; kernels since 6.4 keep the tail of the log, which holds the
 * error.
 */
#define _GNU_SOURCE /* memmem */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "policy_obj.h"
#include "verifier.h"

#define LOG_SIZE (1 << 20)

/* The verifier echoes the source line of each instruction it checks (BTF
 * line info: "; <text> @ <file>:<line>"). aspenc puts every rule's
 * condition under a #line directive naming the .asp file, so clang records
 * the .asp line number, with no text (it cannot read a .asp as C). The
 * last such echo before the error is the policy line being checked.
 * Returns that line or 0, and copies the last log line that is not an
 * echo (the error itself). */
static int scan_log(const char *log, char *last, size_t lastlen)
{
	int line = 0;
	const char *p = log;

	last[0] = 0;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *colon = n > 4 ? memrchr(p, ':', n) : NULL;

		if (!strncmp(p, ";  @ ", 5) && colon)
			line = atoi(colon + 1);
		else if (n && p[0] != ';' && strncmp(p, "processed ", 10) &&
			 strncmp(p, "verification time", 17) && strncmp(p, "stack depth", 11))
			snprintf(last, lastlen, "%.*s", (int)(n < 200 ? n : 200), p);
		p = nl ? nl + 1 : NULL;
	}
	return line;
}

/* The rule a .asp line belongs to: the last rule declared at or before it. */
static const struct aspen_meta_rule *rule_for_line(const struct aspen_meta *m, int line)
{
	const struct aspen_meta_rule *best = NULL;

	for (size_t i = 0; i < m->nrules; i++)
		if (m->rules[i].line <= line && (!best || m->rules[i].line > best->line))
			best = &m->rules[i];
	return best;
}

static struct bpf_program *prog_at(struct bpf_object *o, int i)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, o)
		if (i-- == 0)
			return prog;
	return NULL;
}

static bool in_set(const struct bpf_program *prog, enum verifier_set set)
{
	const char *sec = bpf_program__section_name(prog);
	bool pp = !strncmp(sec, "uprobe", 6) || !strncmp(sec, "uretprobe", 9);

	return set == VERIFIER_ALL || (set == VERIFIER_PER_PROCESS) == pp;
}

void verifier_explain(const char *path, const struct aspen_meta *m, enum verifier_set set,
		      char *err, size_t errlen)
{
	struct bpf_object *o = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	char *bufs[ASPEND_MAX_LINKS] = { 0 };
	int n = 0;

	if (!o)
		goto out;
	bpf_object__for_each_program(prog, o) {
		bpf_program__set_autoload(prog, in_set(prog, set));
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
		int line = scan_log(bufs[i], last, sizeof(last));
		const struct aspen_meta_rule *r = line > 0 ? rule_for_line(m, line) : NULL;

		if (!bufs[i][0])
			continue;
		if (r)
			snprintf(err + strlen(err), errlen - strlen(err),
				 "\n  the verifier refused the code of rule '%s' (%s:%d): %s", r->name,
				 m->source, line, last);
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
