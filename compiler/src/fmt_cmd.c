/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aspenc fmt [--check | --stdout] FILE|DIR...
 *
 * Rewrites each policy file in the canonical layout (fmt.c); a directory
 * stands for every .asp file under it. --check writes nothing, prints the
 * name of each file that is not formatted and exits 1 (for CI); --stdout
 * prints the formatted text. A file that does not parse is reported with
 * the compiler's diagnostics and left as it is (exit 1).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "fmt.h"
#include "passes.h"

enum fmt_mode { FMT_WRITE, FMT_CHECK, FMT_STDOUT };

static int unformatted; /* files --check listed */

static void fmt_usage(FILE *out)
{
	fputs("usage: aspenc fmt [--check | --stdout] FILE.asp|DIR...\n"
	      "  --check    write nothing; list the files that are not formatted, exit 1 if any\n"
	      "  --stdout   print the formatted text instead of rewriting the files\n"
	      "A directory stands for every .asp file under it.\n",
	      out);
}

/* 0 when TEXT parses without an error; else the diagnostics are printed. */
static int parses(const char *path, const char *text)
{
	struct source *src = source_from_string(path, text);
	struct diags *d = diags_new();
	struct policy *pol;
	int rc = -1;

	if (src && d) {
		pol = parse_source(src, d);
		rc = pol && diags_errors(d) == 0 ? 0 : -1;
		diags_print(d, stderr);
		policy_free(pol);
	}
	diags_free(d);
	source_free(src);
	return rc;
}

static int write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	struct stat st;
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.fmt-XXXXXX", path) >= (int)sizeof(tmp))
		return -1;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (stat(path, &st) == 0)
		fchmod(fd, st.st_mode & 07777);
	if (fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* 0 formatted (or rewritten), 1 not formatted (--check) or an error. */
static int fmt_file(const char *path, enum fmt_mode mode)
{
	struct source *src = source_load(path);
	char *out;
	int rc = 0;

	if (!src) {
		fprintf(stderr, "aspenc: error: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (parses(path, src->text)) {
		source_free(src);
		return 1;
	}
	out = fmt_text(src->text, src->len);
	if (!out || fmt_same_tokens(src->text, out) != 0 || parses(path, out) != 0) {
		fprintf(stderr,
			"aspenc: error: %s: the formatter failed (a bug: please report it)\n",
			path);
		rc = 1;
	} else if (mode == FMT_STDOUT) {
		fputs(out, stdout);
	} else if (strcmp(out, src->text) != 0) {
		if (mode == FMT_CHECK) {
			printf("%s\n", path);
			unformatted++;
			rc = 1;
		} else if (write_file(path, out) != 0) {
			fprintf(stderr, "aspenc: error: %s: cannot write: %s\n", path,
				strerror(errno));
			rc = 1;
		}
	}
	free(out);
	source_free(src);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int fmt_path(const char *path, enum fmt_mode mode);

/* Every .asp file under DIR, in name order. */
static int fmt_dir(const char *dir, enum fmt_mode mode)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "aspenc: error: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *p;

		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!v)
				break;
			names = v;
		}
		p = malloc(strlen(dir) + len + 2);
		if (!p)
			break;
		sprintf(p, "%s/%s", dir, e->d_name);
		names[n++] = p;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		size_t len = strlen(names[i]);

		if (stat(names[i], &st) == 0 &&
		    (S_ISDIR(st.st_mode) || (len > 4 && !strcmp(names[i] + len - 4, ".asp"))))
			rc |= fmt_path(names[i], mode);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int fmt_path(const char *path, enum fmt_mode mode)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return fmt_dir(path, mode);
	return fmt_file(path, mode);
}

int aspenc_fmt_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"check", no_argument, NULL, 'c'},
	    {"stdout", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	enum fmt_mode mode = FMT_WRITE;
	int ch, rc = 0;

	optind = 1;
	unformatted = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': mode = FMT_CHECK; break;
		case 's': mode = FMT_STDOUT; break;
		case 'h': fmt_usage(stdout); return 0;
		default: fmt_usage(stderr); return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "aspenc: error: fmt: no file given\n");
		fmt_usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++)
		rc |= fmt_path(argv[i], mode);
	if (unformatted)
		fprintf(stderr,
			"aspenc fmt: the files above are not formatted (run: aspenc fmt FILE)\n");
	return rc;
}
