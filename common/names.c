/* SPDX-License-Identifier: Apache-2.0 */
/* The names tables (names.h). */
#include "names.h"

#include <linux/types.h>
#include <string.h>

#include "aspen_shared.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Index of name in names[0..n), or -1. */
static int find(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return (int)i;
	return -1;
}

static const char *const pc_names[PC__COUNT] = {
    [PC_HOST] = "host",
    [PC_EXE] = "exe",
    [PC_COMM] = "comm",
    [PC_USER] = "user",
    [PC_CGROUP] = "cgroup",
    [PC_CONTAINER] = "container",
    [PC_METHOD] = "method",
    [PC_PATH] = "path",
    [PC_HTTP_HOST] = "http_host",
    [PC_MODEL] = "model",
    [PC_REQ_USER] = "request_user",
};

const char *pred_class_name(enum pred_class pc)
{
	return (unsigned)pc < PC__COUNT ? pc_names[pc] : "?";
}

int pred_class_from_name(const char *name)
{
	return find(pc_names, PC__COUNT, name);
}

static const char *const rule_on_names[ON__COUNT] = {
    [ON_CONNECT] = "connect",
    [ON_CONNECT_ANY] = "connect any",
    [ON_REQUEST] = "request",
    [ON_RESPONSE] = "response",
};

static const char *const rule_on_tokens[ON__COUNT] = {
    [ON_CONNECT] = "connect",
    [ON_CONNECT_ANY] = "connect_any",
    [ON_REQUEST] = "request",
    [ON_RESPONSE] = "response",
};

const char *rule_on_name(enum rule_on on)
{
	return (unsigned)on < ON__COUNT ? rule_on_names[on] : "?";
}

const char *rule_on_token(enum rule_on on)
{
	return (unsigned)on < ON__COUNT ? rule_on_tokens[on] : "?";
}

int rule_on_from_token(const char *token)
{
	return find(rule_on_tokens, ON__COUNT, token);
}

static const char *const action_names[ACT__COUNT] = {
    [ACT_ALLOW] = "allow", [ACT_DENY] = "deny",	  [ACT_KILL] = "kill",
    [ACT_AUDIT] = "audit", [ACT_ALERT] = "alert", [ACT_REDACT] = "redact",
};

const char *action_name(enum action_kind kind)
{
	return (unsigned)kind < ACT__COUNT ? action_names[kind] : "?";
}

int action_from_name(const char *name)
{
	return find(action_names, ACT__COUNT, name);
}

static const char *const decision_names[] = {
    [ASPEN_ALLOW] = "allow",	       [ASPEN_DENY] = "deny",
    [ASPEN_WOULD_DENY] = "would_deny", [ASPEN_KILL] = "kill",
    [ASPEN_WOULD_KILL] = "would_kill",
};

const char *decision_name(int decision)
{
	if (decision < 0 || (size_t)decision >= COUNT(decision_names) || !decision_names[decision])
		return "unknown";
	return decision_names[decision];
}

int decision_from_name(const char *name)
{
	return find(decision_names, COUNT(decision_names), name);
}

const char *hook_name(int hook)
{
	switch (hook) {
	case ASPEN_HOOK_CONNECT4: return "connect4";
	case ASPEN_HOOK_CONNECT6: return "connect6";
	case ASPEN_HOOK_SENDMSG4: return "sendmsg4";
	case ASPEN_HOOK_SENDMSG6: return "sendmsg6";
	case ASPEN_HOOK_SNI: return "sni";
	}
	return "unknown";
}

const char *pseudo_rule_name(unsigned rule)
{
	switch (rule) {
	case ASPEN_RULE_DEFAULT: return "default";
	case ASPEN_RULE_UNINSPECTABLE: return "uninspectable";
	case ASPEN_RULE_FRONTING: return "fronting";
	case ASPEN_RULE_MESSAGES: return "messages";
	case ASPEN_RULE_NONE: return "none";
	}
	return NULL;
}

static const char *const unparsed_names[] = {
    [ASPEN_UNPARSED_NONE] = NULL,
    [ASPEN_UNPARSED_NOT_HTTP1] = "not_http1",
    [ASPEN_UNPARSED_COMPRESSED] = "compressed",
    [ASPEN_UNPARSED_BOUND] = "scan_bound",
    [ASPEN_UNPARSED_MALFORMED] = "malformed",
    [ASPEN_UNPARSED_NO_TLS_LIB] = "no_tls_lib",
    [ASPEN_UNPARSED_NO_REDACT] = "no_redact",
    [ASPEN_UNPARSED_UNINSPECTED] = "uninspected_bytes",
    [ASPEN_UNPARSED_TLS_FRAMING] = "tls_framing",
    [ASPEN_UNPARSED_HOST_MISMATCH] = "host_not_provider",
    [ASPEN_UNPARSED_SESSION] = "session_mismatch",
    [ASPEN_UNPARSED_UNSYNCED] = "unsynced",
    [ASPEN_UNPARSED_UDP] = "udp",
    [ASPEN_UNPARSED_PROVIDER_MISMATCH] = "provider_mismatch",
    [ASPEN_UNPARSED_SNI_MISMATCH] = "sni_mismatch",
    [ASPEN_UNPARSED_H2_MIDSTREAM] = "h2_midstream",
    [ASPEN_UNPARSED_H2_STATE] = "h2_state",
    [ASPEN_UNPARSED_MODEL_CONFLICT] = "model_conflict",
    [ASPEN_UNPARSED_GO_VERSION] = "go_version",
    [ASPEN_UNPARSED_HOLD_FULL] = "hold_full",
    [ASPEN_UNPARSED_PATTERN_NOT_FOUND] = "pattern_not_found",
    [ASPEN_UNPARSED_PATTERN_AMBIGUOUS] = "pattern_ambiguous",
    [ASPEN_UNPARSED_EXE_UNKNOWN] = "exe_unknown",
    [ASPEN_UNPARSED_STATE_LOST] = "state_lost",
    [ASPEN_UNPARSED_WS_COMPRESSED] = "ws_compressed",
    [ASPEN_UNPARSED_WS_FRAMING] = "ws_framing",
    [ASPEN_UNPARSED_WS_TOO_BIG] = "ws_too_big",
    [ASPEN_UNPARSED_RUSTLS] = "rustls",
    [ASPEN_UNPARSED_CGROUP_UNKNOWN] = "cgroup_unknown",
    [ASPEN_UNPARSED_EXISTING] = "existing",
};

const char *aspen_unparsed_name(unsigned code)
{
	return code < COUNT(unparsed_names) ? unparsed_names[code] : "malformed";
}

unsigned aspen_unparsed_code(const char *name)
{
	int code = find(unparsed_names, COUNT(unparsed_names), name);

	return code > 0 ? (unsigned)code : ASPEN_UNPARSED_MALFORMED;
}
