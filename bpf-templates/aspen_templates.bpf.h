/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The templates' part of a linked object (clang -DASPEN_PART_TEMPLATES;
 * aspen_generated.h, docs/internals.md "Two objects, linked"): aspenc
 * writes the macros aspen_generated.h checks, then includes this file, and
 * compiles it once per set of them (compiler/src/template_cache.c). The
 * generated part defines the functions the programs call.
 */
#ifndef ASPEN_TEMPLATES_BPF_H
#define ASPEN_TEMPLATES_BPF_H

#ifndef ASPEN_PART_TEMPLATES /* aspenc passes it too (visible to ASPEN_CLANG) */
#define ASPEN_PART_TEMPLATES 1
#endif

#include "aspen_prelude.bpf.h"
#include "aspen_generated.h"
#include "aspen_connect.bpf.h"
#ifdef ASPEN_TEST_PROGRAMS
#include "aspen_test.bpf.h"
#endif

char LICENSE[] SEC("license") = "GPL";

#endif
