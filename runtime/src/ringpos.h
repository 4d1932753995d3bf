/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ring buffer's consumer and producer positions, read through a second,
 * read-only mapping of the ring (ringpos.c): whether the kernel produced
 * anything after the record being handled.
 */
#ifndef ASPEND_RINGPOS_H
#define ASPEND_RINGPOS_H

#include <stdbool.h>
#include <stddef.h>

struct ringpos {
	const volatile unsigned long *cons, *prod;
	void *map;
	size_t len;
};

/* Map the positions of ring buffer map fd; false if it cannot be mapped
 * (then ringpos_only says false) */
bool ringpos_open(struct ringpos *r, int fd);
void ringpos_close(struct ringpos *r);
/* In a record's callback: nothing after that record (of len bytes): no
 * other record, none still being written. Unsure: false. */
bool ringpos_only(const struct ringpos *r, size_t len);

#endif
