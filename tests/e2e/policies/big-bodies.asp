# Big request bodies (test_tls_big_writes, test_tls_h2_big): one approved
# model, and an AWS key anywhere in a body denies it.
policy "big-bodies"
default deny
uninspectable deny
import "providers"
import "secrets"

rule no_aws_keys {
  on request
  when request.body matches secrets.aws_access_key
  deny "credentials in a prompt"
}

rule approved_models {
  on request
  when request.model in ["gpt-4o-mini"]
  allow
}
