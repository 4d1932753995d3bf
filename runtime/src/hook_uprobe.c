/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook kind: TLS library uprobes, attached per process and only to
 * processes that talk to a provider. The connect hook stops such a
 * process's thread at its first provider connection (ASPEN_EV_TLS_HOLD);
 * here the probes are attached with a pid filter to the library the
 * process really maps, the process is marked ready in aspen_tls_ready, and
 * resumed. A pidfd per probed process tells when it exits, and its probes
 * are then detached. Processes that never call a provider pay nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <linux/types.h>

#include "aspen_shared.h"
#include "clock.h"
#include "audit.h"
#include "daemon.h"
#include "hook.h"
#include "hook_uprobe.h"
#include "log.h"
#include "metrics.h"
#include "names.h"
#include "pin.h"
#include "policy_late.h"
#include "policy_obj.h"
#include "reaper.h"
#include "redact.h"
#include "tls_lib.h"
#include "rt_audit.h"
#include "rt_cgroup.h"

/* A process mapping more TLS libraries than this is not probed at all
 * (uninspectable): probing some and not others would leave a gap. */
#define TLS_MAX_LIBS 16
#define TLS_MAX_LINKS (TLS_MAX_LIBS * 8)

struct tls_proc {
	pid_t tgid;
	int pidfd;
	int nlinks;
	struct bpf_link *links[TLS_MAX_LINKS];
	char lib[PATH_MAX];      /* the library named in the audit (OpenSSL first; "go", "boringssl") */
	char libs[2 * PATH_MAX]; /* JSON array of every library probed */
	char go_version[32];     /* of a Go executable (probed or refused), or "" */
	bool go;                 /* its TLS was found in Go's symbol table */
	bool go_refused;         /* a Go executable of a version not tested */
	const char *go_read;     /* Go, response rules: "ret_probes" or "not_decoded"; else NULL */
	char rustls_version[16]; /* of rustls compiled in (refused: rustls), or "" */
	const char *found;       /* how: "symbol", "pclntab", "pattern" */
	unsigned refused;        /* why nothing was probed (enum aspen_unparsed) */
	bool reads;              /* its read probes are attached (enum aspen_tls_reads) */
};

/* What the audit calls a process's TLS, and why it was refused if nothing
 * is probed: BoringSSL found by pattern, or refused (pattern_*); a Go
 * executable, probed or refused (go_version); rustls, refused (rustls);
 * else no_tls_lib. */
static void name_found(struct tls_proc *tp, const struct tls_lib *libs, int n)
{
	tp->go = tp->go_refused = false;
	tp->go_version[0] = 0;
	tp->rustls_version[0] = 0;
	tp->found = "symbol";
	tp->refused = ASPEN_UNPARSED_NO_TLS_LIB;
	for (int i = 0; i < n; i++) {
		if (libs[i].kinds & (TLS_LIB_GO | TLS_LIB_GO_REFUSED)) {
			tp->go = !!(libs[i].kinds & TLS_LIB_GO);
			tp->go_refused = !tp->go;
			snprintf(tp->go_version, sizeof(tp->go_version), "%.*s",
				 (int)sizeof(tp->go_version) - 1, libs[i].go_version);
			if (tp->go_refused)
				tp->refused = ASPEN_UNPARSED_GO_VERSION;
		}
		if (libs[i].kinds & TLS_LIB_PATTERN_REFUSED)
			tp->refused = libs[i].refused;
		if (libs[i].kinds & TLS_LIB_RUSTLS) {
			tp->refused = libs[i].refused;
			snprintf(tp->rustls_version, sizeof(tp->rustls_version), "%s",
				 libs[i].rustls_version);
		}
	}
}

/* OpenSSL first: a process mapping both (curl: libldap pulls in GnuTLS)
 * most likely speaks through OpenSSL. */
static void name_libs(struct tls_proc *tp, const struct tls_lib *libs, int n)
{
	int best = 0;

	for (int i = 0; i < n; i++)
		if (libs[i].kinds & TLS_LIB_OPENSSL) {
			best = i;
			break;
		}
	name_found(tp, libs, n);
	snprintf(tp->lib, sizeof(tp->lib), "%s", libs[best].path + libs[best].prefix);
	if (!(libs[best].kinds & TLS_LIB_OPENSSL)) {
		for (int i = 0; i < n; i++)
			if (libs[i].kinds & TLS_LIB_BORINGSSL) {
				snprintf(tp->lib, sizeof(tp->lib), "boringssl");
				tp->found = "pattern";
			}
		if (tp->go) {
			snprintf(tp->lib, sizeof(tp->lib), "go");
			tp->found = "pclntab";
		}
	}
	/* a whole JSON array, whatever the paths (until session 43 a path
	 * past the buffer cut the array, and the tls_attach line was no
	 * JSON: tests/fuzz/fuzz_otlp.c's finding; common/json.c) */
	{
		const char *paths[TLS_MAX_LIBS + 1];
		int k = 0;

		for (int i = 0; i < n && k < TLS_MAX_LIBS + 1; i++)
			paths[k++] = libs[i].path + libs[i].prefix;
		json_array_buf(tp->libs, sizeof(tp->libs), paths, k);
	}
}

static struct tls_proc *procs;
static size_t nprocs, capprocs;

struct probe_point {
	int kind;          /* TLS_LIB_* */
	const char *func;
	size_t prog;       /* offset of the program in struct policy_progs */
	bool retprobe;
	bool read;         /* a read probe (ATTACH_READS) */
	int written;       /* a write entry probe's enum aspen_write_cookie (else 0) */
};

/* What attach_libs() attaches: the write probes (a process's first
 * provider connection), the read probes (with them, for policies with
 * response rules and Go; else at the process's first HTTP/2 preface,
 * tls_on_reads()). */
#define ATTACH_WRITES 1
#define ATTACH_READS 2

#define PROG(field) offsetof(struct policy_progs, field)

/* The read probes are in objects of policies with request or response
 * rules. */
static const struct probe_point points[] = {
	{ TLS_LIB_OPENSSL, "SSL_write", PROG(ssl_write), false, false, ASPEN_COOKIE_WRITTEN_RET },
	{ TLS_LIB_OPENSSL, "SSL_write", PROG(write_ret), true, false, 0 },
	{ TLS_LIB_OPENSSL, "SSL_write_ex", PROG(ssl_write), false, false, ASPEN_COOKIE_WRITTEN_ARG4 },
	{ TLS_LIB_OPENSSL, "SSL_write_ex", PROG(write_ret), true, false, 0 },
	{ TLS_LIB_OPENSSL, "SSL_read", PROG(ssl_read), false, true, 0 },
	{ TLS_LIB_OPENSSL, "SSL_read", PROG(tls_read_ret), true, true, 0 },
	{ TLS_LIB_OPENSSL, "SSL_read_ex", PROG(ssl_read_ex), false, true, 0 },
	{ TLS_LIB_OPENSSL, "SSL_read_ex", PROG(tls_read_ret), true, true, 0 },
	{ TLS_LIB_GNUTLS, "gnutls_record_send", PROG(gnutls_send), false, false,
	  ASPEN_COOKIE_WRITTEN_RET },
	{ TLS_LIB_GNUTLS, "gnutls_record_send", PROG(write_ret), true, false, 0 },
	{ TLS_LIB_GNUTLS, "gnutls_record_recv", PROG(gnutls_recv), false, true, 0 },
	{ TLS_LIB_GNUTLS, "gnutls_record_recv", PROG(tls_read_ret), true, true, 0 },
};

/* Does p attach the read probes with the write probes? Not for objects
 * whose read probes serve HTTP/2's windows only (`tls_read_lazy`: request
 * rules, no response rules): those wait for a process's first HTTP/2
 * preface (aspen_reads_follow() in aspen_tls.bpf.h). */
static bool reads_eager(const struct policy_obj *p)
{
	return !aspen_meta_has_hook(&p->meta, "tls_read_lazy");
}

static struct bpf_program *point_prog(const struct policy_obj *p, const struct probe_point *pt)
{
	return *(struct bpf_program *const *)((const char *)&p->progs + pt->prog);
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* state: enum aspen_tls_state; reads: enum aspen_tls_reads, or -1 to
 * leave it as it is */
static void set_ready(struct policy_obj *p, __u32 tgid, __u32 state, int reads)
{
	int fd = policy_map_fd(p->maps.tls_ready);
	struct aspen_tls_proc tp = { 0 };

	if (fd < 0)
		return;
	bpf_map_lookup_elem(fd, &tgid, &tp);
	tp.state = state;
	tp.gen = p->gen; /* from now on p's probes decide for it (and only they) */
	tp.since_ns = boot_ns();
	if (reads >= 0)
		tp.reads = (__u32)reads;
	bpf_map_update_elem(fd, &tgid, &tp, BPF_ANY);
}

/* The kernel's word on tgid's read probes (enum aspen_tls_reads). */
static __u32 reads_state(struct policy_obj *p, __u32 tgid)
{
	int fd = policy_map_fd(p->maps.tls_ready);
	struct aspen_tls_proc tp = { 0 };

	if (fd < 0 || bpf_map_lookup_elem(fd, &tgid, &tp))
		return ASPEN_READS_NO;
	return tp.reads;
}

/* OpenSSL's shared internal write (read) function, when it can be found:
 * one emulated probe instead of two single-stepped ones on SSL_write(_ex)
 * (SSL_read(_ex)). */
static int attach_internal_point(struct policy_obj *p, pid_t tgid, const struct tls_lib *lib,
				 struct bpf_link **links, bool read)
{
	struct bpf_program *prog = read ? p->progs.ssl_read_ex : p->progs.ssl_write;
	struct bpf_program *ret = read ? p->progs.tls_read_ret : p->progs.write_ret;
	int written = ASPEN_COOKIE_WRITTEN_RET;
	__u64 off;

	if (!prog || !ret ||
	    (read ? tls_openssl_read_point(lib->path, &off)
		  : tls_openssl_write_point(lib->path, &off, &written)) < 0)
		return 0;
	LIBBPF_OPTS(bpf_uprobe_opts, o, .bpf_cookie = (__u64)written);
	links[0] = bpf_program__attach_uprobe_opts(prog, tgid, lib->path, (size_t)off, &o);
	if (!links[0])
		return 0;
	links[1] = bpf_program__attach_uprobe(ret, true, tgid, lib->path, (size_t)off);
	if (!links[1]) {
		bpf_link__destroy(links[0]);
		return 0;
	}
	return 2;
}

/* Go's crypto/tls.(*Conn).Read (policies with response rules): an entry
 * probe and one at each of its RETs (uprobes, never uretprobes: Go moves
 * goroutine stacks), or none at all. Returns links made; *what is
 * "ret_probes", or "not_decoded" when its RETs are not known (rt_gosym.c
 * could not decode it to its end) or could not all be probed. */
static int attach_go_read(struct policy_obj *p, pid_t tgid, const struct tls_lib *lib,
			  struct bpf_link **links, int max, const char **what)
{
	int n = 0;

	*what = "not_decoded";
	if (!lib->go_read_off || 1 + (int)lib->go_read_nrets > max)
		return 0;
	links[n] = bpf_program__attach_uprobe(p->progs.go_read, false, tgid, lib->path,
					      (size_t)lib->go_read_off);
	for (unsigned i = 0; links[n] && i < lib->go_read_nrets; i++) {
		n++;
		links[n] = bpf_program__attach_uprobe(p->progs.go_read_ret, false, tgid, lib->path,
						      (size_t)lib->go_read_rets[i]);
	}
	if (!links[n]) {
		log_warn("pid %d: cannot probe Go's (*tls.Conn).Read in %s (probe %d of %u): %s; "
			 "its responses are not seen",
			 tgid, lib->path + lib->prefix, n + 1, lib->go_read_nrets + 1,
			 strerror(errno));
		while (n)
			bpf_link__destroy(links[--n]);
		return 0;
	}
	*what = "ret_probes";
	return n + 1;
}

/* Go's crypto/tls.(*Conn).Write, at the offset its symbol table gives
 * (aspen_go.bpf.h): one entry probe, no return probe; then the read side. */
static int attach_go(struct policy_obj *p, pid_t tgid, const struct tls_lib *lib,
		     struct bpf_link **links, int max, const char **go_read)
{
	*go_read = NULL;
	if (!p->progs.go_write || max < 1)
		return 0;
	links[0] = bpf_program__attach_uprobe(p->progs.go_write, false, tgid, lib->path,
					      (size_t)lib->go_write_off);
	if (!links[0]) {
		log_warn("pid %d: cannot probe Go's crypto/tls in %s: %s", tgid,
			 lib->path + lib->prefix, strerror(errno));
		return 0;
	}
	if (!p->progs.go_read || !p->progs.go_read_ret)
		return 1; /* no response rules (or an object built before Go's read probes) */
	return 1 + attach_go_read(p, tgid, lib, links + 1, max - 1, go_read);
}

/* BoringSSL found by pattern (rt_sslpat.c): SSL_write and SSL_read have
 * OpenSSL's shapes and return values, so OpenSSL's programs probe them at
 * the offsets found, entry and return. The SSL * is only a session key
 * (the socket is bound by thread, aspen_note_session()): BoringSSL's
 * struct layout is never read. Returns links made, 0 if the write could
 * not be probed (then nothing is). */
static int attach_boringssl(struct policy_obj *p, pid_t tgid, const struct tls_lib *lib,
			    struct bpf_link **links, int max, int what)
{
	const struct {
		struct bpf_program *prog;
		__u64 off;
		bool ret;
	} pts[] = {
		{ p->progs.ssl_write, lib->ssl_write_off, false },
		{ p->progs.write_ret, lib->ssl_write_off, true },
		{ p->progs.ssl_read, lib->ssl_read_off, false },
		{ p->progs.tls_read_ret, lib->ssl_read_off, true },
	};
	int n = 0;

	for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]) && n < max; i++) {
		if (!(what & (i < 2 ? ATTACH_WRITES : ATTACH_READS)))
			continue;
		if (!pts[i].prog)
			continue; /* the read side: policies with request rules only */
		links[n] = bpf_program__attach_uprobe(pts[i].prog, pts[i].ret, tgid, lib->path,
						      (size_t)pts[i].off);
		if (!links[n]) {
			log_warn("pid %d: cannot probe BoringSSL in %s at %#llx: %s", tgid,
				 lib->path + lib->prefix, (unsigned long long)pts[i].off,
				 strerror(errno));
			if (i < 2) { /* no write probe: none at all */
				while (n)
					bpf_link__destroy(links[--n]);
				return 0;
			}
			continue;
		}
		n++;
	}
	return n;
}

/* Attach every probe point of the libraries found; returns links made. */
static int attach_libs(struct policy_obj *p, pid_t tgid, const struct tls_lib *libs, int nlibs,
		       struct bpf_link **links, int max, const char **go_read, int what)
{
	int n = 0;

	if (what & ATTACH_WRITES)
		*go_read = NULL;

	for (int l = 0; l < nlibs; l++) {
		bool internal_write = false, internal_read = false;

		/* Go's read probes come with its write probe (Go's writer is never
		 * stopped at an HTTP/2 preface: tls_on_hold() attaches them) */
		if ((libs[l].kinds & TLS_LIB_GO) && (what & ATTACH_WRITES))
			n += attach_go(p, tgid, &libs[l], &links[n], max - n, go_read);
		if (libs[l].kinds & TLS_LIB_BORINGSSL)
			n += attach_boringssl(p, tgid, &libs[l], &links[n], max - n, what);
		if ((libs[l].kinds & TLS_LIB_OPENSSL) && (what & ATTACH_WRITES) && n + 2 <= max) {
			int k = attach_internal_point(p, tgid, &libs[l], &links[n], false);

			internal_write = k > 0;
			n += k;
		}
		if ((libs[l].kinds & TLS_LIB_OPENSSL) && (what & ATTACH_READS) && n + 2 <= max) {
			int k = attach_internal_point(p, tgid, &libs[l], &links[n], true);

			internal_read = k > 0;
			n += k;
		}
		for (size_t i = 0; i < sizeof(points) / sizeof(points[0]) && n < max; i++) {
			const struct probe_point *pt = &points[i];
			struct bpf_program *prog;
			LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = pt->func,
				    .retprobe = pt->retprobe, .bpf_cookie = (__u64)pt->written);

			if (!(libs[l].kinds & pt->kind) ||
			    !(what & (pt->read ? ATTACH_READS : ATTACH_WRITES)))
				continue;
			if (internal_write && !strncmp(pt->func, "SSL_write", 9))
				continue;
			if (internal_read && !strncmp(pt->func, "SSL_read", 8))
				continue;
			prog = point_prog(p, pt);
			if (!prog)
				continue; /* not in this policy (e.g. no response rules) */
			links[n] = bpf_program__attach_uprobe_opts(prog, tgid, libs[l].path, 0, &o);
			if (!links[n]) {
				log_warn("pid %d: cannot probe %s in %s: %s", tgid, pt->func,
					 libs[l].path + libs[l].prefix, strerror(errno));
				continue;
			}
			n++;
		}
	}
	return n;
}

static struct tls_proc *proc_slot(pid_t tgid)
{
	for (size_t i = 0; i < nprocs; i++)
		if (procs[i].tgid == tgid)
			return &procs[i];
	if (nprocs == capprocs) {
		size_t cap = capprocs ? capprocs * 2 : 16;
		struct tls_proc *np = realloc(procs, cap * sizeof(*np));

		if (!np)
			return NULL;
		procs = np;
		capprocs = cap;
	}
	memset(&procs[nprocs], 0, sizeof(procs[0]));
	procs[nprocs].tgid = tgid;
	procs[nprocs].pidfd = -1;
	return &procs[nprocs++];
}

static long elapsed_us(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* Threads of a held process that connect while it is held stop too
 * (aspen_tls_hold); one that saw "held" just before set_ready() may queue
 * its stop after our SIGCONT. The process gets SIGCONT once more, at the
 * first loop turn RECONT_NS after the attach (tls_resume_late), unless a
 * writer of it is held for redaction then: that SIGCONT would resume it
 * unmasked (the kernel would deny its request, aspen_redact_sigcont). It
 * waits for a turn with none, RECONT_TRIES turns at most (then it is sent
 * all the same: nothing is left stopped). */
#define RECONT_SLOTS 64
#define RECONT_NS (100ULL * 1000 * 1000)
#define RECONT_TRIES 20

static struct {
	pid_t tgid;
	unsigned tries;
	__u64 due_ns;
} recont[RECONT_SLOTS];
static size_t nrecont;

static void resume_again_later(pid_t tgid)
{
	if (nrecont == RECONT_SLOTS) { /* the oldest is due first: now, then */
		kill(recont[0].tgid, SIGCONT);
		memmove(&recont[0], &recont[1], (RECONT_SLOTS - 1) * sizeof(recont[0]));
		nrecont--;
	}
	recont[nrecont].tgid = tgid;
	recont[nrecont].tries = 0;
	recont[nrecont].due_ns = mono_ns() + RECONT_NS;
	nrecont++;
}

/* Resume a process held for its probes, and once more later. Not while
 * a writer of it is held for redaction (another thread's, its event still
 * ahead of us in the ring): our SIGCONT would resume that writer unmasked
 * (and the kernel deny its request); the hold's own resume wakes the
 * whole process. */
static void resume_held(struct policy_obj *p, __u32 tgid)
{
	redact_resume(p, tgid, 0);
	resume_again_later((pid_t)tgid);
}

void tls_resume_late(struct policy_obj *p)
{
	__u64 now = mono_ns();
	size_t k = 0;

	for (size_t i = 0; i < nrecont; i++) {
		if (recont[i].due_ns > now)
			recont[k++] = recont[i];
		else if (redact_holds_pending(p, (__u32)recont[i].tgid) &&
			 ++recont[i].tries < RECONT_TRIES)
			recont[k++] = recont[i]; /* the next turn */
		else
			kill(recont[i].tgid, SIGCONT);
	}
	nrecont = k;
}

/* Processes held while the probe programs are still being loaded
 * (policy_late.h): probed once they are (tls_flush_pending). */
static __u32 *pending;
static size_t npending, cappending;

static bool pend(__u32 tgid)
{
	for (size_t i = 0; i < npending; i++)
		if (pending[i] == tgid)
			return true;
	if (npending == cappending) {
		size_t cap = cappending ? cappending * 2 : 64;
		__u32 *v = realloc(pending, cap * sizeof(*v));

		if (!v)
			return false;
		pending = v;
		cappending = cap;
	}
	pending[npending++] = tgid;
	return true;
}

void tls_flush_pending(struct daemon *d, struct policy_obj *p)
{
	for (size_t i = 0; i < npending; i++)
		tls_on_hold(d, p, pending[i], 0);
	npending = 0;
	free(pending);
	pending = NULL;
	cappending = 0;
}

/* A thread of tgid is stopped at its first provider connection. Whatever
 * happens here, it is resumed before we return, or, while the probe
 * programs are still loading, queued and resumed once they are (or by the
 * watchdog, should aspend die first: the kernel marked it held). */
void tls_on_hold(struct daemon *d, struct policy_obj *p, __u32 tgid, __u32 tid)
{
	struct tls_lib libs[TLS_MAX_LIBS + 1];
	struct tls_proc *tp;
	struct timespec t0;
	int nlibs;

	if (!policy_late_ready(p) && pend(tgid))
		return;
	tp = proc_slot((pid_t)tgid);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	nlibs = tls_libs_of((pid_t)tgid, libs, TLS_MAX_LIBS + 1);
	if (nlibs > TLS_MAX_LIBS) {
		log_warn("pid %u maps more than %d TLS libraries: not probed (uninspectable)", tgid,
			 TLS_MAX_LIBS);
		nlibs = 0;
	}
	if (tp && tp->nlinks) {
		/* held again with probes in place: the process exec'd a new image
		 * (the kernel forgot it) or found no library before; start over */
		for (int k = 0; k < tp->nlinks; k++)
			reaper_put(tp->links[k]);
		tp->nlinks = 0;
	}
	if (tp) {
		name_found(tp, libs, nlibs > 0 ? nlibs : 0);
		tp->reads = false;
	}
	if (tp && nlibs > 0 && policy_late_ready(p)) {
		tp->reads = reads_eager(p) || tp->go;
		tp->nlinks = attach_libs(p, (pid_t)tgid, libs, nlibs, tp->links, TLS_MAX_LINKS,
					 &tp->go_read,
					 ATTACH_WRITES | (tp->reads ? ATTACH_READS : 0));
		name_libs(tp, libs, nlibs);
		if (tp->pidfd < 0)
			tp->pidfd = pidfd_open_((pid_t)tgid);
	}
	if (tp)
		pin_tls(d, (pid_t)tgid, tp->links, tp->nlinks); /* they outlive aspend */
	set_ready(p, tgid, tp && tp->nlinks ? ASPEN_TLS_READY : ASPEN_TLS_NONE,
		  tp && tp->nlinks && tp->reads ? ASPEN_READS_ON : ASPEN_READS_NO);
	resume_held(p, tgid);
	if (tp) {
		struct tls_attach_info ti = {
			.lib = tp->nlinks ? tp->lib : NULL,
			.libs = tp->libs,
			.found = tp->found,
			.version = tp->go_version[0] ? tp->go_version : NULL,
			.rustls_version = tp->rustls_version[0] ? tp->rustls_version : NULL,
			.go_read = tp->nlinks ? tp->go_read : NULL,
			.unparsed = aspen_unparsed_name(tp->refused),
			.nprobes = tp->nlinks,
		};

		audit_tls_attach(d, p, (pid_t)tgid, &ti, elapsed_us(&t0));
	}
	if (tp && !tp->nlinks) {
		if (tp->pidfd >= 0)
			close(tp->pidfd);
		*tp = procs[--nprocs]; /* nothing to keep track of */
	}
	metrics_probed_processes((unsigned)nprocs);
	(void)tid;
}

static void set_reads(struct policy_obj *p, __u32 tgid, __u32 reads)
{
	int fd = policy_map_fd(p->maps.tls_ready);
	struct aspen_tls_proc tp;

	if (fd < 0 || bpf_map_lookup_elem(fd, &tgid, &tp))
		return;
	tp.reads = reads;
	bpf_map_update_elem(fd, &tgid, &tp, BPF_EXIST);
}

/* A thread of tgid is stopped at its first HTTP/2 preface (policies whose
 * read probes wait for one, aspen_reads_follow()): attach the process's
 * read probes, mark them on (or failed: its HTTP/2 windows are then the
 * initial ones), resume it. */
void tls_on_reads(struct daemon *d, struct policy_obj *p, __u32 tgid)
{
	struct tls_lib libs[TLS_MAX_LIBS + 1];
	struct tls_proc *tp = NULL;
	const char *go_read = NULL;
	struct timespec t0;
	int nlibs, n = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < nprocs && !tp; i++)
		if (procs[i].tgid == (pid_t)tgid)
			tp = &procs[i];
	if (tp && !tp->reads && tp->nlinks && policy_late_ready(p)) {
		nlibs = tls_libs_of((pid_t)tgid, libs, TLS_MAX_LIBS + 1);
		if (nlibs > 0 && nlibs <= TLS_MAX_LIBS)
			n = attach_libs(p, (pid_t)tgid, libs, nlibs, tp->links + tp->nlinks,
					TLS_MAX_LINKS - tp->nlinks, &go_read, ATTACH_READS);
		tp->nlinks += n;
		tp->reads = n > 0;
		pin_tls(d, (pid_t)tgid, tp->links, tp->nlinks);
		if (d->opts.verbose)
			log_info("pid %u: HTTP/2: %d TLS read probe(s) attached", tgid, n);
		if (!n)
			log_warn("pid %u: HTTP/2: its TLS read probes could not be attached: its "
				 "flow-control windows are taken as the initial ones",
				 tgid);
	}
	set_reads(p, tgid, tp && tp->reads ? ASPEN_READS_ON : ASPEN_READS_FAILED);
	resume_held(p, tgid);
	metrics_hold("tls_reads", elapsed_us(&t0));
}

static void proc_drop(struct daemon *d, struct policy_obj *p, size_t i)
{
	struct tls_proc *tp = &procs[i];
	int fd = policy_map_fd(p->maps.tls_ready);
	__u32 tgid = (__u32)tp->tgid;

	pin_tls_drop(d, tp->tgid);
	for (int k = 0; k < tp->nlinks; k++)
		reaper_put(tp->links[k]);
	if (fd >= 0)
		bpf_map_delete_elem(fd, &tgid);
	if (tp->pidfd >= 0)
		close(tp->pidfd);
	if (d->opts.verbose)
		log_info("pid %d exited: %d TLS probe(s) detached", tp->tgid, tp->nlinks);
	procs[i] = procs[--nprocs];
	metrics_probed_processes((unsigned)nprocs);
}

/* Detach the probes of processes that exited (their pidfd is readable). */
void tls_check_exits(struct daemon *d, struct policy_obj *p)
{
	for (size_t i = 0; i < nprocs;) {
		struct pollfd pfd = { .fd = procs[i].pidfd, .events = POLLIN };

		if (procs[i].pidfd < 0 || (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN))) {
			proc_drop(d, p, i);
			continue;
		}
		i++;
	}
}

/* A new policy object: its programs replace the old ones in every probed
 * process: attach new (they stand down: the process's gen is the old
 * object's), switch the process's gen to p's (the old ones stand down),
 * drop old. No write is decided by both, none by neither. */
void tls_reattach(struct daemon *d, struct policy_obj *p)
{
	for (size_t i = 0; i < nprocs; i++) {
		struct tls_proc *tp = &procs[i];
		struct tls_lib libs[TLS_MAX_LIBS];
		struct bpf_link *links[TLS_MAX_LINKS];
		int nlibs = tls_libs_of(tp->tgid, libs, TLS_MAX_LIBS), n;

		/* read probes where they were (an adopted process: the kernel's
		 * word), or where p wants them from the start */
		tp->reads = tp->reads || reads_state(p, (__u32)tp->tgid) == ASPEN_READS_ON ||
			    reads_eager(p) || tp->go;
		n = nlibs > 0 ? attach_libs(p, tp->tgid, libs, nlibs, links, TLS_MAX_LINKS,
					    &tp->go_read,
					    ATTACH_WRITES | (tp->reads ? ATTACH_READS : 0))
			      : 0;
		pin_tls(d, tp->tgid, links, n);
		/* the hand-over: one map write; the old probes then stand down */
		set_ready(p, (__u32)tp->tgid, n ? ASPEN_TLS_READY : ASPEN_TLS_NONE,
			  n && tp->reads ? ASPEN_READS_ON : ASPEN_READS_NO);
		for (int k = 0; k < tp->nlinks; k++)
			reaper_put(tp->links[k]);
		memcpy(tp->links, links, sizeof(links[0]) * (size_t)n);
		tp->nlinks = n;
	}
}

static void adopt_one(pid_t tgid, struct bpf_link *l, void *ctx)
{
	struct daemon *d = ctx;
	struct tls_proc *tp = proc_slot(tgid);

	if (!tp || tp->nlinks == TLS_MAX_LINKS) {
		bpf_link__destroy(l);
		return;
	}
	tp->links[tp->nlinks++] = l;
	if (tp->pidfd < 0)
		tp->pidfd = pidfd_open_(tgid);
	(void)d;
}

/* The probes a previous aspend pinned: taken over (their process exited:
 * dropped at the next tls_check_exits), then moved to p's programs. */
int tls_adopt_pinned(struct daemon *d, struct policy_obj *p)
{
	size_t before = nprocs;

	pin_each_tls(d, adopt_one, d);
	tls_reattach(d, p);
	return (int)(nprocs - before);
}

void tls_detach_all(struct daemon *d)
{
	while (nprocs) {
		struct tls_proc *tp = &procs[nprocs - 1];

		for (int k = 0; k < tp->nlinks; k++)
			reaper_put(tp->links[k]);
		if (tp->pidfd >= 0)
			close(tp->pidfd);
		nprocs--;
	}
	reaper_drain();
	free(procs);
	procs = NULL;
	capprocs = 0;
	(void)d;
}

static void resume_stopped_in(const char *dir)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1) {
		char st[64], buf[512], *rp;
		FILE *s;

		snprintf(st, sizeof(st), "/proc/%d/stat", pid);
		s = fopen(st, "r");
		if (!s)
			continue;
		rp = fgets(buf, sizeof(buf), s) ? strrchr(buf, ')') : NULL;
		fclose(s);
		if (rp && rp[1] == ' ' && rp[2] == 'T') {
			log_warn("pid %d was left stopped (by a previous aspend?): resuming it", pid);
			kill(pid, SIGCONT);
		}
	}
	fclose(f);
}

static int resume_walk(uint64_t id, const char *rel, void *ctx)
{
	char dir[PATH_MAX + 8];

	snprintf(dir, sizeof(dir), "%s%s", (const char *)ctx, rel);
	resume_stopped_in(dir);
	(void)id;
	return 0;
}

/* A predecessor that died between stopping a thread and resuming it would
 * leave it stopped for good: resume stopped processes in the governed
 * cgroup subtree. (A process stopped on purpose there is resumed too: the
 * kernel does not say who stopped it.) */
void tls_resume_orphans(struct daemon *d)
{
	rt_cgroup_walk(d->cgroup_path, resume_walk, d->cgroup_path);
}

/* Per-process kinds: nothing is attached for the policy object itself.
 * This file attaches a process's probes at its first provider connection
 * (tls_on_hold) and detaches them when it exits (tls_check_exits), when a
 * reload moves them to the new object's programs (tls_reattach) and when
 * aspend stops (tls_detach_all). */
const struct hook_kind hook_uprobe = {
	.sec_prefix = "uprobe",
	.phase = HOOK_PER_PROCESS,
	.attach = hook_attach_nothing,
	.detach = hook_detach_nothing,
};

const struct hook_kind hook_uretprobe = {
	.sec_prefix = "uretprobe",
	.phase = HOOK_PER_PROCESS,
	.attach = hook_attach_nothing,
	.detach = hook_detach_nothing,
};
