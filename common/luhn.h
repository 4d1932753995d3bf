/* SPDX-License-Identifier: Apache-2.0 */
/* Validators a pattern can require (`pattern P = /re/ validate NAME`); aspend
 * runs them on each match before it masks it. */
#ifndef ASPEN_LUHN_H
#define ASPEN_LUHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Luhn (mod 10) check over the digits of s[0..n); spaces and '-' are
 * skipped, any other byte fails. 12 to 19 digits (payment card numbers). */
bool aspen_luhn_valid(const uint8_t *s, size_t n);

/* Validator by name ("luhn"); NULL when unknown. */
typedef bool (*aspen_validator_fn)(const uint8_t *s, size_t n);
aspen_validator_fn aspen_validator(const char *name);

#endif
