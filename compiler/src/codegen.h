/* SPDX-License-Identifier: Apache-2.0 */
/* Back end: lower the checked program, emit eBPF C, build the object. */
#ifndef ASPEN_CODEGEN_H
#define ASPEN_CODEGEN_H

#include "passes.h"

struct codegen_opts {
	const char *out_path;   /* -o: .bpf.o, or .c with emit_c_only      */
	int emit_c_only;        /* --emit-c: write the C, do not run clang  */
	const char *clang;      /* clang binary (default "clang", env ASPEN_CLANG) */
	const char *template_dir; /* bpf-templates/; NULL: $ASPEN_TEMPLATE_DIR, the
				   * source tree's, the installed one */
	int test_programs;      /* build the SEC("syscall") test programs too
				 * (clang -DASPEN_TEST_PROGRAMS): aspenc test */
	int verbose;
};

/* lower.c + emit_c.c + ir_meta.c + build.c. Reports into d; 0 on success. */
int codegen_run(struct program *p, const struct codegen_opts *o, struct diags *d);

#endif
