/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The compiler -> templates contract: what every C file aspenc generates
 * (compiler/src/emit_c.c) gives the templates. The generated file is, in
 * order:
 *
 *   the macros checked below              #define ASPEN_NEED_TLS 1 ...
 *   #include "aspen_prelude.bpf.h"        types, maps, helpers
 *   #include "aspen_generated.h"          this file: checks, prototypes
 *   the definitions of the functions declared below (DFA tables, rules)
 *   #include "aspen_connect.bpf.h"        the programs, as the flags say
 *   #ifdef ASPEN_TEST_PROGRAMS            SEC("syscall") programs run with
 *   #include "aspen_test.bpf.h"           BPF_PROG_TEST_RUN, never attached:
 *   #include "aspen_scan_test.bpf.h"      only in objects built with clang
 *   #endif                                -DASPEN_TEST_PROGRAMS (aspenc test)
 *   the license and the .aspen.meta section
 *
 * A missing macro stops the build here rather than silently taking a
 * default; a missing function is a clang error where a template calls it.
 * docs/internals.md, "Generated eBPF C", describes each one.
 */
#ifndef ASPEN_GENERATED_H
#define ASPEN_GENERATED_H

/* ---- which programs the object contains (0 or 1) -------------------------
 * One table in the compiler (compiler/src/programs.c) gives these flags and
 * the metadata `hooks` record. Every object has connect4/6 and the process
 * tracking programs. */
#ifndef ASPEN_NEED_SENDMSG /* cgroup/sendmsg4/6 (aspen_connect.bpf.h) */
#error "aspenc must define ASPEN_NEED_SENDMSG"
#endif
#ifndef ASPEN_NEED_DNS /* cgroup_skb/ingress DNS answers (aspen_dns.bpf.h) */
#error "aspenc must define ASPEN_NEED_DNS"
#endif
#ifndef ASPEN_NEED_TLS /* sockops, sk_msg, TLS write uprobes (aspen_tls.bpf.h) */
#error "aspenc must define ASPEN_NEED_TLS"
#endif
#ifndef ASPEN_NEED_TLS_READ /* TLS read uprobes (aspen_tls.bpf.h): responses, HTTP/2 windows */
#error "aspenc must define ASPEN_NEED_TLS_READ"
#endif
#ifndef ASPEN_LAZY_READS /* read uprobes attached at a process's first HTTP/2 preface */
#error "aspenc must define ASPEN_LAZY_READS"
#endif
#ifndef ASPEN_NEED_RESPONSE /* on response rules: responses parsed on the read side */
#error "aspenc must define ASPEN_NEED_RESPONSE"
#endif

/* ---- policy settings: the generated part's data (struct aspen_settings,
 * below), constants of the generated C; the templates' part reads them
 * from the linked object's .rodata (frozen: the verifier folds them), so
 * that they are not in its cache key (template_cache.c) */
#ifndef ASPEN_PART_TEMPLATES
#ifndef ASPEN_UNINSPECTABLE_DENY /* 1: `uninspectable deny`, 0: `allow` */
#error "aspenc must define ASPEN_UNINSPECTABLE_DENY"
#endif
#ifndef ASPEN_CGROUP_PREDS /* process.cgroup + container.id predicates (0: never read) */
#error "aspenc must define ASPEN_CGROUP_PREDS"
#endif
#ifndef ASPEN_EXE_PREDS /* process.exe predicates in the policy (0: exe is never read) */
#error "aspenc must define ASPEN_EXE_PREDS"
#endif
#ifndef ASPEN_FRONTING_DENY /* 1: `fronting deny` (default), 0: `allow` */
#error "aspenc must define ASPEN_FRONTING_DENY"
#endif
#ifndef ASPEN_MODEL_PATHS_USED /* rows of aspen_model_tmpl in use (<= ASPEN_MODEL_PATHS) */
#error "aspenc must define ASPEN_MODEL_PATHS_USED"
#endif
#endif
#ifndef ASPEN_NEED_BODY_SCAN /* 1: some rule reads request.body or redacts */
#error "aspenc must define ASPEN_NEED_BODY_SCAN"
#endif
#ifndef ASPEN_BODY_START /* the body DFAs' start state (aspen_body_step) */
#error "aspenc must define ASPEN_BODY_START"
#endif
/* rows of the providers' model_paths templates, rounded up to a multiple
 * of 16 (ASPEN_MODEL_PATHS_USED of them in use); when not 0, the generated
 * C defines `aspen_model_tmpl[ASPEN_MODEL_PATHS][ASPEN_TMPL_LEN]` (the last
 * byte of each: its provider's index) for aspen_path_model.h */
#ifndef ASPEN_MODEL_PATHS
#error "aspenc must define ASPEN_MODEL_PATHS"
#endif

/* ---- one object, or two linked ------------------------------------------
 * aspenc compiles the templates once per set of the macros above (cached,
 * compiler/src/template_cache.c) and the generated C per policy, then joins
 * the two with libbpf's static linker (docs/internals.md, "Two objects,
 * linked"): clang -DASPEN_PART_TEMPLATES on the templates' part,
 * -DASPEN_PART_GENERATED on the generated C. Without either, the generated
 * C includes the templates and is one object, as `aspenc --emit-c` shows.
 * Linked, the functions below are global and hidden: libbpf's linker joins
 * them, and libbpf marks them static for the verifier, which checks them in
 * each caller's context as it checks the inlined code. */
#ifndef ASPEN_SLICES
/* A generated part of many rules is built in slices, at once (aspenc
 * -DASPEN_SLICES=n -DASPEN_SLICE=k): slice k holds the request rules'
 * functions i with (i + 1) % n == k, slice 0 all the rest too. */
#define ASPEN_SLICES 1
#define ASPEN_SLICE 0
#endif
#define ASPEN_IN_SLICE(i) (((i) + 1) % ASPEN_SLICES == ASPEN_SLICE)

#if defined(ASPEN_PART_GENERATED) && ASPEN_SLICE != 0
/* a slice of rule functions: what the other slices define, unused here */
#define ASPEN_SPLIT 1
#define ASPEN_GEN_FN static __always_inline __attribute__((unused))
#define ASPEN_GEN_DATA static __attribute__((unused))
#elif defined(ASPEN_PART_TEMPLATES) || defined(ASPEN_PART_GENERATED)
#define ASPEN_SPLIT 1
#define ASPEN_GEN_FN __attribute__((visibility("hidden"))) __noinline
#define ASPEN_GEN_DATA __attribute__((visibility("hidden")))
#else
#define ASPEN_GEN_FN static __always_inline
#define ASPEN_GEN_DATA static
#endif

/* ---- policy settings ------------------------------------------------------ */
struct aspen_settings {
	__u32 uninspectable_deny; /* ASPEN_UNINSPECTABLE_DENY */
	__u32 fronting_deny;	  /* ASPEN_FRONTING_DENY */
	__u32 exe_preds;	  /* ASPEN_EXE_PREDS */
	__u32 cgroup_preds;	  /* ASPEN_CGROUP_PREDS */
	__u32 model_paths;	  /* ASPEN_MODEL_PATHS_USED */
};

#ifdef ASPEN_PART_TEMPLATES
/* defined by the generated part (in .rodata, after the macros aspenc
 * writes there) */
extern const struct aspen_settings aspen_settings ASPEN_GEN_DATA;
#define ASPEN_UNINSPECTABLE_DENY (aspen_settings.uninspectable_deny)
#define ASPEN_FRONTING_DENY (aspen_settings.fronting_deny)
#define ASPEN_EXE_PREDS (aspen_settings.exe_preds)
#define ASPEN_CGROUP_PREDS (aspen_settings.cgroup_preds)
#define ASPEN_MODEL_PATHS_USED (aspen_settings.model_paths)
#endif

/* ---- generated functions ------------------------------------------------- */

/* Predicate bits of a process: bit i = glob i of process.exe (comm) holds.
 * s: ASPEN_EXE_LEN (ASPEN_COMM_LEN) bytes, NUL-terminated. */
ASPEN_GEN_FN __u64 aspen_exe_bits(const char *s);
ASPEN_GEN_FN __u64 aspen_comm_bits(const char *s);

/* Providers whose host globs match a Host header (lower-case, no port);
 * s: ASPEN_HOST_LEN bytes. 0 when the policy has no request rules. */
ASPEN_GEN_FN __u64 aspen_host_providers(const char *s);

/* The policy's decisions: v->rule, v->decision, v->audit. They return 0 (a
 * scalar: compiler/src/emit_c.c decide_head() says why). */
ASPEN_GEN_FN __u32 aspen_decide_connect(const struct aspen_conn *c, struct aspen_verdict *v);
ASPEN_GEN_FN __u32 aspen_decide_request(const struct aspen_req *r, struct aspen_verdict *v);
ASPEN_GEN_FN __u32 aspen_decide_response(const struct aspen_resp *r, struct aspen_verdict *v);

/* Patterns to mask in this request (bit = pattern index), decided once its
 * head is complete. */
ASPEN_GEN_FN __u32 aspen_decide_redact(const struct aspen_req *r);

#ifndef ASPEN_PART_TEMPLATES
/* One step of the body DFAs over byte c from state (ASPEN_BODY_START at
 * the first byte): ORs into *matched the patterns a match of which ends at
 * c, returns the next state. */
static __always_inline __u64 aspen_body_step(__u64 state, __u8 c, __u64 *matched);

/* The same over buf[(pos + j) & bmask], j < n, at most ASPEN_BODY_RUN bytes
 * (defined by the generated C), the state in and out through *state; with
 * stop, returns after the first byte on which a pattern matched. Returns
 * the bytes scanned. */
static __always_inline __u32 aspen_body_scan(__u64 *state, const __u8 *buf, __u64 bmask,
					     __u32 pos, __u32 n, __u64 *matched, int stop);
#endif

#ifdef ASPEN_SPLIT
/* Linked: the body DFA loops stay inlined in the generated part (a BPF
 * call takes 5 arguments, and a call per byte would cost); the templates
 * call them through these (aspen_split.bpf.h defines them).
 * sm: {state, matched} in and out; stop is 0. */
ASPEN_GEN_FN __u64 aspen_body_step_call(__u64 state, __u32 c, __u64 *matched);
ASPEN_GEN_FN __u32 aspen_body_scan_call(__u64 *sm, const __u8 *buf, __u64 bmask, __u32 pos,
					__u32 n);
#endif

#ifdef ASPEN_PART_TEMPLATES
static __always_inline __u64 aspen_body_step(__u64 state, __u8 c, __u64 *matched)
{
	return aspen_body_step_call(state, c, matched);
}

static __always_inline __u32 aspen_body_scan(__u64 *state, const __u8 *buf, __u64 bmask,
					     __u32 pos, __u32 n, __u64 *matched, int stop)
{
	__u64 sm[2] = {*state, *matched};
	__u32 k;

	(void)stop; /* the templates never stop at a match */
	k = aspen_body_scan_call(sm, buf, bmask, pos, n);
	*state = sm[0];
	*matched = sm[1];
	return k;
}

#if ASPEN_MODEL_PATHS
/* defined by the generated part (aspen_path_model.h reads it) */
extern const char aspen_model_tmpl[ASPEN_MODEL_PATHS][64 /* ASPEN_TMPL_LEN */] ASPEN_GEN_DATA;
#endif
#endif

#endif
