/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aspenc: the policy compiler.
 *
 *   aspenc policy.asp -o policy.bpf.o
 *   aspenc --check policy.asp
 *   aspenc --emit-c policy.asp -o policy.bpf.c
 *   aspenc fmt [--check] FILE.asp|DIR...
 *   aspenc audit verify audit.jsonl.2 audit.jsonl.1 audit.jsonl
 *
 * Exit status: 0 success (warnings allowed, unless --werror), 1 the policy
 * has errors (or warnings, with --werror), 2 usage error.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "audit_cmd.h"
#include "fmt.h"
#include "passes.h"
#include "paths.h"
#include "test_cmd.h"

#define MAX_DIRS 64

struct cli {
	const char *input, *output;
	int check, emit_c, dump_ast, verbose, test_programs, werror;
	const char *dirs[MAX_DIRS];
	size_t ndirs;
};

static void usage(FILE *out)
{
	fputs("usage: aspenc [options] POLICY.asp -o POLICY.bpf.o\n"
	      "       aspenc --check POLICY.asp\n"
	      "       aspenc --emit-c POLICY.asp -o POLICY.bpf.c\n"
	      "       aspenc test [--coverage] [--json] FILE.yaml...   (docs/testing-policies.md)\n"
	      "       aspenc diff OLD.asp NEW.asp TRACE...\n"
	      "       aspenc fmt [--check | --stdout] FILE.asp|DIR...   (canonical layout)\n"
	      "       aspenc audit verify FILE...   (the audit trail's hash chain, across files)\n"
	      "\n"
	      "options:\n"
	      "  -o FILE        output file\n"
	      "  --check        check the policy, write nothing\n"
	      "  --emit-c       write the generated eBPF C instead of an object\n"
	      "  -I DIR         search DIR for imports (repeatable, searched first)\n"
	      "  --werror       warnings are errors: exit 1, write nothing (for CI)\n"
	      "  --dump-ast     print the resolved policy tree to stdout\n"
	      "  --test-programs  also build the SEC(\"syscall\") programs run by\n"
	      "                 BPF_PROG_TEST_RUN (tests/lib/scan-kernel; not for aspend)\n"
	      "  -v, --verbose  show the commands run\n"
	      "  --help         this text\n"
	      "  --version      print the version\n"
	      "\n"
	      "environment: ASPEN_STDLIB_DIR, ASPEN_TEMPLATE_DIR, ASPEN_CLANG\n",
	      out);
}

static int add_dir(struct cli *c, const char *dir)
{
	if (c->ndirs == MAX_DIRS) {
		fprintf(stderr, "aspenc: error: too many import directories\n");
		return -1;
	}
	c->dirs[c->ndirs++] = dir;
	return 0;
}

/* Returns -1 to exit with status 2, 1 to exit 0 (help/version), 0 to go on. */
static int parse_args(int argc, char **argv, struct cli *c)
{
	enum {
		OPT_CHECK = 256,
		OPT_EMIT_C,
		OPT_DUMP_AST,
		OPT_TEST_PROGRAMS,
		OPT_WERROR,
		OPT_HELP,
		OPT_VERSION
	};
	static const struct option opts[] = {
	    {"check", no_argument, NULL, OPT_CHECK},
	    {"emit-c", no_argument, NULL, OPT_EMIT_C},
	    {"dump-ast", no_argument, NULL, OPT_DUMP_AST},
	    {"test-programs", no_argument, NULL, OPT_TEST_PROGRAMS},
	    {"werror", no_argument, NULL, OPT_WERROR},
	    {"help", no_argument, NULL, OPT_HELP},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "o:I:v", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': c->output = optarg; break;
		case 'I':
			if (add_dir(c, optarg))
				return -1;
			break;
		case 'v': c->verbose = 1; break;
		case OPT_CHECK: c->check = 1; break;
		case OPT_EMIT_C: c->emit_c = 1; break;
		case OPT_DUMP_AST: c->dump_ast = 1; break;
		case OPT_TEST_PROGRAMS: c->test_programs = 1; break;
		case OPT_WERROR: c->werror = 1; break;
		case OPT_HELP: usage(stdout); return 1;
		case OPT_VERSION: printf("aspenc " ASPEN_VERSION "\n"); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "aspenc: error: expected exactly one policy file\n");
		usage(stderr);
		return -1;
	}
	c->input = argv[optind];
	if (!c->check && !c->dump_ast && !c->output) {
		fprintf(stderr, "aspenc: error: -o FILE is required (or use --check)\n");
		return -1;
	}
	return 0;
}

/* Import search order: -I dirs, the importing file's directory (""),
 * $ASPEN_STDLIB_DIR, the stdlib: installed beside the executable, the
 * source tree's from a build tree, else the configured one (common/paths.c). */
static int import_dirs(struct cli *c)
{
	static char stdlib[PATH_MAX];
	const char *env = getenv("ASPEN_STDLIB_DIR");

	if (add_dir(c, ""))
		return -1;
	if (env && *env && add_dir(c, env))
		return -1;
	return add_dir(c, aspen_data_dir(ASPEN_DATA_STDLIB, stdlib, sizeof(stdlib)));
}

/* The front end: every pass that can run does, so one run shows every
 * mistake; analysis only makes sense on a tree without errors. */
static int check(struct cli *c, struct program *prog, struct diags *d)
{
	struct compile_opts co = {.import_dirs = c->dirs, .nimport_dirs = c->ndirs};

	if (resolve_program(c->input, &co, prog, d) && !prog->root)
		return -1;
	typecheck_program(prog, d);
	if (diags_errors(d) == 0)
		analyse_program(prog, d);
	return diags_errors(d) ? -1 : 0;
}

static int compile(struct cli *c)
{
	struct program prog = {0};
	struct diags *d = diags_new();
	int rc = check(c, &prog, d);
	int werror = rc == 0 && c->werror && diags_warnings(d) > 0;

	if (werror)
		rc = -1; /* the object is not written either */
	if (c->dump_ast && prog.root)
		program_dump(&prog, stdout);
	if (rc == 0 && !c->check && c->output) {
		const char *clang = getenv("ASPEN_CLANG");
		struct codegen_opts o = {
		    .out_path = c->output,
		    .emit_c_only = c->emit_c,
		    .clang = clang && *clang ? clang : "clang",
		    .test_programs = c->test_programs,
		    .verbose = c->verbose,
		};

		rc = codegen_run(&prog, &o, d);
	}
	diags_print(d, stderr);
	if (werror)
		fprintf(stderr, "aspenc: error: %d warning%s, and --werror makes them errors\n",
			diags_warnings(d), diags_warnings(d) == 1 ? "" : "s");
	if (diags_errors(d))
		rc = -1;
	diags_free(d);
	program_free(&prog);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct cli c = {0};
	int rc;

	if (argc > 1 && !strcmp(argv[1], "test"))
		return aspenc_test_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "diff"))
		return aspenc_diff_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "fmt"))
		return aspenc_fmt_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "audit"))
		return aspenc_audit_main(argc - 1, argv + 1);
	rc = parse_args(argc, argv, &c);
	if (rc)
		return rc < 0 ? 2 : 0;
	if (import_dirs(&c))
		return 2;
	return compile(&c);
}
