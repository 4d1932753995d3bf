/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The server name a TLS client asks for, read in sk_msg from the ClientHello
 * its first write on a connection carries (in clear: a handshake record,
 * byte 0 = 22, handshake type 1; RFC 8446 4.1.2, RFC 6066 3). aspen_sockmap
 * uses it to check a provider connection's SNI against its address, and to
 * find provider connections to addresses aspend never learned.
 */
#ifndef ASPEN_SNI_BPF_H
#define ASPEN_SNI_BPF_H

enum aspen_sni_result {
	ASPEN_SNI_NOT_TLS = 0, /* the first write is not a TLS handshake record    */
	ASPEN_SNI_NONE = 1,    /* a ClientHello without a server_name extension    */
	ASPEN_SNI_FOUND = 2,   /* out->host holds the name                          */
	ASPEN_SNI_SHORT = 3,   /* the record continues in later writes: out->need  */
	ASPEN_SNI_BAD = 4,     /* a handshake record that is not a whole ClientHello */
};

struct aspen_sni {
	/* lower case, no trailing dot, NUL-terminated; a longer name keeps its
	 * last ASPEN_HOST_LEN - 1 bytes (host globs match on the right, so a
	 * cut name can only match more providers, never fewer) */
	char host[ASPEN_HOST_LEN];
	__u32 need; /* ASPEN_SNI_SHORT: bytes the record needs in all */
	__u32 _pad;
};

#define ASPEN_HELLO_MAX (16384 + 5) /* one TLSPlaintext record with its header */
#define ASPEN_HELLO_EXTS 64         /* extensions looked at before server_name */

/* n (1 or 2) bytes at d + off, big endian; -1 past the data */
static __always_inline int aspen_sni_get(__u8 *d, __u8 *e, __u32 off, __u32 n)
{
	__u8 *p;

	if (off > ASPEN_HELLO_MAX)
		return -1;
	p = d + off;
	if (n == 1) {
		if ((void *)(p + 1) > (void *)e)
			return -1;
		return p[0];
	}
	if ((void *)(p + 2) > (void *)e)
		return -1;
	return ((int)p[0] << 8) | p[1];
}

/* The walk over the ClientHello's extensions and the copy of the name: in
 * bpf_loop callbacks, so that the verifier checks each body once. */
struct aspen_sni_walk {
	struct sk_msg_md *msg;
	struct aspen_sni *out;
	__u32 off, end; /* the next extension; the end of the extensions */
	__u32 name;     /* offset of the host_name bytes, 0: not found yet */
	__u32 len, n;   /* bytes of the name to copy; copied so far */
	int bad;
};

static long aspen_sni_ext(__u32 i, void *arg)
{
	struct aspen_sni_walk *w = arg;
	__u8 *d = (__u8 *)(long)w->msg->data, *e = (__u8 *)(long)w->msg->data_end;
	int type, len, list, kind, nlen;

	if (w->off + 4 > w->end)
		return 1; /* no server_name */
	type = aspen_sni_get(d, e, w->off, 2);
	len = aspen_sni_get(d, e, w->off + 2, 2);
	if (type < 0 || len < 0 || w->off + 4 + len > w->end) {
		w->bad = 1;
		return 1;
	}
	if (type != 0) {
		w->off += 4 + len;
		return 0;
	}
	/* server_name_list length (2), name_type (1) = host_name (0), length (2) */
	list = aspen_sni_get(d, e, w->off + 4, 2);
	kind = aspen_sni_get(d, e, w->off + 6, 1);
	nlen = aspen_sni_get(d, e, w->off + 7, 2);
	if (list < 0 || kind != 0 || nlen <= 0 || 5 + nlen > len) {
		w->bad = 1;
		return 1;
	}
	w->name = w->off + 9;
	w->len = nlen;
	if (nlen > ASPEN_HOST_LEN - 1) { /* keep the name's last bytes */
		w->name += nlen - (ASPEN_HOST_LEN - 1);
		w->len = ASPEN_HOST_LEN - 1;
	}
	return 1;
}

static long aspen_sni_copy(__u32 i, void *arg)
{
	struct aspen_sni_walk *w = arg;
	__u8 *d = (__u8 *)(long)w->msg->data, *e = (__u8 *)(long)w->msg->data_end;
	int c;

	if (i >= w->len)
		return 1;
	c = aspen_sni_get(d, e, w->name + i, 1);
	if (c < 0) {
		w->bad = 1;
		return 1;
	}
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	w->out->host[i & (ASPEN_HOST_LEN - 1)] = c ? c : '?';
	w->n = i + 1;
	return 0;
}

/* Reads the ClientHello a connection's first write starts with. A global
 * function: the verifier checks it once, apart from the sk_msg program. */
__noinline int aspen_sni_parse(struct sk_msg_md *msg, struct aspen_sni *out)
{
	struct aspen_sni_walk w = {};
	__u32 size, rec, off;
	int v, n;
	__u8 *d, *e;

	if (!msg || !out)
		return ASPEN_SNI_BAD;
	size = msg->size;
	out->need = 0;
	out->host[0] = 0;
	if (bpf_msg_pull_data(msg, 0, size < ASPEN_HELLO_MAX ? size : ASPEN_HELLO_MAX, 0))
		return ASPEN_SNI_BAD;
	d = msg->data;
	e = msg->data_end;
	if (aspen_sni_get(d, e, 0, 1) != 22)
		return ASPEN_SNI_NOT_TLS;
	v = aspen_sni_get(d, e, 3, 2);
	if (v < 0 || size < 5) {
		out->need = 5;
		return ASPEN_SNI_SHORT;
	}
	rec = (__u32)v;
	if (aspen_sni_get(d, e, 1, 1) != 3 || rec < 4 || rec > 16384)
		return ASPEN_SNI_BAD;
	if (size < 5 + rec) {
		out->need = 5 + rec;
		return ASPEN_SNI_SHORT;
	}
	/* handshake header: type 1 (client_hello), 24-bit length within the record */
	if (aspen_sni_get(d, e, 5, 1) != 1 || aspen_sni_get(d, e, 6, 1) != 0)
		return ASPEN_SNI_BAD;
	v = aspen_sni_get(d, e, 7, 2);
	if (v < 0 || (__u32)v + 4 > rec)
		return ASPEN_SNI_BAD; /* fragmented over several records */
	w.end = 9 + (__u32)v;
	off = 9 + 2 + 32; /* legacy_version, random */
	n = aspen_sni_get(d, e, off, 1); /* legacy_session_id */
	if (n < 0)
		return ASPEN_SNI_BAD;
	off += 1 + n;
	n = aspen_sni_get(d, e, off, 2); /* cipher_suites */
	if (n < 0)
		return ASPEN_SNI_BAD;
	off += 2 + n;
	n = aspen_sni_get(d, e, off, 1); /* legacy_compression_methods */
	if (n < 0)
		return ASPEN_SNI_BAD;
	off += 1 + n;
	if (off + 2 > w.end)
		return ASPEN_SNI_NONE; /* no extensions */
	n = aspen_sni_get(d, e, off, 2);
	if (n < 0)
		return ASPEN_SNI_BAD;
	w.off = off + 2;
	if (w.off + n < w.end)
		w.end = w.off + n;
	w.msg = msg;
	w.out = out;
	bpf_loop(ASPEN_HELLO_EXTS, aspen_sni_ext, &w, 0);
	if (w.bad)
		return ASPEN_SNI_BAD;
	if (!w.name)
		return w.off + 4 > w.end ? ASPEN_SNI_NONE : ASPEN_SNI_BAD; /* too many extensions */
	bpf_loop(ASPEN_HOST_LEN - 1, aspen_sni_copy, &w, 0);
	if (w.bad || !w.n)
		return ASPEN_SNI_BAD;
	if (out->host[(w.n - 1) & (ASPEN_HOST_LEN - 1)] == '.')
		w.n--;
	out->host[w.n & (ASPEN_HOST_LEN - 1)] = 0;
	return w.n ? ASPEN_SNI_FOUND : ASPEN_SNI_BAD;
}

#endif
