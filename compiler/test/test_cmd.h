/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `aspenc test` and `aspenc diff` (docs/testing-policies.md): test files
 * (YAML), recorded traces (common/trace.h), the kernel runner
 * (BPF_PROG_TEST_RUN of the object's SEC("syscall") program) and the
 * reference evaluator (refeval.h).
 */
#ifndef ASPEN_TEST_CMD_H
#define ASPEN_TEST_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/* ---- test files (test_yaml.c) ---------------------------------------------- */

struct test_expect {
	char *decision; /* allow | deny | would_deny | kill | would_kill; NULL: any */
	char *rule;	/* rule name, "default", "uninspectable", "none"; NULL: any */
	char **redact;	/* pattern names; has_redact: the key was given */
	size_t nredact;
	bool has_redact;
};

struct test_case {
	char *name;
	int line, col;		  /* of the case in the test file */
	struct trace_event event; /* inline `event:`, or loaded from trace/line */
	char *trace;		  /* `trace:` (resolved path), with trace_line */
	int trace_line;
	struct test_expect expect;
};

struct test_file {
	char *path;
	char *policy; /* resolved against the test file's directory */
	int policy_line;
	bool monitor;	      /* as aspend --monitor */
	bool expect_recorded; /* each trace event's recorded decision is expected */
	char **traces;	      /* resolved paths */
	int *trace_lines;
	size_t ntraces;
	struct test_case *cases;
	size_t ncases;
};

/* 0, or -1 with err "FILE:LINE:COL: message". */
int test_file_load(const char *path, struct test_file *tf, char *err, size_t errlen);
/* Parse YAML text (path used in messages and to resolve relative names). */
int test_file_parse(const char *path, const char *text, size_t len, struct test_file *tf,
		    char *err, size_t errlen);
void test_file_free(struct test_file *tf);

/* ---- the kernel (test_kernel.c) --------------------------------------------- */

struct aspen_test_ctx;
struct kernel_runner;
struct kernel_runner *kernel_open(const char *obj_path, bool force_monitor, char *err,
				  size_t errlen);
int kernel_run(struct kernel_runner *k, struct aspen_test_ctx *ctx, char *err, size_t errlen);
void kernel_close(struct kernel_runner *k);

/* ---- event -> kernel input (test_input.c) ------------------------------------- */

struct aspen_meta;
/* Fills ctx from ev as aspend would fill its maps and the hooks their
 * structs: predicate bits from the metadata, providers from the event's
 * names or its destination. */
void test_event_to_ctx(const struct aspen_meta *m, const struct trace_event *ev,
		       struct aspen_test_ctx *ctx);

/* ---- subcommands (test_cmd.c, test_diff.c) ------------------------------------ */

int aspenc_test_main(int argc, char **argv);
int aspenc_diff_main(int argc, char **argv);
/* test_random.c: n random events over npolicies random policies */
int aspenc_test_random(long n, unsigned long seed, int npolicies, bool reference_only);

#endif

/* ---- one policy, compiled, with both evaluators (test_run.c) ---------------- */

#include "meta.h"
#include "passes.h"
#include "refeval.h"

struct session_opts {
	const char *const *import_dirs; /* -I, searched before the defaults */
	size_t nimport_dirs;
	bool monitor;	     /* as aspend --monitor */
	bool reference_only; /* do not try the kernel */
	bool verbose;
};

struct policy_session {
	const char *policy;
	struct program prog;
	struct aspen_meta meta;
	struct kernel_runner *k; /* NULL: reference evaluator only */
	bool partial;		 /* the kernel could not be used */
	char why[512];		 /* why not */
	bool monitor;
};

struct eval_out {
	struct ref_result ref;
	bool have_kernel;
	uint16_t k_rule;
	uint8_t k_decision, k_audit;
	uint64_t k_redact;   /* verdict.redact: aspen_decide_redact() */
	uint64_t ref_redact; /* ref.redact in the kernel's pattern numbering */
	bool kernel_failed;
	char kerr[200];
};

/* Compiles policy (diagnostics to stderr) and, unless reference_only or
 * without BPF privileges (s->partial), loads its test program. 0 or -1. */
int session_open(struct policy_session *s, const char *policy, const struct session_opts *o);
void session_eval(struct policy_session *s, const struct trace_event *ev, struct eval_out *out);
void session_close(struct policy_session *s);
/* "name", "default", "uninspectable", "none" */
const char *session_rule_name(const struct policy_session *s, uint16_t rule);
/* Kernel and reference agree? */
bool eval_agrees(const struct eval_out *o);
