# Models named in the URL (providers' model_paths), streaming named in the
# URL (stream_paths) and requests read in part: head-only rules decide them, rules on what was not read defer to
# `uninspectable`.
policy "url-models"
default deny
uninspectable deny

import "providers"

list approved = [
  "gemini-2.0-flash",
  "gemini-2.0-flash-lite",
  "anthropic.claude-3-5-sonnet-20241022-v2:0",
  "arn:aws:bedrock:*:inference-profile/us.anthropic.claude-3-5-sonnet-*",
  "gpt-4o-prod",
  "gpt-4o",
]

rule uploads {
  on request
  when http.path == "/upload/*"
  allow
}

rule no_streaming {
  on request
  when request.stream == true and provider == openai
  deny "no streaming to openai"
}

# :streamGenerateContent streams by its path (the providers' stream_paths)
rule no_streaming_lite {
  on request
  when request.stream == true and request.model == "gemini-2.0-flash-lite"
  deny "no streaming with flash-lite"
}

rule approved_models {
  on request
  when request.model in approved
  allow
}
