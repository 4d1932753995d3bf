/* SPDX-License-Identifier: Apache-2.0 */
#include "luhn.h"

#include <string.h>

bool aspen_luhn_valid(const uint8_t *s, size_t n)
{
	int sum = 0, digits = 0;

	for (size_t i = n; i-- > 0;) {
		int d;

		if (s[i] == ' ' || s[i] == '-')
			continue;
		if (s[i] < '0' || s[i] > '9')
			return false;
		d = s[i] - '0';
		if (digits++ % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return digits >= 12 && digits <= 19 && sum % 10 == 0;
}

aspen_validator_fn aspen_validator(const char *name)
{
	if (!strcmp(name, "luhn"))
		return aspen_luhn_valid;
	return NULL;
}
