/* netify's own nftables table (`inet netify`), built with libnftnl and sent
 * in batches over one persistent netlink socket.
 *
 * The table lives beside fw4's `inet fw4`, so a firewall reload never wipes
 * it. Installing it is idempotent: the batch adds, deletes and re-creates
 * the table in one transaction, so a restart never duplicates rules. See
 * doc/inline.md for the chains and their order.
 */
#ifndef NETIFY_NFT_H
#define NETIFY_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "marks.h"

struct mnl_nlmsg_batch;

#define NFT_TABLE_DEFAULT "netify"
#define NFT_CLASSES_MAX 15
#define NFT_SET_SIZE 65536	/* block set entries per family */

/* How packets reach the queue. */
enum nft_queue_backend {
	NFT_QUEUE_EXPR,		/* nft `queue` expression (kmod-nft-queue) */
	NFT_QUEUE_XT,		/* xt NFQUEUE target through nft_compat */
	__NFT_QUEUE_MAX
};

/* One QoS class: what the kernel does with packets of flows in it. */
struct nft_class_map {
	unsigned int mark;	/* class number 1..15 */
	int dscp;		/* 0..63, or -1 */
	int priority;		/* skb priority, or -1 */
};

struct nft_cfg {
	const char *table;		/* NFT_TABLE_DEFAULT unless testing */
	struct marks marks;
	unsigned int queue_first, queue_last;
	unsigned int packet_budget;	/* `ct packets > N accept`; 0 = none */
	bool bypass;			/* queue bypass: accept when nobody listens */
	bool reject;			/* TCP RST for blocked flows, else drop */
	bool input_chain, output_chain;
	unsigned int block_timeout;	/* seconds, default of the block sets */
	enum nft_queue_backend backend;
	struct nft_class_map classes[NFT_CLASSES_MAX];
	unsigned int n_classes;
};

/** nft_cfg_defaults - forward chain only, queue 0, budget 32, mask 0xff0000 */
void nft_cfg_defaults(struct nft_cfg *cfg);

/**
 * nft_build_install - append the messages that (re)create the table
 * @b: batch opened by the caller (between nftnl_batch_begin/end)
 * @seq: sequence counter, advanced per message
 *
 * Returns 0, or -1 if the batch buffer is too small or memory ran out.
 */
int nft_build_install(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct nft_cfg *cfg);

/** nft_build_remove - append "delete table" (the table must exist). */
int nft_build_remove(struct mnl_nlmsg_batch *b, uint32_t *seq, const char *table);

/** nft_build_block - append a block-set element: src . dst . proto . port
 * @family: 4 or 6; addresses are 4 or 16 bytes; port in host order */
int nft_build_block(struct mnl_nlmsg_batch *b, uint32_t *seq, const char *table, int family,
		    const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t port,
		    unsigned int timeout_s);
/** nft_build_unblock - append the deletion of that element */
int nft_build_unblock(struct mnl_nlmsg_batch *b, uint32_t *seq, const char *table, int family,
		      const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t port);

struct nft;

/** nft_open - the persistent socket; NULL + errno on failure. */
struct nft *nft_open(void);
void nft_close(struct nft *n);

/** nft_probe_queue - 1 if the kernel has the nft queue expression, 0 if
 * not, -1 on other errors. Uses a throwaway table that never stays. */
int nft_probe_queue(struct nft *n);

/** nft_install / nft_remove - send the batches above; 0 or -1 + errno.
 * Thread-safe (one lock around the socket). */
int nft_install(struct nft *n, const struct nft_cfg *cfg);
int nft_remove(struct nft *n, const char *table);
int nft_block_add(struct nft *n, const char *table, int family, const uint8_t *src,
		  const uint8_t *dst, uint8_t proto, uint16_t port, unsigned int timeout_s);
/**
 * nft_block_add_dns - as nft_block_add, for an element that rests on the
 * DNS hint cache (verdict.h): remembered with application @app so that
 * nft_block_withdraw() can take it back. -1 with ENOSPC when too many are
 * remembered (BLOCKSET_CAPACITY): then nothing is added.
 */
int nft_block_add_dns(struct nft *n, const char *table, int family, const uint8_t *src,
		      const uint8_t *dst, uint8_t proto, uint16_t port, unsigned int timeout_s, int32_t app);
/**
 * nft_block_withdraw - deletes the DNS-resting elements for server @dst
 * whose application is not @app (a DNS answer named the address for
 * another one); returns how many, or -1 with errno if a deletion failed.
 * Cheap when there are none.
 */
int nft_block_withdraw(struct nft *n, const char *table, int family, const uint8_t *dst, int32_t app);
/** nft_block_dns_any - whether any DNS-resting element is remembered (no lock) */
bool nft_block_dns_any(const struct nft *n);
/** nft_block_del - withdraw a block-set element; one that is gone already
 * (timed out) is not an error */
int nft_block_del(struct nft *n, const char *table, int family, const uint8_t *src,
		  const uint8_t *dst, uint8_t proto, uint16_t port);

const char *nft_backend_name(enum nft_queue_backend b);

#endif
