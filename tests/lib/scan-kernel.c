/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan-kernel: the policy's body DFA as the kernel runs it, against the
 * userspace matcher (runtime/lib/rx.h). Loads only the object's SEC("syscall")
 * program aspen_scan_test (bpf-templates/aspen_scan_test.bpf.h; nothing is
 * attached, no other program is loaded) and runs it with BPF_PROG_TEST_RUN.
 *
 *   scan-kernel OBJ --check [--native SO] [--seed N] [--random N] FILE.asp...
 *       corpus from the "match:"/"no match:" comments of FILE.asp (the
 *       stdlib), placed at the start, the middle, the end, split across
 *       chunks at every offset, at the scan bound; negatives; random text.
 *       Every case: the kernel's (offset, mask) events and per-pattern
 *       result against the expected ones from the userspace matcher, and
 *       against the native build of the same generated step (--native).
 *       Exit 1 on any disagreement.
 *   scan-kernel OBJ --bench --native SO [--seconds S]
 *       MB/s of the kernel DFA and of the native build on 64 KiB of chat
 *       JSON.
 *
 * Needs root (or CAP_BPF + CAP_SYS_ADMIN). docs/testing.md.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "aspen_scan_test.bpf.h"
#include "meta.h"
#include "regex_dfa.h"
#include "rx.h"

#define MAXPAT 64

/* ---- the kernel program ------------------------------------------------ */

static struct bpf_object *bpf_obj;
static int prog_fd;
static struct aspen_scan_buf *kbuf; /* the map value, mmapped */
static const size_t kbuf_size = (sizeof(struct aspen_scan_buf) + 4095) & ~(size_t)4095;

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int kernel_open(const char *path)
{
	struct bpf_program *prog, *scan = NULL;
	int rc, map_fd;

	libbpf_set_print(getenv("ASPEN_TEST_LIBBPF_DEBUG") ? NULL : quiet);
	bpf_obj = bpf_object__open_file(path, NULL);
	if (!bpf_obj) {
		fprintf(stderr, "scan-kernel: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	bpf_object__for_each_program(prog, bpf_obj)
	{
		if (!strcmp(bpf_program__name(prog), "aspen_scan_test"))
			scan = prog;
		else
			bpf_program__set_autoload(prog, false);
	}
	if (!scan) {
		fprintf(stderr, "scan-kernel: %s has no aspen_scan_test program\n", path);
		return -1;
	}
	rc = bpf_object__load(bpf_obj);
	if (rc) {
		fprintf(stderr, "scan-kernel: cannot load aspen_scan_test: %s%s\n", strerror(-rc),
			rc == -EPERM ? " (BPF needs root or CAP_BPF)" : "");
		return -1;
	}
	prog_fd = bpf_program__fd(scan);
	map_fd = bpf_object__find_map_fd_by_name(bpf_obj, "aspen_scan_buf");
	kbuf = mmap(NULL, kbuf_size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (map_fd < 0 || kbuf == MAP_FAILED) {
		fprintf(stderr, "scan-kernel: cannot map aspen_scan_buf: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* One call: data[off..off+len) from *state. Events appended to ev/nev
 * (at most cap); returns the events the call had (may exceed the room). */
static long kernel_call(uint32_t off, uint32_t len, uint64_t *state, uint64_t *matched)
{
	struct aspen_scan_ctx c = {.off = off, .len = len, .state = *state};
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &c, .ctx_size_in = sizeof(c));

	if (bpf_prog_test_run_opts(prog_fd, &o) || o.retval || !c.done) {
		fprintf(stderr, "scan-kernel: BPF_PROG_TEST_RUN: %s (retval %u)\n", strerror(errno),
			o.retval);
		exit(2);
	}
	*state = c.state;
	*matched |= c.matched;
	return c.nevents;
}

/* ---- the native build of the same generated step (bench/scan.sh) ------ */

/* tests/lib/scan-native.c */
typedef uint64_t (*native_scan_fn)(const uint8_t *buf, uint32_t len, uint32_t base, uint64_t state,
				   uint64_t *matched, struct aspen_scan_event *ev, uint32_t cap,
				   uint32_t *nev);
typedef uint64_t (*native_start_fn)(void);
static native_scan_fn native_scan;
static void *native; /* dlopen handle */
static uint64_t start_state;

static int native_open(const char *so)
{
	void *h = native = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	native_start_fn st;

	if (!h) {
		fprintf(stderr, "scan-kernel: %s\n", dlerror());
		return -1;
	}
	native_scan = (native_scan_fn)dlsym(h, "aspen_native_scan");
	st = (native_start_fn)dlsym(h, "aspen_native_start");
	if (!native_scan || !st) {
		fprintf(stderr, "scan-kernel: %s: no aspen_native_scan\n", so);
		return -1;
	}
	start_state = st();
	return 0;
}

/* ---- results of one scan --------------------------------------------- */

struct evlist {
	struct aspen_scan_event *v;
	size_t n, cap;
	uint64_t matched;
	/* offsets of data not covered by stored events (a call overflowed):
	 * [gap_from, gap_to) per overflowing piece */
	uint32_t gap_from[64], gap_to[64];
	int ngaps;
};

static void ev_push(struct evlist *l, uint32_t off, uint64_t mask)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n].off = off;
	l->v[l->n]._pad = 0; /* the lists are compared with memcmp */
	l->v[l->n].mask = mask;
	l->n++;
	l->matched |= mask;
}

static bool in_gap(const struct evlist *l, uint32_t off)
{
	for (int i = 0; i < l->ngaps; i++)
		if (off >= l->gap_from[i] && off < l->gap_to[i])
			return true;
	return false;
}

/* Run buf in pieces cut at cuts[0..ncut) (increasing, inside (0, n)). */
static void kernel_scan(const uint8_t *buf, uint32_t n, const uint32_t *cuts, int ncut,
			struct evlist *out)
{
	uint64_t state = start_state, m = 0;
	uint32_t from = 0;

	memcpy(kbuf->data, buf, n);
	for (int i = 0; i <= ncut; i++) {
		uint32_t to = i < ncut ? cuts[i] : n;
		long ne = kernel_call(from, to - from, &state, &m);

		for (long j = 0; j < ne && j < ASPEN_SCAN_EVENTS; j++)
			ev_push(out, kbuf->ev[j].off, kbuf->ev[j].mask);
		if (ne > ASPEN_SCAN_EVENTS && out->ngaps < 64) {
			out->gap_from[out->ngaps] = kbuf->ev[ASPEN_SCAN_EVENTS - 1].off + 1;
			out->gap_to[out->ngaps++] = to;
		}
		from = to;
	}
	out->matched = m;
}

static void native_scan_all(const uint8_t *buf, uint32_t n, const uint32_t *cuts, int ncut,
			    struct evlist *out)
{
	static struct aspen_scan_event ev[ASPEN_SCAN_EVENTS];
	uint64_t state = start_state, m = 0;
	uint32_t from = 0;

	for (int i = 0; i <= ncut; i++) {
		uint32_t to = i < ncut ? cuts[i] : n, ne = 0;

		state =
		    native_scan(buf + from, to - from, from, state, &m, ev, ASPEN_SCAN_EVENTS, &ne);
		for (uint32_t j = 0; j < ne && j < ASPEN_SCAN_EVENTS; j++)
			ev_push(out, ev[j].off, ev[j].mask);
		if (ne > ASPEN_SCAN_EVENTS && out->ngaps < 64) {
			out->gap_from[out->ngaps] = ev[ASPEN_SCAN_EVENTS - 1].off + 1;
			out->gap_to[out->ngaps++] = to;
		}
		from = to;
	}
	out->matched = m;
}

/* ---- the userspace expectation ---------------------------------------- */

struct pat {
	int idx;
	const char *name;
	struct rx *rx;	 /* the userspace matcher aspend uses */
	struct dfa *ctx; /* its unanchored DFA (RX_UNANCHORED_CTX), for end offsets */
	bool trailing_b; /* regex ends in \b: reported one byte late */
};

static struct pat pats[MAXPAT];
static int npats;

struct stats {
	long cases, runs, events, late, end_unreported, find_spans, label_checks;
	long fail;
} st;

/* Expected events of pattern p over buf, as docs/language.md ("Word
 * boundaries") documents the kernel scan: a match ends at e (exclusive);
 * if its acceptance needs no next byte it is reported on byte e-1; if its
 * last \b needs the next byte, on byte e when that byte decides it, and
 * not at all when e == n. Sets *end_pending when a match at the very end
 * was left unreported. */
static void expect_events(const struct pat *p, const uint8_t *buf, uint32_t n, uint64_t *at,
			  bool *end_pending, long *late)
{
	const struct dfa *d = p->ctx;
	uint64_t prev = 0, bit = 1ull << p->idx;
	int s = 0;

	*end_pending = false;
	for (uint32_t i = 0; i < n; i++) {
		bool w = rx_is_word(buf[i]);
		uint64_t m;

		if (((prev & RX_ACC_NEXT_NONWORD) && !w) || ((prev & RX_ACC_NEXT_WORD) && w)) {
			if (!(at[i] & bit))
				(*late)++;
			at[i] |= bit;
		}
		s = d->next[s * d->nclasses + d->cls[buf[i]]];
		m = d->mask[s];
		if (m & RX_ACC_NOW)
			at[i] |= bit;
		prev = m;
	}
	if (prev & RX_ACC_NEXT_NONWORD)
		*end_pending = true;
}

struct span_ctx {
	size_t ends[4096];
	size_t n;
};

static int span_cb(size_t start, size_t end, void *arg)
{
	struct span_ctx *c = arg;

	(void)start;
	if (c->n < sizeof(c->ends) / sizeof(c->ends[0]))
		c->ends[c->n++] = end;
	return 0;
}

static void show(const uint8_t *buf, uint32_t n, uint32_t at)
{
	uint32_t a = at > 40 ? at - 40 : 0, b = at + 40 < n ? at + 40 : n;

	fprintf(stderr, "    bytes %u..%u: \"", a, b);
	for (uint32_t i = a; i < b; i++)
		fputc(buf[i] >= 32 && buf[i] < 127 ? buf[i] : '.', stderr);
	fprintf(stderr, "\"\n");
}

static uint64_t *exp_at; /* [ASPEN_SCAN_MAX]: expected mask per byte */
static uint64_t *got_at;

/* One case: buf scanned whole and in the given pieces. label: pattern
 * index whose result the case's comment line states (-1: none), want it. */
static void run_case(const char *what, const uint8_t *buf, uint32_t n, const uint32_t *cuts,
		     int ncut, int label, bool want)
{
	uint64_t exp_matched = 0;
	struct evlist k = {0}, nat = {0};
	bool bad = false;

	st.cases++;
	memset(exp_at, 0, n * sizeof(*exp_at));
	for (int p = 0; p < npats; p++) {
		bool pend, found, srch = rx_search(pats[p].rx, buf, n);
		uint64_t bit = 1ull << pats[p].idx;
		struct span_ctx sc = {.n = 0};

		expect_events(&pats[p], buf, n, exp_at, &pend, &st.late);
		found = false;
		for (uint32_t i = 0; i < n && !found; i++)
			found = exp_at[i] & bit;
		/* the userspace matcher decides a match at the very end exactly */
		if (srch != (found || pend)) {
			fprintf(stderr, "FAIL %s: %s: rx_search %d, its DFA %d (internal)\n", what,
				pats[p].name, srch, found || pend);
			bad = true;
		}
		if (pend && !found)
			st.end_unreported++;
		if (found)
			exp_matched |= bit;
		/* leftmost-longest spans: each end is a match end the kernel reports
		 * (on its last byte, or on the next byte for a trailing \b) */
		rx_find(pats[p].rx, buf, n, span_cb, &sc);
		if ((sc.n != 0) != srch) {
			fprintf(stderr, "FAIL %s: %s: rx_find %zu spans, rx_search %d\n", what,
				pats[p].name, sc.n, srch);
			bad = true;
		}
		st.find_spans += sc.n;
		for (size_t j = 0; j < sc.n; j++) {
			size_t e = sc.ends[j];
			bool ok = pats[p].trailing_b ? (e < n ? (exp_at[e] & bit) != 0 : pend)
						     : (exp_at[e - 1] & bit) != 0;

			if (!ok) {
				fprintf(stderr,
					"FAIL %s: %s: rx_find span ending at %zu not an "
					"expected kernel event\n",
					what, pats[p].name, e);
				show(buf, n, (uint32_t)e);
				bad = true;
			}
		}
	}
	if (label >= 0) {
		st.label_checks++;
		if (((exp_matched >> label) & 1) != want) {
			fprintf(stderr,
				"FAIL %s: the comment says %s, the userspace matcher says %s\n",
				what, want ? "match" : "no match", want ? "no match" : "match");
			bad = true;
		}
	}

	/* the kernel, whole then in pieces */
	for (int pass = 0; pass < (ncut ? 2 : 1); pass++) {
		memset(&k, 0, sizeof(k));
		kernel_scan(buf, n, cuts, pass ? ncut : 0, &k);
		st.runs++;
		st.events += k.n;
		memset(got_at, 0, n * sizeof(*got_at));
		for (size_t j = 0; j < k.n; j++)
			got_at[k.v[j].off] |= k.v[j].mask;
		if (k.matched != exp_matched) {
			fprintf(stderr,
				"FAIL %s%s: patterns matched: kernel 0x%llx, userspace 0x%llx\n",
				what, pass ? " (in pieces)" : "", (unsigned long long)k.matched,
				(unsigned long long)exp_matched);
			for (int p = 0; p < npats; p++)
				if (((k.matched ^ exp_matched) >> pats[p].idx) & 1)
					fprintf(stderr, "    %s: kernel %d\n", pats[p].name,
						(int)((k.matched >> pats[p].idx) & 1));
			bad = true;
		}
		for (uint32_t i = 0; i < n; i++) {
			if (got_at[i] == exp_at[i] || in_gap(&k, i))
				continue;
			fprintf(stderr,
				"FAIL %s%s: byte %u: kernel reports 0x%llx, userspace 0x%llx\n",
				what, pass ? " (in pieces)" : "", i, (unsigned long long)got_at[i],
				(unsigned long long)exp_at[i]);
			show(buf, n, i);
			bad = true;
			break;
		}
		if (native_scan) {
			memset(&nat, 0, sizeof(nat));
			native_scan_all(buf, n, cuts, pass ? ncut : 0, &nat);
			if (nat.matched != k.matched || nat.n != k.n ||
			    (k.n && memcmp(nat.v, k.v, k.n * sizeof(*k.v)))) {
				fprintf(stderr,
					"FAIL %s%s: native build: %zu events (0x%llx), kernel %zu "
					"(0x%llx)\n",
					what, pass ? " (in pieces)" : "", nat.n,
					(unsigned long long)nat.matched, k.n,
					(unsigned long long)k.matched);
				bad = true;
			}
			free(nat.v);
		}
		free(k.v);
	}
	if (bad)
		st.fail++;
}

/* ---- the corpus ---------------------------------------------------------- */

struct example {
	char *text;
	char *pat; /* qualified pattern name */
	bool match;
};

static struct example *exs;
static size_t nexs;

static void read_examples(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], mod[64];
	const char *base = strrchr(path, '/');
	size_t first = nexs;

	if (!f) {
		fprintf(stderr, "scan-kernel: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	snprintf(mod, sizeof(mod), "%s", base ? base + 1 : path);
	if (strstr(mod, ".asp"))
		*strstr(mod, ".asp") = 0;
	while (fgets(line, sizeof(line), f)) {
		char *t = NULL, name[128];
		bool m = false;

		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "#   match: ", 11))
			t = line + 11, m = true;
		else if (!strncmp(line, "#   no match: ", 14))
			t = line + 14;
		if (t) {
			exs = realloc(exs, (nexs + 1) * sizeof(*exs));
			exs[nexs].text = strdup(t);
			exs[nexs].pat = NULL;
			exs[nexs++].match = m;
		} else if (sscanf(line, "pattern %127[A-Za-z0-9_]", name) == 1) {
			char q[256];

			snprintf(q, sizeof(q), "%s.%s", mod, name);
			for (; first < nexs; first++)
				exs[first].pat = strdup(q);
		}
	}
	fclose(f);
	for (size_t e = first; e < nexs; e++) /* after the last pattern: none's */
		free(exs[e].text);
	nexs = first;
}

static int pat_index(const char *name)
{
	for (int p = 0; p < npats; p++)
		if (name && !strcmp(pats[p].name, name))
			return pats[p].idx;
	return -1;
}

static const char chat[] =
    "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a "
    "helpful assistant. Answer briefly.\"},{\"role\":\"user\",\"content\":\"Can you "
    "summarise the meeting notes below?\\nWe agreed to ship the release on Friday, "
    "review the open tickets and move the retro to 3pm. Budget: 1200 EUR.\\n\"},";

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* filler: chat JSON repeated */
static void fill(uint8_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		b[i] = chat[i % (sizeof(chat) - 1)];
}

static const char *const words[] = {"ignore",
				    "previous",
				    "instructions",
				    "the",
				    "all",
				    "system",
				    "prompt",
				    "reveal",
				    "your",
				    "you",
				    "are",
				    "now",
				    "DAN",
				    "developer",
				    "mode",
				    "\\n",
				    "\\t",
				    " ",
				    " ",
				    " ",
				    "sk-",
				    "ant-api03-",
				    "AKIA",
				    "ghp_",
				    "glpat-",
				    "xoxb-",
				    "AIza",
				    "eyJ",
				    "-----BEGIN ",
				    "PRIVATE KEY-----",
				    "-----END ",
				    "@",
				    ".",
				    ".com",
				    "-",
				    "4111",
				    "1234",
				    "555",
				    "(415) ",
				    "+1 ",
				    "DOB: ",
				    "04/12/1985",
				    "192.168.",
				    "DE89",
				    "T3BlbkFJ",
				    "\"",
				    "\\\"",
				    ",",
				    "_",
				    "abcdefghijklmnop",
				    "ABCDEFGH",
				    "0123456789",
				    "born on ",
				    "pretend",
				    "no",
				    "rules"};

static void random_text(uint8_t *b, uint32_t n, uint64_t *s)
{
	uint32_t i = 0;

	while (i < n) {
		uint32_t r = rnd(s) % 100;

		if (r < 70) {
			const char *w = words[rnd(s) % (sizeof(words) / sizeof(words[0]))];

			for (; *w && i < n; w++)
				b[i++] = (uint8_t)*w;
		} else if (r < 85) {
			b[i++] = (uint8_t)('0' + rnd(s) % 10);
		} else if (r < 97) {
			b[i++] = (uint8_t)(32 + rnd(s) % 95);
		} else {
			b[i++] = (uint8_t)(rnd(s) % 256);
		}
	}
}

static int check(int nfiles, char **files, uint64_t seed, int nrandom)
{
	uint8_t *buf = malloc(ASPEN_SCAN_MAX);
	uint32_t cuts[64];
	char what[512];
	static const char pre[] = "{\"role\":\"user\",\"content\":\"note: ";
	static const char post[] = " thanks\"}]}";
	long split_runs = 0;

	for (int i = 0; i < nfiles; i++)
		read_examples(files[i]);
	printf("scan-kernel: %d patterns in the policy, %zu examples from %d files\n", npats, nexs,
	       nfiles);
	for (size_t e = 0; e < nexs; e++) {
		const char *x = exs[e].text;
		uint32_t xl = (uint32_t)strlen(x), pl = sizeof(pre) - 1, ql = sizeof(post) - 1, n;
		int label = pat_index(exs[e].pat);
		const char *tag = exs[e].match ? "match" : "no match";

		/* alone */
		snprintf(what, sizeof(what), "%s %s [alone] \"%s\"", exs[e].pat, tag, x);
		run_case(what, (const uint8_t *)x, xl, NULL, 0, -1, false);
		/* start: the example, then JSON */
		memcpy(buf, x, xl);
		memcpy(buf + xl, post, ql);
		snprintf(what, sizeof(what), "%s %s [start] \"%s\"", exs[e].pat, tag, x);
		run_case(what, buf, xl + ql, NULL, 0, -1, false);
		/* end: JSON, then the example (a trailing \b is not reported) */
		memcpy(buf, pre, pl);
		memcpy(buf + pl, x, xl);
		snprintf(what, sizeof(what), "%s %s [end] \"%s\"", exs[e].pat, tag, x);
		run_case(what, buf, pl + xl, NULL, 0, -1, false);
		/* middle, whole and split in two at every offset of the example
		 * (and just before and after it); the comment's verdict holds */
		memcpy(buf + pl + xl, post, ql);
		n = pl + xl + ql;
		for (uint32_t c = pl; c <= pl + xl; c++) {
			cuts[0] = c;
			snprintf(what, sizeof(what), "%s %s [middle, cut at %u] \"%s\"", exs[e].pat,
				 tag, c - pl, x);
			run_case(what, buf, n, cuts, 1, c == pl ? label : -1, exs[e].match);
			split_runs++;
		}
		/* one byte per call across the example */
		{
			int nc = 0;

			for (uint32_t c = pl; c < pl + xl && nc < 64; c++)
				cuts[nc++] = c + 1;
			if (cuts[nc - 1] >= n)
				nc--;
			snprintf(what, sizeof(what), "%s %s [middle, a byte per call] \"%s\"",
				 exs[e].pat, tag, x);
			run_case(what, buf, n, cuts, nc, -1, false);
		}
		/* the scan bound: ending at the last byte of 64 KiB, ending one
		 * byte before it (a closing quote last), and cut by the bound */
		fill(buf, ASPEN_SCAN_MAX);
		buf[ASPEN_SCAN_MAX - xl - 2] = ' ';
		memcpy(buf + ASPEN_SCAN_MAX - xl, x, xl);
		cuts[0] = 32768;
		cuts[1] = ASPEN_SCAN_MAX - xl / 2 - 1;
		snprintf(what, sizeof(what), "%s %s [ends at the bound] \"%s\"", exs[e].pat, tag,
			 x);
		run_case(what, buf, ASPEN_SCAN_MAX, cuts, 2, -1, false);
		buf[ASPEN_SCAN_MAX - xl - 1] = ' ';
		memcpy(buf + ASPEN_SCAN_MAX - xl - 1, x, xl);
		buf[ASPEN_SCAN_MAX - 1] = '"';
		snprintf(what, sizeof(what), "%s %s [bound - 1] \"%s\"", exs[e].pat, tag, x);
		run_case(what, buf, ASPEN_SCAN_MAX, cuts, 2, label, exs[e].match);
		fill(buf, ASPEN_SCAN_MAX);
		buf[ASPEN_SCAN_MAX - xl / 2 - 1] = ' ';
		memcpy(buf + ASPEN_SCAN_MAX - xl / 2, x, xl / 2);
		snprintf(what, sizeof(what), "%s %s [cut by the bound] \"%s\"", exs[e].pat, tag, x);
		run_case(what, buf, ASPEN_SCAN_MAX, NULL, 0, -1, false);
		/* across the chunk boundary of a 64 KiB buffer */
		fill(buf, ASPEN_SCAN_MAX);
		buf[32768 - xl / 2 - 1] = ' ';
		memcpy(buf + 32768 - xl / 2, x, xl);
		buf[32768 - xl / 2 + xl] = '"';
		cuts[0] = 32768;
		snprintf(what, sizeof(what), "%s %s [across 32 KiB] \"%s\"", exs[e].pat, tag, x);
		run_case(what, buf, ASPEN_SCAN_MAX, cuts, 1, label, exs[e].match);
	}
	/* random text: sizes up to the bound, random pieces */
	{
		uint64_t s = seed;

		for (int r = 0; r < nrandom; r++) {
			uint32_t n = r % 8 == 0 ? ASPEN_SCAN_MAX : 1 + rnd(&s) % 8192;
			int nc = (int)(rnd(&s) % 16);

			random_text(buf, n, &s);
			for (int c = 0; c < nc; c++)
				cuts[c] = 1 + rnd(&s) % (n > 1 ? n - 1 : 1);
			/* sort, unique, inside (0, n) */
			for (int a = 0; a < nc; a++)
				for (int b = a + 1; b < nc; b++)
					if (cuts[b] < cuts[a]) {
						uint32_t t = cuts[a];
						cuts[a] = cuts[b];
						cuts[b] = t;
					}
			{
				int m = 0;

				for (int a = 0; a < nc; a++)
					if (cuts[a] > 0 && cuts[a] < n &&
					    (!m || cuts[a] != cuts[m - 1]))
						cuts[m++] = cuts[a];
				nc = m;
			}
			snprintf(what, sizeof(what),
				 "random text %d (seed %llu, %u bytes, %d cuts)", r,
				 (unsigned long long)seed, n, nc);
			run_case(what, buf, n, cuts, nc, -1, false);
		}
	}
	printf("scan-kernel: %ld cases (%ld split-in-two runs over examples, %d random texts), "
	       "%ld kernel runs%s\n",
	       st.cases, split_runs, nrandom, st.runs,
	       native_scan ? ", each also through the native build" : "");
	printf("scan-kernel: %ld kernel match events; %ld reported one byte late (trailing \\b), "
	       "%ld matches at the very end not reported (documented), %ld rx_find spans checked, "
	       "%ld comment verdicts checked\n",
	       st.events, st.late, st.end_unreported, st.find_spans, st.label_checks);
	printf("scan-kernel: %s: %ld case(s) disagree\n", st.fail ? "FAIL" : "PASS", st.fail);
	free(buf);
	return st.fail ? 1 : 0;
}

/* ---- bench ------------------------------------------------------------ */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static const char *const prompts[] = {
    "Please summarise this thread for the team and list the action items.",
    "Draft a polite reply to the customer (jane.doe@example.com) saying the refund was "
    "issued on Tuesday.",
    "Translate the following paragraph into German:\\n\\nThe quarterly report shows revenue "
    "grew 12% year over year, driven by the new subscription tier.",
    "Here is the stack trace, what is wrong?\\n  File \\\"app.py\\\", line 42, in handler\\n "
    "   raise KeyError(key)\\nKeyError: 'user_id'",
    "Write a SQL query that returns the ten customers with the highest order totals in 2024.",
    "Explain the difference between TCP and UDP to a new engineer, with an example of each.",
    "My phone is 415-555-2671, call me when the build is green.",
    "Refactor this function to avoid the nested loops and add unit tests for the edge cases.",
};

#define BENCH_SLICES 20

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int bench(double seconds)
{
	static uint8_t buf[ASPEN_SCAN_MAX];
	static struct aspen_scan_event ev[ASPEN_SCAN_EVENTS];
	uint32_t n = 0, k = 0;
	uint64_t state, m = 0, kernel_m = 0;
	double t0, t, kmbs, nmbs, kt = 0, nt = 0, kr[BENCH_SLICES], ratio[BENCH_SLICES];
	long iters, kn = 0, nn = 0;
	uint64_t nm = 0;
	uint32_t ne;

	n = (uint32_t)snprintf((char *)buf, sizeof(buf), "{\"model\":\"gpt-4o\",\"messages\":[");
	while (n < ASPEN_SCAN_MAX - 512) {
		n += (uint32_t)snprintf((char *)buf + n, ASPEN_SCAN_MAX - n,
					"{\"role\":\"%s\",\"content\":\"%s\"},",
					k % 2 ? "assistant" : "user",
					prompts[k % (sizeof(prompts) / sizeof(prompts[0]))]);
		k++;
	}
	while (n < ASPEN_SCAN_MAX - 2)
		buf[n++] = ' ';
	buf[n++] = ']';
	buf[n++] = '}';
	memcpy(kbuf->data, buf, n);

	/* warm up, then whole 64 KiB buffers for `seconds` each, in
	 * BENCH_SLICES alternating slices: this machine's speed drifts over
	 * seconds, so the ratio is taken per pair of neighbouring slices */
	state = start_state;
	kernel_call(0, n, &state, &kernel_m);
	native_scan(buf, n, 0, start_state, &nm, ev, ASPEN_SCAN_EVENTS, &ne);
	for (int i = 0; i < BENCH_SLICES; i++) {
		double slice = seconds / BENCH_SLICES;

		iters = 0;
		t0 = now();
		do {
			state = start_state;
			kernel_call(0, n, &state, &m);
			iters++;
		} while ((t = now() - t0) < slice);
		kt += t;
		kn += iters;
		kr[i] = (double)n * iters / t / 1e6;
		iters = 0;
		t0 = now();
		do {
			m = 0;
			native_scan(buf, n, 0, start_state, &m, ev, ASPEN_SCAN_EVENTS, &ne);
			iters++;
		} while ((t = now() - t0) < slice);
		nt += t;
		nn += iters;
		ratio[i] = (double)n * iters / t / 1e6 / kr[i];
	}
	kmbs = (double)n * kn / kt / 1e6;
	nmbs = (double)n * nn / nt / 1e6;
	qsort(ratio, BENCH_SLICES, sizeof(ratio[0]), cmp_double);
	printf("kernel (BPF_PROG_TEST_RUN, bpf_loop):  %8.1f MB/s  (%ld x %u bytes, %.1f us per "
	       "call)\n",
	       kmbs, kn, n, kt / kn * 1e6);
	printf("native (same generated step, cc -O2):  %8.1f MB/s  (%ld x %u bytes)\n", nmbs, nn, n);
	printf("ratio native/kernel: %.2f (median of %d alternating slices, spread %.2f-%.2f; of "
	       "the totals %.2f); patterns matched in the text: kernel 0x%llx, native 0x%llx (%u "
	       "events)\n",
	       (ratio[(BENCH_SLICES - 1) / 2] + ratio[BENCH_SLICES / 2]) / 2, BENCH_SLICES, ratio[0],
	       ratio[BENCH_SLICES - 1], nmbs / kmbs, (unsigned long long)kernel_m,
	       (unsigned long long)nm, ne);
	return kernel_m == nm ? 0 : 1;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	const char *obj = NULL, *so = NULL;
	bool do_check = false, do_bench = false;
	double seconds = 2;
	uint64_t seed = 1;
	int nrandom = 200, i, rc;
	char err[256];
	struct aspen_meta meta;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--check"))
			do_check = true;
		else if (!strcmp(argv[i], "--bench"))
			do_bench = true;
		else if (!strcmp(argv[i], "--native") && i + 1 < argc)
			so = argv[++i];
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--random") && i + 1 < argc)
			nrandom = atoi(argv[++i]);
		else if (!obj)
			obj = argv[i];
		else
			break;
	}
	if (!obj || do_check == do_bench || (do_bench && !so)) {
		fprintf(stderr, "usage: scan-kernel OBJ --check [--native SO] [--seed N] "
				"[--random N] FILE.asp...\n"
				"       scan-kernel OBJ --bench --native SO [--seconds S]\n");
		return 2;
	}
	if (aspen_meta_read_elf(obj, &meta, err, sizeof(err))) {
		fprintf(stderr, "scan-kernel: %s: %s\n", obj, err);
		return 2;
	}
	for (size_t p = 0; p < meta.npatterns && npats < MAXPAT; p++) {
		const struct aspen_meta_pattern *mp = &meta.patterns[p];
		int fl = mp->icase ? RX_FLAG_ICASE : 0;
		const char *srcs[1] = {mp->regex};
		struct rx_error e;
		size_t l = strlen(mp->regex);

		pats[npats].idx = mp->idx;
		pats[npats].name = mp->name;
		pats[npats].rx = rx_new(mp->regex, fl, &e);
		pats[npats].ctx =
		    rx_build_dfa(srcs, &fl, NULL, 1, RX_UNANCHORED_CTX, 65535, &e, NULL);
		pats[npats].trailing_b = l >= 2 && !strcmp(mp->regex + l - 2, "\\b");
		if (!pats[npats].rx || !pats[npats].ctx) {
			fprintf(stderr, "scan-kernel: %s: %s\n", mp->name, e.msg);
			return 2;
		}
		npats++;
	}
	if (so && native_open(so))
		return 2;
	if (kernel_open(obj))
		return 3;
	exp_at = calloc(ASPEN_SCAN_MAX, sizeof(*exp_at));
	got_at = calloc(ASPEN_SCAN_MAX, sizeof(*got_at));
	rc = do_bench ? bench(seconds) : check(argc - i, argv + i, seed, nrandom);
	for (int p = 0; p < npats; p++) {
		rx_free(pats[p].rx);
		dfa_free(pats[p].ctx);
	}
	for (size_t e = 0; e < nexs; e++) {
		free(exs[e].text);
		free(exs[e].pat);
	}
	free(exs);
	free(exp_at);
	free(got_at);
	aspen_meta_free(&meta);
	munmap(kbuf, kbuf_size);
	bpf_object__close(bpf_obj);
	if (native)
		dlclose(native);
	return rc;
}
