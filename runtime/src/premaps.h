/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A policy object's maps made two at a time (premaps.c). The kernel
 * allocates and links every element of a preallocated hash map when it is
 * created: the LRU maps of a request-rule policy (sockets, ledger, TLS
 * streams, HTTP/2 connections) are tens of MB and most of its start-up;
 * the others cost 1-7 ms each on a VM (hash buckets, the ring buffer's
 * pages). libbpf makes maps one after the other; aspend makes them itself,
 * biggest first, on two threads, with the same definition and BTF, and
 * hands them to libbpf (bpf_map__reuse_fd) before it loads the object.
 * libbpf's own maps (.rodata, filled by it) and kinds aspend does not know
 * are left to it.
 */
#ifndef ASPEND_PREMAPS_H
#define ASPEND_PREMAPS_H

struct bpf_object;

/* Make obj's maps that have no fd yet and that libbpf would create. How many were made;
 * any that could not be is left to libbpf (which reports the error). */
int premaps_create(struct bpf_object *obj);

#endif
