/* SPDX-License-Identifier: Apache-2.0 */
/* The templates' part of policy objects, built once per set of macros
 * (template_cache.c, docs/internals.md "Two objects, linked"). */
#ifndef ASPEN_TEMPLATE_CACHE_H
#define ASPEN_TEMPLATE_CACHE_H

#include <stddef.h>

#include "sha256.h"

/* The cache key of the templates' object: the sha256 of text (the C
 * emit_template_c() wrote), clang's flags (NULL-terminated), clang's
 * executable and the files of tdir. 0, or -1: do not cache. */
int template_key(const char *text, const char *const *flags, const char *clang, const char *tdir,
		 char key[ASPEN_SHA256_HEX_LEN + 1]);

/* 1 and the object's path when a prebuilt or cached object has this key. */
int template_find(const char *key, char *path, size_t len);

/* A new empty file to build the object into (tmp) and, when the cache can
 * be written, the path to rename it to (final; "" otherwise: remove tmp
 * after use). 0 or -1. */
int template_tmp(const char *key, char *tmp, size_t len, char *final, size_t flen);

#endif
