/* SPDX-License-Identifier: Apache-2.0 */
/* `aspenc audit verify`: a rotated set in shell-glob order is checked in
 * rotation order, with or without its newest file; a missing file breaks
 * the chain; usage and unreadable files are status 2. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit_cmd.h"
#include "rt_audit.h"

static char dir[64], trail[128];

static int setup(void **state)
{
	char err[256];
	struct rt_audit *a;

	strcpy(dir, "/tmp/aspen-auditcmd-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(trail, sizeof(trail), "%s/audit.jsonl", dir);
	a = rt_audit_open(trail, err, sizeof(err));
	if (!a)
		return -1;
	rt_audit_set_rotation(a, 600, 20);
	for (int i = 0; i < 40; i++) {
		struct rt_audit_ev ev;

		rt_audit_ev_init(&ev, "connect");
		rt_audit_int(&ev, "pid", i);
		rt_audit_str(&ev, "exe", "/usr/bin/curl");
		rt_audit_emit(a, &ev);
	}
	rt_audit_close(a);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int selected;

static int only_rotated(const struct dirent *e)
{
	return strncmp(e->d_name, "audit.jsonl", 11) == 0 &&
	       (selected || strcmp(e->d_name, "audit.jsonl") != 0);
}

/* aspenc audit verify DIR/audit.jsonl* (alphabetical, as a shell glob);
 * with_newest 0: without audit.jsonl itself */
static int verify_glob(int with_newest, int *nfiles)
{
	struct dirent **names;
	char *argv[64], paths[64][400];
	int n, rc;

	selected = with_newest;
	n = scandir(dir, &names, only_rotated, alphasort);
	assert_true(n > 3 && n < 60);
	argv[0] = "audit";
	argv[1] = "verify";
	for (int i = 0; i < n; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, names[i]->d_name);
		argv[i + 2] = paths[i];
		free(names[i]);
	}
	free(names);
	rc = aspenc_audit_main(n + 2, argv);
	*nfiles = n;
	return rc;
}

static void test_glob_order(void **state)
{
	int n;

	assert_int_equal(verify_glob(1, &n), 0);
	assert_true(n >= 10); /* audit.jsonl.10 sorts before audit.jsonl.2 */
	assert_int_equal(verify_glob(0, &n), 0);
}

static void test_missing_file(void **state)
{
	char p[160];
	int n;

	snprintf(p, sizeof(p), "%s.3", trail);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(verify_glob(1, &n), 1);
}

static void test_usage(void **state)
{
	char *no_files[] = {"audit", "verify"};
	char *bad_verb[] = {"audit", "check", trail};
	char *missing[] = {"audit", "verify", "/nonexistent/aspen.jsonl"};

	assert_int_equal(aspenc_audit_main(2, no_files), 2);
	assert_int_equal(aspenc_audit_main(3, bad_verb), 2);
	assert_int_equal(aspenc_audit_main(3, missing), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_glob_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
