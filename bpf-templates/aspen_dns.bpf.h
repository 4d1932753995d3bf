/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * DNS answers seen by processes in the monitored cgroup, copied to aspend
 * so that it learns the addresses of wildcard provider hosts
 * (*.openai.azure.com) that it cannot resolve by itself. Included when the
 * policy has such hosts. Observes only: both programs always let the
 * packet through.
 *
 * An answer is trusted only as the answer to a query a process of the
 * cgroup sent: the egress program records each UDP query to port 53
 * (aspen_dns_q, keyed by server address, local port and query id, with its
 * question); the ingress program passes an answer from port 53 on to
 * aspend only when it matches a recorded query (same server, port, id and
 * question), and then forgets the query. Anything else is counted in
 * aspen_dns_stats (aspend reports the counts) and not learned from.
 */
#ifndef ASPEN_DNS_BPF_H
#define ASPEN_DNS_BPF_H

#define ASPEN_DNS_NAME 256 /* wire bytes of a question name: the longest legal name is 255 */
#define ASPEN_DNS_QUERY_NS (30ULL * 1000000000ULL) /* a query waits this long for its answer */
#define ASPEN_DNS_FLAG_QR 0x8000

struct aspen_iphdr4 {
	__u8 ver_ihl;
	__u8 tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__u32 saddr, daddr;
};

struct aspen_udphdr {
	__u16 sport, dport, len, check;
};

struct aspen_dnshdr {
	__u16 id, flags, qdcount, ancount, nscount, arcount;
};

/* A query: the server it went to, the local port it left from, its id. */
struct aspen_dns_qkey {
	__u8 server[16]; /* v4-mapped for IPv4 */
	__u16 port;	 /* local port, network byte order */
	__u16 id;	 /* query id, network byte order */
};

/* Its question, as the answer must repeat it. */
struct aspen_dns_query {
	__u64 ts_ns;
	__u32 name_len; /* wire bytes of the name, its final 0 included */
	__u32 type_class;
	__u8 name[ASPEN_DNS_NAME];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct aspen_dns_qkey);
	__type(value, struct aspen_dns_query);
} aspen_dns_q SEC(".maps");

/* enum aspen_dns_stat -> answers ignored for that reason */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ASPEN_DNS_NSTATS);
	__type(key, __u32);
	__type(value, __u64);
} aspen_dns_stats SEC(".maps");

/* a question too big for the stack: one per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aspen_dns_query);
} aspen_dns_scratch SEC(".maps");

static __always_inline void aspen_dns_count(__u32 stat)
{
	__u64 *n = bpf_map_lookup_elem(&aspen_dns_stats, &stat);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* The question name's label walk, one label per bpf_loop step: the
 * verifier checks the step once instead of the 128-round loop once per
 * round (each of the DNS programs: ~6,000 of their ~7,500 instructions
 * verified, ~4 ms of a start; session 28). o: the next label's offset;
 * end: 1 at the root label (o its offset), -1 for a name that is not
 * plain (a label over 63 bytes, past the bytes read). */
struct aspen_dns_walk {
	const struct aspen_dns_query *q;
	__u32 o, n;
	int end;
};

static long aspen_dns_label(__u32 i, void *arg)
{
	struct aspen_dns_walk *w = arg;
	__u8 len = w->q->name[w->o & (ASPEN_DNS_NAME - 1)];

	if (len == 0) {
		w->end = 1;
		return 1;
	}
	if (len > 63 || w->o + len + 1 >= w->n) {
		w->end = -1;
		return 1;
	}
	w->o += len + 1;
	return 0;
}

/* The question of the DNS message at off (its header) into q: name,
 * type and class. 0, or -1 when it is not one plain question name. */
static __always_inline int aspen_dns_question(struct __sk_buff *skb, __u32 off,
					      struct aspen_dns_query *q)
{
	struct aspen_dns_walk w = {.q = q};

	if (skb->len <= off + sizeof(struct aspen_dnshdr))
		return -1;
	off += sizeof(struct aspen_dnshdr);
	/* keep clang from folding the bound into a form the verifier rejects */
	__u64 n = skb->len - off;

	if (n > ASPEN_DNS_NAME)
		n = ASPEN_DNS_NAME;
	asm volatile("" : "+r"(n));
	if (n < 1 || n > ASPEN_DNS_NAME || bpf_skb_load_bytes(skb, off, q->name, n))
		return -1;
	/* labels of 1..63 bytes up to the root label; no compression pointer
	 * in a question (it is the first name of the message) */
	w.n = (__u32)n;
	bpf_loop(ASPEN_DNS_NAME / 2, aspen_dns_label, &w, 0);
	if (w.end != 1)
		return -1;
	q->name_len = w.o + 1;
	return bpf_skb_load_bytes(skb, off + w.o + 1, &q->type_class, 4) ? -1 : 0;
}

static __always_inline __u8 aspen_lower(__u8 c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

struct aspen_dns_cmp {
	const struct aspen_dns_query *a, *b;
	__u32 n;
	int same;
};

static long aspen_dns_cmp_step(__u32 i, void *arg)
{
	struct aspen_dns_cmp *c = arg;
	__u32 k = i & (ASPEN_DNS_NAME - 1);

	if (i >= c->n)
		return 1;
	if (aspen_lower(c->a->name[k]) != aspen_lower(c->b->name[k])) {
		c->same = 0;
		return 1;
	}
	return 0;
}

/* The same question: type, class and name (case-insensitive). A bpf_loop
 * callback, which the verifier checks once: as a bounded loop it walked
 * its 256 rounds (18k of the 28k instructions it verified for the ingress
 * program, issue 14). */
static __always_inline int aspen_dns_same(const struct aspen_dns_query *a,
					  const struct aspen_dns_query *b)
{
	struct aspen_dns_cmp c = {.a = a, .b = b, .n = a->name_len, .same = 1};

	if (a->name_len != b->name_len || a->type_class != b->type_class)
		return 0;
	bpf_loop(ASPEN_DNS_NAME, aspen_dns_cmp_step, &c, 0);
	return c.same;
}

static __always_inline struct aspen_dns_query *aspen_dns_scratch_get(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&aspen_dns_scratch, &k);
}

/* The answer at off (its DNS header), to aspend through the ring. */
static __always_inline void aspen_dns_capture(struct __sk_buff *skb, __u32 off)
{
	__u32 len = skb->len - off;
	struct aspen_dns_event *e;

	if (len > ASPEN_DNS_MAX)
		len = ASPEN_DNS_MAX;
	e = bpf_ringbuf_reserve(&aspen_events, sizeof(*e), 0);
	if (!e) {
		aspen_count_lost();
		return;
	}
	e->kind = ASPEN_EV_DNS;
	e->len = 0;
	/* keep clang from folding the bound into a form the verifier rejects */
	__u64 n = len;

	asm volatile("" : "+r"(n));
	if (n >= 12 && n <= ASPEN_DNS_MAX && !bpf_skb_load_bytes(skb, off, e->payload, n))
		e->len = (__u32)n;
	aspen_submit(e, 1); /* learn it before the client connects, if we can */
}

/* A UDP packet at off with its peer's address: a query to record (egress)
 * or an answer to check against the recorded queries (ingress). */
static __always_inline void aspen_dns_udp(struct __sk_buff *skb, __u32 off, const __u8 *peer,
					  int egress)
{
	struct aspen_udphdr udp;
	struct aspen_dnshdr h;
	struct aspen_dns_qkey key;
	struct aspen_dns_query *q, *rec;

	if (bpf_skb_load_bytes(skb, off, &udp, sizeof(udp)))
		return;
	if ((egress ? udp.dport : udp.sport) != bpf_htons(53))
		return;
	off += sizeof(udp);
	if (bpf_skb_load_bytes(skb, off, &h, sizeof(h)))
		return;
	/* a query: QR clear, one question; an answer: QR set */
	if (egress && ((h.flags & bpf_htons(ASPEN_DNS_FLAG_QR)) || h.qdcount != bpf_htons(1)))
		return;
	if (!egress && !(h.flags & bpf_htons(ASPEN_DNS_FLAG_QR)))
		return;
	__builtin_memcpy(key.server, peer, 16);
	key.port = egress ? udp.sport : udp.dport;
	key.id = h.id;
	q = aspen_dns_scratch_get();
	if (!q)
		return;
	if (egress) {
		if (aspen_dns_question(skb, off, q))
			return;
		q->ts_ns = bpf_ktime_get_boot_ns();
		bpf_map_update_elem(&aspen_dns_q, &key, q, BPF_ANY);
		return;
	}
	rec = bpf_map_lookup_elem(&aspen_dns_q, &key);
	if (!rec || bpf_ktime_get_boot_ns() - rec->ts_ns > ASPEN_DNS_QUERY_NS) {
		aspen_dns_count(ASPEN_DNS_UNSOLICITED);
		return;
	}
	if (aspen_dns_question(skb, off, q) || !aspen_dns_same(q, rec)) {
		aspen_dns_count(ASPEN_DNS_OTHER_QUESTION);
		return;
	}
	bpf_map_delete_elem(&aspen_dns_q, &key);
	aspen_dns_capture(skb, off);
}

/* The IP header at the start of skb: the UDP offset and the peer's
 * address (destination on egress, source on ingress). -1: not UDP, or a
 * fragment or IPv6 extension header (DNS over UDP carries none). */
static __always_inline int aspen_dns_ip(struct __sk_buff *skb, int egress, __u8 peer[16])
{
	__u8 v;

	if (bpf_skb_load_bytes(skb, 0, &v, 1))
		return -1;
	if ((v >> 4) == 4) {
		struct aspen_iphdr4 ip;
		__u32 a;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) || ip.protocol != IPPROTO_UDP)
			return -1;
		if (ip.frag_off & bpf_htons(0x3fff))
			return -1;
		a = egress ? ip.daddr : ip.saddr;
		__builtin_memset(peer, 0, 10);
		peer[10] = 0xff;
		peer[11] = 0xff;
		__builtin_memcpy(peer + 12, &a, 4);
		return (ip.ver_ihl & 0x0f) * 4;
	}
	if ((v >> 4) == 6) {
		__u8 next;

		if (bpf_skb_load_bytes(skb, 6, &next, 1) || next != IPPROTO_UDP)
			return -1;
		if (bpf_skb_load_bytes(skb, egress ? 24 : 8, peer, 16))
			return -1;
		return 40;
	}
	return -1;
}

/* One packet: record a query (egress) or check an answer (ingress). */
static __always_inline int aspen_dns_packet(struct __sk_buff *skb, int egress)
{
	__u8 peer[16];
	int off = aspen_dns_ip(skb, egress, peer);

	if (off > 0)
		aspen_dns_udp(skb, off, peer, egress);
	return 1;
}

SEC("cgroup_skb/egress")
int aspen_dns_egress(struct __sk_buff *skb)
{
	return aspen_dns_packet(skb, 1);
}

SEC("cgroup_skb/ingress")
int aspen_dns_ingress(struct __sk_buff *skb)
{
	return aspen_dns_packet(skb, 0);
}

#endif
