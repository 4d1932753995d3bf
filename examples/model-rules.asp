# Which models a program may use, decided per request from the TLS
# plaintext: connections only to approved providers; the payments service
# may only use gpt-4o-mini; no streaming on the batch endpoints; requests
# Aspen cannot parse (HTTP/2, compressed bodies) are denied.
policy "model-rules"
default deny # applied to each request that no rule decides
mode enforce
uninspectable deny

import "providers"

list payments_bins = ["/srv/payments/bin/*", "/opt/payments/*"]
list approved_models = ["gpt-4o-mini", "gpt-4o", "gpt-4.1*", "claude-sonnet-4*", "claude-3-5-haiku*"]

rule approved_providers {
  on connect
  when provider not in [openai, anthropic]
  deny "only openai and anthropic are approved"
}

rule payments_models {
  on request
  when process.exe in payments_bins and request.model not in ["gpt-4o-mini"]
  deny "payments may only use gpt-4o-mini"
}

rule no_streaming_batches {
  on request
  when http.path in ["/v1/batches*", "/v1/messages/batches*"] and request.stream == true
  deny "no streaming on batch endpoints"
}

rule read_only_get {
  on request
  when http.method == "GET" and http.path == "/v1/models*"
  allow
}

rule tag_users {
  on request
  when request.user == "svc-*"
  audit
}

rule approved {
  on request
  when request.model in approved_models
  allow
}

rule server_errors {
  on response
  when response.status >= 500 or response.tokens > 200000
  audit
}
