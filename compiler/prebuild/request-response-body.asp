# feature set: request rules with body patterns, and response rules
policy "prebuild-request-response-body"
default allow
import "providers"
import "secrets"
rule s { on request when request.body matches secrets.openai_key deny }
rule r { on response when response.status >= 500 audit }
