# feature set: response rules only
policy "prebuild-response"
default allow
import "providers"
rule r { on response when response.status >= 500 audit }
