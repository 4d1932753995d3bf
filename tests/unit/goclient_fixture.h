/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tests' Go client (tests/lib/goclient) built for a unit test twice:
 * with its ELF symbols and stripped (-ldflags="-s -w"), in a temporary
 * directory made from dir (a mkdtemp template). Shared by test_rt_gosym
 * and test_rt_x86len. Without the tools named in `need` (a shell test)
 * the Go cases are skipped outside CI and fail under CI=true with msg.
 */
#ifndef ASPEN_GOCLIENT_FIXTURE_H
#define ASPEN_GOCLIENT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int goclient_build(const char *dir, const char *out, const char *ldflags)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "cd %s/lib/goclient && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -ldflags='%s' "
		 "-o %s . >%s/build.log 2>&1",
		 ASPEN_TEST_DIR, ldflags, out, dir);
	return system(cmd);
}

/* 1: both built (plain, stripped set); 0: tools missing outside CI (the
 * Go cases skip); -1: failed */
static int goclient_setup(char *dir, char *plain, size_t nplain, char *stripped,
			  size_t nstripped, const char *need, const char *msg)
{
	if (system(need)) {
		if (getenv("CI") && !strcmp(getenv("CI"), "true"))
			fail_msg("%s", msg);
		return 0;
	}
	if (!mkdtemp(dir))
		return -1;
	snprintf(plain, nplain, "%s/goclient", dir);
	snprintf(stripped, nstripped, "%s/goclient-stripped", dir);
	if (goclient_build(dir, plain, "") || goclient_build(dir, stripped, "-s -w"))
		return -1;
	return 1;
}

static int goclient_teardown(const char *dir, int have_go)
{
	char cmd[512];

	if (!have_go)
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) != 0 ? -1 : 0;
}

#endif
