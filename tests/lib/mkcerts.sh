#!/usr/bin/env bash
# mkcerts.sh OUTDIR: a test CA and one server certificate for the fake
# providers (every provider host name, localhost, 127.0.0.1-6, ::1 and the
# fd00:a5:: test addresses). Idempotent: existing, valid files are kept.
#   OUTDIR/ca.pem        trust this (curl --cacert, SSL_CERT_FILE, ...)
#   OUTDIR/server.pem    certificate chain for the server
#   OUTDIR/server.key
set -euo pipefail

out=${1:?usage: mkcerts.sh OUTDIR}
mkdir -p "$out"
cd "$out"

if [ -s ca.pem ] && [ -s server.pem ] && [ -s server.key ] &&
	openssl verify -CAfile ca.pem server.pem >/dev/null 2>&1 &&
	openssl x509 -in server.pem -noout -checkend 86400 >/dev/null 2>&1; then
	exit 0
fi

tmp=$(mktemp -d "$out/.mkcerts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# EC keys: generating them takes milliseconds.
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 3650 \
	-subj "/CN=Aspen test CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

cat >"$tmp/ext.cnf" <<'CNF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=@alt
[alt]
DNS.1=api.openai.com
DNS.2=api.anthropic.com
DNS.3=api.mistral.ai
DNS.4=api.deepseek.com
DNS.5=internal.example.test
DNS.6=localhost
DNS.7=generativelanguage.googleapis.com
DNS.8=bedrock-runtime.us-east-1.amazonaws.com
IP.1=127.0.0.1
IP.2=127.0.0.2
IP.3=127.0.0.3
IP.4=127.0.0.4
IP.5=127.0.0.5
IP.6=127.0.0.6
IP.7=::1
IP.8=fd00:a5::2
IP.9=fd00:a5::3
IP.10=fd00:a5::4
IP.11=fd00:a5::5
IP.12=fd00:a5::6
CNF

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$tmp/server.key" -out "$tmp/server.csr" \
	-subj "/CN=aspen fake provider" 2>/dev/null
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
	-CAcreateserial -out "$tmp/server.pem" -days 825 -extfile "$tmp/ext.cnf" 2>/dev/null

chmod 600 "$tmp/server.key" "$tmp/ca.key"
mv -f "$tmp/ca.key" "$tmp/ca.pem" "$tmp/server.key" "$tmp/server.pem" .
