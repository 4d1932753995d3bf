/* SPDX-License-Identifier: Apache-2.0 */
/* For unit tests of the checking passes: run a policy text through resolve,
 * typecheck and analyse as aspenc does, and collect the diagnostics. */
#ifndef ASPEN_TEST_CHECK_POLICY_H
#define ASPEN_TEST_CHECK_POLICY_H

/* Check text as a root policy file (stdlib importable); returns the printed
 * diagnostics, which the caller frees. */
static char *check(const char *text, struct program *p, int *errors, int *warnings)
{
	char dir[] = "/tmp/aspen-test-XXXXXX", path[64], *buf = NULL;
	const char *dirs[] = {"", ASPEN_TEST_DIR "/../stdlib-policies"};
	struct compile_opts o = {dirs, 2};
	struct diags *d = diags_new();
	size_t len = 0;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.asp", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	/* as aspenc runs the passes: typecheck even after resolve errors */
	resolve_program(path, &o, p, d);
	assert_non_null(p->root);
	typecheck_program(p, d);
	if (diags_errors(d) == 0)
		analyse_program(p, d);
	unlink(path);
	rmdir(dir);
	*errors = diags_errors(d);
	*warnings = diags_warnings(d);
	f = open_memstream(&buf, &len);
	diags_print(d, f);
	fclose(f);
	diags_free(d);
	return buf;
}

#endif
