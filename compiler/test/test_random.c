/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aspenc test --random N [--seed S] [--policies P]: random policies and
 * random events, each event decided by the compiled code in the kernel and
 * by the reference evaluator; any disagreement is printed with the policy
 * kept on disk. Used by ctest (a small N) and bench/aspenc-test.sh (10,000).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_cmd.h"

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

#define PICK(a) (a)[rnd(sizeof(a) / sizeof((a)[0]))]

static const char *const exe_globs[] = {"/usr/bin/curl", "/usr/bin/python3*", "*node",
					"/opt/?pp/*", "[a-c]*", "/srv/*/bin/*", "*"};
static const char *const exes[] = {"/usr/bin/curl",	    "/usr/bin/python3.11", "/usr/local/bin/node",
				   "/opt/app/run",	    "/srv/pay/bin/x",	   "bash",
				   "/usr/bin/python3",	    ""};
static const char *const comm_globs[] = {"curl", "python*", "no?e", "*"};
static const char *const comms[] = {"curl", "python3", "node", "nope", "a-very-long-command-name"};
static const char *const user_globs[] = {"svc-*", "alice", "[ab]*"};
static const char *const users[] = {"svc-chat", "alice", "bob", "root"};
static const char *const cg_globs[] = {"/system.slice/*", "/user.slice/*", "*docker*"};
static const char *const cgroups[] = {
    "/system.slice/app.service", "/user.slice/user-1000.slice",
    "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope"};
static const char *const cid_globs[] = {"0123*", "*", "ffff*"};
static const char *const host_globs[] = {"api.p0.example", "*.p1.example", "*example"};
static const char *const hosts[] = {"api.p0.example", "eu.p1.example", "API.P0.EXAMPLE",
				    "other.example", "db.internal"};
static const char *const ips[] = {"10.0.1.2", "10.2.3.4", "192.0.2.1", "fd00:2::5", "::1",
				  "10.9.9.9"};
static const char *const method_globs[] = {"GET", "post", "P*"};
static const char *const methods[] = {"GET", "POST", "put", "DELETE"};
static const char *const path_globs[] = {"/v1/chat/*", "/v1/models*", "*batches*"};
static const char *const paths[] = {"/v1/chat/completions", "/v1/models", "/v1/batches/x", "/"};
static const char *const model_globs[] = {"gpt-4o*", "claude-*", "gpt-4o-mini", ""};
static const char *const models[] = {"gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "llama", ""};
static const char *const ru_globs[] = {"svc-*", "u?"};
static const char *const rusers[] = {"svc-a", "u1", "", "someone"};

static void cond(FILE *f, int on, int depth)
{
	int k = rnd(depth < 2 ? 6 : 3);

	if (k == 3 || k == 4) {
		fputs("(", f);
		cond(f, on, depth + 1);
		fputs(k == 3 ? " and " : " or ", f);
		cond(f, on, depth + 1);
		fputs(")", f);
		return;
	}
	if (k == 5) {
		fputs("not ", f);
		cond(f, on, depth + 1);
		return;
	}
	const char *neg = rnd(3) == 0 ? "not in" : "in";
	const char *eq = rnd(3) == 0 ? "!=" : "==";

	switch (rnd(on >= 2 ? 12 : 10)) {
	case 0: fprintf(f, "provider %s [p%u, p%u]", neg, rnd(3), rnd(3)); break;
	case 1: fprintf(f, "provider %s %s", eq, on == 1 && rnd(2) ? "unknown" : "any"); break;
	case 2: fprintf(f, "process.exe %s \"%s\"", eq, PICK(exe_globs)); break;
	case 3: fprintf(f, "process.comm %s [\"%s\", \"%s\"]", neg, PICK(comm_globs), PICK(comm_globs)); break;
	case 4: fprintf(f, "process.uid %s %u", PICK(((const char *[]){"==", "<", ">=", "!="})), rnd(2) * 1000); break;
	case 5: fprintf(f, "process.user %s \"%s\"", eq, PICK(user_globs)); break;
	case 6: fprintf(f, "process.cgroup %s \"%s\"", eq, PICK(cg_globs)); break;
	case 7: fprintf(f, "container.id %s \"%s\"", eq, PICK(cid_globs)); break;
	case 8:
		if (on < 2)
			fprintf(f, "dst.port %s [443, 8443]", neg);
		else
			fprintf(f, "process.gid %s 0", eq);
		break;
	case 9:
		if (on < 2)
			fprintf(f, rnd(2) ? "dst.ip %s [\"10.0.0.0/16\", \"fd00::/8\"]" : "dst.host %s [\"%s\"]", neg, PICK(host_globs));
		else
			fprintf(f, "process.pid > %u", rnd(5000));
		break;
	default:
		if (on == 3) {
			fprintf(f, rnd(2) ? "response.status >= %u" : "response.tokens > %u",
				rnd(2) ? 500 : 100);
			break;
		}
		switch (rnd(on == 2 ? 7 : 6)) {
		case 6: /* request rules only: the body's patterns */
			fprintf(f, "%srequest.body matches t%u", rnd(3) ? "" : "not ", rnd(2));
			break;
		case 0: fprintf(f, "http.method %s \"%s\"", eq, PICK(method_globs)); break;
		case 1: fprintf(f, "http.path %s \"%s\"", eq, PICK(path_globs)); break;
		case 2: fprintf(f, "http.host %s \"%s\"", eq, PICK(host_globs)); break;
		case 3: fprintf(f, "request.model %s [\"%s\"]", neg, PICK(model_globs)); break;
		case 4: fprintf(f, "request.user %s \"%s\"", eq, PICK(ru_globs)); break;
		default: fprintf(f, "request.stream %s %s", eq, rnd(2) ? "true" : "false"); break;
		}
	}
}

static void gen_policy(FILE *f)
{
	static const char *const ons[] = {"connect", "connect any", "request", "response"};
	int nrules = 1 + (int)rnd(7);

	fprintf(f, "policy \"random\"\ndefault %s\nmode %s\nuninspectable %s\n",
		rnd(2) ? "deny" : "allow", rnd(5) ? "enforce" : "monitor", rnd(2) ? "deny" : "allow");
	fputs("provider p0 { hosts = [\"api.p0.example\"] cidrs = [\"10.0.0.0/16\"] }\n"
	      "provider p1 { hosts = [\"*.p1.example\"] ports = [443, 8443] }\n"
	      "provider p2 { cidrs = [\"10.2.0.0/16\", \"fd00:2::/32\"] }\n"
	      "pattern t0 = /tok[0-9]{4}/\n"
	      "pattern t1 = /\\bsecret\\b/i\n",
	      f);
	for (int i = 0; i < nrules; i++) {
		int on = (int)rnd(4);

		fprintf(f, "rule r%d {\n  on %s\n", i, ons[on]);
		if (rnd(4) == 0)
			fprintf(f, "  mode %s\n", rnd(2) ? "monitor" : "enforce");
		if (rnd(6))
			fputs("  when ", f), cond(f, on, 0), fputc('\n', f);
		switch (rnd(4)) {
		case 0: fputs("  allow\n", f); break;
		case 1: fputs(on == 3 ? "  kill\n" : "  deny \"no\"\n", f); break;
		case 2: fputs("  audit\n", f); break;
		default: fputs(on >= 2 ? "  kill\n" : "  audit\n  allow\n", f); break;
		}
		fputs("}\n", f);
	}
}

static void set_s(char **dst, const char *v)
{
	*dst = v ? strdup(v) : NULL;
}

static void gen_event(struct trace_event *ev)
{
	trace_event_init(ev);
	ev->kind = (enum trace_kind)(1 + rnd(3));
	ev->pid = rnd(6000);
	ev->uid = rnd(3) ? 1000 : 0;
	ev->gid = rnd(2) ? 0 : 100;
	set_s(&ev->exe, rnd(8) ? PICK(exes) : NULL);
	set_s(&ev->comm, rnd(8) ? PICK(comms) : NULL);
	set_s(&ev->user, rnd(6) ? PICK(users) : NULL);
	set_s(&ev->cgroup, rnd(6) ? PICK(cgroups) : NULL);
	if (ev->kind == TRACE_CONNECT) {
		ev->dst_port = rnd(4) ? 443 : rnd(2) ? 8443 : 5432;
		set_s(&ev->dst_ip, PICK(ips));
		if (rnd(3)) {
			ev->dst_host = calloc(1, sizeof(char *));
			ev->dst_host[0] = strdup(PICK(hosts));
			ev->ndst_host = 1;
		}
	} else {
		set_s(&ev->host, rnd(6) ? PICK(hosts) : NULL);
		set_s(&ev->method, PICK(methods));
		set_s(&ev->path, PICK(paths));
		set_s(&ev->model, rnd(5) ? PICK(models) : NULL);
		set_s(&ev->request_user, rnd(3) ? PICK(rusers) : NULL);
		ev->stream = rnd(2);
		if (ev->kind == TRACE_REQUEST && rnd(10) == 0)
			set_s(&ev->unparsed, rnd(2) ? "compressed" : "scan_bound");
		if (ev->kind == TRACE_REQUEST) { /* the patterns the body matched */
			ev->has_body_match = true;
			ev->body_match = calloc(2, sizeof(char *));
			for (unsigned i = 0; i < 2; i++)
				if (rnd(3) == 0)
					ev->body_match[ev->nbody_match++] = strdup(i ? "t1" : "t0");
		}
		ev->status = rnd(2) ? 200 : 503;
		ev->tokens_in = rnd(200);
		ev->tokens_out = rnd(200);
	}
	if (rnd(5) == 0) { /* named providers, as a recorded trace has them */
		ev->has_provider = true;
		ev->nprovider = rnd(3);
		ev->provider = calloc(3, sizeof(char *));
		for (size_t i = 0; i < ev->nprovider; i++)
			ev->provider[i] = strdup(PICK(((const char *[]){"p0", "p1", "p2", "zz"})));
	}
}

int aspenc_test_random(long n, unsigned long seed, int npolicies, bool reference_only)
{
	const char *tmp = getenv("TMPDIR");
	struct session_opts so = {.reference_only = reference_only};
	long done = 0, disagree = 0, skipped = 0;
	struct timespec t0, t1;
	bool partial = false;

	rng_state = seed ? seed : 88172645463325252ULL;
	if (npolicies < 1)
		npolicies = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int p = 0; p < npolicies && done < n; p++) {
		char path[4096];
		struct policy_session s;
		long per = (n - done) / (npolicies - p);
		int fd;
		FILE *f;

		snprintf(path, sizeof(path), "%s/aspenc-random-XXXXXX.asp", tmp && *tmp ? tmp : "/tmp");
		fd = mkstemps(path, 4);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			perror("aspenc test --random");
			return 2;
		}
		gen_policy(f);
		fclose(f);
		if (session_open(&s, path, &so) < 0) {
			fprintf(stderr, "random policy %s does not compile (kept)\n", path);
			skipped++;
			continue;
		}
		partial |= s.partial;
		bool keep = false;

		for (long i = 0; i < per; i++, done++) {
			struct trace_event ev;
			struct eval_out o;

			gen_event(&ev);
			session_eval(&s, &ev, &o);
			if (!eval_agrees(&o)) {
				if (disagree++ < 20) {
					printf("DISAGREE %s: kernel %s (rule %s, audit %u) reference %s "
					       "(rule %s, audit %u)\n    event: ",
					       path, decision_name(o.k_decision),
					       session_rule_name(&s, o.k_rule), o.k_audit,
					       decision_name(o.ref.decision),
					       session_rule_name(&s, o.ref.rule), o.ref.audit);
					trace_event_to_json(&ev, stdout);
					putchar('\n');
				}
				keep = true;
			}
			trace_event_free(&ev);
		}
		session_close(&s);
		if (!keep)
			unlink(path);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%ld events, %d policies, %ld disagreements, %ld policies not compiled, %.2f s%s\n",
	       done, npolicies, disagree, skipped,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       partial ? " (PARTIAL: reference evaluator only)" : "");
	return disagree || skipped ? 1 : 0;
}
