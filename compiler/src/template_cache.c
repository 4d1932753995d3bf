/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The templates' part of a policy object, compiled once per set of the
 * macros aspen_generated.h checks and kept (docs/internals.md, "Two
 * objects, linked"). clang spends nearly all of a policy's build on the
 * templates (about 3 s), the generated part takes a tenth of that.
 *
 * Where: the objects built with aspen itself (compiler/prebuild.sh, for
 * the feature sets of the example policies, with and without the test
 * programs: <prefix>/share/aspen/prebuilt once installed, the build tree's
 * prebuilt/ before; $ASPEN_PREBUILT_DIR instead when set, "" for none),
 * then the cache, $ASPEN_CACHE_DIR/templates, else
 * $XDG_CACHE_HOME/aspen/templates, else ~/.cache/aspen/templates
 * (ASPEN_CACHE_DIR=off: none). The name of an object is
 * the sha256 of all it depends on: the C written for the macros, clang's
 * flags, clang's executable (resolved path, size, mtime: a new clang is a
 * new file) and every file of the template directory, name and content.
 * An object is written to a temporary file in the cache directory and
 * renamed: readers see a whole object or none. A cache that cannot be
 * written is not an error: the object is built in $TMPDIR and removed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sha256.h"
#include "template_cache.h"

#ifndef ASPEN_PREBUILT_DIR
#define ASPEN_PREBUILT_DIR ""
#endif

/* a growing buffer of key material */
struct kbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void kput(struct kbuf *k, const void *data, size_t n)
{
	if (k->oom)
		return;
	if (k->n + n + 1 > k->cap) {
		size_t cap = k->cap ? k->cap : 65536;
		char *p;

		while (k->n + n + 1 > cap)
			cap *= 2;
		p = realloc(k->p, cap);
		if (!p) {
			k->oom = 1;
			return;
		}
		k->p = p;
		k->cap = cap;
	}
	memcpy(k->p + k->n, data, n);
	k->n += n;
}

static void kputs(struct kbuf *k, const char *s)
{
	kput(k, s, strlen(s) + 1); /* with the NUL: "ab","c" != "a","bc" */
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, sorted by name: name, size, content. */
static int key_dir(struct kbuf *k, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **p = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));

			if (!p) {
				rc = -1;
				break;
			}
			names = p;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (names)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char path[PATH_MAX];
		struct stat st;
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			if (fd >= 0)
				close(fd);
			rc = -1;
			break;
		}
		if (S_ISREG(st.st_mode)) {
			char *buf = malloc((size_t)st.st_size + 1);
			ssize_t got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
			char sz[32];

			if (got != st.st_size) {
				rc = -1;
			} else {
				snprintf(sz, sizeof(sz), "%lld", (long long)st.st_size);
				kputs(k, names[i]);
				kputs(k, sz);
				kput(k, buf, (size_t)got);
			}
			free(buf);
		}
		close(fd);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* clang as execvp would find it, resolved: path, size, mtime */
static int key_clang(struct kbuf *k, const char *clang)
{
	char found[PATH_MAX], real[PATH_MAX], id[PATH_MAX + 64];
	const char *path = getenv("PATH");
	struct stat st;

	found[0] = 0;
	if (strchr(clang, '/')) {
		snprintf(found, sizeof(found), "%s", clang);
	} else {
		for (const char *p = path && *path ? path : "/usr/bin:/bin"; *p;) {
			const char *e = strchr(p, ':');
			size_t n = e ? (size_t)(e - p) : strlen(p);

			snprintf(found, sizeof(found), "%.*s/%s", (int)n, n ? p : ".", clang);
			if (access(found, X_OK) == 0)
				break;
			found[0] = 0;
			p += n + (e != NULL);
		}
	}
	if (!found[0] || !realpath(found, real) || stat(real, &st) < 0)
		return -1;
	snprintf(id, sizeof(id), "%s %lld %lld.%09ld", real, (long long)st.st_size,
		 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	kputs(k, id);
	return 0;
}

int template_key(const char *text, const char *const *flags, const char *clang, const char *tdir,
		 char key[ASPEN_SHA256_HEX_LEN + 1])
{
	struct kbuf k = {0};
	int rc = 0;

	kputs(&k, "aspen-templates 1");
	kputs(&k, text);
	for (size_t i = 0; flags[i]; i++)
		kputs(&k, flags[i]);
	if (key_clang(&k, clang) < 0 || key_dir(&k, tdir) < 0 || k.oom ||
	    aspen_sha256_hex(k.p, k.n, key) < 0)
		rc = -1;
	free(k.p);
	return rc;
}

static int mkdir_p(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* the cache directory, created; NULL when there is none */
static const char *cache_dir(char *buf, size_t len)
{
	const char *env = getenv("ASPEN_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"),
		   *home = getenv("HOME");

	if (env && !strcmp(env, "off"))
		return NULL;
	if (env && *env)
		snprintf(buf, len, "%s/templates", env);
	else if (xdg && *xdg)
		snprintf(buf, len, "%s/aspen/templates", xdg);
	else if (home && *home)
		snprintf(buf, len, "%s/.cache/aspen/templates", home);
	else
		return NULL;
	if (mkdir_p(buf) < 0 || access(buf, W_OK | X_OK) < 0)
		return NULL;
	return buf;
}

static int find_in(const char *dir, const char *key, char *path, size_t len)
{
	if (!dir || !dir[0])
		return 0;
	snprintf(path, len, "%s/templates-%s.bpf.o", dir, key);
	return access(path, R_OK) == 0;
}

int template_find(const char *key, char *path, size_t len)
{
	char dir[PATH_MAX + 32], exe[PATH_MAX];
	const char *env = getenv("ASPEN_PREBUILT_DIR");
	ssize_t n;

	if (env) { /* set: the only prebuilt directory ("": none) */
		if (find_in(env, key, path, len))
			return 1;
	} else {
		/* installed: <prefix>/bin/aspenc, <prefix>/share/aspen/prebuilt */
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = 0;
			if (strrchr(exe, '/'))
				*strrchr(exe, '/') = 0;
			snprintf(dir, sizeof(dir), "%s/../share/aspen/prebuilt", exe);
			if (find_in(dir, key, path, len))
				return 1;
		}
		if (find_in(ASPEN_PREBUILT_DIR, key, path, len)) /* the build tree's */
			return 1;
	}
	return cache_dir(dir, sizeof(dir)) && find_in(dir, key, path, len);
}

int template_tmp(const char *key, char *tmp, size_t len, char *final, size_t flen)
{
	char dir[PATH_MAX];
	const char *t = getenv("TMPDIR");
	int fd;

	final[0] = 0;
	if (cache_dir(dir, sizeof(dir))) {
		snprintf(tmp, len, "%s/.templates-%s.XXXXXX", dir, key);
		fd = mkstemp(tmp);
		if (fd >= 0) {
			close(fd);
			snprintf(final, flen, "%s/templates-%s.bpf.o", dir, key);
			return 0;
		}
	}
	snprintf(tmp, len, "%s/aspen-templates-XXXXXX", t && *t ? t : "/tmp");
	fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}
