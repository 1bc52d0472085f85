/* netify's nftables table through libnftnl: see nft.h and doc/inline.md. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <netinet/in.h>

#include "blockset.h"
#include "log.h"
#include "nft.h"
#include "util.h"

/* Chains run after fw4's filter (priority 0) and before mangle-less egress. */
#define NFT_PRIO_FILTER 10	/* release / block / queue */
#define NFT_PRIO_VERDICT 20	/* save the verdict's mark, QoS mapping */
#define NFT_BATCH_SIZE (64 * 1024)
#define NFT_SET4_ID 1
#define NFT_SET6_ID 2
#define CT_STATE_NEW_BIT 8u	/* NF_CT_STATE_BIT(IP_CT_NEW) */

/* nft's datatype numbers, so `nft list` prints the sets' keys readably. */
enum { DT_IPV4 = 7, DT_IPV6 = 8, DT_INET_PROTO = 12, DT_INET_SERVICE = 13 };
#define DT_CONCAT(a, b, c, d) (((((uint32_t)(a) << 6 | (b)) << 6 | (c)) << 6) | (d))

struct nft {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	pthread_mutex_t lock;	/* workers add block elements, main installs */
	char *buf;
	struct blockset *dns;	/* the block-set elements that rest on the DNS hint */
	int dns_full_logged;
};

/* A rule under construction; any allocation failure is remembered and
 * reported once when the rule is finished. */
struct rb {
	struct nftnl_rule *r;
	int fail;
};

static const char *const hook_names[] = { "forward", "input", "output" };
static const int hook_nums[] = { NF_INET_FORWARD, NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT };

void nft_cfg_defaults(struct nft_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->table = NFT_TABLE_DEFAULT;
	marks_init(&cfg->marks, 0x00ff0000);
	cfg->packet_budget = 32;
	cfg->bypass = true;
	cfg->reject = true;
	cfg->block_timeout = 300;
	cfg->backend = NFT_QUEUE_XT;
}

const char *nft_backend_name(enum nft_queue_backend b)
{
	return b == NFT_QUEUE_EXPR ? "nft queue" : "xt NFQUEUE (nft_compat)";
}

/* ---- expressions ---------------------------------------------------- */

static struct nftnl_expr *rb_expr(struct rb *rb, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (!e)
		rb->fail = 1;
	return e;
}

static void rb_push(struct rb *rb, struct nftnl_expr *e)
{
	if (e)
		nftnl_rule_add_expr(rb->r, e);
}

static void ex_meta_load(struct rb *rb, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = rb_expr(rb, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	rb_push(rb, e);
}

static void ex_meta_set(struct rb *rb, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = rb_expr(rb, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
	rb_push(rb, e);
}

static void ex_ct_load(struct rb *rb, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = rb_expr(rb, "ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
	rb_push(rb, e);
}

static void ex_ct_set(struct rb *rb, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = rb_expr(rb, "ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, sreg);
	rb_push(rb, e);
}

/* reg = (reg & mask) ^ xor over len bytes, in register byte order. */
static void ex_bitwise(struct rb *rb, uint32_t reg, const void *mask, const void *xor, uint32_t len)
{
	struct nftnl_expr *e = rb_expr(rb, "bitwise");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
	rb_push(rb, e);
}

static void ex_cmp(struct rb *rb, uint32_t reg, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = rb_expr(rb, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	rb_push(rb, e);
}

static void ex_payload_load(struct rb *rb, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = rb_expr(rb, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	rb_push(rb, e);
}

/* Writes len bytes of the network header; IPv4 needs its checksum fixed. */
static void ex_payload_write(struct rb *rb, uint32_t off, uint32_t len, bool ipv4_csum)
{
	struct nftnl_expr *e = rb_expr(rb, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_SREG, NFT_REG_1);
	if (ipv4_csum) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_TYPE, NFT_PAYLOAD_CSUM_INET);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_OFFSET, 10);
	}
	rb_push(rb, e);
}

static void ex_verdict(struct rb *rb, int verdict)
{
	struct nftnl_expr *e = rb_expr(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	rb_push(rb, e);
}

static void ex_jump(struct rb *rb, const char *chain)
{
	struct nftnl_expr *e = rb_expr(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_JUMP);
	nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	rb_push(rb, e);
}

static void ex_imm_u32(struct rb *rb, uint32_t reg, uint32_t val)
{
	struct nftnl_expr *e = rb_expr(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &val, sizeof(val));
	rb_push(rb, e);
}

static void ex_simple(struct rb *rb, const char *name)
{
	rb_push(rb, rb_expr(rb, name));
}

static void ex_reject_tcp(struct rb *rb)
{
	struct nftnl_expr *e = rb_expr(rb, "reject");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, 0);
	rb_push(rb, e);
}

static void ex_lookup(struct rb *rb, const char *set, uint32_t set_id)
{
	struct nftnl_expr *e = rb_expr(rb, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG32_00);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	rb_push(rb, e);
}

/* `queue num F total N bypass` with whichever mechanism the kernel has. */
static void ex_queue(struct rb *rb, const struct nft_cfg *cfg)
{
	uint16_t total = (uint16_t)(cfg->queue_last - cfg->queue_first + 1);
	struct xt_NFQ_info_v3 *info;
	struct nftnl_expr *e;

	if (cfg->backend == NFT_QUEUE_EXPR) {
		if (!(e = rb_expr(rb, "queue")))
			return;
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, (uint16_t)cfg->queue_first);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, total);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, cfg->bypass ? NFT_QUEUE_FLAG_BYPASS : 0);
		rb_push(rb, e);
		return;
	}
	if (!(e = rb_expr(rb, "target")))
		return;
	/* libnftnl takes ownership of the info blob and frees it with e */
	if (!(info = calloc(1, XT_ALIGN(sizeof(*info))))) {
		rb->fail = 1;
		nftnl_expr_free(e);
		return;
	}
	info->queuenum = (uint16_t)cfg->queue_first;
	info->queues_total = total;
	info->flags = cfg->bypass ? NFQ_FLAG_BYPASS : 0;
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, XT_ALIGN(sizeof(*info)));
	rb_push(rb, e);
}

/* ---- matches (each leaves the rule going on only if it holds) --------- */

/* (load & bits) == want, on a host-order 32-bit mark */
static void m_bits(struct rb *rb, bool ct, uint32_t key, uint32_t bits, uint32_t want, uint32_t op)
{
	uint32_t zero = 0;

	if (ct)
		ex_ct_load(rb, key, NFT_REG_1);
	else
		ex_meta_load(rb, key, NFT_REG_1);
	ex_bitwise(rb, NFT_REG_1, &bits, &zero, sizeof(bits));
	ex_cmp(rb, NFT_REG_1, op, &want, sizeof(want));
}

static void m_u8(struct rb *rb, uint32_t meta_key, uint8_t val)
{
	ex_meta_load(rb, meta_key, NFT_REG_1);
	ex_cmp(rb, NFT_REG_1, NFT_CMP_EQ, &val, 1);
}

/* ct mark = (ct mark & keep) ^ set */
static void s_ctmark(struct rb *rb, uint32_t keep, uint32_t set)
{
	ex_ct_load(rb, NFT_CT_MARK, NFT_REG_1);
	ex_bitwise(rb, NFT_REG_1, &keep, &set, sizeof(keep));
	ex_ct_set(rb, NFT_CT_MARK, NFT_REG_1);
}

/* ---- messages ------------------------------------------------------- */

static int batch_next(struct mnl_nlmsg_batch *b)
{
	if (!mnl_nlmsg_batch_next(b)) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

static int msg_table(struct mnl_nlmsg_batch *b, uint32_t *seq, const char *name, uint16_t type)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t)
		return -1;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type, NFPROTO_INET,
				    type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, (*seq)++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	return batch_next(b);
}

static int msg_chain(struct mnl_nlmsg_batch *b, uint32_t *seq, const char *table, const char *name,
		     int hook, int prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!c)
		return -1;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (hook >= 0) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWCHAIN, NFPROTO_INET,
				    NLM_F_CREATE, (*seq)++);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	return batch_next(b);
}

static int msg_set(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct nft_cfg *cfg, int family)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	bool v4 = family == 4;

	if (!s)
		return -1;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, cfg->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, v4 ? "block4" : "block6");
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, v4 ? NFT_SET4_ID : NFT_SET6_ID);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT);
	/* src . dst . l4proto . port, each padded to a 32-bit register */
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, v4 ? 16 : 40);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, v4 ? DT_CONCAT(DT_IPV4, DT_IPV4, DT_INET_PROTO, DT_INET_SERVICE)
					       : DT_CONCAT(DT_IPV6, DT_IPV6, DT_INET_PROTO, DT_INET_SERVICE));
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, NFT_SET_SIZE);
	nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, (uint64_t)cfg->block_timeout * 1000);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWSET, NFPROTO_INET,
				    NLM_F_CREATE, (*seq)++);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return batch_next(b);
}

static struct rb rb_begin(const char *table, const char *chain)
{
	struct rb rb = { .r = nftnl_rule_alloc(), .fail = 0 };

	if (!rb.r) {
		rb.fail = 1;
		return rb;
	}
	nftnl_rule_set_str(rb.r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(rb.r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(rb.r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	return rb;
}

/* Appends the finished rule to the batch and frees it. */
static int rb_end(struct rb *rb, struct mnl_nlmsg_batch *b, uint32_t *seq)
{
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!rb->r)
		return -1;
	if (rb->fail) {
		errno = ENOMEM;
		goto out_free_rule;
	}
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWRULE, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_APPEND, (*seq)++);
	nftnl_rule_nlmsg_build_payload(nlh, rb->r);
	ret = batch_next(b);
out_free_rule:
	nftnl_rule_free(rb->r);
	rb->r = NULL;
	return ret;
}

/* ---- the filter chain: release, block, budget, queue ----------------- */

/* ct state new <family> saddr . daddr . l4proto . th dport @blockN counter drop */
static void rule_block_set(struct rb *rb, int family)
{
	bool v4 = family == 4;
	uint32_t alen = v4 ? 4 : 16;

	m_u8(rb, NFT_META_NFPROTO, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	m_bits(rb, true, NFT_CT_STATE, CT_STATE_NEW_BIT, CT_STATE_NEW_BIT, NFT_CMP_EQ);
	ex_payload_load(rb, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 12 : 8, alen, NFT_REG32_00);
	ex_payload_load(rb, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 16 : 24, alen, NFT_REG32_00 + alen / 4);
	ex_meta_load(rb, NFT_META_L4PROTO, NFT_REG32_00 + 2 * alen / 4);
	ex_payload_load(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_00 + 2 * alen / 4 + 1);
	ex_lookup(rb, v4 ? "block4" : "block6", v4 ? NFT_SET4_ID : NFT_SET6_ID);
	ex_simple(rb, "counter");
	ex_verdict(rb, NF_DROP);
}

/* ct packets > budget accept: the kernel stops queueing a flow the daemon
 * has stopped inspecting even if the daemon missed its release. */
static void rule_budget(struct rb *rb, unsigned int budget)
{
	uint64_t be = htobe64(budget);
	struct nftnl_expr *e;

	ex_ct_load(rb, NFT_CT_PKTS, NFT_REG_1);
	if ((e = rb_expr(rb, "byteorder"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 8);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 8);
		rb_push(rb, e);
	}
	ex_cmp(rb, NFT_REG_1, NFT_CMP_GT, &be, sizeof(be));
	ex_verdict(rb, NF_ACCEPT);
}

static int chain_filter_rules(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct nft_cfg *cfg,
			      const char *chain)
{
	const struct marks *m = &cfg->marks;
	struct rb rb;
	int family;

	rb = rb_begin(cfg->table, chain);
	m_bits(&rb, true, NFT_CT_MARK, m->released, m->released, NFT_CMP_EQ);
	ex_verdict(&rb, NF_ACCEPT);
	if (rb_end(&rb, b, seq))
		return -1;
	if (cfg->reject) {
		rb = rb_begin(cfg->table, chain);
		m_bits(&rb, true, NFT_CT_MARK, m->blocked, m->blocked, NFT_CMP_EQ);
		m_u8(&rb, NFT_META_L4PROTO, IPPROTO_TCP);
		ex_reject_tcp(&rb);
		if (rb_end(&rb, b, seq))
			return -1;
	}
	rb = rb_begin(cfg->table, chain);
	m_bits(&rb, true, NFT_CT_MARK, m->blocked, m->blocked, NFT_CMP_EQ);
	ex_simple(&rb, "counter");
	ex_verdict(&rb, NF_DROP);
	if (rb_end(&rb, b, seq))
		return -1;
	for (family = 4; family <= 6; family += 2) {
		rb = rb_begin(cfg->table, chain);
		rule_block_set(&rb, family);
		if (rb_end(&rb, b, seq))
			return -1;
	}
	if (cfg->packet_budget) {
		rb = rb_begin(cfg->table, chain);
		rule_budget(&rb, cfg->packet_budget);
		if (rb_end(&rb, b, seq))
			return -1;
	}
	rb = rb_begin(cfg->table, chain);
	ex_simple(&rb, "counter");
	ex_queue(&rb, cfg);
	return rb_end(&rb, b, seq);
}

/* ---- the verdict chain: mark -> ct mark, blocked packet, QoS --------- */

static int chain_save_rules(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct nft_cfg *cfg,
			    const char *chain)
{
	const struct marks *m = &cfg->marks;
	struct rb rb;
	unsigned int i;

	/* Only packets carrying a verdict get here. A verdict carries the
	 * whole decision: clear the old one first. Each bit is then copied by
	 * its own rule because a two-register "ct mark | meta mark" needs a
	 * newer kernel than OpenWrt 21/22 ship. */
	rb = rb_begin(cfg->table, chain);
	s_ctmark(&rb, ~m->used, 0);
	if (rb_end(&rb, b, seq))
		return -1;
	for (i = 0; i < 32; i++) {
		uint32_t bit = 1u << i;

		if (!(m->used & bit))
			continue;
		rb = rb_begin(cfg->table, chain);
		m_bits(&rb, false, NFT_META_MARK, bit, bit, NFT_CMP_EQ);
		s_ctmark(&rb, ~bit, bit);
		if (rb_end(&rb, b, seq))
			return -1;
	}
	if (cfg->reject) {
		rb = rb_begin(cfg->table, chain);
		m_bits(&rb, false, NFT_META_MARK, m->blocked, m->blocked, NFT_CMP_EQ);
		m_u8(&rb, NFT_META_L4PROTO, IPPROTO_TCP);
		ex_reject_tcp(&rb);
		if (rb_end(&rb, b, seq))
			return -1;
	}
	rb = rb_begin(cfg->table, chain);
	m_bits(&rb, false, NFT_META_MARK, m->blocked, m->blocked, NFT_CMP_EQ);
	ex_simple(&rb, "counter");
	ex_verdict(&rb, NF_DROP);
	return rb_end(&rb, b, seq);
}

/* ip dscp set / ip6 dscp set, for one family. */
static void rule_dscp(struct rb *rb, int family, unsigned int dscp)
{
	uint8_t mask[2], xor[2];

	m_u8(rb, NFT_META_NFPROTO, family == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	if (family == 4) {
		/* version/IHL + TOS as one 16-bit word: the incremental checksum
		 * update is only right for word-aligned writes */
		mask[0] = 0xff;
		mask[1] = 0x03;		/* keep ECN */
		xor[0] = 0;
		xor[1] = (uint8_t)(dscp << 2);
		ex_payload_load(rb, NFT_PAYLOAD_NETWORK_HEADER, 0, 2, NFT_REG_1);
		ex_bitwise(rb, NFT_REG_1, mask, xor, 2);
		ex_payload_write(rb, 0, 2, true);
		return;
	}
	/* IPv6: version(4) | DSCP(6) ECN(2) | flow label(20) */
	mask[0] = 0xf0;
	mask[1] = 0x3f;
	xor[0] = (uint8_t)(dscp >> 2);
	xor[1] = (uint8_t)((dscp & 3) << 6);
	ex_payload_load(rb, NFT_PAYLOAD_NETWORK_HEADER, 0, 2, NFT_REG_1);
	ex_bitwise(rb, NFT_REG_1, mask, xor, 2);
	ex_payload_write(rb, 0, 2, false);
}

/* Every packet of a flow in class c: class bits into the packet mark (tc fw
 * filters, HTB), then DSCP and skb priority if the class sets them. */
static int class_rules(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct nft_cfg *cfg,
		       const char *chain, const struct nft_class_map *c)
{
	const struct marks *m = &cfg->marks;
	uint32_t bits = marks_class(m, c->mark);
	struct rb rb;
	int family;

	rb = rb_begin(cfg->table, chain);
	m_bits(&rb, true, NFT_CT_MARK, m->class_mask, bits, NFT_CMP_EQ);
	ex_meta_load(&rb, NFT_META_MARK, NFT_REG_1);
	{
		uint32_t keep = ~m->class_mask;

		ex_bitwise(&rb, NFT_REG_1, &keep, &bits, sizeof(keep));
	}
	ex_meta_set(&rb, NFT_META_MARK, NFT_REG_1);
	if (c->priority >= 0) {
		ex_imm_u32(&rb, NFT_REG_1, (uint32_t)c->priority);
		ex_meta_set(&rb, NFT_META_PRIORITY, NFT_REG_1);
	}
	if (rb_end(&rb, b, seq))
		return -1;
	for (family = 4; c->dscp >= 0 && family <= 6; family += 2) {
		rb = rb_begin(cfg->table, chain);
		m_bits(&rb, true, NFT_CT_MARK, m->class_mask, bits, NFT_CMP_EQ);
		rule_dscp(&rb, family, (unsigned int)c->dscp);
		if (rb_end(&rb, b, seq))
			return -1;
	}
	return 0;
}

/* The verdict chain sees every packet of every flow, released ones too, so
 * it stays short: packets carrying a fresh verdict jump to the save chain,
 * packets of flows without a class return at once. */
static int chain_verdict_rules(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct nft_cfg *cfg,
			       const char *chain, const char *save)
{
	const struct marks *m = &cfg->marks;
	struct rb rb;
	unsigned int i;

	rb = rb_begin(cfg->table, chain);
	m_bits(&rb, false, NFT_META_MARK, m->used, 0, NFT_CMP_NEQ);
	ex_jump(&rb, save);
	if (rb_end(&rb, b, seq))
		return -1;
	if (!cfg->n_classes)
		return 0;
	rb = rb_begin(cfg->table, chain);
	m_bits(&rb, true, NFT_CT_MARK, m->class_mask, 0, NFT_CMP_EQ);
	ex_verdict(&rb, NFT_RETURN);
	if (rb_end(&rb, b, seq))
		return -1;
	for (i = 0; i < cfg->n_classes; i++)
		if (class_rules(b, seq, cfg, chain, &cfg->classes[i]))
			return -1;
	return 0;
}

static int hook_chains(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct nft_cfg *cfg, unsigned int h)
{
	char verdict[32], save[32];

	snprintf(verdict, sizeof(verdict), "%s_verdict", hook_names[h]);
	snprintf(save, sizeof(save), "%s_save", hook_names[h]);
	if (msg_chain(b, seq, cfg->table, hook_names[h], hook_nums[h], NFT_PRIO_FILTER) ||
	    chain_filter_rules(b, seq, cfg, hook_names[h]))
		return -1;
	/* the jump target must exist before the rule naming it */
	if (msg_chain(b, seq, cfg->table, save, -1, 0) || chain_save_rules(b, seq, cfg, save))
		return -1;
	if (msg_chain(b, seq, cfg->table, verdict, hook_nums[h], NFT_PRIO_VERDICT))
		return -1;
	return chain_verdict_rules(b, seq, cfg, verdict, save);
}

int nft_build_install(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct nft_cfg *cfg)
{
	bool on[3] = { true, cfg->input_chain, cfg->output_chain };
	unsigned int h;

	if (cfg->queue_last < cfg->queue_first || cfg->queue_last > 65535) {
		errno = EINVAL;
		return -1;
	}
	/* add + delete + add in one transaction: the old table (if any) goes
	 * away atomically with the new one's arrival, and nothing doubles. */
	if (msg_table(b, seq, cfg->table, NFT_MSG_NEWTABLE) ||
	    msg_table(b, seq, cfg->table, NFT_MSG_DELTABLE) ||
	    msg_table(b, seq, cfg->table, NFT_MSG_NEWTABLE))
		return -1;
	if (msg_set(b, seq, cfg, 4) || msg_set(b, seq, cfg, 6))
		return -1;
	for (h = 0; h < 3; h++)
		if (on[h] && hook_chains(b, seq, cfg, h))
			return -1;
	return 0;
}

int nft_build_remove(struct mnl_nlmsg_batch *b, uint32_t *seq, const char *table)
{
	return msg_table(b, seq, table, NFT_MSG_DELTABLE);
}

/* One element of blockN: added with its timeout, or deleted. */
static int build_block_elem(struct mnl_nlmsg_batch *b, uint32_t *seq, uint16_t type, const char *table,
			    int family, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t port,
			    unsigned int timeout_s)
{
	uint8_t key[40] = { 0 };
	uint32_t alen = family == 4 ? 4 : 16;
	uint16_t nport = htons(port);
	struct nftnl_set_elem *el;
	struct nftnl_set *s;
	struct nlmsghdr *nlh;

	if (family != 4 && family != 6) {
		errno = EINVAL;
		return -1;
	}
	memcpy(key, src, alen);
	memcpy(key + alen, dst, alen);
	key[2 * alen] = proto;
	memcpy(key + 2 * alen + 4, &nport, 2);
	if (!(s = nftnl_set_alloc()))
		return -1;
	if (!(el = nftnl_set_elem_alloc())) {
		nftnl_set_free(s);
		return -1;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, family == 4 ? "block4" : "block6");
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, 2 * alen + 8);
	if (timeout_s && type == NFT_MSG_NEWSETELEM)
		nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_TIMEOUT, (uint64_t)timeout_s * 1000);
	nftnl_set_elem_add(s, el);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type, NFPROTO_INET,
				    type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0, (*seq)++);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return batch_next(b);
}

int nft_build_block(struct mnl_nlmsg_batch *b, uint32_t *seq, const char *table, int family,
		    const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t port,
		    unsigned int timeout_s)
{
	return build_block_elem(b, seq, NFT_MSG_NEWSETELEM, table, family, src, dst, proto, port, timeout_s);
}

int nft_build_unblock(struct mnl_nlmsg_batch *b, uint32_t *seq, const char *table, int family,
		      const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t port)
{
	return build_block_elem(b, seq, NFT_MSG_DELSETELEM, table, family, src, dst, proto, port, 0);
}

/* ---- socket --------------------------------------------------------- */

struct nft *nft_open(void)
{
	struct nft *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	/* a libmnl batch may run one message past its limit: twice the room */
	if (!(n->buf = malloc(2 * NFT_BATCH_SIZE)))
		goto out_free_nft;
	if (!(n->dns = blockset_new(BLOCKSET_CAPACITY)))
		goto out_free_buf;
	if (!(n->nl = mnl_socket_open(NETLINK_NETFILTER)))
		goto out_free_buf;
	if (mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out_close_socket;
	n->portid = mnl_socket_get_portid(n->nl);
	n->seq = (uint32_t)time(NULL);
	pthread_mutex_init(&n->lock, NULL);
	return n;

out_close_socket:
	mnl_socket_close(n->nl);
out_free_buf:
	blockset_free(n->dns);
	free(n->buf);
out_free_nft:
	free(n);
	return NULL;
}

void nft_close(struct nft *n)
{
	if (!n)
		return;
	mnl_socket_close(n->nl);
	pthread_mutex_destroy(&n->lock);
	blockset_free(n->dns);
	free(n->buf);
	free(n);
}

/* The kernel handles the whole batch inside sendmsg(), so every error
 * message is already queued when it returns: drain without blocking. */
static int nft_talk(struct nft *n, struct mnl_nlmsg_batch *b)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	int fd = mnl_socket_get_fd(n->nl), err = 0;
	ssize_t len;

	if (mnl_socket_sendto(n->nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0)
		return -1;
	while ((len = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT)) > 0)
		if (mnl_cb_run(rbuf, (size_t)len, 0, n->portid, NULL, NULL) < 0 && !err)
			err = errno;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

typedef int (*nft_build_fn)(struct mnl_nlmsg_batch *b, uint32_t *seq, const void *arg);

/* begin + body + end, sent; the lock covers the buffer and the socket. */
static int nft_run(struct nft *n, nft_build_fn fn, const void *arg)
{
	struct mnl_nlmsg_batch *b;
	int ret = -1, saved;

	pthread_mutex_lock(&n->lock);
	if (!(b = mnl_nlmsg_batch_start(n->buf, NFT_BATCH_SIZE)))
		goto out_unlock;
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), n->seq++);
	mnl_nlmsg_batch_next(b);
	if (fn(b, &n->seq, arg))
		goto out_stop_batch;
	nftnl_batch_end(mnl_nlmsg_batch_current(b), n->seq++);
	if (batch_next(b))
		goto out_stop_batch;
	ret = nft_talk(n, b);
out_stop_batch:
	saved = errno;
	mnl_nlmsg_batch_stop(b);
	errno = saved;
out_unlock:
	pthread_mutex_unlock(&n->lock);
	return ret;
}

static int build_install(struct mnl_nlmsg_batch *b, uint32_t *seq, const void *arg)
{
	return nft_build_install(b, seq, arg);
}

static int build_remove(struct mnl_nlmsg_batch *b, uint32_t *seq, const void *arg)
{
	return nft_build_remove(b, seq, arg);
}

/* A chain-less table with one queue rule, deleted in the same batch. */
static int build_probe(struct mnl_nlmsg_batch *b, uint32_t *seq, const void *arg)
{
	struct nft_cfg cfg;
	struct rb rb;

	nft_cfg_defaults(&cfg);
	cfg.table = arg;
	cfg.backend = NFT_QUEUE_EXPR;
	if (msg_table(b, seq, cfg.table, NFT_MSG_NEWTABLE) ||
	    msg_chain(b, seq, cfg.table, "probe", -1, 0))
		return -1;
	rb = rb_begin(cfg.table, "probe");
	ex_queue(&rb, &cfg);
	if (rb_end(&rb, b, seq))
		return -1;
	return msg_table(b, seq, cfg.table, NFT_MSG_DELTABLE);
}

int nft_probe_queue(struct nft *n)
{
	if (nft_run(n, build_probe, "netify_probe") == 0)
		return 1;
	/* the expression type is missing: ENOENT after the module autoload */
	return errno == ENOENT || errno == EOPNOTSUPP ? 0 : -1;
}

int nft_install(struct nft *n, const struct nft_cfg *cfg)
{
	return nft_run(n, build_install, cfg);
}

int nft_remove(struct nft *n, const char *table)
{
	return nft_run(n, build_remove, table);
}

struct block_arg {
	const char *table;
	int family;
	const uint8_t *src, *dst;
	uint8_t proto;
	uint16_t port;
	unsigned int timeout;
};

static int build_block(struct mnl_nlmsg_batch *b, uint32_t *seq, const void *arg)
{
	const struct block_arg *a = arg;

	return nft_build_block(b, seq, a->table, a->family, a->src, a->dst, a->proto, a->port, a->timeout);
}

static int build_unblock(struct mnl_nlmsg_batch *b, uint32_t *seq, const void *arg)
{
	const struct block_arg *a = arg;

	return nft_build_unblock(b, seq, a->table, a->family, a->src, a->dst, a->proto, a->port);
}

int nft_block_add(struct nft *n, const char *table, int family, const uint8_t *src,
		  const uint8_t *dst, uint8_t proto, uint16_t port, unsigned int timeout_s)
{
	struct block_arg a = { table, family, src, dst, proto, port, timeout_s };

	return nft_run(n, build_block, &a);
}

int nft_block_add_dns(struct nft *n, const char *table, int family, const uint8_t *src,
		      const uint8_t *dst, uint8_t proto, uint16_t port, unsigned int timeout_s, int32_t app)
{
	struct blockset_elem e = { (uint8_t)family, proto, port, { 0 }, { 0 } };
	uint64_t now = util_mono_ms() / 1000;

	memcpy(e.dev, src, family == 4 ? 4 : 16);
	memcpy(e.srv, dst, family == 4 ? 4 : 16);
	/* remembered first: a DNS answer seen meanwhile can withdraw it */
	if (blockset_add(n->dns, &e, app, now + timeout_s, now) < 0) {
		log_once(&n->dns_full_logged, LOG_WARNING, "block set: %u entries rest on the DNS hint; "
			 "addresses only the DNS hint ties are left out (their connections are judged "
			 "one by one), counted in block_set_errors", BLOCKSET_CAPACITY);
		return -1;
	}
	return nft_block_add(n, table, family, src, dst, proto, port, timeout_s);
}

struct withdraw_ctx {
	struct nft *n;
	const char *table;
	int errors;
};

static void withdraw_one(void *arg, const struct blockset_elem *e)
{
	struct withdraw_ctx *w = arg;

	if (nft_block_del(w->n, w->table, e->family, e->dev, e->srv, e->proto, e->port) < 0)
		w->errors++;
}

int nft_block_withdraw(struct nft *n, const char *table, int family, const uint8_t *dst, int32_t app)
{
	struct withdraw_ctx w = { n, table, 0 };
	unsigned int k;

	if (blockset_empty(n->dns))
		return 0;
	k = blockset_withdraw(n->dns, family, dst, app, util_mono_ms() / 1000, withdraw_one, &w);
	if (w.errors) {
		errno = EIO;
		return -1;
	}
	return (int)k;
}

bool nft_block_dns_any(const struct nft *n)
{
	return !blockset_empty(n->dns);
}

int nft_block_del(struct nft *n, const char *table, int family, const uint8_t *src,
		  const uint8_t *dst, uint8_t proto, uint16_t port)
{
	struct block_arg a = { table, family, src, dst, proto, port, 0 };

	/* gone already (its timeout ran out): what was asked for */
	if (nft_run(n, build_unblock, &a) < 0 && errno != ENOENT)
		return -1;
	return 0;
}
