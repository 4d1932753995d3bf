/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A provider's `model_paths` templates ("/v1beta/models/{model}:*") and
 * `stream_paths` (the same, `*` in place of {model}): the
 * checks typecheck.c reports and the encoding emit_c.c writes for the
 * kernel's matcher (bpf-templates/aspen_path_model.h).
 */
#ifndef ASPEN_MODEL_PATH_H
#define ASPEN_MODEL_PATH_H

#include <stddef.h>

/* Encode src into out (ASPEN_TMPL_LEN bytes: `{model}` and `*` become
 * ASPEN_TMPL_MODEL and ASPEN_TMPL_STAR, NUL-terminated). 0, or -1 with
 * the reason in err. */
int model_path_encode(const char *src, char *out, char *err, size_t errlen);
/* The same for a `stream_paths` template: `*` only, no {model}. */
int stream_path_encode(const char *src, char *out, char *err, size_t errlen);

#endif
