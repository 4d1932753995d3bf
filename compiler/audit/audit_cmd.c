/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aspenc audit verify FILE...
 *
 * The files are one chain, oldest first. A rotated set named as the shell
 * lists it (audit.jsonl audit.jsonl.1 audit.jsonl.10 audit.jsonl.2 ...) is
 * put in rotation order first: FILE.N (highest N) ... FILE.1, FILE.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_cmd.h"
#include "rt_audit.h"

static void usage(FILE *out)
{
	fputs("usage: aspenc audit verify FILE...\n"
	      "  checks the audit trail's hash chain across FILEs, oldest first\n"
	      "  (a rotated set FILE FILE.1 ... FILE.N is ordered FILE.N ... FILE)\n"
	      "exit status: 0 intact, 1 broken, 2 usage or unreadable file\n",
	      out);
}

/* N of BASE.N, or 0 for BASE itself, or -1 for another name */
static long rotation_index(const char *path, const char *base)
{
	size_t n = strlen(base);
	char *end;
	long i;

	if (strncmp(path, base, n))
		return -1;
	if (!path[n])
		return 0;
	if (path[n] != '.' || !path[n + 1])
		return -1;
	i = strtol(path + n + 1, &end, 10);
	return *end || i <= 0 ? -1 : i;
}

static const char *sort_base;

static int by_age(const void *x, const void *y)
{
	long a = rotation_index(*(const char *const *)x, sort_base);
	long b = rotation_index(*(const char *const *)y, sort_base);

	return a < b ? 1 : a > b ? -1 : 0;
}

/* Orders a rotated set oldest first; leaves any other list as given. */
static void order_files(char **files, int n)
{
	const char *base = NULL;

	for (int i = 0; i < n && !base; i++)
		for (int j = 0; j < n && !base; j++)
			if (j != i && rotation_index(files[j], files[i]) > 0)
				base = files[i];
	if (!base)
		return;
	for (int i = 0; i < n; i++)
		if (rotation_index(files[i], base) < 0)
			return;
	sort_base = base;
	qsort(files, (size_t)n, sizeof(*files), by_age);
}

static int verify(int n, char **files)
{
	struct rt_audit_chain c;
	char err[512];

	order_files(files, n);
	rt_audit_chain_init(&c);
	for (int i = 0; i < n; i++) {
		int rc = rt_audit_verify_next(&c, files[i], err, sizeof(err));

		if (rc < 0) {
			fprintf(stderr, "aspenc: error: %s\n", err);
			return 2;
		}
		if (rc > 0) {
			fprintf(stderr, "%s: chain broken\n", err);
			return 1;
		}
	}
	if (c.lines == 0) {
		printf("ok: no lines\n");
		return 0;
	}
	printf("ok: %" PRIu64 " lines in %d file%s, seq %" PRIu64 "..%" PRIu64 ", last sha256 %s\n",
	       c.lines, n, n == 1 ? "" : "s", c.first_seq, c.first_seq + c.lines - 1, c.prev);
	if (c.first_seq > 1)
		printf("note: %s begins at seq %" PRIu64 ", in a chain whose earlier lines are "
		       "in a file not given (prev_sha256 %s)\n",
		       files[0], c.first_seq, c.first_prev);
	return 0;
}

int aspenc_audit_main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "verify") || argv[2][0] == '-') {
		usage(stderr);
		return 2;
	}
	return verify(argc - 2, argv + 2);
}
