/* NFQUEUE packet source: libnetfilter_queue's mnl API over libmnl.
 *
 * One struct nfqueue per queue number, owned by one worker thread. The socket
 * is non-blocking: nfqueue_receive() handles whatever is queued and returns, so
 * the worker's loop can also expire flows and notice reloads. Every packet
 * gets a verdict; on any error the packet is accepted and counted.
 */
#ifndef NETIFY_NFQ_H
#define NETIFY_NFQ_H

#include <stdbool.h>
#include <stdint.h>

/* What the kernel told us about one queued packet. Pointers are valid only
 * during the handler call. */
struct nfqueue_pkt {
	uint32_t id;
	uint16_t hw_proto;	/* ethertype, host order */
	const uint8_t *payload;	/* IPv4/IPv6 header onwards */
	uint32_t len;		/* bytes at payload (capped by the copy range) */
	uint32_t orig_len;	/* length on the wire (0 = unknown, same as len) */
	uint32_t mark;		/* packet mark when queued */
	uint32_t indev, outdev;	/* ifindex or 0 */
	bool has_hwaddr;
	uint8_t hwaddr[6];	/* source MAC (ingress) */
	uint32_t ct_mark;	/* only with has_ct */
	bool has_ct;
};

/* The handler's decision for one packet. */
struct nfqueue_verdict {
	uint32_t verdict;	/* NF_ACCEPT, NF_DROP */
	bool set_mark;
	uint32_t mark;		/* the whole new packet mark if set_mark */
};

typedef void (*nfqueue_handler)(void *user, const struct nfqueue_pkt *p, struct nfqueue_verdict *v);

struct nfqueue_opts {
	bool fail_open;		/* NFQA_CFG_F_FAIL_OPEN */
	bool gso;		/* NFQA_CFG_F_GSO: no segmentation for us */
	bool conntrack;		/* try NFQA_CFG_F_CONNTRACK (needs NETLINK_GLUE_CT) */
	uint32_t copy_range;	/* bytes of each packet copied to us */
	uint32_t queue_maxlen;	/* packets waiting in the kernel; 0 = default */
	int rcvbuf;		/* initial socket receive buffer */
	int rcvbuf_max;		/* grown up to this on ENOBUFS */
};

#define NFQUEUE_LAT_BUCKETS 160	/* 4 per power of two of nanoseconds */

struct nfqueue_stats {
	uint64_t packets;	/* received */
	uint64_t verdicts;	/* packets given a verdict */
	uint64_t verdict_msgs;	/* verdict messages sent (batches count once) */
	uint64_t batched;	/* packets covered by batch verdicts */
	uint64_t accepted, dropped;
	uint64_t enobufs;	/* receive overruns: packets the kernel could not hand us */
	uint64_t malformed;	/* messages without id/payload, or bad attributes */
	uint64_t send_errors;	/* verdict sends that failed */
	uint64_t recv_errors;
	/* time from reading a packet to sending its verdict (our added latency) */
	uint64_t lat[NFQUEUE_LAT_BUCKETS];
};

struct nfqueue;

/** nfqueue_opts_defaults - fail-open, GSO, conntrack attempt, 64 KiB copy,
 * 4 MiB receive buffer growing to 32 MiB */
void nfqueue_opts_defaults(struct nfqueue_opts *o);

/** nfqueue_open - bind queue @num; NULL + errno on failure (EBUSY: another
 * process holds it). */
struct nfqueue *nfqueue_open(uint16_t num, const struct nfqueue_opts *o);
void nfqueue_close(struct nfqueue *q);

int nfqueue_fd(const struct nfqueue *q);
/** nfqueue_has_conntrack - the kernel accepted NFQA_CFG_F_CONNTRACK */
bool nfqueue_has_conntrack(const struct nfqueue *q);

/**
 * nfqueue_receive - handle every message waiting on the socket, calling @fn
 * once per packet, and send the verdicts (consecutive identical ones as one
 * batch verdict). Never blocks. Returns the number of packets handled, or
 * -1 on a socket error other than EAGAIN/ENOBUFS (both are survived).
 */
int nfqueue_receive(struct nfqueue *q, nfqueue_handler fn, void *user);

const struct nfqueue_stats *nfqueue_stats(const struct nfqueue *q);

struct nlmsghdr;
/** nfqueue_parse - a packet message's attributes into @p (pointers into
 * the message); attributes of the wrong size are ignored. -1 without the
 * packet header (no id to answer). */
int nfqueue_parse(const struct nlmsghdr *nlh, struct nfqueue_pkt *p);

/** nfqueue_lat_add - count one sample of ns nanoseconds in hist */
void nfqueue_lat_add(uint64_t *hist, uint64_t ns);
/** nfqueue_lat_percentile - upper bound (ns) of the bucket holding the
 * p-th fraction (0..1) of the samples in hist; 0 without samples */
uint64_t nfqueue_lat_percentile(const uint64_t *hist, double p);

#endif
