/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Redaction, the one decision that needs userspace on a kernel in lockdown
 * (no bpf_probe_write_user): the write probe stopped a writer whose buffer
 * holds the end of a match to mask, before the buffer is encrypted. Here
 * the matches are found with the userspace matcher (runtime/lib/rx.h, built
 * from the same regex as the kernel's DFA), checked by their validator
 * (Luhn), overwritten with a mask of the same length (Content-Length stays
 * right), and the writer is resumed. Whatever happens, it is resumed.
 *
 * The kernel records every hold in aspen_redact_held (thread id -> session,
 * HELD) before it stops the writer; aspend marks it DONE before resuming
 * the writer. When aspend dies, its watchdog denies each HELD session,
 * marks it RELEASED and resumes the writer (redact_release_held); a HELD
 * record older than REDACT_ORPHAN_NS (its event long read, nobody resumed
 * it) is released the same way by redact_sweep. A hold event whose record
 * is not HELD was released so: its request is audited as denied and the
 * writer's memory is not touched.
 *
 * A match that began in an earlier write cannot be masked any more (those
 * bytes are encrypted): the request is denied instead, through the
 * thread's verdict the sk_msg program reads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include <bpf/bpf.h>

#include "audit.h"
#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "policy_obj.h"
#include "redact.h"
#include "luhn.h"
#include "rx.h"

#define REDACT_MAX (4u << 20) /* bytes of one write aspend will rewrite */
#define REDACT_ORPHAN_NS (5ULL * 1000 * 1000 * 1000)

/* per session counts, reported with the request (see redact_flush) */
struct session_counts {
	__u32 tgid;
	__u64 session;
	struct redact_counts c;
};

static struct session_counts counts[64];
static int ncounts;

static struct session_counts *counts_for(__u32 tgid, __u64 session)
{
	for (int i = 0; i < ncounts; i++)
		if (counts[i].tgid == tgid && counts[i].session == session)
			return &counts[i];
	if (ncounts == (int)(sizeof(counts) / sizeof(counts[0])))
		ncounts = 0; /* bounded: the oldest are reported without counts */
	memset(&counts[ncounts], 0, sizeof(counts[0]));
	counts[ncounts].tgid = tgid;
	counts[ncounts].session = session;
	return &counts[ncounts++];
}

/* Compile the policy's patterns for userspace (once per policy object). */
int redact_prepare(struct policy_obj *p)
{
	for (size_t i = 0; i < p->meta.npatterns && i < 64; i++) {
		const struct aspen_meta_pattern *mp = &p->meta.patterns[i];
		struct rx_error err;

		if (mp->idx < 0 || mp->idx >= 64 || !mp->redact)
			continue; /* only patterns to mask are needed here */
		p->rx[mp->idx] = rx_new(mp->regex, mp->icase ? RX_FLAG_ICASE : 0, &err);
		if (!p->rx[mp->idx]) {
			log_err("pattern %s: %s", mp->name, err.msg);
			return -1;
		}
		p->rx_pattern[mp->idx] = mp;
	}
	return 0;
}

void redact_release(struct policy_obj *p)
{
	for (int i = 0; i < 64; i++)
		rx_free(p->rx[i]);
}

struct mask_ctx {
	uint8_t *buf;
	const char *mask; /* cycled over the match: the length never changes */
	size_t masklen;
	aspen_validator_fn valid;
	unsigned n;
};

static int mask_span(size_t start, size_t end, void *arg)
{
	struct mask_ctx *m = arg;

	if (m->valid && !m->valid(m->buf + start, end - start))
		return 0; /* e.g. 16 digits that are no card number */
	for (size_t i = start; i < end; i++)
		m->buf[i] = (uint8_t)m->mask[(i - start) % m->masklen];
	m->n++;
	return 0;
}

/* The session's request is denied: its connection sends nothing more. */
void redact_deny_ledger(int ledger_fd, __u32 tgid, __u64 session)
{
	struct aspen_stream_key key = { .tgid = tgid, .session = session };
	struct aspen_ledger l = { 0 };

	if (ledger_fd < 0)
		return;
	bpf_map_lookup_elem(ledger_fd, &key, &l);
	l.flags |= ASPEN_LEDGER_DENIED;
	l.rule = ASPEN_RULE_UNINSPECTABLE;
	l.reason = ASPEN_UNPARSED_NO_REDACT;
	bpf_map_update_elem(ledger_fd, &key, &l, BPF_ANY);
}

static void deny_session(struct policy_obj *p, __u32 tgid, __u64 session)
{
	redact_deny_ledger(policy_map_fd(p->maps.ledger), tgid, session);
}

void redact_release_held(int held_fd, int ledger_fd, __u32 tid, const struct aspen_redact_held *h)
{
	struct aspen_redact_held r = *h;

	redact_deny_ledger(ledger_fd, h->tgid, h->session);
	r.state = ASPEN_REDACT_RELEASED; /* the thread is stopped: the kernel writes no other */
	bpf_map_update_elem(held_fd, &tid, &r, BPF_EXIST);
	kill((pid_t)h->tgid, SIGCONT);
}

unsigned redact_sweep(struct policy_obj *p, bool all)
{
	int fd = policy_map_fd(p->maps.redact_held), ledger = policy_map_fd(p->maps.ledger);
	__u32 key, next, *prev = NULL;
	__u64 now = boot_ns();
	unsigned n = 0;

	while (fd >= 0 && bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct aspen_redact_held h;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &h) || h.state != ASPEN_REDACT_HELD ||
		    (!all && now - h.since_ns < REDACT_ORPHAN_NS))
			continue;
		log_warn("pid %u: held for redaction %llu ms ago and never resumed%s: resumed now, "
			 "its request denied", h.tgid,
			 (unsigned long long)((now - h.since_ns) / 1000000),
			 all ? " (by a previous aspend)" : "");
		redact_release_held(fd, ledger, key, &h);
		n++;
	}
	return n;
}

/* 1: the kernel's record of this hold says HELD (the writer waits for us);
 * 0: it was released by a watchdog while no aspend ran (or is gone). */
static int hold_recorded(struct policy_obj *p, const struct aspen_redact_event *e,
			 struct aspen_redact_held *h)
{
	int fd = policy_map_fd(p->maps.redact_held);
	__u32 tid = e->pid;

	if (fd < 0)
		return 1;
	return bpf_map_lookup_elem(fd, &tid, h) == 0 && h->state == ASPEN_REDACT_HELD &&
	       h->tgid == e->tgid && h->session == e->session && h->buf == e->buf;
}

/* Before the SIGCONT (the writer is stopped: the kernel writes no other
 * record for it), so that its next write may be held again at once. */
static void hold_done(struct policy_obj *p, const struct aspen_redact_event *e,
		      struct aspen_redact_held *h)
{
	int fd = policy_map_fd(p->maps.redact_held);
	__u32 tid = e->pid;

	h->state = ASPEN_REDACT_DONE;
	if (fd >= 0)
		bpf_map_update_elem(fd, &tid, h, BPF_EXIST);
}

/* The copy of a held writer's buffer: kept from hold to hold (grown, never
 * shrunk: at most REDACT_MAX), no allocation on the writer's wait; wiped
 * after each use (it held what was masked). */
static uint8_t *hold_copy;
static size_t hold_cap;

static uint8_t *hold_buf(size_t len)
{
	if (len > hold_cap) {
		size_t cap = hold_cap ? hold_cap : 4096;
		uint8_t *b;

		while (cap < len)
			cap *= 2;
		if (!(b = malloc(cap)))
			return NULL;
		free(hold_copy);
		hold_copy = b;
		hold_cap = cap;
	}
	return hold_copy;
}

static bool read_buf(pid_t pid, __u64 addr, uint8_t *buf, size_t len, bool write)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0)
			  : process_vm_readv(pid, &local, 1, &remote, 1, 0);

	return n == (ssize_t)len;
}

/* Mask every pattern of the event in buf[off..len); returns false when a
 * match the kernel saw cannot be found whole in this write. */
static bool mask_all(struct policy_obj *p, const struct aspen_redact_event *e, uint8_t *buf,
		     size_t off, size_t len, struct session_counts *sc, bool *changed)
{
	bool whole = true;

	for (int i = 0; i < 32; i++) {
		const struct aspen_meta_pattern *mp = p->rx_pattern[i];
		struct mask_ctx m = { .buf = buf + off };
		size_t found;

		if (!(e->patterns & (1u << i)) || !p->rx[i] || !mp)
			continue;
		m.mask = mp->mask && mp->mask[0] ? mp->mask : "*";
		m.masklen = strlen(m.mask);
		m.valid = mp->validator ? aspen_validator(mp->validator) : NULL;
		/* one pass finds and masks (each match is masked once found, and
		 * the search goes on past its end) */
		found = rx_find(p->rx[i], buf + off, len - off, mask_span, &m);
		/* the kernel saw a match end here and none is here whole: it began
		 * in a write that is encrypted already (validators aside: a span
		 * that fails Luhn is found and rightly left alone) */
		if ((e->matched & (1ULL << i)) && !found) {
			log_warn("pid %u: pattern %s ends in this write but starts in an earlier one",
				 e->tgid, mp->name);
			whole = false;
		}
		sc->c.count[i] += m.n;
		*changed |= m.n > 0;
	}
	return whole;
}

/* ASPEN_REDACT_PROFILE=FILE (a debugging aid, not an option): the phases
 * of each hold in CLOCK_BOOTTIME ns, kept in memory and written to FILE
 * when aspend exits, one hold a line: the kernel's stop (since_ns), the
 * ring's wakeup (epoll returned), the handler's start, after the record
 * lookup, the read, the masking, the write, the DONE update, the SIGCONT.
 * Timestamps only: nothing of the buffer. */
#define PROF_MAX 65536
enum {
	PROF_STOP,
	PROF_WAKE,
	PROF_START,
	PROF_LOOKUP,
	PROF_READ,
	PROF_MASK,
	PROF_WRITE,
	PROF_DONE,
	PROF_CONT,
	PROF_N
};
static __u64 (*prof)[PROF_N];
static unsigned nprof;
static const char *prof_path;
__u64 redact_wake_ns;

void redact_profile_start(void)
{
	prof_path = getenv("ASPEN_REDACT_PROFILE");
	if (prof_path && *prof_path && !(prof = calloc(PROF_MAX, sizeof(*prof))))
		prof_path = NULL;
}

void redact_profile_dump(void)
{
	FILE *f;

	if (!prof || !(f = fopen(prof_path, "w")))
		return;
	for (unsigned i = 0; i < nprof; i++)
		for (int k = 0; k < PROF_N; k++)
			fprintf(f, "%llu%c", (unsigned long long)prof[i][k],
				k == PROF_N - 1 ? '\n' : ' ');
	fclose(f);
}

#define PROF(k)                                                                                    \
	do {                                                                                       \
		if (pr)                                                                            \
			pr[k] = boot_ns();                                                         \
	} while (0)

void redact_on_hold(struct daemon *d, struct policy_obj *p, const struct aspen_redact_event *e)
{
	__u64 *pr = prof && nprof < PROF_MAX ? prof[nprof] : NULL;
	struct session_counts *sc = counts_for(e->tgid, e->session);
	size_t len = e->len, off = e->body_off == ~0u ? 0 : e->body_off;
	bool changed = false, ok = false;
	uint8_t *buf = NULL;
	struct timespec t0, t1;
	struct aspen_redact_held held = {0};

	clock_gettime(CLOCK_MONOTONIC, &t0);
	PROF(PROF_START);
	if (!hold_recorded(p, e, &held)) {
		/* its writer runs again: its memory is not ours to touch */
		audit_redact_denied(d, p,
				    "held for redaction when aspend died: resumed unmasked by the "
				    "watchdog, its request denied", e);
		log_warn("pid %u: a write held for redaction was released while no aspend ran: "
			 "request denied", e->tgid);
		return;
	}
	PROF(PROF_LOOKUP);
	if (pr) {
		pr[PROF_STOP] = held.since_ns;
		pr[PROF_WAKE] = redact_wake_ns;
	}

	if (len > REDACT_MAX || off >= len || !(buf = hold_buf(len))) {
		log_warn("pid %u: a write of %zu bytes (body at %zu) is not rewritten", e->tgid, len,
			 off);
	} else if (!read_buf((pid_t)e->tgid, e->buf, buf, len, false)) {
		log_warn("pid %u: cannot read its buffer: %s", e->tgid, strerror(errno));
	} else {
		PROF(PROF_READ);
		/* never the buffer itself: it holds what is being masked */
		if (d->opts.verbose)
			log_info("pid %u: redact hold: %zu bytes, body at %zu, patterns 0x%x, "
				 "matched 0x%llx, carried %u", e->tgid, len, off, e->patterns,
				 (unsigned long long)e->matched, e->carried);
		ok = mask_all(p, e, buf, off, len, sc, &changed);
		PROF(PROF_MASK);
		if (ok && changed && !read_buf((pid_t)e->tgid, e->buf, buf, len, true)) {
			log_warn("pid %u: cannot write its buffer: %s", e->tgid, strerror(errno));
			ok = false;
		}
	}
	if (!ok) {
		sc->c.split = true;
		deny_session(p, e->tgid, e->session);
		audit_redact_denied(d, p,
				    "a match to mask cannot be masked in place "
				    "(it began in an earlier write, or is written with escapes)",
				    e);
		log_warn("pid %u: a match to mask could not be masked in place: request denied",
			 e->tgid);
	}
	PROF(PROF_WRITE);
	hold_done(p, e, &held);
	PROF(PROF_DONE);
	if (kill((pid_t)e->tgid, SIGCONT) < 0 && errno != ESRCH)
		log_warn("pid %u: SIGCONT: %s", e->tgid, strerror(errno));
	PROF(PROF_CONT);
	if (pr)
		nprof++;
	if (buf) /* after the writer runs again: it held what was masked */
		explicit_bzero(buf, len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	metrics_hold("redact", (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000);
	(void)d;
}

/* The counts of a session's masked matches, for its request line; the
 * session starts again from zero. false if nothing was masked in it. */
bool redact_take_counts(__u32 tgid, __u64 session, struct redact_counts *out)
{
	struct session_counts *sc = NULL;

	for (int i = 0; i < ncounts; i++)
		if (counts[i].tgid == tgid && counts[i].session == session)
			sc = &counts[i];
	if (!sc)
		return false;
	*out = sc->c;
	memset(&sc->c, 0, sizeof(sc->c));
	return true;
}
