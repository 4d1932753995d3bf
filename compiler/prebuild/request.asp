# feature set: request rules without body patterns (a model allowlist)
policy "prebuild-request"
default allow
import "providers"
rule m { on request when request.model != "gpt-4o-mini" deny }
