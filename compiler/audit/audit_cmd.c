/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aspenc audit verify FILE...
 *
 * The files are one chain, oldest first. A rotated set named as the shell
 * lists it (audit.jsonl audit.jsonl.1 audit.jsonl.10 audit.jsonl.2 ...,
 * with or without audit.jsonl) is put in rotation order first: FILE.N
 * (highest N) ... FILE.1, FILE.
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

/* The name without a ".N" suffix (N all digits), and N (0 without one) */
static size_t base_len(const char *path, long *n)
{
	const char *dot = strrchr(path, '.');
	char *end;

	*n = 0;
	if (!dot || !dot[1] || dot == path)
		return strlen(path);
	*n = strtol(dot + 1, &end, 10);
	if (*end || *n <= 0) {
		*n = 0;
		return strlen(path);
	}
	return (size_t)(dot - path);
}

static int by_age(const void *x, const void *y)
{
	long a, b;

	base_len(*(const char *const *)x, &a);
	base_len(*(const char *const *)y, &b);
	return a < b ? 1 : a > b ? -1 : 0;
}

/* Orders a rotated set (FILE, FILE.1, ... FILE.N, any of them) oldest
 * first; leaves any other list as given. */
static void order_files(char **files, int n)
{
	long k;
	size_t bl = base_len(files[0], &k);

	for (int i = 1; i < n; i++)
		if (base_len(files[i], &k) != bl || strncmp(files[i], files[0], bl))
			return;
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
