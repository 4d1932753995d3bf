/* SPDX-License-Identifier: Apache-2.0 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

#ifndef ASPEN_SRC_DIR
#define ASPEN_SRC_DIR "."
#endif
#ifndef ASPEN_BUILD_DIR
#define ASPEN_BUILD_DIR "."
#endif
#ifndef ASPEN_DATADIR
#define ASPEN_DATADIR "/usr/share/aspen"
#endif

/* Installed name and source-tree name of each kind. */
static const char *const installed[] = {"bpf-templates", "stdlib"};
static const char *const in_source[] = {"bpf-templates", "stdlib-policies"};

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The running executable's directory, resolved, into BUF; 0 on success. */
static int exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= len - 1)
		return -1;
	buf[n] = 0;
	slash = strrchr(buf, '/');
	if (!slash)
		return -1;
	*slash = 0;
	return 0;
}

static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == 0);
}

const char *aspen_data_dir(enum aspen_data kind, char *buf, size_t len)
{
	char exe[PATH_MAX], real[PATH_MAX];

	if (exe_dir(exe, sizeof(exe)) == 0) {
		snprintf(buf, len, "%s/../share/aspen/%s", exe, installed[kind]);
		if (is_dir(buf)) {
			if (realpath(buf, real))
				snprintf(buf, len, "%s", real);
			return buf;
		}
		snprintf(buf, len, "%s/%s", ASPEN_SRC_DIR, in_source[kind]);
		/* /proc/self/exe is resolved: compare with the resolved build dir */
		if (realpath(ASPEN_BUILD_DIR, real) && under(exe, real) && is_dir(buf))
			return buf;
	}
	snprintf(buf, len, "%s/%s", ASPEN_DATADIR, installed[kind]);
	return buf;
}
