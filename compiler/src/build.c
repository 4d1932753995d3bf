/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codegen_run(): lower, emit the C, and build it with clang. clang runs
 * with fork/exec (no shell, so no quoting of user paths), and its messages
 * are mapped back to the policy: thanks to the #line directives, an error
 * inside a rule's condition names the .asp file and line, and we report it
 * at that rule's `when` with the rule's name.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lower.h"
#include "paths.h"

#ifndef ASPEN_SRC_DIR
#define ASPEN_SRC_DIR "."
#endif
#ifndef ASPEN_DATADIR
#define ASPEN_DATADIR "/usr/local/share/aspen"
#endif
/* the objects' target (compiler/CMakeLists.txt): libbpf's __TARGET_ARCH_
 * and the multiarch include directory of <asm/types.h>, "" for none */
#ifndef ASPEN_BPF_ARCH
#define ASPEN_BPF_ARCH "x86"
#endif
#ifndef ASPEN_BPF_SYS_INCLUDE
#define ASPEN_BPF_SYS_INCLUDE ""
#endif

static struct span no_span(void)
{
	struct span s = {0};

	return s;
}

/* bpf-templates/: $ASPEN_TEMPLATE_DIR, else the installed copy beside the
 * executable, the source tree's (build tree) or the configured one
 * (common/paths.c). */
static const char *default_template_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("ASPEN_TEMPLATE_DIR");

	if (env && *env)
		return env;
	return aspen_data_dir(ASPEN_DATA_TEMPLATES, dir, sizeof(dir));
}

static const char *pick(const char *opt, const char *env, const char *dflt)
{
	const char *e = getenv(env);

	if (opt && *opt)
		return opt;
	return e && *e ? e : dflt;
}

/* ---- running clang ------------------------------------------------------------ */

/* Run argv, capture stdout+stderr (malloc'd into *out). Exit status, or -1
 * with errno when it could not run at all. */
static int run_capture(char *const argv[], char **out)
{
	int pfd[2], status;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	pid_t pid;
	ssize_t n;

	*out = buf;
	if (!buf || pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf + len, cap - len - 1)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		len += (size_t)n;
		if (cap - len < 1024) {
			char *b = realloc(buf, cap * 2);

			if (!b)
				break;
			*out = buf = b;
			cap *= 2;
		}
	}
	buf[len] = 0;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* ---- mapping clang's messages to the policy ----------------------------------- */

static const struct ir_rule *rule_at(const struct ir *ir, const char *file, unsigned line)
{
	for (size_t i = 0; i < ir->nrules; i++) {
		const struct decl *d = ir->rules[i].decl;
		const struct span *s = d->when ? &d->when->span : &d->span;

		if (s->src && s->line == line && !strcmp(s->src->path, file))
			return &ir->rules[i];
	}
	return NULL;
}

/* One "FILE:LINE:COL: error: MSG" line; other lines (source excerpts,
 * carets, notes) are context that -v shows raw. Returns 1 if reported. */
static int map_line(const struct ir *ir, char *l, struct diags *d)
{
	char *kind = strstr(l, ": error: "), *p, *file = l;
	unsigned line = 0, col = 0;
	const struct ir_rule *r;

	if (!kind)
		kind = strstr(l, ": fatal error: ");
	if (!kind)
		return 0;
	*kind = 0;
	const char *msg = strchr(kind + 2, ':') + 2;

	/* FILE:LINE:COL, where FILE may itself hold ':' */
	p = strrchr(file, ':');
	if (!p || sscanf(p + 1, "%u", &col) != 1)
		return 0;
	*p = 0;
	p = strrchr(file, ':');
	if (!p || sscanf(p + 1, "%u", &line) != 1)
		return 0;
	*p = 0;
	r = rule_at(ir, file, line);
	if (r) {
		const struct decl *rd = r->decl;

		diag_error(d, rd->when ? rd->when->span : rd->span, NULL,
			   "generated code for rule '%s' failed to compile: %s", rd->name, msg);
	} else {
		diag_error(d, no_span(),
			   "set ASPEN_KEEP_C=1 to keep the generated C, -v for "
			   "clang's full output",
			   "generated code failed to compile: %s:%u:%u: %s", file, line, col, msg);
	}
	return 1;
}

static void map_clang_output(const struct ir *ir, char *out, struct diags *d)
{
	int reported = 0;
	char *save = NULL;

	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		reported += map_line(ir, l, d);
	if (!reported)
		diag_error(d, no_span(), "run with -v to see clang's output",
			   "clang failed to build the generated code");
}

static int run_clang(const struct ir *ir, const struct codegen_opts *o, const char *c_path,
		     struct diags *d)
{
	const char *clang = pick(o->clang, "ASPEN_CLANG", "clang");
	const char *tdir =
	    o->template_dir && *o->template_dir ? o->template_dir : default_template_dir();
	char inc[4096];
	char *out = NULL;
	const char *argv[24];
	int rc, n = 0;

	snprintf(inc, sizeof(inc), "-I%s", tdir);
	argv[n++] = clang;
	argv[n++] = "-target";
	argv[n++] = "bpf";
	argv[n++] = "-O2";
	argv[n++] = "-g";
	argv[n++] = "-Wall";
	argv[n++] = "-Werror";
	/* a rule the analysis already warned can never fire (x == 1 and
	 * x == 2) is legal policy: it must not stop the build */
	argv[n++] = "-Wno-tautological-overlap-compare";
	argv[n++] = "-D__TARGET_ARCH_" ASPEN_BPF_ARCH;
	if (o->test_programs)
		argv[n++] = "-DASPEN_TEST_PROGRAMS";
	argv[n++] = inc;
	if (ASPEN_BPF_SYS_INCLUDE[0])
		argv[n++] = "-I" ASPEN_BPF_SYS_INCLUDE;
	argv[n++] = "-c";
	argv[n++] = c_path;
	argv[n++] = "-o";
	argv[n++] = o->out_path;
	argv[n] = NULL;
	if (o->verbose) {
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
		fputc('\n', stderr);
	}
	rc = run_capture((char *const *)argv, &out);
	if (o->verbose && out && *out)
		fputs(out, stderr);
	if (rc < 0) {
		diag_error(d, no_span(), "set ASPEN_CLANG to the clang binary",
			   "cannot run '%s': %s", clang, strerror(errno));
	} else if (rc == 127 && out && strstr(out, "exec ")) {
		diag_error(d, no_span(), "install clang, or set ASPEN_CLANG", "cannot run '%s'",
			   clang);
	} else if (rc != 0) {
		map_clang_output(ir, out, d);
	}
	free(out);
	return rc == 0 ? 0 : -1;
}

/* ---- the pass ---------------------------------------------------------------- */

static int emit_to_path(const struct ir *ir, const char *path, struct diags *d)
{
	bool to_stdout = !path || !strcmp(path, "-");
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	int rc;

	if (!f) {
		diag_error(d, no_span(), NULL, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	rc = emit_c(ir, f, to_stdout ? "generated.bpf.c" : path);
	if ((to_stdout ? fflush(f) : fclose(f)) != 0)
		rc = -1;
	if (rc)
		diag_error(d, no_span(), NULL, "cannot write %s", to_stdout ? "stdout" : path);
	return rc;
}

static int build_object(const struct ir *ir, const struct codegen_opts *o, struct diags *d)
{
	const char *tmp = getenv("TMPDIR");
	char c_path[4096];
	int fd, rc;
	FILE *f;

	snprintf(c_path, sizeof(c_path), "%s/aspen-XXXXXX.bpf.c", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemps(c_path, 6);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		diag_error(d, no_span(), NULL, "cannot create a temporary file: %s",
			   strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rc = emit_c(ir, f, c_path);
	if (fclose(f) != 0 || rc) {
		diag_error(d, no_span(), NULL, "cannot write %s", c_path);
		rc = -1;
	}
	if (!rc)
		rc = run_clang(ir, o, c_path, d);
	if (getenv("ASPEN_KEEP_C"))
		fprintf(stderr, "aspenc: generated C kept in %s\n", c_path);
	else
		unlink(c_path);
	return rc;
}

int codegen_run(struct program *p, const struct codegen_opts *o, struct diags *d)
{
	struct ir ir;
	struct codegen_opts opts = *o;
	char *derived = NULL;
	int rc;

	rc = lower_program(p, &ir, d);
	if (rc == 0 && opts.emit_c_only) {
		rc = emit_to_path(&ir, opts.out_path, d);
	} else if (rc == 0) {
		if (!opts.out_path) { /* policy.asp -> policy.bpf.o */
			const char *src = ir.source;
			size_t n = strlen(src);

			if (n > 4 && !strcmp(src + n - 4, ".asp"))
				n -= 4;
			derived = malloc(n + 7);
			if (!derived)
				abort();
			snprintf(derived, n + 7, "%.*s.bpf.o", (int)n, src);
			opts.out_path = derived;
		}
		rc = build_object(&ir, &opts, d);
	}
	ir_free(&ir);
	free(derived);
	return rc;
}
