# %%FAIL
policy "p"
default allow
uninspectable deny
provider a { hosts = ["a.example"] model_paths = ["/v1/models/{model}:*", "v1/{model}"] }
provider b { hosts = ["b.example"] model_paths = ["/m/*{model}", "/m/{model}/{model}", 7] }
provider c { hosts = ["c.example"] model_paths = ["/m/x"] model_path = ["/m/{model}"] }
provider d { hosts = ["d.example"] stream_paths = ["/m/{model}:stream*", "/m/*:stream*", "s"] }
rule r { on request when request.model == "x" allow }
# expect: model_paths.asp:5:75: error: a model path starts with '/'
# expect:    5 | provider a { hosts = ["a.example"] model_paths = ["/v1/models/{model}:*", "v1/{model}"] }
# expect:      |                                                                           ^~~~~~~~~~~~
# expect: hint: e.g. "/v1beta/models/{model}:*"
# expect: model_paths.asp:6:51: error: '*' and {model} must be apart: what would end the first?
# expect:    6 | provider b { hosts = ["b.example"] model_paths = ["/m/*{model}", "/m/{model}/{model}", 7] }
# expect:      |                                                   ^~~~~~~~~~~~~
# expect: hint: e.g. "/v1beta/models/{model}:*"
# expect: model_paths.asp:6:66: error: a model path names {model} once
# expect:    6 | provider b { hosts = ["b.example"] model_paths = ["/m/*{model}", "/m/{model}/{model}", 7] }
# expect:      |                                                                  ^~~~~~~~~~~~~~~~~~~~
# expect: hint: e.g. "/v1beta/models/{model}:*"
# expect: model_paths.asp:6:88: error: a model path is a string
# expect:    6 | provider b { hosts = ["b.example"] model_paths = ["/m/*{model}", "/m/{model}/{model}", 7] }
# expect:      |                                                                                        ^
# expect: hint: quote it: "/v1/models/{model}:*"
# expect: model_paths.asp:7:51: error: a model path names {model}
# expect:    7 | provider c { hosts = ["c.example"] model_paths = ["/m/x"] model_path = ["/m/{model}"] }
# expect:      |                                                   ^~~~~~
# expect: hint: e.g. "/v1beta/models/{model}:*"
# expect: model_paths.asp:7:59: error: unknown provider key 'model_path'
# expect:    7 | provider c { hosts = ["c.example"] model_paths = ["/m/x"] model_path = ["/m/{model}"] }
# expect:      |                                                           ^~~~~~~~~~
# expect: hint: did you mean 'model_paths'?
# expect: model_paths.asp:8:52: error: a stream path names no {model}: '*' matches it
# expect:    8 | provider d { hosts = ["d.example"] stream_paths = ["/m/{model}:stream*", "/m/*:stream*", "s"] }
# expect:      |                                                    ^~~~~~~~~~~~~~~~~~~~
# expect: hint: e.g. "/v1beta/models/*:streamGenerateContent*"
# expect: model_paths.asp:8:90: error: a stream path starts with '/'
# expect:    8 | provider d { hosts = ["d.example"] stream_paths = ["/m/{model}:stream*", "/m/*:stream*", "s"] }
# expect:      |                                                                                          ^~~
# expect: hint: e.g. "/v1beta/models/*:streamGenerateContent*"
