/* ctnetlink requests for single connections: see ct.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>

#include "ct.h"
#include "util.h"

#define CT_BUF 8192

struct ct {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
};

static bool ct_tuple_ok(const struct ct_tuple *t)
{
	return (t->family == 4 || t->family == 6) &&
	       (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP || t->proto == IPPROTO_SCTP ||
		t->proto == IPPROTO_UDPLITE);
}

static struct nlmsghdr *ct_msg(char *buf, uint16_t type, uint16_t flags, uint32_t seq, int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family == 4 ? AF_INET : AF_INET6;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* The tuple of direction dir: the reply tuple is the original reversed. */
static bool ct_put_tuple(struct nlmsghdr *nlh, size_t len, const struct ct_tuple *t, enum ct_dir dir)
{
	const uint8_t *src = dir == CT_DIR_ORIG ? t->src : t->dst;
	const uint8_t *dst = dir == CT_DIR_ORIG ? t->dst : t->src;
	uint16_t sport = dir == CT_DIR_ORIG ? t->sport : t->dport;
	uint16_t dport = dir == CT_DIR_ORIG ? t->dport : t->sport;
	size_t alen = t->family == 4 ? 4 : 16;
	struct nlattr *tuple, *ip, *proto;

	if (!(tuple = mnl_attr_nest_start_check(nlh, len, dir == CT_DIR_ORIG ? CTA_TUPLE_ORIG : CTA_TUPLE_REPLY)))
		return false;
	if (!(ip = mnl_attr_nest_start_check(nlh, len, CTA_TUPLE_IP)))
		return false;
	if (!mnl_attr_put_check(nlh, len, t->family == 4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, alen, src) ||
	    !mnl_attr_put_check(nlh, len, t->family == 4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, alen, dst))
		return false;
	mnl_attr_nest_end(nlh, ip);
	if (!(proto = mnl_attr_nest_start_check(nlh, len, CTA_TUPLE_PROTO)))
		return false;
	if (!mnl_attr_put_u8_check(nlh, len, CTA_PROTO_NUM, t->proto) ||
	    !mnl_attr_put_u16_check(nlh, len, CTA_PROTO_SRC_PORT, htons(sport)) ||
	    !mnl_attr_put_u16_check(nlh, len, CTA_PROTO_DST_PORT, htons(dport)))
		return false;
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
	return true;
}

size_t ct_build_mark(char *buf, size_t len, uint32_t seq, const struct ct_tuple *t, enum ct_dir dir,
		     uint32_t mark, uint32_t mark_mask)
{
	struct nlmsghdr *nlh;

	if (!ct_tuple_ok(t) || len < 256)
		return 0;
	/* IPCTNL_MSG_CT_NEW without NLM_F_CREATE only updates an existing entry */
	nlh = ct_msg(buf, IPCTNL_MSG_CT_NEW, NLM_F_ACK, seq, t->family);
	if (!ct_put_tuple(nlh, len, t, dir) ||
	    !mnl_attr_put_u32_check(nlh, len, CTA_MARK, htonl(mark)) ||
	    !mnl_attr_put_u32_check(nlh, len, CTA_MARK_MASK, htonl(mark_mask)))
		return 0;
	return nlh->nlmsg_len;
}

size_t ct_build_delete(char *buf, size_t len, uint32_t seq, const struct ct_tuple *t, enum ct_dir dir)
{
	struct nlmsghdr *nlh;

	if (!ct_tuple_ok(t) || len < 256)
		return 0;
	nlh = ct_msg(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, seq, t->family);
	return ct_put_tuple(nlh, len, t, dir) ? nlh->nlmsg_len : 0;
}

size_t ct_build_get(char *buf, size_t len, uint32_t seq, const struct ct_tuple *t, enum ct_dir dir)
{
	struct nlmsghdr *nlh;

	if (!ct_tuple_ok(t) || len < 256)
		return 0;
	nlh = ct_msg(buf, IPCTNL_MSG_CT_GET, NLM_F_ACK, seq, t->family);
	return ct_put_tuple(nlh, len, t, dir) ? nlh->nlmsg_len : 0;
}

/* ---- replies -------------------------------------------------------- */

static int ct_top_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_MAX) < 0)
		return MNL_CB_OK;
	if (type == CTA_MARK && mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return MNL_CB_OK;
	if ((type == CTA_COUNTERS_ORIG || type == CTA_COUNTERS_REPLY) &&
	    mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

static int ct_counter_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_COUNTERS_MAX) < 0)
		return MNL_CB_OK;
	if ((type == CTA_COUNTERS_PACKETS || type == CTA_COUNTERS_BYTES) &&
	    mnl_attr_validate(a, MNL_TYPE_U64) == 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static void ct_counters(const struct nlattr *nest, uint64_t *packets, uint64_t *bytes)
{
	const struct nlattr *tb[CTA_COUNTERS_MAX + 1] = { NULL };

	if (!nest || mnl_attr_parse_nested(nest, ct_counter_cb, tb) < 0)
		return;
	if (tb[CTA_COUNTERS_PACKETS])
		*packets = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_PACKETS]));
	if (tb[CTA_COUNTERS_BYTES])
		*bytes = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_BYTES]));
}

/* Not mnl_nlmsg_ok(): it compares the message's own length as an int, so
 * a length of 2 GiB or more reads as negative and passes, and the
 * attribute parser then walks past the buffer. These compare unsigned, and
 * the nfgenmsg header must fit too. */
static bool ct_msg_ok(const struct nlmsghdr *nlh, size_t len)
{
	return len >= sizeof(*nlh) && nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(struct nfgenmsg)) &&
	       nlh->nlmsg_len <= len;
}

int ct_parse_info(const void *msg, size_t len, struct ct_info *info)
{
	const struct nlattr *tb[CTA_MAX + 1] = { NULL };
	const struct nlmsghdr *nlh = msg;

	memset(info, 0, sizeof(*info));
	if (!ct_msg_ok(nlh, len) || (nlh->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK)
		return -1;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), ct_top_cb, tb) < 0)
		return -1;
	if (tb[CTA_MARK])
		info->mark = ntohl(mnl_attr_get_u32(tb[CTA_MARK]));
	ct_counters(tb[CTA_COUNTERS_ORIG], &info->packets[0], &info->bytes[0]);
	ct_counters(tb[CTA_COUNTERS_REPLY], &info->packets[1], &info->bytes[1]);
	return 0;
}

/* ---- socket --------------------------------------------------------- */

struct ct *ct_open(void)
{
	struct timeval tv = { .tv_sec = 1 };
	struct ct *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (!(c->nl = mnl_socket_open(NETLINK_NETFILTER)))
		goto out_free_ct;
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out_close_socket;
	/* a lost answer must not hang a worker */
	setsockopt(mnl_socket_get_fd(c->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	c->portid = mnl_socket_get_portid(c->nl);
	c->seq = (uint32_t)time(NULL);
	return c;

out_close_socket:
	mnl_socket_close(c->nl);
out_free_ct:
	free(c);
	return NULL;
}

void ct_close(struct ct *c)
{
	if (!c)
		return;
	mnl_socket_close(c->nl);
	free(c);
}

struct ct_reply {
	struct ct_info *info;
	bool got;
};

static int ct_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_reply *r = data;

	if (r->info && ct_parse_info(nlh, nlh->nlmsg_len, r->info) == 0)
		r->got = true;
	return MNL_CB_OK;
}

/* Sends one request and reads until its ack or error. */
static int ct_talk(struct ct *c, const char *req, size_t len, uint32_t seq, struct ct_info *info)
{
	char buf[CT_BUF];
	struct ct_reply r = { info, false };
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(c->nl, req, len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(c->nl, buf, sizeof(buf));
		if (n < 0)
			return -1;
		ret = mnl_cb_run(buf, (size_t)n, seq, c->portid, ct_data_cb, &r);
	} while (ret > 0);
	return ret < 0 ? -1 : 0;
}

typedef size_t (*ct_build_fn)(char *buf, size_t len, uint32_t seq, const struct ct_tuple *t,
			      enum ct_dir dir, uint32_t a, uint32_t b);

static size_t build_mark(char *buf, size_t len, uint32_t seq, const struct ct_tuple *t, enum ct_dir dir,
			 uint32_t a, uint32_t b)
{
	return ct_build_mark(buf, len, seq, t, dir, a, b);
}

static size_t build_delete(char *buf, size_t len, uint32_t seq, const struct ct_tuple *t, enum ct_dir dir,
			   uint32_t a, uint32_t b)
{
	return ct_build_delete(buf, len, seq, t, dir);
}

static size_t build_get(char *buf, size_t len, uint32_t seq, const struct ct_tuple *t, enum ct_dir dir,
			uint32_t a, uint32_t b)
{
	return ct_build_get(buf, len, seq, t, dir);
}

/* The original direction first; on ENOENT the reply direction, which is how
 * a DNAT'ed connection is known by the addresses the forward hook saw. */
static int ct_request(struct ct *c, ct_build_fn fn, const struct ct_tuple *t, uint32_t a, uint32_t b,
		      struct ct_info *info)
{
	char req[1024];
	enum ct_dir dir;
	size_t len;

	for (dir = CT_DIR_ORIG; dir <= CT_DIR_REPLY; dir++) {
		uint32_t seq = ++c->seq;

		if (!(len = fn(req, sizeof(req), seq, t, dir, a, b))) {
			errno = EPROTONOSUPPORT;
			return -1;
		}
		if (ct_talk(c, req, len, seq, info) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
	}
	return -1;
}

int ct_set_mark(struct ct *c, const struct ct_tuple *t, uint32_t mark, uint32_t mark_mask)
{
	return ct_request(c, build_mark, t, mark, mark_mask, NULL);
}

int ct_delete(struct ct *c, const struct ct_tuple *t)
{
	return ct_request(c, build_delete, t, 0, 0, NULL);
}

int ct_get(struct ct *c, const struct ct_tuple *t, struct ct_info *info)
{
	return ct_request(c, build_get, t, 0, 0, info);
}

/* ---- tuples as keys ---- */

uint32_t ct_tuple_hash(const struct ct_tuple *t, uint64_t seed)
{
	struct {
		uint8_t family, proto;
		uint16_t sport, dport;
		uint8_t src[16], dst[16];
	} k;
	size_t alen = t->family == 4 ? 4 : 16;

	memset(&k, 0, sizeof(k));	/* padding and unused address bytes too */
	k.family = (uint8_t)t->family;
	k.proto = t->proto;
	k.sport = t->sport;
	k.dport = t->dport;
	memcpy(k.src, t->src, alen);
	memcpy(k.dst, t->dst, alen);
	return (uint32_t)util_hash(&k, sizeof(k), seed);
}

bool ct_tuple_eq(const struct ct_tuple *a, const struct ct_tuple *b)
{
	size_t alen = a->family == 4 ? 4 : 16;

	return a->family == b->family && a->proto == b->proto && a->sport == b->sport &&
	       a->dport == b->dport && !memcmp(a->src, b->src, alen) && !memcmp(a->dst, b->dst, alen);
}

void ct_tuple_reverse(struct ct_tuple *out, const struct ct_tuple *t)
{
	memset(out, 0, sizeof(*out));
	out->family = t->family;
	out->proto = t->proto;
	memcpy(out->src, t->dst, sizeof(out->src));
	memcpy(out->dst, t->src, sizeof(out->dst));
	out->sport = t->dport;
	out->dport = t->sport;
}
