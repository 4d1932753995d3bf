/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The regex DFAs against PCRE2 (the oracle; used only here, see
 * docs/dependencies.md):
 *   - every stdlib pattern's "match:" / "no match:" examples;
 *   - every stdlib pattern and ~200 random regexes on generated strings:
 *     the kernel body DFA (RX_UNANCHORED_LATE), rx_search and PCRE2 agree on
 *     match / no match; rx_find's first span starts where PCRE2's first match
 *     starts (leftmost: the same for leftmost-longest and PCRE2's
 *     leftmost-first; lengths may differ, so only starts are compared).
 * Strings get a trailing '"' as in a JSON body (random regexes: '\n', which
 * none of their atoms matches): the kernel DFA reports a match ending in \b
 * on the byte after it, so a final byte no pattern consumes makes the
 * kernel's answer comparable with PCRE2's (end of input = a non-word byte).
 * Prints the DFA state counts of the stdlib patterns (docs/language.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "regex_dfa.h"
#include "rx.h"

struct pat {
	char file[32], name[64], *re;
	int flags;
	char *ex[32];
	int want[32]; /* 1 match, 0 no match */
	int nex;
};

static struct pat pats[64];
static int npats;

static void load(const char *file)
{
	char path[512], line[4096];
	FILE *f;
	struct pat cur = {0};

	snprintf(path, sizeof(path), "%s/../stdlib-policies/%s.asp", ASPEN_TEST_DIR, file);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *p;

		line[strcspn(line, "\n")] = 0;
		if ((p = strstr(line, "#   match: ")) == line || (p = strstr(line, "#   no match: ")) == line) {
			int want = !strncmp(line, "#   match: ", 11);
			char *t = strchr(line, ':') + 2;

			cur.ex[cur.nex] = strdup(t);
			cur.want[cur.nex++] = want;
		} else if (!strncmp(line, "pattern ", 8)) {
			char *eq = strstr(line, " = /"), *end = strrchr(line, '/');

			assert_non_null(eq);
			snprintf(cur.file, sizeof(cur.file), "%s", file);
			snprintf(cur.name, sizeof(cur.name), "%.*s", (int)(eq - line - 8), line + 8);
			cur.re = strndup(eq + 4, (size_t)(end - eq - 4));
			cur.flags = end[1] == 'i' ? RX_FLAG_ICASE : 0;
			pats[npats++] = cur;
			memset(&cur, 0, sizeof(cur));
		} else if (line[0] != '#') {
			for (int i = 0; i < cur.nex; i++)
				free(cur.ex[i]);
			memset(&cur, 0, sizeof(cur));
		}
	}
	fclose(f);
}

/* ---- the three matchers --------------------------------------------------- */

struct m3 {
	struct dfa *kern;
	struct rx *rx;
	pcre2_code *pc;
	pcre2_match_data *md;
};

static int m3_init(struct m3 *m, const char *re, int flags)
{
	struct rx_error err;
	const char *srcs[1] = {re};
	uint64_t mask = 1;
	int ec;
	PCRE2_SIZE eo;

	memset(m, 0, sizeof(*m));
	m->kern = rx_build_dfa(srcs, &flags, &mask, 1, RX_UNANCHORED_LATE, 65535, &err, NULL);
	if (!m->kern) {
		fprintf(stderr, "no kernel DFA for /%s/: %s\n", re, err.msg);
		return -1;
	}
	m->rx = rx_new(re, flags, &err);
	assert_non_null(m->rx);
	m->pc = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
			      flags & RX_FLAG_ICASE ? PCRE2_CASELESS : 0, &ec, &eo, NULL);
	if (!m->pc) {
		fprintf(stderr, "pcre2 refuses /%s/: %d\n", re, ec);
		return -1;
	}
	m->md = pcre2_match_data_create_from_pattern(m->pc, NULL);
	return 0;
}

static void m3_fini(struct m3 *m)
{
	dfa_free(m->kern);
	rx_free(m->rx);
	pcre2_match_data_free(m->md);
	pcre2_code_free(m->pc);
}

static int kern_scan(const struct dfa *d, const uint8_t *s, size_t n)
{
	int st = 0;
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++) {
		st = d->next[st * d->nclasses + d->cls[s[i]]];
		m |= d->mask[st];
	}
	return m != 0;
}

static int first_start(size_t s, size_t e, void *arg)
{
	*(long *)arg = (long)s;
	(void)e;
	return 1;
}

/* 0 agree; prints and returns 1 otherwise */
static int compare(struct m3 *m, const char *re, const uint8_t *s, size_t n)
{
	int k = kern_scan(m->kern, s, n), r = rx_search(m->rx, s, n);
	int rc = pcre2_match(m->pc, s, n, 0, 0, m->md, NULL);
	int p = rc >= 0;
	long rs = -1, ps = p ? (long)pcre2_get_ovector_pointer(m->md)[0] : -1;

	rx_find(m->rx, s, n, first_start, &rs);
	if (k == p && r == p && rs == ps)
		return 0;
	fprintf(stderr, "MISMATCH /%s/ on \"%.*s\": kernel %d rx %d pcre2 %d, start rx %ld pcre2 %ld\n",
		re, (int)n, s, k, r, p, rs, ps);
	return 1;
}

static uint64_t rng = 88172645463325252ULL;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* Strings from pieces of the examples, mutated, plus random bytes. */
static size_t gen(const struct pat *p, uint8_t *out, size_t cap, const char *alpha, char end)
{
	size_t n = 0;
	int parts = 1 + (int)rnd(3);

	for (int i = 0; i < parts && n + 2 < cap; i++) {
		if (p && p->nex && rnd(3)) {
			const char *e = p->ex[rnd((uint32_t)p->nex)];
			size_t l = strlen(e), a = rnd((uint32_t)l + 1), b = a + rnd((uint32_t)(l - a) + 1);

			if (rnd(2))
				a = 0, b = l;
			for (size_t j = a; j < b && n + 2 < cap; j++) {
				uint8_t c = (uint8_t)e[j];

				if (!rnd(12))
					c = (uint8_t)alpha[rnd((uint32_t)strlen(alpha))];
				out[n++] = c;
			}
		} else {
			int l = (int)rnd(12);

			for (int j = 0; j < l && n + 2 < cap; j++)
				out[n++] = (uint8_t)alpha[rnd((uint32_t)strlen(alpha))];
		}
	}
	out[n++] = end;
	return n;
}

static void test_stdlib_examples(void **state)
{
	int bad = 0;

	(void)state;
	for (int i = 0; i < npats; i++) {
		struct m3 m;

		assert_int_equal(m3_init(&m, pats[i].re, pats[i].flags), 0);
		for (int j = 0; j < pats[i].nex; j++) {
			char buf[1024];
			size_t n = (size_t)snprintf(buf, sizeof(buf), "%s\"", pats[i].ex[j]);
			int k = kern_scan(m.kern, (uint8_t *)buf, n);
			int r = rx_search(m.rx, (uint8_t *)buf, n);
			int p = pcre2_match(m.pc, (PCRE2_SPTR)buf, n, 0, 0, m.md, NULL) >= 0;

			if (k != pats[i].want[j] || r != pats[i].want[j] || p != pats[i].want[j]) {
				fprintf(stderr, "%s.%s: example \"%s\" should %smatch: kernel %d rx %d pcre2 %d\n",
					pats[i].file, pats[i].name, pats[i].ex[j],
					pats[i].want[j] ? "" : "not ", k, r, p);
				bad++;
			}
		}
		m3_fini(&m);
	}
	assert_int_equal(bad, 0);
}

static void test_stdlib_random(void **state)
{
	int bad = 0;
	const char *alpha = "aZ09-. @:/_\\nx\"'1234T3BlbkFJ";

	(void)state;
	for (int i = 0; i < npats; i++) {
		struct m3 m;

		assert_int_equal(m3_init(&m, pats[i].re, pats[i].flags), 0);
		for (int t = 0; t < 300 && bad < 20; t++) {
			uint8_t s[512];
			size_t n = gen(&pats[i], s, sizeof(s), alpha, '"');

			bad += compare(&m, pats[i].re, s, n);
		}
		m3_fini(&m);
	}
	assert_int_equal(bad, 0);
}

/* ---- random regexes ---------------------------------------------------------- */

static void rand_re(char *out, size_t cap, int depth)
{
	static const char *atoms[] = {"a", "b", "c", "-", " ", ".", "[ab]", "[^a \\n]", "[a-c]",
				      "\\w", "[^\\w\\n]", "\\d", "[ \\t]", "\\b", "\\B", "1", "A"};
	int n = 1 + (int)rnd(4);
	size_t len = strlen(out);

	for (int i = 0; i < n && len + 40 < cap; i++) {
		int k = (int)rnd(10);

		if (k == 0 && depth < 3) {
			strcat(out, "(");
			rand_re(out, cap, depth + 1);
			strcat(out, rnd(2) ? "|" : ")");
			if (out[strlen(out) - 1] == '|') {
				rand_re(out, cap, depth + 1);
				strcat(out, ")");
			}
		} else {
			strcat(out, atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))]);
		}
		len = strlen(out);
		if (len < 2 || out[len - 2] != '\\' || (out[len - 1] != 'b' && out[len - 1] != 'B')) {
			{
				static const char *q[] = {"", "", "", "*", "+", "?", "{2}", "{1,3}", "{2,}", "*?"};

				strcat(out, q[rnd(sizeof(q) / sizeof(q[0]))]);
			}
		}
		len = strlen(out);
	}
	if (depth == 0 && rnd(4) == 0) {
		strcat(out, "|");
		rand_re(out, cap, 1);
	}
}

static void test_random_regexes(void **state)
{
	int bad = 0, tried = 0;

	(void)state;
	while (tried < 200) {
		char re[512] = "";
		struct rx_error err;
		struct m3 m;
		int fl = rnd(5) == 0 ? RX_FLAG_ICASE : 0;

		rand_re(re, sizeof(re), 0);
		if (rx_check(re, fl, &err) < 0)
			continue; /* empty-matching: refused by design */
		tried++;
		if (m3_init(&m, re, fl) < 0) {
			m3_fini(&m); /* over the DFA budget: refused by design */
			continue;
		}
		for (int t = 0; t < 300 && bad < 20; t++) {
			uint8_t s[64];
			size_t n = gen(NULL, s, sizeof(s), "abc- 1A_.\n", '\n');

			bad += compare(&m, re, s, n);
		}
		m3_fini(&m);
	}
	assert_int_equal(bad, 0);
}

static void test_state_table(void **state)
{
	const char *files[] = {"pii", "secrets", "injection"};
	const char *srcs[64];
	int flags[64];
	uint64_t masks[64];

	(void)state;
	printf("\n%-28s %10s %10s\n", "pattern", "rx states", "body DFA");
	for (int i = 0; i < npats; i++) {
		struct rx_error err;
		struct rx *rx = rx_new(pats[i].re, pats[i].flags, &err);
		const char *s1[1] = {pats[i].re};
		uint64_t one = 1;
		struct dfa *d = rx_build_dfa(s1, &pats[i].flags, &one, 1, RX_UNANCHORED_LATE, 65535,
					     &err, NULL);

		assert_non_null(rx);
		assert_non_null(d);
		printf("%s.%-*s %10d %10d\n", pats[i].file,
		       (int)(27 - strlen(pats[i].file)), pats[i].name, rx_states(rx), d->nstates);
		rx_free(rx);
		dfa_free(d);
	}
	for (int f = 0; f < 3; f++) {
		int n = 0;
		struct rx_error err;
		struct dfa *d;

		for (int i = 0; i < npats; i++)
			if ((f == 3 && strcmp(pats[i].name, "any")) ||
			    (f < 3 && !strcmp(pats[i].file, files[f]) && strcmp(pats[i].name, "any"))) {
				srcs[n] = pats[i].re;
				flags[n] = pats[i].flags;
				masks[n] = 1ULL << (n % 64);
				n++;
			}
		d = rx_build_dfa(srcs, flags, masks, (size_t)n, RX_UNANCHORED_LATE, 65535, &err, NULL);
		printf("combined %-19s %10s %10d %s\n", f < 3 ? files[f] : "(all, without any)", "",
		       d ? d->nstates : -1, d ? "" : "(over 65535 states: aspenc splits it)");
		dfa_free(d);
	}
}

/* The body scan's prefilter (dfa_idle_skip()): from an idle state, a byte
 * it passes leads to exactly the state it names, which is idle and reports
 * no match, on every pattern and on text that holds matches; and it passes
 * most bytes of prose for patterns with rare first bytes. */
static void test_idle_skip(void **state)
{
	static const char *prose = "Summarise the quarterly report section. ";
	uint8_t text[256];
	int16_t to[256];

	(void)state;
	for (int i = 0; i < npats; i++) {
		struct rx_error err;
		const char *s1[1] = {pats[i].re};
		uint64_t one = 1;
		struct dfa *d = rx_build_dfa(s1, &pats[i].flags, &one, 1, RX_UNANCHORED_LATE, 65535,
					     &err, NULL);
		uint8_t *idle = calloc((size_t)d->nstates, 1);
		int n = dfa_idle_skip(d, idle, to), passed = 0, steps = 0;

		assert_non_null(idle);
		assert_true(n == 0 || idle[0]);
		for (int round = 0; round < 300; round++) {
			size_t len = gen(&pats[i], text, sizeof(text), "a -Z0_.@:\"9", ' ');
			int st = 0;

			for (size_t j = 0; j < len; j++) {
				int k = d->cls[text[j]], next = d->next[st * d->nclasses + k];

				if (idle[st] && to[text[j]] >= 0) {
					assert_int_equal(next, to[text[j]]);
					assert_true(idle[next]);
					assert_int_equal(d->mask[next], 0);
					passed++;
				}
				steps++;
				st = next;
			}
		}
		/* prose: for most patterns nearly every byte is passed */
		int st = 0, pp = 0;

		for (const char *c = prose; *c; c++) {
			pp += idle[st] && to[(uint8_t)*c] >= 0;
			st = d->next[st * d->nclasses + d->cls[(uint8_t)*c]];
		}
		printf("%s.%-*s %3d bytes passable, %5d of %6d random bytes passed, prose %d/%zu\n",
		       pats[i].file, (int)(27 - strlen(pats[i].file)), pats[i].name, n, passed, steps,
		       pp, strlen(prose));
		if (!strcmp(pats[i].name, "ssn") || !strcmp(pats[i].name, "private_key") ||
		    !strcmp(pats[i].name, "aws_access_key"))
			assert_true(n > 200 && pp > 30);
		free(idle);
		dfa_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stdlib_examples),
	    cmocka_unit_test(test_stdlib_random),
	    cmocka_unit_test(test_random_regexes),
	    cmocka_unit_test(test_state_table),
	    cmocka_unit_test(test_idle_skip),
	};

	load("pii");
	load("secrets");
	load("injection");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
