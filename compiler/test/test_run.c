/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One policy under test: checked and compiled like `aspenc -o` (same
 * passes, same clang build, into a temporary object), its metadata read
 * back from that object as aspend reads it, and each event decided twice:
 * by the object's compiled code in the kernel (BPF_PROG_TEST_RUN) and by
 * the reference evaluator.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include "aspen_shared.h"
#include "aspen_test.bpf.h"
#include "codegen.h"
#include "diag.h"
#include "paths.h"
#include "test_cmd.h"

#define MAX_DIRS 64

/* The front end and back end exactly as main.c runs them for -o. */
static int compile(struct policy_session *s, const struct session_opts *o, const char *obj)
{
	const char *dirs[MAX_DIRS];
	char stdlib[PATH_MAX];
	size_t n = 0;
	const char *env = getenv("ASPEN_STDLIB_DIR"), *clang = getenv("ASPEN_CLANG");
	struct compile_opts co;
	struct diags *d = diags_new();
	int rc;

	for (size_t i = 0; i < o->nimport_dirs && n < MAX_DIRS - 4; i++)
		dirs[n++] = o->import_dirs[i];
	dirs[n++] = "";
	if (env && *env)
		dirs[n++] = env;
	dirs[n++] = aspen_data_dir(ASPEN_DATA_STDLIB, stdlib, sizeof(stdlib));
	co.import_dirs = dirs;
	co.nimport_dirs = n;
	rc = resolve_program(s->policy, &co, &s->prog, d);
	if (!(rc && !s->prog.root)) {
		typecheck_program(&s->prog, d);
		if (diags_errors(d) == 0)
			analyse_program(&s->prog, d);
	}
	if (diags_errors(d) == 0) {
		struct codegen_opts cg = {
		    .out_path = obj,
		    .clang = clang && *clang ? clang : "clang",
		    .test_programs = 1, /* aspen_test_decide */
		    .verbose = o->verbose,
		};

		codegen_run(&s->prog, &cg, d);
	}
	/* warnings are the policy author's business (aspenc --check shows them) */
	rc = diags_errors(d) ? -1 : 0;
	if (rc)
		diags_print(d, stderr);
	diags_free(d);
	return rc;
}

int session_open(struct policy_session *s, const char *policy, const struct session_opts *o)
{
	const char *tmp = getenv("TMPDIR");
	char obj[4096], err[512];
	int fd, rc = -1;

	memset(s, 0, sizeof(*s));
	s->policy = policy;
	s->monitor = o->monitor;
	snprintf(obj, sizeof(obj), "%s/aspenc-test-XXXXXX.bpf.o", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemps(obj, 6);
	if (fd < 0) {
		fprintf(stderr, "aspenc test: cannot create a temporary file: %s\n",
			strerror(errno));
		return -1;
	}
	close(fd);
	if (compile(s, o, obj) < 0) {
		fprintf(stderr, "aspenc test: %s does not compile\n", policy);
		goto out;
	}
	if (aspen_meta_read_elf(obj, &s->meta, err, sizeof(err)) < 0) {
		fprintf(stderr, "aspenc test: %s: metadata: %s\n", obj, err);
		goto out;
	}
	rc = 0;
	if (o->reference_only) {
		s->partial = true;
		snprintf(s->why, sizeof(s->why), "--reference-only");
		goto out;
	}
	s->k = kernel_open(obj, o->monitor, err, sizeof(err));
	if (!s->k) {
		/* without BPF privileges: say so, run the reference evaluator */
		if (strstr(err, "root or CAP_BPF") || geteuid() != 0) {
			s->partial = true;
			snprintf(s->why, sizeof(s->why), "%s", err);
		} else {
			fprintf(stderr, "aspenc test: %s: %s\n", policy, err);
			rc = -1;
		}
	}
out:
	unlink(obj);
	if (rc < 0) {
		kernel_close(s->k);
		aspen_meta_free(&s->meta);
		program_free(&s->prog);
		s->k = NULL;
	}
	return rc;
}

/* Program pattern bits (p->patterns order) -> the metadata's indices, by
 * qualified name: the compiler numbers patterns its own way. */
static uint64_t to_meta_patterns(const struct policy_session *s, uint64_t bits)
{
	uint64_t out = 0;

	for (size_t j = 0; j < s->prog.npatterns && j < 64; j++) {
		const struct decl *d = s->prog.patterns[j];
		char q[256];

		if (!((bits >> j) & 1))
			continue;
		snprintf(q, sizeof(q), "%s%s%s", d->ns ? d->ns : "", d->ns ? "." : "", d->name);
		for (size_t i = 0; i < s->meta.npatterns; i++)
			if (s->meta.patterns[i].idx >= 0 && s->meta.patterns[i].idx < 64 &&
			    (!strcmp(s->meta.patterns[i].name, q) ||
			     !strcmp(s->meta.patterns[i].name, d->name)))
				out |= 1ULL << s->meta.patterns[i].idx;
	}
	return out;
}

void session_eval(struct policy_session *s, const struct trace_event *ev, struct eval_out *out)
{
	memset(out, 0, sizeof(*out));
	refeval_event(&s->prog, ev, s->monitor, &out->ref);
	out->ref_redact = to_meta_patterns(s, out->ref.redact);
	if (s->k) {
		struct aspen_test_ctx ctx;

		test_event_to_ctx(&s->meta, ev, &ctx);
		/* the body DFA's result is an input, like the providers: taken from
		 * the event's body_match names (or its body) */
		ctx.req.body_match = to_meta_patterns(s, refeval_body_matches(&s->prog, ev));
		if (kernel_run(s->k, &ctx, out->kerr, sizeof(out->kerr)) < 0) {
			out->kernel_failed = true;
			return;
		}
		out->have_kernel = true;
		out->k_rule = ctx.verdict.rule;
		out->k_decision = ctx.verdict.decision;
		out->k_audit = ctx.verdict.audit;
		out->k_redact = ctx.verdict.redact;
	}
}

bool eval_agrees(const struct eval_out *o)
{
	if (o->kernel_failed)
		return false;
	if (!o->have_kernel)
		return true;
	return o->k_rule == o->ref.rule && o->k_decision == o->ref.decision &&
	       o->k_audit == o->ref.audit && o->k_redact == o->ref_redact;
}

void session_close(struct policy_session *s)
{
	kernel_close(s->k);
	aspen_meta_free(&s->meta);
	program_free(&s->prog);
	memset(s, 0, sizeof(*s));
}

const char *session_rule_name(const struct policy_session *s, uint16_t rule)
{
	if (pseudo_rule_name(rule))
		return pseudo_rule_name(rule);
	if (rule < s->prog.nrules)
		return s->prog.rules[rule]->name;
	return "?";
}
