# shellcheck shell=bash
# bench_nginx PORT: an nginx (one worker) on IP_OPENAI:PORT and
# IP_INTERNAL:PORT over TLS with the harness's certificate, answering every
# request with a small chat-completion JSON; stopped by the EXIT trap it sets.
# Sourced by the bench scripts after tests/lib/harness.sh's harness_start.
bench_nginx() {
	local port=$1 conf=$H_WORK/nginx.conf
	cat >"$conf" <<EOF_NGINX
worker_processes 1;
pid $H_WORK/nginx.pid;
error_log $H_WORK/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	server {
		listen $IP_OPENAI:$port ssl;
		listen $IP_INTERNAL:$port ssl;
		ssl_certificate $H_WORK/certs/server.pem;
		ssl_certificate_key $H_WORK/certs/server.key;
		keepalive_requests 1000000;
		location / {
			client_body_buffer_size 64k;
			default_type application/json;
			return 200 '{"id":"x","model":"gpt-4o-mini","usage":{"prompt_tokens":512,"completion_tokens":9}}';
		}
	}
}
EOF_NGINX
	bench_nginx_start "$conf"
}

# bench_proxy PORT UPSTREAM_PORT: the peer Aspen replaces, a TLS-terminating
# nginx reverse proxy (the MITM approach) on IP_OPENAI:PORT with the
# harness's certificate, re-encrypting every request to the bench nginx on
# UPSTREAM_PORT over kept-alive TLS connections. Its own process (one
# worker), so its CPU is its own; stopped by the EXIT trap.
bench_proxy() {
	local port=$1 up=$2 conf=$H_WORK/nginx-proxy.conf
	cat >"$conf" <<EOF_NGINX
worker_processes 1;
pid $H_WORK/nginx-proxy.pid;
error_log $H_WORK/nginx-proxy.err;
events { worker_connections 1024; }
http {
	access_log off;
	upstream provider {
		server $IP_OPENAI:$up;
		keepalive 16;
		keepalive_requests 1000000;
	}
	server {
		listen $IP_OPENAI:$port ssl;
		ssl_certificate $H_WORK/certs/server.pem;
		ssl_certificate_key $H_WORK/certs/server.key;
		keepalive_requests 1000000;
		location / {
			client_body_buffer_size 64k;
			proxy_pass https://provider;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_ssl_server_name on;
			proxy_ssl_name api.openai.com;
			proxy_ssl_session_reuse on;
		}
	}
}
EOF_NGINX
	bench_nginx_start "$conf"
}

# bench_nginx_start CONF: nginx with CONF (its pid file in $H_WORK), stopped
# by the EXIT trap this sets however the bench ends. A daemonised nginx keeps
# the fds it was started with, /tmp/aspen-bpf.lock's among them: one left
# running holds that lock and every later load waits on it.
bench_nginx_start() {
	nginx -c "$1" || fail "nginx did not start"
	trap bench_exit EXIT
}

# prog_stats: prints "name run_cnt run_time_ns" for each loaded aspen program
# (kernel.bpf_stats_enabled must be 1 while the programs run).
prog_stats() { # prints "name run_cnt run_time_ns" for aspen programs
	bpftool prog show 2>/dev/null | awk '
		/^[0-9]+: / { name = ""; for (i = 1; i <= NF; i++) if ($i == "name") name = $(i + 1) }
		/run_time_ns/ { for (i = 1; i <= NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) }
			if (name ~ /^aspen_/) print name, c, t }'
}
