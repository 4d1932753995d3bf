/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BoringSSL compiled into an executable without symbols (Bun's
 * single-file executables: Claude Code): SSL_write and SSL_read found by
 * a signature, the error reports their source carries. Plain ELF64
 * reading, no libelf; x86-64 machine code only. The method and its
 * limits: docs/internals.md, "BoringSSL by pattern".
 */
#ifndef ASPEN_RT_SSLPAT_H
#define ASPEN_RT_SSLPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rt_ssl_status {
	RT_SSL_NOT_BORINGSSL = 0, /* no BoringSSL ssl_lib.cc in the file */
	RT_SSL_OK = 1,		  /* SSL_write and SSL_read found, each exactly once */
	RT_SSL_NOT_FOUND = 2,	  /* BoringSSL, but a signature matches no function */
	RT_SSL_AMBIGUOUS = 3,	  /* BoringSSL, and a signature matches several */
	RT_SSL_LAYOUT = 4,	  /* BoringSSL, but not x86-64 or no unwind table */
};

struct rt_ssl_func {
	uint64_t addr; /* entry (virtual address, from the unwind table) */
	uint64_t off;  /* file offset of the entry: where a uprobe goes */
	uint64_t size; /* from the unwind table */
};

struct rt_ssl_info {
	enum rt_ssl_status status;
	struct rt_ssl_func write; /* SSL_write(SSL *, const void *, int) -> int */
	struct rt_ssl_func read;  /* SSL_read(SSL *, void *, int) -> int */
	unsigned sites;		  /* error reports of ssl_lib.cc decoded */
	unsigned funcs;		  /* functions they are in */
};

/* Fill info for the ELF file at path. Returns info->status. */
enum rt_ssl_status rt_ssl_inspect(const char *path, struct rt_ssl_info *info);

/* Whether the ELF file at path carries rustls (its crate's source paths,
 * kept for panics even in stripped binaries); ver gets its version
 * ("0.23.46"). Aspen does not probe rustls: docs/internals.md, "rustls". */
bool rt_rustls_version(const char *path, char *ver, size_t vlen);

/* Name of a status for logs ("pattern", "pattern_not_found", ...) */
const char *rt_ssl_status_name(enum rt_ssl_status s);

#endif
