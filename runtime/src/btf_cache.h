/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CO-RE without parsing the kernel's whole BTF at every start (btf_cache.c).
 * libbpf relocates a policy object's kernel-structure reads (the exec
 * tracepoint's path walk, the Go probe's socket lookup) against
 * /sys/kernel/btf/vmlinux: reading and parsing its 5 MB, 120k types, is
 * about 50 ms of every start. The relocations only look at the types the
 * object names, so aspend keeps, per kernel build and policy object, a
 * small BTF with just those types (each with only the members the object
 * reads, at the kernel's offsets) and gives it to libbpf instead
 * (btf_custom_path). It is built once, after enforcing, from the full BTF.
 */
#ifndef ASPEND_BTF_CACHE_H
#define ASPEND_BTF_CACHE_H

#include <stddef.h>

/* Where the small BTF for the object (its sha256) lives under dir for the
 * running kernel: out. 1 it is there, 0 not yet (btf_cache_build makes it),
 * -1 no cache (dir empty, or the kernel has no BTF). */
int btf_cache_path(const char *dir, const char *obj_sha256, char *out, size_t outlen);

/* Build it in a thread from /sys/kernel/btf/vmlinux and the object's own
 * BTF (obj_path), written atomically to out; cache files of other kernel
 * builds in the same directory are removed. */
void btf_cache_build_async(const char *obj_path, const char *out);
/* Wait for the thread (at exit). */
void btf_cache_wait(void);

/* The same, synchronously (tests): 0, or -1 with errno. */
int btf_cache_build(const char *obj_path, const char *out);

#endif
