/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aspenc test [--coverage] [--min-coverage PCT] [--json] [--reference-only]
 *             [-I DIR] [-v] FILE.yaml...
 *
 * Each case and each event of each listed trace is a test: it passes when
 * the kernel and the reference evaluator agree and, where an expectation
 * is given (the case's `expect`, or the trace's recorded decision with
 * `expect_recorded: true`), both match it. Exit 0 all passed, 1 a test
 * failed (or coverage below --min-coverage), 2 usage or unreadable input.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "aspen_shared.h"
#include "test_cmd.h"

#define MAX_DIRS 64

struct run {
	bool json, coverage, reference_only, verbose;
	double min_cov;
	const char *dirs[MAX_DIRS];
	size_t ndirs;
	int passed, failed;
	bool partial;
	FILE *jf;  /* --json: the failures array, written at the end */
	char *jbuf;
	size_t jlen;
	int nfail_json;
	/* coverage over all files: rules fired, by policy */
	size_t rules_total, rules_hit;
};

static void usage(FILE *out)
{
	fputs("usage: aspenc test [--coverage] [--min-coverage PCT] [--json] "
	      "[--reference-only] [-I DIR] [-v] FILE.yaml...\n"
	      "       aspenc test --random N [--seed S] [--policies P] [--reference-only]\n",
	      out);
}

/* ---- one test -------------------------------------------------------------- */

struct expectation {
	const char *decision, *rule;
	char **redact;
	size_t nredact;
	bool has_redact;
};

static bool redact_ok(const struct policy_session *s, const struct expectation *x,
		      uint64_t mask, char *got, size_t gotlen)
{
	size_t n = 0, want = 0;
	bool ok = true;

	got[0] = 0;
	for (size_t i = 0; i < s->prog.npatterns && i < 64; i++) {
		const struct decl *p = s->prog.patterns[i];
		bool listed = false;

		if (!((mask >> i) & 1))
			continue;
		n += (size_t)snprintf(got + n, n < gotlen ? gotlen - n : 0, "%s%s%s%s",
				      n ? ", " : "", p->ns ? p->ns : "", p->ns ? "." : "", p->name);
		for (size_t k = 0; k < x->nredact; k++) {
			const char *e = x->redact[k], *dot = strrchr(e, '.');

			listed |= !strcmp(e, p->name) || (dot && !strcmp(dot + 1, p->name));
		}
		ok &= listed;
		want += listed;
	}
	return ok && want == x->nredact;
}

static void json_verdict(FILE *f, const char *key, const struct policy_session *s, uint16_t rule,
			 uint8_t decision, uint8_t audit)
{
	fprintf(f, ",\"%s\":{\"decision\":\"%s\",\"rule\":", key, decision_name(decision));
	json_quote_file(f, session_rule_name(s, rule));
	fprintf(f, ",\"audit\":%s}", audit ? "true" : "false");
}

static void report(struct run *r, const struct policy_session *s, const char *file, int line,
		   const char *name, const char *what, const struct trace_event *ev,
		   const struct eval_out *o, const struct expectation *x)
{
	const struct decl *d = o->ref.rule < s->prog.nrules ? s->prog.rules[o->ref.rule] : NULL;

	if (r->json) {
		fprintf(r->jf, "%s{\"file\":", r->nfail_json++ ? "," : "");
		json_quote_file(r->jf, file);
		fprintf(r->jf, ",\"line\":%d,\"case\":", line);
		json_quote_file(r->jf, name ? name : "");
		fprintf(r->jf, ",\"message\":");
		json_quote_file(r->jf, what);
		if (x && (x->decision || x->rule)) {
			fprintf(r->jf, ",\"expected\":{\"decision\":");
			json_quote_file(r->jf, x->decision ? x->decision : "");
			fprintf(r->jf, ",\"rule\":");
			json_quote_file(r->jf, x->rule ? x->rule : "");
			fputc('}', r->jf);
		}
		json_verdict(r->jf, "reference", s, o->ref.rule, o->ref.decision, o->ref.audit);
		if (o->have_kernel)
			json_verdict(r->jf, "kernel", s, o->k_rule, o->k_decision, o->k_audit);
		fprintf(r->jf, ",\"event\":");
		trace_event_to_json(ev, r->jf);
		fputc('}', r->jf);
		return;
	}
	printf("%s:%d: FAIL%s%s%s: %s\n", file, line, name ? " '" : "", name ? name : "",
	       name ? "'" : "", what);
	printf("    event: ");
	trace_event_to_json(ev, stdout);
	printf("\n    reference: %s (rule %s%s)", decision_name(o->ref.decision),
	       session_rule_name(s, o->ref.rule), o->ref.audit ? ", audited" : "");
	if (d)
		printf(", decided by rule '%s' at %s:%u", d->name,
		       d->span.src ? d->span.src->path : s->policy, d->span.line);
	putchar('\n');
	if (o->have_kernel)
		printf("    kernel:    %s (rule %s%s)\n", decision_name(o->k_decision),
		       session_rule_name(s, o->k_rule), o->k_audit ? ", audited" : "");
	else if (o->kernel_failed)
		printf("    kernel:    %s\n", o->kerr);
}

/* Coverage: a terminal rule fired when it decided; an audit-only rule when
 * its condition held on an event of its kind. */
static void count_hits(const struct policy_session *s, const struct trace_event *ev,
		       const struct eval_out *o, unsigned *hits)
{
	if (o->ref.rule < s->prog.nrules)
		hits[o->ref.rule]++;
	for (size_t i = 0; i < s->prog.nrules; i++) {
		const struct decl *d = s->prog.rules[i];
		bool terminal = false, fits;

		for (size_t k = 0; k < d->nactions; k++)
			terminal |= d->actions[k].kind <= ACT_KILL;
		fits = ev->kind == TRACE_CONNECT ? d->on == ON_CONNECT || d->on == ON_CONNECT_ANY
		       : ev->kind == TRACE_REQUEST ? d->on == ON_REQUEST
						   : d->on == ON_RESPONSE;
		if (!terminal && fits && i != o->ref.rule && refeval_rule_matches(&s->prog, d, ev))
			hits[i]++;
	}
}

static void one_test(struct run *r, struct policy_session *s, const char *file, int line,
		     const char *name, const struct trace_event *ev, const struct expectation *x,
		     unsigned *hits)
{
	struct eval_out o;
	char what[512], got[256];

	session_eval(s, ev, &o);
	count_hits(s, ev, &o, hits);
	if (!eval_agrees(&o)) {
		snprintf(what, sizeof(what),
			 o.kernel_failed ? "the kernel run failed"
					 : "the kernel and the reference evaluator disagree");
		report(r, s, file, line, name, what, ev, &o, x);
		r->failed++;
		return;
	}
	if (x && x->decision && strcmp(x->decision, decision_name(o.ref.decision))) {
		snprintf(what, sizeof(what), "expected %s%s%s%s, got %s (rule %s)", x->decision,
			 x->rule ? " (rule " : "", x->rule ? x->rule : "", x->rule ? ")" : "",
			 decision_name(o.ref.decision), session_rule_name(s, o.ref.rule));
		report(r, s, file, line, name, what, ev, &o, x);
		r->failed++;
		return;
	}
	if (x && x->rule && strcmp(x->rule, session_rule_name(s, o.ref.rule))) {
		snprintf(what, sizeof(what), "expected rule %s, got rule %s (%s)", x->rule,
			 session_rule_name(s, o.ref.rule), decision_name(o.ref.decision));
		report(r, s, file, line, name, what, ev, &o, x);
		r->failed++;
		return;
	}
	if (x && x->has_redact && !redact_ok(s, x, o.ref.redact, got, sizeof(got))) {
		snprintf(what, sizeof(what), "expected redactions [%zu given], got [%s]",
			 x->nredact, got);
		report(r, s, file, line, name, what, ev, &o, x);
		r->failed++;
		return;
	}
	r->passed++;
}

/* ---- one file --------------------------------------------------------------- */

static int find_trace_line(const char *trace, int line, struct trace_event *ev, char *err,
			   size_t errlen)
{
	struct trace_reader *tr = trace_open(trace, err, errlen);
	int rc;

	if (!tr)
		return -1;
	while ((rc = trace_next(tr, ev, err, errlen)) == 1) {
		if (ev->line == line)
			break;
		trace_event_free(ev);
	}
	trace_close(tr);
	if (rc == 0)
		snprintf(err, errlen, "%s:%d: no event on that line", trace, line);
	return rc == 1 ? 0 : -1;
}

static void coverage_report(struct run *r, const struct policy_session *s, const unsigned *hits,
			    FILE *out)
{
	size_t n = s->prog.nrules, hit = 0;

	for (size_t i = 0; i < n; i++)
		hit += hits[i] > 0;
	r->rules_total += n;
	r->rules_hit += hit;
	if (!r->coverage || r->json)
		return;
	fprintf(out, "coverage of %s: %zu of %zu rules fired (%.0f%%)\n", s->policy, hit, n,
		n ? 100.0 * (double)hit / (double)n : 100.0);
	for (size_t i = 0; i < n; i++) {
		const struct decl *d = s->prog.rules[i];

		fprintf(out, "  %-8s %s (line %u)%s", hits[i] ? "fired" : "NEVER", d->name,
			d->span.line, hits[i] ? "" : "\n");
		if (hits[i])
			fprintf(out, ": %u event(s)\n", hits[i]);
	}
}

static int run_file(struct run *r, const char *path)
{
	struct test_file tf;
	struct policy_session s;
	struct session_opts so = {.import_dirs = r->dirs,
				  .nimport_dirs = r->ndirs,
				  .reference_only = r->reference_only,
				  .verbose = r->verbose};
	char err[1024];
	unsigned *hits;

	if (test_file_load(path, &tf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	so.monitor = tf.monitor;
	if (session_open(&s, tf.policy, &so) < 0) {
		fprintf(stderr, "%s:%d: the policy under test does not compile\n", path,
			tf.policy_line);
		test_file_free(&tf);
		return -1;
	}
	if (s.partial && !r->partial && !r->reference_only)
		fprintf(stderr,
			"aspenc test: no BPF privileges (%s): running the reference evaluator "
			"only; this run is PARTIAL\n",
			s.why);
	r->partial |= s.partial;
	hits = calloc(s.prog.nrules + 1, sizeof(*hits));
	if (!hits)
		abort();
	for (size_t i = 0; i < tf.ncases; i++) {
		struct test_case *c = &tf.cases[i];
		struct expectation x = {c->expect.decision, c->expect.rule, c->expect.redact,
					c->expect.nredact, c->expect.has_redact};

		if (c->trace && find_trace_line(c->trace, c->trace_line, &c->event, err,
						sizeof(err)) < 0) {
			printf("%s:%d: FAIL%s%s%s: %s\n", path, c->line, c->name ? " '" : "",
			       c->name ? c->name : "", c->name ? "'" : "", err);
			r->failed++;
			continue;
		}
		one_test(r, &s, path, c->line, c->name, &c->event, &x, hits);
	}
	for (size_t t = 0; t < tf.ntraces; t++) {
		struct trace_reader *tr = trace_open(tf.traces[t], err, sizeof(err));
		struct trace_event ev;
		int rc;

		if (!tr) {
			printf("%s:%d: FAIL: %s\n", path, tf.trace_lines[t], err);
			r->failed++;
			continue;
		}
		while ((rc = trace_next(tr, &ev, err, sizeof(err))) == 1) {
			struct expectation x = {ev.decision, ev.rule, ev.redactions, ev.nredactions,
						ev.has_redactions};

			one_test(r, &s, tf.traces[t], ev.line, NULL, &ev,
				 tf.expect_recorded ? &x : NULL, hits);
			trace_event_free(&ev);
		}
		if (rc < 0) {
			printf("%s: FAIL: %s\n", tf.traces[t], err);
			r->failed++;
		}
		trace_close(tr);
	}
	coverage_report(r, &s, hits, stdout);
	free(hits);
	session_close(&s);
	test_file_free(&tf);
	return 0;
}

int aspenc_test_main(int argc, char **argv)
{
	enum { O_COV = 256, O_MIN, O_JSON, O_REF, O_HELP, O_RANDOM, O_SEED, O_POLICIES };
	static const struct option opts[] = {
	    {"coverage", no_argument, NULL, O_COV},
	    {"min-coverage", required_argument, NULL, O_MIN},
	    {"json", no_argument, NULL, O_JSON},
	    {"reference-only", no_argument, NULL, O_REF},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, O_HELP},
	    {"random", required_argument, NULL, O_RANDOM},
	    {"seed", required_argument, NULL, O_SEED},
	    {"policies", required_argument, NULL, O_POLICIES},
	    {NULL, 0, NULL, 0},
	};
	struct run r = {.min_cov = -1};
	long random_n = -1;
	unsigned long seed = 1;
	int npolicies = 20;
	int ch, bad = 0;
	double cov;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "I:v", opts, NULL)) != -1) {
		char *end;

		switch (ch) {
		case O_COV: r.coverage = true; break;
		case O_MIN:
			r.min_cov = strtod(optarg, &end);
			if (*end || r.min_cov < 0 || r.min_cov > 100) {
				fprintf(stderr, "aspenc test: --min-coverage takes 0..100\n");
				return 2;
			}
			r.coverage = true;
			break;
		case O_JSON: r.json = true; break;
		case O_REF: r.reference_only = true; break;
		case 'v': r.verbose = true; break;
		case 'I':
			if (r.ndirs < MAX_DIRS)
				r.dirs[r.ndirs++] = optarg;
			break;
		case O_HELP: usage(stdout); return 0;
		case O_RANDOM: random_n = atol(optarg); break;
		case O_SEED: seed = strtoul(optarg, NULL, 0); break;
		case O_POLICIES: npolicies = atoi(optarg); break;
		default: usage(stderr); return 2;
		}
	}
	if (random_n >= 0)
		return aspenc_test_random(random_n, seed, npolicies, r.reference_only);
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (r.json) {
		r.jf = open_memstream(&r.jbuf, &r.jlen);
		if (!r.jf)
			abort();
	}
	for (int i = optind; i < argc; i++)
		bad |= run_file(&r, argv[i]) < 0;
	cov = r.rules_total ? 100.0 * (double)r.rules_hit / (double)r.rules_total : 100.0;
	if (r.json) {
		fclose(r.jf);
		printf("{\"passed\":%d,\"failed\":%d,\"partial\":%s,\"coverage\":%.1f,"
		       "\"failures\":[%s]}\n",
		       r.passed, r.failed, r.partial ? "true" : "false", cov,
		       r.jbuf ? r.jbuf : "");
		free(r.jbuf);
	} else {
		printf("%d passed, %d failed%s\n", r.passed, r.failed,
		       r.partial ? " (PARTIAL: reference evaluator only, no kernel run)" : "");
	}
	if (r.min_cov >= 0 && cov < r.min_cov) {
		fprintf(stderr, "aspenc test: rule coverage %.1f%% is below --min-coverage %.1f%%\n",
			cov, r.min_cov);
		return 1;
	}
	if (bad)
		return 2;
	return r.failed ? 1 : 0;
}
