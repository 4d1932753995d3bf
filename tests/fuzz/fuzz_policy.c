/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiler's front and back end on any text (tests/fuzz/README.md):
 * the input is a policy file (imports of the standard library resolve);
 * every pass runs as `aspenc --emit-c` runs them (resolve, typecheck,
 * analyse with the subsumption search, lower with every DFA, emit the C,
 * clang aside), and the diagnostics are printed with their carets.
 *
 * Checks, besides ASan and UBSan:
 * - a back end that fails has said why (an error diagnostic);
 * - `aspenc fmt` keeps the meaning: a text without errors formats to one
 *   without errors, with as many warnings, that compiles when it does
 *   (fmt promises only token order for a text that does not parse).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen.h"
#include "diag.h"
#include "fmt.h"
#include "fuzz_text.h"
#include "passes.h"

static char path[64];
static FILE *devnull;

struct outcome {
	int errors, warnings, compiled;
};

static struct outcome run(const char *text, size_t len)
{
	static const char *const dirs[] = {ASPEN_SRC_DIR "/stdlib-policies"};
	struct compile_opts co = {.import_dirs = dirs, .nimport_dirs = 1};
	struct codegen_opts o = {.out_path = "/dev/null", .emit_c_only = 1};
	struct program prog = {0};
	struct diags *d = diags_new();
	struct outcome out = {0};
	FILE *f = fopen(path, "w");

	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
		abort();
	if (resolve_program(path, &co, &prog, d) == 0 || prog.root) {
		typecheck_program(&prog, d);
		if (diags_errors(d) == 0)
			analyse_program(&prog, d);
		if (diags_errors(d) == 0) {
			out.compiled = codegen_run(&prog, &o, d) == 0;
			if (!out.compiled && diags_errors(d) == 0)
				abort(); /* failed without a word */
		}
	}
	diags_print(d, devnull);
	out.errors = diags_errors(d);
	out.warnings = diags_warnings(d);
	diags_free(d);
	program_free(&prog);
	return out;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(path, sizeof(path), "/tmp/aspen-fuzz-policy-%d.asp", (int)getpid());
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_text(data, size), *formatted;
	struct outcome a, b;

	if (!in)
		return 0;
	a = run(in, size);
	if (a.errors) {
		free(in);
		unlink(path);
		return 0;
	}
	formatted = fmt_text(in, size);
	if (!formatted)
		abort();
	b = run(formatted, strlen(formatted));
	if (a.errors != b.errors || a.warnings != b.warnings || a.compiled != b.compiled) {
		fprintf(stderr,
			"fuzz_policy: fmt changed the outcome: %d errors %d warnings%s -> "
			"%d errors %d warnings%s\n",
			a.errors, a.warnings, a.compiled ? " compiled" : "", b.errors, b.warnings,
			b.compiled ? " compiled" : "");
		abort();
	}
	free(formatted);
	free(in);
	unlink(path);
	return 0;
}
