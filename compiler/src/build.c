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
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "lower.h"
#include "paths.h"
#include "template_cache.h"

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

/* A child whose stdout+stderr go to an unlinked temporary file: two can run
 * at once (the templates' part and the generated part) with no pipe to keep
 * drained. */
struct job {
	pid_t pid;
	int out; /* the output file */
};

/* Start argv. 0, or -1 with errno when it could not start at all. */
static int spawn(char *const argv[], struct job *j)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX];

	j->pid = -1;
	snprintf(path, sizeof(path), "%s/aspenc-out-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	j->out = mkostemp(path, O_CLOEXEC);
	if (j->out < 0)
		return -1;
	unlink(path);
	j->pid = fork();
	if (j->pid < 0) {
		close(j->out);
		return -1;
	}
	if (j->pid == 0) {
		dup2(j->out, 1);
		dup2(j->out, 2);
		execvp(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return 0;
}

/* Wait for j; its output (malloc'd) into *out. Exit status, or -1. */
static int finish(struct job *j, char **out)
{
	int status;
	off_t n;

	*out = NULL;
	while (waitpid(j->pid, &status, 0) < 0)
		if (errno != EINTR) {
			close(j->out);
			return -1;
		}
	n = lseek(j->out, 0, SEEK_END);
	*out = malloc(n > 0 ? (size_t)n + 1 : 1);
	if (*out) {
		ssize_t got = n > 0 ? pread(j->out, *out, (size_t)n, 0) : 0;

		(*out)[got > 0 ? got : 0] = 0;
	}
	close(j->out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void job_kill(struct job *j)
{
	char *out;

	if (j->pid <= 0)
		return;
	kill(j->pid, SIGTERM);
	finish(j, &out);
	free(out);
	j->pid = -1;
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

/* clang's arguments, but for the source and the object (NULL-terminated):
 * the same for both parts but part: -DASPEN_PART_GENERATED or _TEMPLATES */
static int clang_flags(const char **argv, const struct codegen_opts *o, const char *clang,
		       const char *inc, const char *part)
{
	int n = 0;

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
	if (part)
		argv[n++] = part;
	argv[n++] = inc;
	if (ASPEN_BPF_SYS_INCLUDE[0])
		argv[n++] = "-I" ASPEN_BPF_SYS_INCLUDE;
	argv[n] = NULL;
	return n;
}

static void show_argv(const struct codegen_opts *o, const char *const *argv)
{
	if (!o->verbose)
		return;
	for (int i = 0; argv[i]; i++)
		fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
	fputc('\n', stderr);
}

/* Start clang on src -> obj: argv holds n flags (clang_flags()). */
static int start_clang(const struct codegen_opts *o, const char **argv, int n, const char *src,
		       const char *obj, struct job *j, struct diags *d)
{
	argv[n++] = "-c";
	argv[n++] = src;
	argv[n++] = "-o";
	argv[n++] = obj;
	argv[n] = NULL;
	show_argv(o, argv);
	if (spawn((char *const *)argv, j) < 0) {
		diag_error(d, no_span(), "set ASPEN_CLANG to the clang binary",
			   "cannot run '%s': %s", argv[0], strerror(errno));
		return -1;
	}
	return 0;
}

/* Wait for clang; report its errors (mapped to the policy) into d unless
 * NULL. 0 or -1. */
static int end_clang(const struct ir *ir, const struct codegen_opts *o, struct job *j,
		     struct diags *d)
{
	char *out = NULL;
	int rc = finish(j, &out);

	j->pid = -1;
	if (o->verbose && out && *out)
		fputs(out, stderr);
	if (!d) {
		/* not reported (the same as another's) */
	} else if (rc < 0) {
		diag_error(d, no_span(), NULL, "waiting for clang: %s", strerror(errno));
	} else if (rc == 127 && out && strstr(out, "exec ")) {
		diag_error(d, no_span(), "install clang, or set ASPEN_CLANG", "cannot run '%s'",
			   pick(o->clang, "ASPEN_CLANG", "clang"));
	} else if (rc != 0) {
		map_clang_output(ir, out ? out : (char[]){0}, d);
	}
	free(out);
	return rc == 0 ? 0 : -1;
}

/* libbpf's static linker: the templates' part and the generated part (its
 * n slices) into the policy object. d NULL: no message. */
static int link_parts(const char *tmpl, char (*gen)[PATH_MAX], int n, const char *out,
		      struct diags *d)
{
	struct bpf_linker *l = bpf_linker__new(out, NULL);
	int rc;

	if (!l) {
		if (d)
			diag_error(d, no_span(), NULL, "cannot create %s: %s", out,
				   strerror(errno));
		return -1;
	}
	rc = bpf_linker__add_file(l, tmpl, NULL);
	for (int i = 0; i < n && !rc; i++)
		rc = bpf_linker__add_file(l, gen[i], NULL);
	if (!rc)
		rc = bpf_linker__finalize(l);
	bpf_linker__free(l);
	if (rc && d) {
		diag_error(d, no_span(), "run with -v for libbpf's messages",
			   "linking the policy object %s failed: %s", out, strerror(-rc));
	}
	if (rc)
		unlink(out);
	return rc ? -1 : 0;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int libbpf_verbose(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
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

/* A temporary file of the given suffix (empty); 0 or -1 */
static int make_tmp(char *path, size_t len, const char *suffix, struct diags *d)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(path, len, "%s/aspen-XXXXXX%s", tmp && *tmp ? tmp : "/tmp", suffix);
	fd = mkstemps(path, (int)strlen(suffix));
	if (fd < 0) {
		diag_error(d, no_span(), NULL, "cannot create a temporary file: %s",
			   strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* The templates' part of the object */
struct tpart {
	char obj[PATH_MAX];   /* its object: prebuilt, cached, or tmp */
	char tmp[PATH_MAX];   /* being built into ("": found) */
	char final[PATH_MAX]; /* then renamed to ("": not cached, tmp removed) */
	char src[PATH_MAX];   /* its C, while it builds */
	struct job j;
};

/* The templates' part: found among the prebuilt or cached objects
 * (use_cache), or its build started in t->j. 0 or -1. */
static int templates_part(const struct ir *ir, const struct codegen_opts *o, const char *tdir,
			  const char *inc, struct tpart *t, int use_cache, struct diags *d)
{
	const char *argv[32];
	char key[ASPEN_SHA256_HEX_LEN + 1];
	char *text = NULL;
	size_t textlen = 0;
	FILE *f = open_memstream(&text, &textlen);
	int n = clang_flags(argv, o, pick(o->clang, "ASPEN_CLANG", "clang"), inc,
			    "-DASPEN_PART_TEMPLATES"),
	    rc = -1;
	int cache;

	if (!f || emit_template_c(ir, f) || fclose(f)) {
		diag_error(d, no_span(), NULL, "out of memory writing the templates' C");
		free(text);
		return -1;
	}
	/* the key: the flags but the template directory's path (its files
	 * are in the key: an installed copy finds what the build tree made) */
	const char *kflags[32];
	int nk = 0;

	for (int i = 1; i < n; i++)
		if (argv[i] != inc)
			kflags[nk++] = argv[i];
	kflags[nk] = NULL;
	cache = use_cache && template_key(text, kflags, argv[0], tdir, key) == 0;
	if (cache && template_find(key, t->obj, sizeof(t->obj))) {
		if (o->verbose)
			fprintf(stderr, "aspenc: templates' part: %s\n", t->obj);
		free(text);
		return 0;
	}
	if (make_tmp(t->src, sizeof(t->src), ".bpf.c", d) < 0)
		goto out;
	f = fopen(t->src, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		diag_error(d, no_span(), NULL, "cannot write %s", t->src);
		goto out;
	}
	if (cache ? template_tmp(key, t->tmp, sizeof(t->tmp), t->final, sizeof(t->final)) < 0
		  : make_tmp(t->tmp, sizeof(t->tmp), ".bpf.o", d) < 0) {
		diag_error(d, no_span(), NULL, "cannot create a temporary file: %s",
			   strerror(errno));
		t->tmp[0] = 0;
		goto out;
	}
	snprintf(t->obj, sizeof(t->obj), "%s", t->tmp);
	if (o->verbose)
		fprintf(stderr, "aspenc: building the templates' part for %s\n",
			t->final[0] ? t->final : "this object (not cached)");
	rc = start_clang(o, argv, n, t->src, t->tmp, &t->j, d);
out:
	free(text);
	return rc;
}

#define MAX_SLICES 8

static int build_object(const struct ir *ir, const struct codegen_opts *o, struct diags *d)
{
	const char *tdir =
	    o->template_dir && *o->template_dir ? o->template_dir : default_template_dir();
	const char *argv[40];
	char c_path[PATH_MAX], g_path[MAX_SLICES][PATH_MAX], inc[PATH_MAX + 2];
	char sl_n[32], sl_k[MAX_SLICES][32];
	struct tpart *t = calloc(1, sizeof(*t));
	struct job gj[MAX_SLICES];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t rule_fns = emit_c_slices(ir);
	int rc = -1, n, found = 0, slices = 1, failed = 0;
	FILE *f;

	if (!t)
		abort();
	/* a long rule chain: its functions in slices, one clang each, at once */
	if (rule_fns > 1 && cpus > 1)
		slices = (int)(rule_fns < (size_t)cpus ? rule_fns : (size_t)cpus);
	if (slices > MAX_SLICES)
		slices = MAX_SLICES;
	t->j.pid = -1;
	c_path[0] = 0;
	for (int i = 0; i < MAX_SLICES; i++) {
		g_path[i][0] = 0;
		gj[i].pid = -1;
	}
	snprintf(inc, sizeof(inc), "-I%s", tdir);
	if (make_tmp(c_path, sizeof(c_path), ".bpf.c", d) < 0)
		goto out;
	f = fopen(c_path, "w");
	if (!f || emit_c(ir, f, c_path) || fclose(f)) {
		diag_error(d, no_span(), NULL, "cannot write %s", c_path);
		goto out;
	}
	/* ASPEN_ONE_OBJECT=1: the C as one object, as before the link
	 * (docs/internals.md, "Two objects, linked": the verifier's count).
	 * A request-rule chain split into functions is linked too: its
	 * functions leave aspend --monitor to aspen_decide_request; a call
	 * into the templates' part for it was a 9th call frame on the write
	 * probes' deepest chain (the verifier allows 8) */
	if (getenv("ASPEN_ONE_OBJECT") && !strcmp(getenv("ASPEN_ONE_OBJECT"), "1")) {
		n = clang_flags(argv, o, pick(o->clang, "ASPEN_CLANG", "clang"), inc, NULL);
		if (start_clang(o, argv, n, c_path, o->out_path, &gj[0], d) == 0)
			rc = end_clang(ir, o, &gj[0], d);
		goto out;
	}
	/* both parts at once when the templates' is not built yet */
	if (templates_part(ir, o, tdir, inc, t, 1, d) < 0)
		goto out;
	found = t->j.pid <= 0;
	snprintf(sl_n, sizeof(sl_n), "-DASPEN_SLICES=%d", slices);
	for (int k = 0; k < slices; k++) {
		if (make_tmp(g_path[k], sizeof(g_path[k]), ".bpf.o", d) < 0)
			goto out;
		n = clang_flags(argv, o, pick(o->clang, "ASPEN_CLANG", "clang"), inc,
				"-DASPEN_PART_GENERATED");
		if (slices > 1) {
			snprintf(sl_k[k], sizeof(sl_k[k]), "-DASPEN_SLICE=%d", k);
			argv[n++] = sl_n;
			argv[n++] = sl_k[k];
		}
		if (start_clang(o, argv, n, c_path, g_path[k], &gj[k], d) < 0)
			goto out;
	}
	/* an error outside the rule functions is in every slice: reported once */
	for (int k = 0; k < slices; k++)
		failed |= end_clang(ir, o, &gj[k], k && failed ? NULL : d) < 0;
	if (failed)
		goto out;
	if (t->j.pid > 0) {
		if (end_clang(ir, o, &t->j, d) < 0)
			goto out;
		if (t->final[0] && rename(t->tmp, t->final) == 0) {
			snprintf(t->obj, sizeof(t->obj), "%s", t->final);
			t->tmp[0] = 0;
		}
	}
	libbpf_set_print(o->verbose ? libbpf_verbose : libbpf_quiet);
	rc = link_parts(t->obj, g_path, slices, o->out_path, found ? NULL : d);
	if (rc && found) { /* a damaged cached object: build it again, uncached */
		if (o->verbose)
			fprintf(stderr, "aspenc: linking with %s failed: building it again\n",
				t->obj);
		t->obj[0] = 0;
		if (templates_part(ir, o, tdir, inc, t, 0, d) < 0 || end_clang(ir, o, &t->j, d) < 0)
			goto out;
		rc = link_parts(t->obj, g_path, slices, o->out_path, d);
	}
out:
	for (int k = 0; k < MAX_SLICES; k++) {
		job_kill(&gj[k]);
		if (g_path[k][0])
			unlink(g_path[k]);
	}
	job_kill(&t->j);
	if (t->tmp[0])
		unlink(t->tmp);
	if (t->src[0])
		unlink(t->src);
	if (getenv("ASPEN_KEEP_C"))
		fprintf(stderr, "aspenc: generated C kept in %s\n", c_path);
	else if (c_path[0])
		unlink(c_path);
	free(t);
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
