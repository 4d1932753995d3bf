/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aspend reads the executables of the processes it governs, whoever wrote
 * them: the Go symbol table and build info (runtime/lib/rt_gosym.c), the
 * x86-64 decoder that finds a Go function's RETs (rt_x86len.c), BoringSSL
 * by signature and the rustls version (rt_sslpat.c). A hostile binary in a
 * governed cgroup must not crash the daemon nor have it probe outside the
 * file. The input is such a file (written to a memfd, read by its path).
 *
 * Checks, besides ASan and UBSan:
 * - every function found lies inside the file (its probe offsets too);
 * - Go RETs lie inside Read, and a decode that succeeds walks the input's
 *   bytes instruction by instruction exactly to its end, its RETs those of
 *   rt_x86_len() (the input's bytes are also decoded as one function).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rt_gosym.h"
#include "rt_sslpat.h"
#include "rt_x86len.h"

static int fd = -1;
static char path[64];

static void inside(uint64_t off, uint64_t size, size_t len)
{
	if (off > len || size > len - off)
		abort();
}

static void check_x86(const uint8_t *code, size_t n)
{
	uint32_t rets[RT_GO_MAX_RETS];
	unsigned nrets = 0, k = 0;
	size_t bad = 0, at = 0;

	if (rt_x86_rets(code, n, rets, RT_GO_MAX_RETS, &nrets, &bad) != 0)
		return;
	while (at < n) {
		int ret = 0, l = rt_x86_len(code + at, n - at, &ret);

		if (l <= 0 || (size_t)l > n - at || l > 15)
			abort();
		if (ret && (k >= nrets || rets[k++] != at))
			abort();
		at += (size_t)l;
	}
	if (at != n || k != nrets)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fd = memfd_create("aspen-fuzz-elf", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_go_info go;
	struct rt_ssl_info ssl;
	char ver[64];

	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (rt_go_inspect(path, &go) == RT_GO_OK) {
		inside(go.write.off, go.write.size, size);
		inside(go.read.off, go.read.size, size);
		if (go.write_probe < go.write.off || go.write_probe >= go.write.off + go.write.size)
			abort();
		for (unsigned i = 0; go.read_rets.ok && i < go.read_rets.n; i++)
			if (go.read_rets.off[i] < go.read.off ||
			    go.read_rets.off[i] >= go.read.off + go.read.size)
				abort();
	}
	if (rt_ssl_inspect(path, &ssl) == RT_SSL_OK) {
		inside(ssl.write.off, ssl.write.size, size);
		inside(ssl.read.off, ssl.read.size, size);
	}
	if (rt_rustls_version(path, ver, sizeof(ver)) && strnlen(ver, sizeof(ver)) == sizeof(ver))
		abort();
	check_x86(data, size < 4096 ? size : 4096);
	return 0;
}
