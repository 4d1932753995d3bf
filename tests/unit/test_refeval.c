/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reference evaluator of `aspenc test` against docs/language.md's
 * decision semantics: first terminal rule, audit-only rules, default,
 * scope (AI traffic only), monitor, uninspectable, unknown values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include <cmocka.h>

#include "aspen_shared.h"
#include "refeval.h"

static const char *const dirs[] = {""};

static const char *policy_text =
    "policy \"t\"\ndefault deny\nuninspectable allow\n"
    "provider p0 { hosts = [\"api.p0.example\"] cidrs = [\"10.0.0.0/16\"] }\n"
    "provider p1 { hosts = [\"*.p1.example\"] ports = [8443] }\n"
    "rule tag { on connect when process.user == \"svc-*\" audit }\n"
    "rule curl { on connect when process.exe == \"/usr/bin/curl\" deny }\n"
    "rule watch { on connect any mode monitor when dst.port == 11434 deny }\n"
    "rule p1ok { on connect when provider == p1 allow }\n"
    "rule model { on request when request.model in [\"gpt-4o*\"] allow }\n"
    "rule empty { on request when request.user == \"\" kill }\n";

static void load(struct program *p, char *dir)
{
	struct compile_opts co = {.import_dirs = dirs, .nimport_dirs = 1};
	struct diags *d = diags_new();
	char path[128];
	FILE *f;

	strcpy(dir, "/tmp/aspen-ref-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.asp", dir);
	f = fopen(path, "w");
	fputs(policy_text, f);
	fclose(f);
	memset(p, 0, sizeof(*p));
	assert_int_equal(resolve_program(path, &co, p, d), 0);
	assert_int_equal(typecheck_program(p, d), 0);
	diags_free(d);
	unlink(path);
}

static void ev(struct trace_event *e, const char *line)
{
	char err[256];

	if (trace_parse_line(line, strlen(line), e, err, sizeof(err)))
		fail_msg("%s: %s", line, err);
}

static void check(const struct program *p, const char *line, int rule, int decision, int audit)
{
	struct trace_event e;
	struct ref_result r;

	ev(&e, line);
	refeval_event(p, &e, false, &r);
	if (r.rule != rule || r.decision != decision || r.audit != audit)
		fail_msg("%s: rule %u decision %u audit %u", line, r.rule, r.decision, r.audit);
	trace_event_free(&e);
}

static void test_semantics(void **state)
{
	struct program p;
	char dir[64];

	(void)state;
	load(&p, dir);
	/* not AI traffic: nothing decides */
	check(&p, "{\"event\":\"connect\",\"dst_ip\":\"192.0.2.1\",\"dst_port\":443}",
	      ASPEN_RULE_NONE, ASPEN_ALLOW, 0);
	/* connect any sees it, monitor turns deny into would_deny */
	check(&p, "{\"event\":\"connect\",\"dst_ip\":\"192.0.2.1\",\"dst_port\":11434}", 2,
	      ASPEN_WOULD_DENY, 1);
	/* CIDR, port 443: AI; curl denied; the audit rule marked it before */
	check(&p,
	      "{\"event\":\"connect\",\"user\":\"svc-a\",\"exe\":\"/usr/bin/curl\","
	      "\"dst_ip\":\"10.0.3.4\",\"dst_port\":443}",
	      1, ASPEN_DENY, 1);
	/* unknown exe: no glob holds; request rules exist: allowed, audit rule named */
	check(&p, "{\"event\":\"connect\",\"user\":\"svc-a\",\"dst_ip\":\"10.0.3.4\",\"dst_port\":443}",
	      0, ASPEN_ALLOW, 1);
	/* p1 only on 8443, by host name, case-insensitive */
	check(&p,
	      "{\"event\":\"connect\",\"dst_host\":[\"EU.P1.example\"],\"dst_ip\":\"192.0.2.9\","
	      "\"dst_port\":8443}",
	      3, ASPEN_ALLOW, 1);
	check(&p,
	      "{\"event\":\"connect\",\"dst_host\":[\"eu.p1.example\"],\"dst_ip\":\"192.0.2.9\","
	      "\"dst_port\":443}",
	      ASPEN_RULE_NONE, ASPEN_ALLOW, 0);
	/* requests: model rule, kill on the empty user, default deny */
	check(&p,
	      "{\"event\":\"request\",\"host\":\"api.p0.example\",\"model\":\"gpt-4o-mini\","
	      "\"request_user\":\"x\"}",
	      4, ASPEN_ALLOW, 1);
	check(&p, "{\"event\":\"request\",\"host\":\"api.p0.example\",\"model\":\"o1\"}", 5,
	      ASPEN_KILL, 1);
	check(&p,
	      "{\"event\":\"request\",\"host\":\"api.p0.example\",\"model\":\"o1\","
	      "\"request_user\":\"u\"}",
	      ASPEN_RULE_DEFAULT, ASPEN_DENY, 1);
	/* uninspectable allow, before any rule; a Host naming no provider: nothing */
	check(&p, "{\"event\":\"request\",\"host\":\"api.p0.example\",\"unparsed\":\"compressed\"}",
	      ASPEN_RULE_UNINSPECTABLE, ASPEN_ALLOW, 1);
	check(&p, "{\"event\":\"request\",\"host\":\"example.org\",\"model\":\"o1\"}",
	      ASPEN_RULE_NONE, ASPEN_ALLOW, 0);
	/* responses: no response rules, allowed */
	check(&p, "{\"event\":\"response\",\"host\":\"api.p0.example\",\"status\":500}",
	      ASPEN_RULE_NONE, ASPEN_ALLOW, 0);
	program_free(&p);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_semantics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
