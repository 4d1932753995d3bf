/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ring buffer's positions (ringpos.h). A BPF ring buffer map maps its
 * consumer position at offset 0 and its producer position one page after;
 * both may be mapped read-only any number of times. libbpf moves the
 * consumer position past a record after its callback returned: while the
 * callback runs, what the kernel produced beyond the consumer position is
 * that record (its length rounded up with the 8-byte header) and whatever
 * came after it. The kernel reserves a record before it fills it, so a
 * record still being written counts too.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "ringpos.h"

#define RINGBUF_HDR 8

bool ringpos_open(struct ringpos *r, int fd)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *m = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd, 0);

	*r = (struct ringpos){0};
	if (m == MAP_FAILED)
		return false;
	r->map = m;
	r->len = 2 * page;
	r->cons = m;
	r->prod = (const void *)((const char *)m + page);
	return true;
}

void ringpos_close(struct ringpos *r)
{
	if (r->map)
		munmap(r->map, r->len);
	*r = (struct ringpos){0};
}

bool ringpos_only(const struct ringpos *r, size_t len)
{
	unsigned long cons, prod;

	if (!r->map)
		return false;
	cons = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);
	prod = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);
	return prod - cons == ((len + RINGBUF_HDR + 7) & ~(size_t)7);
}
