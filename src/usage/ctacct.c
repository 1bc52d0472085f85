/* Conntrack accounting reader: see ctacct.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include "log.h"
#include "ctacct.h"

#define CTACCT_BUF	(64 * 1024)
#define CTACCT_GET_BATCH 128	/* replies of one batch fit the query socket */
#define CTACCT_Q_RCVBUF	(1 << 20)

struct ctacct {
	struct mnl_socket *ev;		/* destroy events, NULL without */
	struct mnl_socket *q;		/* dumps and gets */
	uint32_t q_portid;
	uint32_t seq;
	ctacct_fn fn;
	void *ctx;
	struct ctacct_opts o;
	bool resync;
	int grow_logged, cap_logged;
	struct ctacct_stats st;
	char buf[CTACCT_BUF];		/* one receive buffer */
	char req[CTACCT_BUF];		/* batched requests */
};

/* ---- parsing -------------------------------------------------------- */

/* mnl_nlmsg_ok() compares the length as an int: a length past 2 GiB reads
 * as negative and passes. These compare unsigned. */
static bool msg_ok(const struct nlmsghdr *nlh, size_t rem)
{
	return rem >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) && nlh->nlmsg_len <= rem;
}

static const struct nlmsghdr *msg_next(const struct nlmsghdr *nlh, size_t *rem)
{
	size_t step = MNL_ALIGN(nlh->nlmsg_len);

	if (step > *rem)
		step = *rem;
	*rem -= step;
	return (const struct nlmsghdr *)((const char *)nlh + step);
}

static int top_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);
	enum mnl_attr_data_type want;

	if (mnl_attr_type_valid(a, CTA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case CTA_TUPLE_ORIG:
	case CTA_TUPLE_REPLY:
	case CTA_COUNTERS_ORIG:
	case CTA_COUNTERS_REPLY:
	case CTA_TIMESTAMP:
		want = MNL_TYPE_NESTED;
		break;
	case CTA_ID:
	case CTA_MARK:
	case CTA_STATUS:
		want = MNL_TYPE_U32;
		break;
	case CTA_ZONE:
		want = MNL_TYPE_U16;
		break;
	default:
		return MNL_CB_OK;
	}
	if (mnl_attr_validate(a, want) == 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int ip_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_IP_MAX) < 0)
		return MNL_CB_OK;
	if ((type == CTA_IP_V4_SRC || type == CTA_IP_V4_DST) && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		tb[type] = a;
	if ((type == CTA_IP_V6_SRC || type == CTA_IP_V6_DST) &&
	    mnl_attr_validate2(a, MNL_TYPE_BINARY, 16) == 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int proto_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_PROTO_MAX) < 0)
		return MNL_CB_OK;
	if (type == CTA_PROTO_NUM && mnl_attr_validate(a, MNL_TYPE_U8) == 0)
		tb[type] = a;
	if ((type == CTA_PROTO_SRC_PORT || type == CTA_PROTO_DST_PORT) &&
	    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int nest_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	/* the nested tables below are all sized for type <= 8 */
	if (mnl_attr_get_type(a) <= 8 && mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int tuple_parse(const struct nlattr *nest, struct ct_tuple *t)
{
	const struct nlattr *tb[9] = { NULL }, *ip[CTA_IP_MAX + 1] = { NULL }, *pr[CTA_PROTO_MAX + 1] = { NULL };

	memset(t, 0, sizeof(*t));
	if (!nest || mnl_attr_parse_nested(nest, nest_cb, tb) < 0 || !tb[CTA_TUPLE_IP] ||
	    !tb[CTA_TUPLE_PROTO])
		return -1;
	if (mnl_attr_parse_nested(tb[CTA_TUPLE_IP], ip_cb, ip) < 0 ||
	    mnl_attr_parse_nested(tb[CTA_TUPLE_PROTO], proto_cb, pr) < 0 || !pr[CTA_PROTO_NUM])
		return -1;
	if (ip[CTA_IP_V4_SRC] && ip[CTA_IP_V4_DST]) {
		t->family = 4;
		memcpy(t->src, mnl_attr_get_payload(ip[CTA_IP_V4_SRC]), 4);
		memcpy(t->dst, mnl_attr_get_payload(ip[CTA_IP_V4_DST]), 4);
	} else if (ip[CTA_IP_V6_SRC] && ip[CTA_IP_V6_DST]) {
		t->family = 6;
		memcpy(t->src, mnl_attr_get_payload(ip[CTA_IP_V6_SRC]), 16);
		memcpy(t->dst, mnl_attr_get_payload(ip[CTA_IP_V6_DST]), 16);
	} else {
		return -1;
	}
	t->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	if (pr[CTA_PROTO_SRC_PORT])
		t->sport = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]));
	if (pr[CTA_PROTO_DST_PORT])
		t->dport = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]));
	return 0;
}

static int counter_cb(const struct nlattr *a, void *data)
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

static bool counters_parse(const struct nlattr *nest, uint64_t *packets, uint64_t *bytes)
{
	const struct nlattr *tb[CTA_COUNTERS_MAX + 1] = { NULL };

	if (!nest || mnl_attr_parse_nested(nest, counter_cb, tb) < 0 ||
	    !tb[CTA_COUNTERS_PACKETS] || !tb[CTA_COUNTERS_BYTES])
		return false;
	*packets = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_PACKETS]));
	*bytes = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_BYTES]));
	return true;
}

static int ts_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_TIMESTAMP_MAX) < 0)
		return MNL_CB_OK;
	if ((type == CTA_TIMESTAMP_START || type == CTA_TIMESTAMP_STOP) &&
	    mnl_attr_validate(a, MNL_TYPE_U64) == 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static void timestamp_parse(const struct nlattr *nest, struct ctacct_rec *r)
{
	const struct nlattr *tb[CTA_TIMESTAMP_MAX + 1] = { NULL };

	if (!nest || mnl_attr_parse_nested(nest, ts_cb, tb) < 0 || !tb[CTA_TIMESTAMP_START])
		return;
	r->has_timestamp = 1;
	r->start_ns = be64toh(mnl_attr_get_u64(tb[CTA_TIMESTAMP_START]));
	if (tb[CTA_TIMESTAMP_STOP])
		r->stop_ns = be64toh(mnl_attr_get_u64(tb[CTA_TIMESTAMP_STOP]));
}

int ctacct_parse(const void *msg, size_t len, struct ctacct_rec *r)
{
	const struct nlattr *tb[CTA_MAX + 1] = { NULL };
	const struct nlmsghdr *nlh = msg;
	uint8_t kind = r->kind;
	uint16_t type;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	if (!msg_ok(nlh, len) || (nlh->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
		return -1;
	type = nlh->nlmsg_type & 0xff;
	if (type != IPCTNL_MSG_CT_NEW && type != IPCTNL_MSG_CT_DELETE)
		return -1;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), top_cb, tb) < 0)
		return -1;
	if (tuple_parse(tb[CTA_TUPLE_ORIG], &r->orig) < 0)
		return -1;
	r->has_reply = tuple_parse(tb[CTA_TUPLE_REPLY], &r->reply) == 0;
	if (tb[CTA_ID])
		r->id = ntohl(mnl_attr_get_u32(tb[CTA_ID]));
	if (tb[CTA_MARK])
		r->mark = ntohl(mnl_attr_get_u32(tb[CTA_MARK]));
	if (tb[CTA_STATUS])
		r->status = ntohl(mnl_attr_get_u32(tb[CTA_STATUS]));
	if (tb[CTA_ZONE])
		r->zone = ntohs(mnl_attr_get_u16(tb[CTA_ZONE]));
	r->has_counters = counters_parse(tb[CTA_COUNTERS_ORIG], &r->packets[CT_DIR_ORIG], &r->bytes[CT_DIR_ORIG]) &&
			  counters_parse(tb[CTA_COUNTERS_REPLY], &r->packets[CT_DIR_REPLY], &r->bytes[CT_DIR_REPLY]);
	timestamp_parse(tb[CTA_TIMESTAMP], r);
	return 0;
}

/* ---- requests ------------------------------------------------------- */

size_t ctacct_build_dump(char *buf, size_t len, uint32_t seq, uint32_t mark, uint32_t mask)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (len < 64)
		return 0;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;	/* IPv4 and IPv6 */
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	if (mask) {
		/* the kernel skips entries with (mark & mask) != value itself */
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
		mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
	}
	return nlh->nlmsg_len;
}

/* ---- sockets -------------------------------------------------------- */

static void set_rcvbuf(int fd, uint32_t bytes)
{
	int v = (int)bytes;

	/* FORCE passes net.core.rmem_max (CAP_NET_ADMIN); else the capped one */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

static uint32_t get_rcvbuf(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &l);
	return (uint32_t)v;
}

/* Passes only messages whose CTA_MARK has one of mask's bits. The
 * kernel's nlattr extension finds the attribute (as libnetfilter_conntrack's
 * filters do), so a connection netify never marked wakes nobody up. */
static int attach_mark_filter(int fd, uint32_t mask)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_IMM, sizeof(struct nlmsghdr) + sizeof(struct nfgenmsg)),
		BPF_STMT(BPF_LDX | BPF_IMM, CTA_MARK),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_NLATTR),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 4, 0),	/* no mark: drop */
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_IND, sizeof(struct nlattr)),	/* network order, as BPF loads */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mask),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

static struct mnl_socket *open_events(const struct ctacct_opts *o)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	int fd, on = 1;

	if (!nl)
		return NULL;
	fd = mnl_socket_get_fd(nl);
	if (mnl_socket_bind(nl, 1u << (NFNLGRP_CONNTRACK_DESTROY - 1), MNL_SOCKET_AUTOPID) < 0)
		goto out_close;
	if (o->event_mask && attach_mark_filter(fd, o->event_mask) < 0)
		goto out_close;
	set_rcvbuf(fd, o->rcvbuf);
	if (o->reliable &&
	    (setsockopt(fd, SOL_NETLINK, NETLINK_BROADCAST_ERROR, &on, sizeof(on)) < 0 ||
	     setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof(on)) < 0))
		goto out_close;
	return nl;

out_close:
	mnl_socket_close(nl);
	return NULL;
}

static struct mnl_socket *open_query(uint32_t timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	/* a lost answer ends the dump with an error instead of hanging */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	set_rcvbuf(mnl_socket_get_fd(nl), CTACCT_Q_RCVBUF);
	return nl;
}

struct ctacct *ctacct_open(const struct ctacct_opts *o, ctacct_fn fn, void *ctx)
{
	struct ctacct *a = calloc(1, sizeof(*a));
	int err;

	if (!a)
		return NULL;
	a->o = *o;
	a->o.rcvbuf = o->rcvbuf ? o->rcvbuf : 4u << 20;
	a->o.rcvbuf_max = o->rcvbuf_max ? o->rcvbuf_max : 64u << 20;
	a->o.timeout_ms = o->timeout_ms ? o->timeout_ms : 2000;
	a->fn = fn;
	a->ctx = ctx;
	if (!(a->q = open_query(a->o.timeout_ms)))
		goto out_free;
	a->q_portid = mnl_socket_get_portid(a->q);
	a->seq = (uint32_t)time(NULL);
	if (o->events) {
		if (!(a->ev = open_events(&a->o)))
			goto out_close_q;
		a->st.rcvbuf = get_rcvbuf(mnl_socket_get_fd(a->ev));
	}
	return a;

out_close_q:
	err = errno;
	mnl_socket_close(a->q);
	errno = err;
out_free:
	err = errno;
	free(a);
	errno = err;
	return NULL;
}

void ctacct_close(struct ctacct *a)
{
	if (!a)
		return;
	if (a->ev)
		mnl_socket_close(a->ev);
	mnl_socket_close(a->q);
	free(a);
}

int ctacct_fd(const struct ctacct *a)
{
	return a->ev ? mnl_socket_get_fd(a->ev) : -1;
}

bool ctacct_resync_needed(const struct ctacct *a)
{
	return a->resync;
}

void ctacct_stats(const struct ctacct *a, struct ctacct_stats *st)
{
	*st = a->st;
}

/* ---- events --------------------------------------------------------- */

static void handle(struct ctacct *a, const struct nlmsghdr *nlh, uint8_t kind)
{
	struct ctacct_rec r;

	r.kind = kind;
	if (ctacct_parse(nlh, nlh->nlmsg_len, &r) < 0) {
		a->st.parse_errors++;
		return;
	}
	a->fn(a->ctx, &r);
}

/* The kernel dropped events: the socket buffer was full. Until a dump reads
 * every live connection again, counters may be missing; a larger buffer
 * makes it less likely next time. */
static void overrun(struct ctacct *a)
{
	int fd = mnl_socket_get_fd(a->ev);
	uint32_t given = get_rcvbuf(fd) / 2;	/* the kernel reports twice what it was given */

	a->st.enobufs++;
	a->resync = true;
	if (given < a->o.rcvbuf_max) {
		set_rcvbuf(fd, given > a->o.rcvbuf_max / 2 ? a->o.rcvbuf_max : given * 2);
		a->st.rcvbuf = get_rcvbuf(fd);
		log_once(&a->grow_logged, LOG_NOTICE,
			 "usage: conntrack events overran the socket: buffer raised to %u bytes", a->st.rcvbuf);
	} else {
		log_once(&a->cap_logged, LOG_WARNING,
			 "usage: conntrack events overran a %u-byte socket buffer: ended connections may be lost (counted)",
			 given);
	}
}

int ctacct_read(struct ctacct *a, unsigned int budget)
{
	unsigned int done = 0;

	if (!a->ev)
		return 0;
	while (!budget || done < budget) {
		ssize_t n = recv(mnl_socket_get_fd(a->ev), a->buf, sizeof(a->buf), MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)a->buf;
		size_t rem = n > 0 ? (size_t)n : 0;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				overrun(a);
				continue;
			}
			return -1;
		}
		done++;
		for (; msg_ok(nlh, rem); nlh = msg_next(nlh, &rem)) {
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			a->st.events++;
			handle(a, nlh, CTACCT_DESTROY);
		}
	}
	return (int)done;
}

/* ---- dumps and gets ------------------------------------------------- */

static int nl_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return EPROTO;
	return -e->error;
}

int ctacct_dump(struct ctacct *a, uint32_t mark, uint32_t mask)
{
	uint32_t seq = ++a->seq;
	size_t len = ctacct_build_dump(a->req, sizeof(a->req), seq, mark, mask);
	int count = 0;

	a->st.dumps++;
	if (mnl_socket_sendto(a->q, a->req, len) < 0)
		goto out_error;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(a->q, a->buf, sizeof(a->buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)a->buf;
		size_t rem = n > 0 ? (size_t)n : 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out_error;
		}
		for (; msg_ok(nlh, rem); nlh = msg_next(nlh, &rem)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != a->q_portid)
				continue;	/* left over from a request that timed out */
			if (nlh->nlmsg_type == NLMSG_DONE) {
				a->resync = false;
				a->st.dump_records += (uint64_t)count;
				return count;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				errno = nl_error(nlh);
				if (!errno)
					continue;
				goto out_error;
			}
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			handle(a, nlh, CTACCT_DUMP);
			count++;
		}
	}

out_error:
	a->st.dump_errors++;
	a->st.dump_records += (uint64_t)count;
	return -1;
}

/* One batch: n <= CTACCT_GET_BATCH requests in one send, then every
 * request's acknowledgement (a reply message comes before it when found). */
static int get_batch(struct ctacct *a, const struct ct_tuple *t, const uint8_t *dir, size_t n)
{
	uint32_t base = a->seq + 1;
	size_t off = 0, sent = 0, acked = 0;
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l = ct_build_get(a->req + off, sizeof(a->req) - off, base + (uint32_t)sent, &t[i],
					dir ? (enum ct_dir)dir[i] : CT_DIR_ORIG);

		if (!l) {	/* a tuple ctnetlink cannot name */
			a->st.get_missing++;
			continue;
		}
		off += MNL_ALIGN(l);
		sent++;
	}
	a->seq += (uint32_t)sent;
	if (!sent)
		return 0;
	if (mnl_socket_sendto(a->q, a->req, off) < 0)
		return -1;
	while (acked < sent) {
		ssize_t r = mnl_socket_recvfrom(a->q, a->buf, sizeof(a->buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)a->buf;
		size_t rem = r > 0 ? (size_t)r : 0;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (; msg_ok(nlh, rem); nlh = msg_next(nlh, &rem)) {
			if (nlh->nlmsg_seq - base >= sent || nlh->nlmsg_pid != a->q_portid)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				acked++;
				if (nl_error(nlh))
					a->st.get_missing++;
			} else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
				handle(a, nlh, CTACCT_GET);
				found++;
			}
		}
	}
	return found;
}

int ctacct_get(struct ctacct *a, const struct ct_tuple *t, const uint8_t *dir, size_t n)
{
	int found = 0, r;

	a->st.gets += n;
	for (size_t i = 0; i < n; i += CTACCT_GET_BATCH) {
		size_t k = n - i < CTACCT_GET_BATCH ? n - i : CTACCT_GET_BATCH;

		if ((r = get_batch(a, t + i, dir ? dir + i : NULL, k)) < 0)
			return -1;
		found += r;
	}
	return found;
}

/* ---- sysctl --------------------------------------------------------- */

static const char *consequence(const char *name)
{
	if (!strcmp(name, "nf_conntrack_acct"))
		return "; connections that existed before have no counters and are not counted";
	if (!strcmp(name, "nf_conntrack_timestamp"))
		return "; connections that existed before have no start time";
	return "";
}

int ctacct_sysctl_ensure(const char *dir, const char *name)
{
	char path[256], v[16];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/proc/sys/net/netfilter", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		goto out_fail;
	n = read(fd, v, sizeof(v) - 1);
	close(fd);
	if (n <= 0)
		goto out_fail;
	if (v[0] != '0')
		return 0;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		goto out_fail;
	n = write(fd, "1\n", 2);
	err = errno;
	close(fd);
	if (n != 2) {
		errno = n < 0 ? err : EIO;
		goto out_fail;
	}
	log_msg(LOG_NOTICE, "usage: net.netfilter.%s was off: turned it on%s", name, consequence(name));
	return 1;

out_fail:
	err = errno;
	log_msg(LOG_WARNING, "usage: cannot turn on net.netfilter.%s (%s): %s", name, path, strerror(err));
	errno = err;
	return -1;
}
