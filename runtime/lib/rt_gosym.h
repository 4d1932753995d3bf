/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go executables: their functions from the Go symbol table (.gopclntab),
 * which stripped binaries (-ldflags=-s -w) keep, and their Go version
 * from the build info (.go.buildinfo). Plain ELF64 reading, no libelf.
 */
#ifndef ASPEN_RT_GOSYM_H
#define ASPEN_RT_GOSYM_H

#include <stdbool.h>
#include <stdint.h>

enum rt_go_status {
	RT_GO_NOT_GO = 0,  /* no .gopclntab: not a Go executable */
	RT_GO_OK = 1,	   /* a tested Go version; the functions were found */
	RT_GO_VERSION = 2, /* a Go version Aspen has not been tested with */
	RT_GO_NOFUNC = 3,  /* Go, but crypto/tls's write is not in it */
	RT_GO_LAYOUT = 4,  /* not amd64, or a pclntab/buildinfo layout not known */
};

struct rt_go_func {
	uint64_t addr; /* entry (virtual address) */
	uint64_t off;  /* file offset of the entry: where a uprobe goes */
	uint64_t size; /* up to the next function's entry */
};

/* RETs of a function probed for its return values (at most this many) */
#define RT_GO_MAX_RETS 16

struct rt_go_rets {
	int ok;			      /* 1: decoded to its end (rt_x86len.c), rets found */
	unsigned n;		      /* RETs */
	uint64_t off[RT_GO_MAX_RETS]; /* their file offsets: where the uprobes go */
	uint64_t bad;		      /* !ok: the offset in the function where decoding failed */
};

struct rt_go_info {
	enum rt_go_status status;
	char version[32];	 /* "go1.19.8", or "" when not known */
	struct rt_go_func write; /* crypto/tls.(*Conn).Write */
	uint64_t write_probe;	 /* file offset past Write's stack check: where its probe goes */
	struct rt_go_func read;	 /* crypto/tls.(*Conn).Read */
	struct rt_go_rets read_rets; /* its RET instructions */
	uint64_t nfunc;		 /* functions in the pclntab */
};

/* Fill info for the ELF file at path. Returns info->status. */
enum rt_go_status rt_go_inspect(const char *path, struct rt_go_info *info);

/* The file offset just past the stack check a Go function begins with
 * (`[LEA R12, [RSP-n]]; CMP RSP|R12, [R14+16]; JBE morestack`), 0 when it
 * does not begin so. When the stack is too small the function calls
 * morestack and then runs again from its entry: a probe at the entry
 * would see that one call twice, one past the check sees it once. */
uint64_t rt_go_past_stack_check(const uint8_t *code, size_t n, uint64_t off);

/* Look one function up by its Go name ("crypto/tls.(*Conn).Write"):
 * 0 and f filled, or -1. */
int rt_go_func(const char *path, const char *name, struct rt_go_func *f);

/* Decode f's machine code from its entry to its end and list its RETs:
 * 0, or -1 (r->ok 0) when the decode does not land exactly on the end,
 * when it has more than RT_GO_MAX_RETS RETs or none, or on a read error. */
int rt_go_rets(const char *path, const struct rt_go_func *f, struct rt_go_rets *r);

/* Is this Go version one Aspen's Go probe was tested with? ("go1.19.8") */
bool rt_go_version_tested(const char *version);

/* Name of a status for logs and the audit ("pclntab", "go_version", ...) */
const char *rt_go_status_name(enum rt_go_status s);

#endif
