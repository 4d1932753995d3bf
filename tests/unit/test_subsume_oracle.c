/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subsume.c's warnings against the reference evaluator (compiler/test/
 * refeval.c, docs/language.md read literally): random policies of a few
 * rules over a small pool of comparisons, and for each, random events.
 * A rule warned of as never firing must never decide an event; one whose
 * condition nothing satisfies must match none; a redaction that "never
 * masks anything" must never hold for a request that is let through.
 * A warning an event refutes fails the test with the policy and the event.
 * The analysis must also warn at all (a check that never warns passes
 * this test vacuously): the seeds below give dozens of warnings.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include <cmocka.h>

#include "aspen_shared.h"
#include "fields.h"
#include "passes.h"
#include "refeval.h"

#include "check_policy.h"

#define POLICIES 300
#define EVENTS 600
#define RULES 6

static unsigned rnd(unsigned *s, unsigned n)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) % n;
}

#define PICK(s, a) ((a)[rnd(s, sizeof(a) / sizeof((a)[0]))])

/* comparisons any rule may read (head fields: a redact rule may use them) */
static const char *const head_cmp[] = {
    "process.uid == 0",
    "process.uid < 1000",
    "process.uid >= 1000",
    "process.uid in [0, 1000]",
    "process.uid != 0",
    "process.exe == \"/usr/bin/curl\"",
    "process.exe == \"/usr/bin/*\"",
    "process.exe in [\"/usr/bin/python3\", \"/opt/*\"]",
    "process.exe != \"/usr/bin/curl\"",
    "process.exe == \"*\"",
    "provider == openai",
    "provider in [openai, anthropic]",
    "provider != anthropic",
    "provider == any",
};
static char big_list[2048]; /* more models than a 64-bit mask holds (test_warnings_hold) */
static const char *req_cmp[] = {
    big_list,
    "request.model == \"gpt-4o\"",
    "request.model in [\"gpt-4o*\", \"o1\"]",
    "request.model == \"o1\"",
    "request.model != \"gpt-4o-mini\"",
    "request.model == \"*\"",
};
static const char *const conn_cmp[] = {
    "dst.port == 443",
    "dst.port != 443",
    "dst.port > 8000",
    "dst.ip == \"10.0.0.0/8\"",
    "dst.host == \"api.openai.com\"",
};

static void cond(unsigned *s, int kind, int depth, char *out, size_t len)
{
	char a[1024], b[1024];
	unsigned k = depth > 1 ? 3 : rnd(s, 6); /* 3..5: a comparison */

	if (k >= 3) {
		const char *c;

		if (kind == 2 && rnd(s, 2))
			c = PICK(s, req_cmp);
		else if (kind == 0 && rnd(s, 3) == 0)
			c = PICK(s, conn_cmp);
		else
			c = PICK(s, head_cmp);
		snprintf(out, len, "%s", c);
		return;
	}
	cond(s, kind, depth + 1, a, sizeof(a));
	if (k == 2) {
		if (snprintf(out, len, "not (%s)", a) >= (int)len)
			fail_msg("condition too long");
		return;
	}
	cond(s, kind, depth + 1, b, sizeof(b));
	if (snprintf(out, len, "(%s) %s (%s)", a, k ? "or" : "and", b) >= (int)len)
		fail_msg("condition too long");
}

/* kind: 0 connect, 1 connect any, 2 request; a redact rule masks its own
 * pattern (one rule per pattern, so a bit of ref_result.redact is its) */
static void policy(unsigned *s, char *out, size_t len, int redacts[RULES])
{
	static const char *const pii[] = {"ssn", "email", "phone", "credit_card"};
	static const char *const kinds[] = {"connect", "connect any", "request"};
	size_t o = (size_t)snprintf(out, len,
				    "policy \"p\"\ndefault %s\nuninspectable deny\n"
				    "import \"providers\"\nimport \"pii\"\n",
				    rnd(s, 2) ? "deny" : "allow");
	int npii = 0;

	for (int i = 0; i < RULES; i++) {
		int kind = (int)rnd(s, 3), redact = kind == 2 && npii < 4 && rnd(s, 3) == 0;
		char c[2048];

		cond(s, redact ? 3 : kind, 0, c, sizeof(c)); /* 3: head fields only */
		redacts[i] = redact ? npii : -1;
		if (redact)
			o += (size_t)snprintf(out + o, len - o,
					      "rule r%d { on request when %s redact pii.%s }\n", i,
					      c, pii[npii++]);
		else
			o += (size_t)snprintf(out + o, len - o, "rule r%d { on %s when %s %s }\n",
					      i, kinds[kind], c, rnd(s, 2) ? "allow" : "deny");
	}
}

static void event(unsigned *s, int request, char *out, size_t len)
{
	static const char *const exe[] = {"", "\"exe\":\"/usr/bin/curl\",",
					  "\"exe\":\"/usr/bin/python3\",", "\"exe\":\"/opt/x\",",
					  "\"exe\":\"/bin/sh\","};
	static const int uid[] = {0, 1, 999, 1000, 5000};
	static const char *const host[] = {"api.openai.com", "api.anthropic.com", "api.mistral.ai",
					   "example.com"};
	static const char *const model[] = {"gpt-4o", "gpt-4o-mini", "o1", "claude-3", ""};
	static const char *const prov[] = {"[]", "[\"openai\"]", "[\"anthropic\"]",
					   "[\"openai\",\"anthropic\"]", "[\"mistral\"]"};
	static const char *const ip[] = {"10.1.2.3", "192.0.2.1", "11.0.0.1"};
	static const char *const names[] = {"[]", "[\"api.openai.com\"]", "[\"x.example\"]"};
	static const int port[] = {443, 80, 8443, 9000};
	const char *e = PICK(s, exe);
	int u = PICK(s, uid);

	if (request)
		snprintf(out, len,
			 "{\"event\":\"request\",%s\"uid\":%d,\"host\":\"%s\",\"model\":\"%s\"}", e,
			 u, PICK(s, host), PICK(s, model));
	else
		snprintf(out, len,
			 "{\"event\":\"connect\",%s\"uid\":%d,\"dst_ip\":\"%s\",\"dst_port\":%d,"
			 "\"provider\":%s,\"dst_host\":%s}",
			 e, u, PICK(s, ip), PICK(s, port), PICK(s, prov), PICK(s, names));
}

/* What the warnings say of rule i: 1 never decides, 2 matches nothing,
 * 3 never masks. */
__attribute__((noinline)) static int warned_of(const char *out, int i)
{
	char key[64];
	const char *at;

	snprintf(key, sizeof(key), "rule 'r%d' ", i);
	for (at = strstr(out, key); at; at = strstr(at + 1, key)) {
		if (!strncmp(at + strlen(key), "can never fire: no ", 19))
			return 2;
		if (!strncmp(at + strlen(key), "can never fire", 14))
			return 1;
		if (!strncmp(at + strlen(key), "never masks", 11))
			return 3;
	}
	return 0;
}

/* the bit of ref_result.redact of the pattern rule r masks */
static int pattern_bit(const struct program *p, const struct decl *r)
{
	for (size_t j = 0; j < p->npatterns; j++)
		if (r->nactions && r->actions[0].target &&
		    r->actions[0].target->ref == p->patterns[j])
			return (int)j;
	fail_msg("rule %s masks no pattern of the policy", r->name);
	return -1;
}

static void refute(const char *text, const char *out, const char *line, int i, int what)
{
	fail_msg("an event refutes warning %d of rule r%d\npolicy:\n%s\nwarnings:\n%s\nevent: %s",
		 what, i, text, out, line);
}

static void test_warnings_hold(void **state)
{
	int warnings[4] = {0, 0, 0, 0};
	size_t o;

	(void)state;
	/* the analysis takes a field of over 64 exact strings by index */
	o = (size_t)snprintf(big_list, sizeof(big_list), "request.model in [\"gpt-4o\", \"o1\"");
	for (int i = 0; i < 70; i++)
		o += (size_t)snprintf(big_list + o, sizeof(big_list) - o, ", \"x%d\"", i);
	snprintf(big_list + o, sizeof(big_list) - o, "]");
	for (unsigned seed = 1; seed <= POLICIES; seed++) {
		unsigned s = seed;
		int redacts[RULES], what[RULES], e, w;
		char text[16384], *out;
		struct program p;

		policy(&s, text, sizeof(text), redacts);
		out = check(text, &p, &e, &w);
		if (e)
			fail_msg("%s\n%s", text, out);
		for (int i = 0; i < RULES; i++) {
			warnings[what[i] = warned_of(out, i)]++;
			redacts[i] = redacts[i] < 0 ? -1 : pattern_bit(&p, p.rules[i]);
		}
		for (int k = 0; k < EVENTS; k++) {
			char line[512], err[256];
			struct trace_event ev;
			struct ref_result r;

			event(&s, (int)rnd(&s, 2), line, sizeof(line));
			if (trace_parse_line(line, strlen(line), &ev, err, sizeof(err)))
				fail_msg("%s: %s", line, err);
			refeval_event(&p, &ev, false, &r);
			for (int i = 0; i < RULES; i++) {
				const struct decl *rule = p.rules[i];
				/* what the rule sees: its kind of event, AI traffic
				 * unless `on connect any` */
				bool sees =
				    (rule->on == ON_REQUEST) == (ev.kind == TRACE_REQUEST) &&
				    (rule->on == ON_CONNECT_ANY || r.providers);
				bool matches = sees && refeval_rule_matches(&p, rule, &ev);
				bool passes =
				    r.decision == ASPEN_ALLOW || r.decision == ASPEN_WOULD_DENY;

				if ((what[i] == 1 && r.rule == i) || (what[i] == 2 && matches) ||
				    (what[i] == 3 && ev.kind == TRACE_REQUEST && passes &&
				     ((r.redact >> redacts[i]) & 1)))
					refute(text, out, line, i, what[i]);
			}
			trace_event_free(&ev);
		}
		free(out);
		program_free(&p);
	}
	print_message(
	    "warnings: %d never decide, %d match nothing, %d never mask (%d rules quiet)\n",
	    warnings[1], warnings[2], warnings[3], warnings[0]);
	assert_true(warnings[1] >= 20);
	assert_true(warnings[2] >= 5);
	assert_true(warnings[3] >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_warnings_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
