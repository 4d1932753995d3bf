# Aspen standard library: AI API providers.
#
#   import "providers"
#
# Provider names are global: `when provider in [openai, anthropic]`.
# Host names are the public API endpoints documented by each vendor; a
# wildcard covers per-region or per-tenant endpoints. Everything is HTTPS on
# port 443. Keep this list sorted by name and give every entry its docs URL.
#
# model_paths: the providers that name the model in the URL path, not (or
# not only) in the JSON body. request.model is then the path's model, the
# one the provider acts on (docs/language.md, "model_paths"); `*` is any
# bytes but '/', a trailing `*` the rest; {model} is percent-decoded.
# stream_paths: the calls that stream because of their path, not a body
# "stream": true; request.stream is true for them.

# https://docs.ai21.com/reference
provider ai21 {
  hosts = ["api.ai21.com"]
  ports = [443]
}

# https://docs.anthropic.com/en/api/overview
provider anthropic {
  hosts = ["api.anthropic.com"]
  ports = [443]
}

# https://learn.microsoft.com/azure/ai-services/openai/reference
# request.model is the deployment name, which the customer chose:
# https://learn.microsoft.com/azure/ai-services/openai/reference#chat-completions
provider azure_openai {
  hosts = ["*.openai.azure.com", "*.cognitiveservices.azure.com", "*.services.ai.azure.com"]
  ports = [443]
  model_paths = ["/openai/deployments/{model}/*"]
}

# https://docs.aws.amazon.com/bedrock/latest/userguide/endpointsandquotas.html
provider bedrock {
  hosts = [
    "bedrock-runtime.*.amazonaws.com",
    "bedrock.*.amazonaws.com",
    "bedrock-agent-runtime.*.amazonaws.com",
  ]
  ports = [443]
  # InvokeModel(WithResponseStream), Converse(Stream): the model id or ARN, URL-encoded:
  # https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html
  model_paths = ["/model/{model}/*"]
  stream_paths = ["/model/*/invoke-with-response-stream", "/model/*/converse-stream"]
}

# https://inference-docs.cerebras.ai/api-reference
provider cerebras {
  hosts = ["api.cerebras.ai"]
  ports = [443]
}

# https://docs.cohere.com/reference/about
provider cohere {
  hosts = ["api.cohere.com", "api.cohere.ai"]
  ports = [443]
}

# https://deepinfra.com/docs/openai_api
provider deepinfra {
  hosts = ["api.deepinfra.com"]
  ports = [443]
}

# https://api-docs.deepseek.com/
provider deepseek {
  hosts = ["api.deepseek.com"]
  ports = [443]
}

# https://docs.fireworks.ai/api-reference/introduction
provider fireworks {
  hosts = ["api.fireworks.ai"]
  ports = [443]
}

# https://ai.google.dev/api
# generateContent, streamGenerateContent, countTokens, embedContent:
# https://ai.google.dev/api/generate-content
provider gemini {
  hosts = ["generativelanguage.googleapis.com"]
  ports = [443]
  model_paths = [
    "/v1beta/models/{model}:*",
    "/v1/models/{model}:*",
    "/v1alpha/models/{model}:*",
    "/v1beta/tunedModels/{model}:*",
  ]
  stream_paths = [
    "/v1beta/models/*:streamGenerateContent*",
    "/v1/models/*:streamGenerateContent*",
    "/v1alpha/models/*:streamGenerateContent*",
    "/v1beta/tunedModels/*:streamGenerateContent*",
  ]
}

# https://console.groq.com/docs/api-reference
provider groq {
  hosts = ["api.groq.com"]
  ports = [443]
}

# https://huggingface.co/docs/inference-providers/index
provider huggingface {
  hosts = [
    "api-inference.huggingface.co",
    "router.huggingface.co",
    "*.endpoints.huggingface.cloud",
  ]
  ports = [443]
}

# https://docs.mistral.ai/api/
provider mistral {
  hosts = ["api.mistral.ai", "codestral.mistral.ai"]
  ports = [443]
}

# https://platform.moonshot.ai/docs/api/chat
provider moonshot {
  hosts = ["api.moonshot.ai", "api.moonshot.cn"]
  ports = [443]
}

# https://platform.openai.com/docs/api-reference
provider openai {
  hosts = ["api.openai.com"]
  ports = [443]
}

# https://openrouter.ai/docs/api-reference/overview
provider openrouter {
  hosts = ["openrouter.ai"]
  ports = [443]
}

# https://docs.perplexity.ai/api-reference/chat-completions-post
provider perplexity {
  hosts = ["api.perplexity.ai"]
  ports = [443]
}

# https://replicate.com/docs/reference/http
provider replicate {
  hosts = ["api.replicate.com"]
  ports = [443]
}

# https://docs.sambanova.ai/cloud/docs/get-started/overview
provider sambanova {
  hosts = ["api.sambanova.ai"]
  ports = [443]
}

# https://docs.together.ai/reference/chat-completions-1
provider together {
  hosts = ["api.together.xyz", "api.together.ai"]
  ports = [443]
}

# https://cloud.google.com/vertex-ai/docs/reference/rest
# publishers' models (Gemini, Anthropic, ...): .../publishers/google/models/{model}:generateContent
# https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/inference
provider vertex_ai {
  hosts = ["*-aiplatform.googleapis.com", "aiplatform.googleapis.com"]
  ports = [443]
  model_paths = [
    "/v1/projects/*/locations/*/publishers/*/models/{model}:*",
    "/v1beta1/projects/*/locations/*/publishers/*/models/{model}:*",
  ]
  stream_paths = [
    # :streamGenerateContent, :streamRawPredict
    "/v1/projects/*/locations/*/publishers/*/models/*:stream*",
    "/v1beta1/projects/*/locations/*/publishers/*/models/*:stream*",
  ]
}

# https://docs.voyageai.com/reference/embeddings-api
provider voyage {
  hosts = ["api.voyageai.com"]
  ports = [443]
}

# https://docs.x.ai/docs/api-reference
provider xai {
  hosts = ["api.x.ai"]
  ports = [443]
}
