/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The names table (common/names.c): every name reads back to its value,
 * so aspend's audit and recorder and `aspenc test` spell decisions,
 * pseudo-rules, actions, rule kinds, predicate classes and unparsed reasons
 * the same (traces once said "bound" where the reader expected another
 * word, and replayed it as "malformed").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <linux/types.h>

#include "aspen_shared.h"
#include "names.h"

static void test_unparsed_round_trip(void **state)
{
	const unsigned codes[] = {ASPEN_UNPARSED_NOT_HTTP1,  ASPEN_UNPARSED_COMPRESSED,
				  ASPEN_UNPARSED_BOUND,	     ASPEN_UNPARSED_MALFORMED,
				  ASPEN_UNPARSED_NO_TLS_LIB, ASPEN_UNPARSED_NO_REDACT,
				  ASPEN_UNPARSED_UDP,	     ASPEN_UNPARSED_H2_MIDSTREAM,
				  ASPEN_UNPARSED_H2_STATE,   ASPEN_UNPARSED_MODEL_CONFLICT,
				  ASPEN_UNPARSED_PATTERN_NOT_FOUND, ASPEN_UNPARSED_PATTERN_AMBIGUOUS,
				  ASPEN_UNPARSED_WS_COMPRESSED, ASPEN_UNPARSED_WS_FRAMING,
				  ASPEN_UNPARSED_WS_TOO_BIG, ASPEN_UNPARSED_EXE_UNKNOWN,
				  ASPEN_UNPARSED_CGROUP_UNKNOWN};

	assert_null(aspen_unparsed_name(ASPEN_UNPARSED_NONE));
	assert_int_equal(aspen_unparsed_code("existing"), ASPEN_UNPARSED_EXISTING);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *name = aspen_unparsed_name(codes[i]);

		assert_non_null(name);
		assert_int_equal(aspen_unparsed_code(name), codes[i]);
	}
	assert_string_equal(aspen_unparsed_name(ASPEN_UNPARSED_BOUND), "scan_bound");
	assert_string_equal(aspen_unparsed_name(ASPEN_UNPARSED_UDP), "udp");
	assert_string_equal(aspen_unparsed_name(ASPEN_UNPARSED_H2_MIDSTREAM), "h2_midstream");
	assert_string_equal(aspen_unparsed_name(ASPEN_UNPARSED_H2_STATE), "h2_state");
	assert_string_equal(aspen_unparsed_name(ASPEN_UNPARSED_PATTERN_NOT_FOUND), "pattern_not_found");
	assert_string_equal(aspen_unparsed_name(ASPEN_UNPARSED_PATTERN_AMBIGUOUS), "pattern_ambiguous");
	assert_string_equal(aspen_unparsed_name(ASPEN_UNPARSED_WS_COMPRESSED), "ws_compressed");
	assert_string_equal(aspen_unparsed_name(ASPEN_UNPARSED_WS_FRAMING), "ws_framing");
	assert_string_equal(aspen_unparsed_name(ASPEN_UNPARSED_WS_TOO_BIG), "ws_too_big");
	assert_string_equal(aspen_unparsed_name(ASPEN_UNPARSED_EXE_UNKNOWN), "exe_unknown");
	assert_string_equal(aspen_unparsed_name(ASPEN_UNPARSED_CGROUP_UNKNOWN), "cgroup_unknown");
	assert_string_equal(aspen_unparsed_name(ASPEN_UNPARSED_EXISTING), "existing");
	assert_int_equal(aspen_unparsed_code("no such reason"), ASPEN_UNPARSED_MALFORMED);
}

static void test_decisions(void **state)
{
	const int all[] = {ASPEN_ALLOW, ASPEN_DENY, ASPEN_WOULD_DENY, ASPEN_KILL, ASPEN_WOULD_KILL};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		assert_int_equal(decision_from_name(decision_name(all[i])), all[i]);
	assert_string_equal(decision_name(ASPEN_WOULD_DENY), "would_deny");
	assert_string_equal(decision_name(99), "unknown");
	assert_string_equal(decision_name(-1), "unknown");
	assert_int_equal(decision_from_name("unknown"), -1);
	assert_int_equal(decision_from_name(NULL), -1);
}

static void test_hooks(void **state)
{
	assert_string_equal(hook_name(ASPEN_HOOK_CONNECT4), "connect4");
	assert_string_equal(hook_name(ASPEN_HOOK_SENDMSG6), "sendmsg6");
	assert_string_equal(hook_name(0), "unknown");
}

static void test_pseudo_rules(void **state)
{
	assert_string_equal(pseudo_rule_name(ASPEN_RULE_DEFAULT), "default");
	assert_string_equal(pseudo_rule_name(ASPEN_RULE_UNINSPECTABLE), "uninspectable");
	assert_string_equal(pseudo_rule_name(ASPEN_RULE_NONE), "none");
	assert_string_equal(pseudo_rule_name(ASPEN_RULE_MESSAGES), "messages");
	assert_null(pseudo_rule_name(0));
	assert_null(pseudo_rule_name(63));
}

static void test_policy_enums(void **state)
{
	for (int a = ACT_ALLOW; a <= ACT_REDACT; a++)
		assert_int_equal(action_from_name(action_name((enum action_kind)a)), a);
	assert_string_equal(action_name(ACT_KILL), "kill");
	assert_int_equal(action_from_name("-"), -1);
	for (int on = ON_CONNECT; on <= ON_RESPONSE; on++)
		assert_int_equal(rule_on_from_token(rule_on_token((enum rule_on)on)), on);
	assert_string_equal(rule_on_name(ON_CONNECT_ANY), "connect any");
	assert_string_equal(rule_on_token(ON_CONNECT_ANY), "connect_any");
	assert_int_equal(rule_on_from_token("connect any"), -1);
	for (int pc = 0; pc < PC__COUNT; pc++)
		assert_int_equal(pred_class_from_name(pred_class_name((enum pred_class)pc)), pc);
	assert_string_equal(pred_class_name(PC_REQ_USER), "request_user");
	assert_int_equal(pred_class_from_name("future_field"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unparsed_round_trip),
	    cmocka_unit_test(test_decisions),
	    cmocka_unit_test(test_hooks),
	    cmocka_unit_test(test_pseudo_rules),
	    cmocka_unit_test(test_policy_enums),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
