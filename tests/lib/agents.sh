# shellcheck shell=bash
# The real AI coding agents as clients (sourced by harness.sh): Claude Code,
# the OpenAI Codex CLI and the Gemini CLI, installed (pinned) by
# tests/lib/agents-setup.sh into $ASPEN_AGENTS_DIR, each run once per call
# with a fresh HOME, pointed at the fake providers and with everything that
# would contact another host turned off (docs/testing.md, "The AI agents").
#
#   need_agent gemini                 # sets AGENT_EXE (the executable aspend
#                                     # sees: node for the Gemini CLI)
#   agent_call gem-ok gemini gemini-2.5-flash
#   assert_ok "gemini-2.5-flash"      # C_RC, C_OUT, C_PID as for `client`
#
# Every agent talks to the provider's real name (api.anthropic.com,
# api.openai.com, generativelanguage.googleapis.com), which the test's hosts
# file maps to a fake provider, and also gets that URL by its own base-URL
# switch, so that no default of a later release sends it elsewhere.

ASPEN_AGENTS_DIR=${ASPEN_AGENTS_DIR:-$ASPEN_SRC/build-agents}
H_AGENT_TIMEOUT=${H_AGENT_TIMEOUT:-90} # seconds, every agent run
H_AGENT_PROMPT=${H_AGENT_PROMPT:-"say hello"}

# agent_exe NAME: the agent's executable as /proc/PID/exe shows it.
agent_exe() {
	local m=$ASPEN_AGENTS_DIR/node_modules
	case $1 in
	claude) readlink -f "$m/.bin/claude" 2>/dev/null ;;   # the Bun single-file binary
	codex) echo "$m/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex" ;; # static Rust
	gemini) echo "$H_NODE" ;;                                # node running bundle/gemini.js
	*) fail "unknown agent $1" ;;
	esac
}

# need_agent NAME: the agent is installed and runs; sets AGENT_EXE. Skips
# (fails under CI=true) when it is not: tests/lib/agents-setup.sh installs
# it, before the tests (scripts/test.sh): inside the test's network
# namespace the npm registry is out of reach.
need_agent() {
	AGENT_EXE=$(readlink -f "$(agent_exe "$1")") # the kernel names the file, symlinks resolved
	local entry=$ASPEN_AGENTS_DIR/node_modules/.bin/$1
	if [ ! -x "$entry" ] || [ ! -x "$AGENT_EXE" ]; then
		skip_or_fail "agent $1 not installed in $ASPEN_AGENTS_DIR: run tests/lib/agents-setup.sh"
	fi
	[ "$1" != gemini ] || printf '%s generativelanguage.googleapis.com\n' "$IP_INTERNAL" >>"$H_HOSTS"
	log "agent $1: $AGENT_EXE"
}

# agent_home NAME CALL: a fresh HOME for one run of agent NAME, with its
# configuration written; prints its path.
agent_home() {
	local h=$H_WORK/home-$2
	rm -rf "$h"
	mkdir -p "$h/work"
	case $1 in
	gemini)
		# API-key auth; no update check, no usage statistics or telemetry;
		# one attempt per request (a refused request is not retried ten times)
		mkdir -p "$h/.gemini"
		cat >"$h/.gemini/settings.json" <<-'EOF'
			{"security": {"auth": {"selectedType": "gemini-api-key"}},
			 "general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false,
			             "retryFetchErrors": false, "maxAttempts": 1},
			 "privacy": {"usageStatisticsEnabled": false},
			 "telemetry": {"enabled": false}}
		EOF
		;;
	codex)
		# A provider of our own on api.openai.com (the Responses API, over a
		# WebSocket unless CODEX_WS=false: then HTTP + SSE), no retries; no
		# update check, analytics, feedback, plugins, apps, model discovery
		mkdir -p "$h/.codex"
		cat >"$h/.codex/config.toml" <<-EOF
			check_for_update_on_startup = false
			model_provider = "aspen"
			[model_providers.aspen]
			name = "aspen fake OpenAI"
			base_url = "https://api.openai.com/v1"
			env_key = "OPENAI_API_KEY"
			wire_api = "responses"
			request_max_retries = 0
			stream_max_retries = 0
			supports_websockets = ${CODEX_WS:-true}
			[analytics]
			enabled = false
			[feedback]
			enabled = false
			[features]
			plugins = false
			remote_plugin = false
			plugin_sharing = false
			apps = false
			api_key_model_discovery = false
			in_app_updates = false
			browser_use = false
			in_app_browser = false
			computer_use = false
			daemon_auto_start = false
			skill_mcp_dependency_install = false
		EOF
		;;
	esac
	echo "$h"
}

# agent_call CALL NAME MODEL [ARGS...]: one non-interactive prompt
# ($H_AGENT_PROMPT) to agent NAME asking for MODEL, as a client in the
# child cgroup (see `client`), bounded by H_AGENT_TIMEOUT, stdin empty.
# ARGS go to the agent. The agent's own pid is C_PID (it execs).
agent_call() {
	local call=$1 name=$2 model=$3 h
	shift 3
	h=$(agent_home "$name" "$call")
	local env=(env -i -C "$h/work" PATH=/usr/local/bin:/usr/bin:/bin HOME="$h" TERM=dumb LANG=C.UTF-8)
	local cmd
	case $name in
	claude)
		env+=(ANTHROPIC_API_KEY=sk-ant-aspen-e2e-key ANTHROPIC_BASE_URL=https://api.anthropic.com
			NODE_EXTRA_CA_CERTS="$H_CA" CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1
			DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1 CLAUDE_CODE_MAX_RETRIES=0
			CLAUDE_CODE_DISABLE_LEGACY_MODEL_REMAP=1)
		cmd=("$AGENT_EXE" -p "$H_AGENT_PROMPT" --model "$model" "$@")
		;;
	codex)
		env+=(CODEX_HOME="$h/.codex" OPENAI_API_KEY=sk-aspen-e2e-key SSL_CERT_FILE="$H_CA")
		cmd=("$AGENT_EXE" exec --skip-git-repo-check -m "$model" "$@" "$H_AGENT_PROMPT")
		;;
	gemini)
		env+=(GEMINI_API_KEY=aspen-e2e-key GOOGLE_GEMINI_BASE_URL=https://generativelanguage.googleapis.com
			NODE_EXTRA_CA_CERTS="$H_CA" GEMINI_CLI_NO_RELAUNCH=true GEMINI_CLI_TRUST_WORKSPACE=true)
		cmd=("$H_NODE" "$ASPEN_AGENTS_DIR/node_modules/@google/gemini-cli/bundle/gemini.js"
			-m "$model" -p "$H_AGENT_PROMPT" "$@")
		;;
	*) fail "unknown agent $name" ;;
	esac
	local saved=$H_CLIENT_TIMEOUT
	H_CLIENT_TIMEOUT=$H_AGENT_TIMEOUT
	client "$call" "${env[@]}" "${cmd[@]}" </dev/null
	H_CLIENT_TIMEOUT=$saved
}

# agent_policy NAME OK_MODEL [UNINSPECTABLE]: compiles the agent tests'
# policy (policy "agents"): only OK_MODEL is approved, anything else is
# denied by default; `uninspectable` deny unless given. Prints the object.
agent_policy() {
	make_policy "$1" <<-EOF_POLICY
		policy "agents"
		default deny
		uninspectable ${3:-deny}
		import "providers"

		rule approved_models {
		  on request
		  when request.model in ["$2"]
		  allow
		}
	EOF_POLICY
}

# audit_first KEY=VALUE...: audit_wait, but only the first matching line (an
# agent makes several connections and requests).
audit_first() {
	local out
	out=$(audit_wait "$@")
	printf '%s\n' "${out%%$'\n'*}"
}
