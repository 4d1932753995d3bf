#!/usr/bin/env bash
# Rules keyed on the executable: the same provider is allowed for python3 and
# denied for curl. The exe paths are the real resolved binaries (python3 may
# be a pyenv shim; the kernel sees the interpreter it execs).
source "$(dirname "$0")/../lib/harness.sh"
harness_start per-exe

obj=$(per_exe_policy)
start_aspend "$obj"

py_call py-openai https://api.openai.com/v1/chat/completions "$CHAT_BODY"
assert_ok "python3 to openai"
assert_contains "$C_OUT" '"status": 200'
audit_wait event=connect decision=allow rule=python_openai provider=openai pid="$C_PID" exe="$H_PY" >/dev/null

curl_call curl-openai https://api.openai.com/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
assert_eq 7 "$C_RC" "curl to openai: exit status"
audit_wait event=connect decision=deny rule=no_curl_openai provider=openai pid="$C_PID" exe="$H_CURL" comm=curl >/dev/null

# node matches neither rule: the default decides.
node_call node-openai https://api.openai.com/v1/chat/completions "$CHAT_BODY"
assert_eq 7 "$C_RC" "node to openai: exit status"
audit_wait event=connect decision=deny rule=default provider=openai pid="$C_PID" exe="$H_NODE" >/dev/null

# The main thread exits first (pthread_exit) and another thread of the same
# process connects: the process is still python3. A kernel whose exit
# tracepoint record is not read right (6.18 moved group_dead into its own
# struct) forgot the process at its leader's exit: exe-keyed deny rules no
# longer matched it, and here python would fall to the default deny.
client py-leader-gone "$H_PY" -c '
import ctypes, json, os, ssl, sys, threading, time, urllib.request
def work():
    time.sleep(0.5)  # the leader has exited by now
    req = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        ctx = ssl.create_default_context(cafile=sys.argv[3])
        with urllib.request.urlopen(req, timeout=15, context=ctx) as r:
            print(json.dumps({"pid": os.getpid(), "status": r.status}), flush=True)
        os._exit(0)
    except Exception as e:
        print(json.dumps({"pid": os.getpid(), "error": str(e)}), flush=True)
        os._exit(1)
threading.Thread(target=work).start()
ctypes.CDLL(None).pthread_exit(None)
' https://api.openai.com/v1/chat/completions "$CHAT_BODY" "$H_CA"
assert_ok "python3 whose main thread exited, to openai"
assert_contains "$C_OUT" '"status": 200'
audit_wait event=connect decision=allow rule=python_openai provider=openai pid="$C_PID" exe="$H_PY" >/dev/null

# Only python's requests reached the provider.
assert_eq 2 "$(provider_requests "$IP_OPENAI")" "requests that reached openai"
assert_eq 2 "$(provider_conns "$IP_OPENAI")" "connections that reached openai"
stop_aspend
