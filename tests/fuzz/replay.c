/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The main() of a fuzz target built without libFuzzer (tests/fuzz/README.md):
 *
 *   fuzz_X [--max-len N] FILE|DIR...
 *
 * runs LLVMFuzzerTestOneInput() once on each file, and on each regular file
 * of each directory (not recursive, in name order). A target's checks
 * abort() on a violation, so the run stops at the first input that breaks
 * one; ctest runs this over the target's seeds and tests/fuzz/regress/X/.
 * Inputs longer than --max-len (the fuzzer's own -max_len) are cut to it,
 * as the fuzzer would have seen them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static size_t max_len = SIZE_MAX;
static unsigned long runs;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		size_t k = fread(buf + len, 1, cap - len, f);

		if (!k)
			break;
		len += k;
	}
	fclose(f);
	if (len > max_len)
		len = max_len;
	/* a copy of exactly len bytes, so ASan sees a read past the input */
	uint8_t *in = malloc(len ? len : 1);

	if (!in)
		abort();
	memcpy(in, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(in, len);
	free(in);
	runs++;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, by_name), rc = 0;

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    run_file(path))
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0, i = 1;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (i + 1 < argc && !strcmp(argv[i], "--max-len")) {
		max_len = strtoull(argv[i + 1], NULL, 0);
		i += 2;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [--max-len N] FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
		} else if ((S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i])) != 0) {
			rc = 1;
		}
	}
	printf("replay: %lu inputs, every check held\n", runs);
	return rc;
}
