# WebSocket upgrades and messages (docs/language.md, "WebSocket
# connections"): the head is decided with what it says, its messages one by
# one; what only messages carry is unknown at the head.
policy "websocket"
default deny
uninspectable deny

import "providers"
import "secrets"

rule no_realtime_here {
  on request
  when http.path == "/v1/realtime*" and process.comm == "kiosk"
  deny "no realtime sessions from the kiosk"
}

rule no_keys {
  on request
  when provider == openai and request.body matches secrets.aws_access_key
  deny "an AWS key in a prompt"
}

rule approved {
  on request
  when request.model in ["gpt-5", "gpt-4o-mini", "gemini-2.0-flash"]
  allow
}
