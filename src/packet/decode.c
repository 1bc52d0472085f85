/* Packet decode through a bounds-checked cursor (see cursor.h).
 *
 * Link layers: Ethernet with 802.1Q/802.1ad/QinQ, PPPoE session and MPLS,
 * Linux cooked v1/v2, raw IP, BSD loopback. Then IPv4 (options, fragments)
 * or IPv6 (extension headers), then the transport header. Anything that
 * does not add up is DECODE_MALFORMED; nothing here trusts a length field.
 *
 * With DECODE_TUNNELS (capture files: what ndpiReader decodes too), the
 * packet inside IP-in-IP (4in4, 6in4, 4in6, 6in6), GRE (RFC 2784/2890,
 * and PPTP's enhanced GRE, RFC 2637) and CAPWAP data (RFC 5415/5416,
 * 802.3 or 802.11 frames) replaces the outer one, up to MAX_TUNNELS deep.
 * The inline daemon does not decode them: its verdict and conntrack mark
 * apply to the outer packet's connection, whatever runs inside.
 */
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>

#include "cursor.h"
#include "decode.h"

#define ETH_P_IPV4	0x0800
#define ETH_P_IPV6	0x86dd
#define ETH_P_VLAN	0x8100
#define ETH_P_QINQ	0x88a8
#define ETH_P_QINQ_OLD	0x9100
#define ETH_P_PPPOE_S	0x8864
#define ETH_P_MPLS	0x8847
#define ETH_P_MPLS_MC	0x8848
#define VLAN_VID_MASK	0x0fff
#define MPLS_LS_S	0x100	/* label stack entry: bottom of stack */
#define ETH_P_TEB	0x6558	/* transparent Ethernet bridging (GRE) */
#define ETH_P_PPP	0x880b	/* PPP in enhanced GRE (PPTP) */

#define PPP_ADDRESS	0xff	/* RFC 1662: all-stations address */
#define PPP_CONTROL	0x03	/* RFC 1662: unnumbered information */
#define PPP_IP		0x0021
#define PPP_IPV6	0x0057

#define IPV6_FRAG_OFFSET 0xfff8	/* fragment header: offset bits */
#define IPV6_FRAG_MORE	0x0001
#define NEXTHDR_HIP	139	/* not in every libc's netinet/in.h */
#define NEXTHDR_SHIM6	140

#define GRE_CSUM	0x8000	/* flags and version (RFC 2784, 2890, 2637) */
#define GRE_ROUTING	0x4000
#define GRE_KEY		0x2000
#define GRE_SEQ		0x1000
#define GRE_STRICT	0x0800
#define GRE_RECUR	0x0700
#define GRE_ACK		0x0080
#define GRE_FLAGS	0x0078	/* reserved, must be zero */
#define GRE_VERSION	0x0007

#define CAPWAP_DATA_PORT 5247
#define CAPWAP_F	0x80	/* fourth header byte: fragment */
#define CAPWAP_K	0x08	/* keep-alive */
#define CAPWAP_WBID_80211 1
#define WLAN_FC_TYPE_DATA 2
#define WLAN_FC_TODS	0x01
#define WLAN_FC_FROMDS	0x02
#define WLAN_FC_ORDER	0x80
#define WLAN_HDR_LEN	24
#define LLC_SNAP	0xaa

/* libpcap's link-layer header types (tcpdump.org/linktypes.html): the
 * LINKTYPE_* values, and the two platform DLT_RAW values it also maps. */
#define LINKTYPE_NULL		0
#define LINKTYPE_ETHERNET	1
#define LINKTYPE_PPP		9
#define DLT_RAW_BSD		12
#define DLT_RAW_OPENBSD		14
#define LINKTYPE_PPP_HDLC	50
#define LINKTYPE_RAW		101
#define LINKTYPE_C_HDLC		104
#define LINKTYPE_LOOP		108
#define LINKTYPE_LINUX_SLL	113
#define LINKTYPE_PPI		192
#define LINKTYPE_IPV4		228
#define LINKTYPE_IPV6		229
#define LINKTYPE_LINUX_SLL2	276

#define MAX_LINK_TAGS	8	/* VLAN + MPLS labels we are willing to skip */
#define MAX_IPV6_EXT	8	/* extension headers we are willing to walk */
#define MAX_TUNNELS	4	/* tunnel headers we are willing to remove */

static enum decode_status decode_ip(struct cursor *c, struct pkt *p);

static enum decode_status decode_by_version(struct cursor *c, struct pkt *p)
{
	const uint8_t *v = cur_peek(c, 1);

	if (!v)
		return DECODE_MALFORMED;
	if (v[0] >> 4 == 4 || v[0] >> 4 == 6)
		return decode_ip(c, p);
	return DECODE_NOT_IP;
}

static enum decode_status decode_ethertype(struct cursor *c, struct pkt *p, uint16_t type)
{
	unsigned tags;

	for (tags = 0; tags < MAX_LINK_TAGS; tags++) {
		uint16_t tci, ppp;
		uint32_t label;

		switch (type) {
		case ETH_P_IPV4:
		case ETH_P_IPV6:
			return decode_ip(c, p);
		case ETH_P_VLAN:
		case ETH_P_QINQ:
		case ETH_P_QINQ_OLD:
			if (cur_be16(c, &tci) || cur_be16(c, &type))
				return DECODE_MALFORMED;
			/* The innermost tag names the network, as ndpiReader does. */
			p->vlan = tci & VLAN_VID_MASK;
			break;
		case ETH_P_PPPOE_S:
			if (!cur_pull(c, 6) || cur_be16(c, &ppp))
				return DECODE_MALFORMED;
			if (ppp == PPP_IP || ppp == PPP_IPV6)
				return decode_by_version(c, p);
			return DECODE_NOT_IP;
		case ETH_P_MPLS:
		case ETH_P_MPLS_MC:
			do {
				if (cur_be32(c, &label))
					return DECODE_MALFORMED;
			} while (!(label & MPLS_LS_S) && ++tags < MAX_LINK_TAGS);
			return decode_by_version(c, p);
		default:
			return DECODE_NOT_IP;
		}
	}
	return DECODE_MALFORMED;
}

static enum decode_status decode_ethernet(struct cursor *c, struct pkt *p)
{
	const uint8_t *hdr = cur_pull(c, 12);
	uint16_t type;

	if (!hdr || cur_be16(c, &type))
		return DECODE_MALFORMED;
	memcpy(p->dmac, hdr, 6);
	memcpy(p->smac, hdr + 6, 6);
	p->has_mac = 1;
	return decode_ethertype(c, p, type);
}

static enum decode_status decode_sll(struct cursor *c, struct pkt *p, int v2)
{
	const uint8_t *hdr = cur_pull(c, v2 ? 20 : 16);
	uint16_t arphrd, alen, type;
	const uint8_t *addr;

	if (!hdr)
		return DECODE_MALFORMED;
	if (v2) {
		type = (uint16_t)(hdr[0] << 8 | hdr[1]);
		arphrd = (uint16_t)(hdr[8] << 8 | hdr[9]);
		alen = hdr[11];
		addr = hdr + 12;
	} else {
		arphrd = (uint16_t)(hdr[2] << 8 | hdr[3]);
		alen = (uint16_t)(hdr[4] << 8 | hdr[5]);
		addr = hdr + 6;
		type = (uint16_t)(hdr[14] << 8 | hdr[15]);
	}
	/* Cooked captures carry only the sender's address. */
	if (arphrd == ARPHRD_ETHER && alen == 6) {
		memcpy(p->smac, addr, 6);
		p->has_mac = 1;
	}
	return decode_ethertype(c, p, type);
}

static enum decode_status decode_null(struct cursor *c, struct pkt *p)
{
	const uint8_t *hdr = cur_pull(c, 4);

	if (!hdr)
		return DECODE_MALFORMED;
	/* The family is in the capturing host's byte order: don't trust it,
	 * the IP version nibble says the same thing. */
	return decode_by_version(c, p);
}

static enum decode_status decode_ppp(struct cursor *c, struct pkt *p)
{
	const uint8_t *h = cur_peek(c, 2);
	uint16_t proto;

	/* Address/control (ff 03) are optional (RFC 1662 ACFC). */
	if (h && h[0] == PPP_ADDRESS && h[1] == PPP_CONTROL)
		cur_pull(c, 2);
	if (cur_be16(c, &proto))
		return DECODE_MALFORMED;
	if (proto == PPP_IP || proto == PPP_IPV6)
		return decode_by_version(c, p);
	return DECODE_NOT_IP;
}

static enum decode_status decode_chdlc(struct cursor *c, struct pkt *p)
{
	uint16_t type;

	if (!cur_pull(c, 2) || cur_be16(c, &type))
		return DECODE_MALFORMED;
	return decode_ethertype(c, p, type);
}

static enum decode_status decode_ppi(struct cursor *c, struct pkt *p)
{
	const uint8_t *h = cur_peek(c, 8);
	size_t hlen;

	if (!h)
		return DECODE_MALFORMED;
	hlen = (size_t)(h[2] | h[3] << 8);	/* little-endian, per the PPI spec */
	if (hlen < 8 || !cur_pull(c, hlen))
		return DECODE_MALFORMED;
	if ((h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24) != LINKTYPE_ETHERNET)
		return DECODE_NOT_IP;	/* only Ethernet inside */
	return decode_ethernet(c, p);
}

/* ---- tunnels (DECODE_TUNNELS only) ---- */

/* Whether another tunnel header may be removed from p. */
static int tunnel_enter(struct pkt *p)
{
	if (!(p->opts & DECODE_TUNNELS) || p->tunnels >= MAX_TUNNELS)
		return 0;
	p->tunnels++;
	/* The outer frame's addresses are a router's, not the inner flow's
	 * endpoints'; an inner Ethernet or 802.11 header sets them again. */
	p->has_mac = 0;
	memset(p->smac, 0, sizeof(p->smac));
	memset(p->dmac, 0, sizeof(p->dmac));
	p->first_fragment = 0;
	return 1;
}

/* GRE header (versions 0 and 1) at c; returns DECODE_OK with c at the
 * payload and *proto its protocol type, or DECODE_NOT_IP for a header
 * this does not read (routing, source routes, other versions). */
static enum decode_status decode_gre_header(struct cursor *c, uint16_t *proto)
{
	uint16_t flags;
	size_t opt = 0;

	if (cur_be16(c, &flags) || cur_be16(c, proto))
		return DECODE_MALFORMED;
	if (flags & (GRE_ROUTING | GRE_STRICT | GRE_RECUR | GRE_FLAGS))
		return DECODE_NOT_IP;
	switch (flags & GRE_VERSION) {
	case 0:
		opt = 4 * (!!(flags & GRE_CSUM) + !!(flags & GRE_KEY) + !!(flags & GRE_SEQ));
		break;
	case 1:		/* enhanced GRE: PPP, a key (call id), no checksum */
		if ((flags & GRE_CSUM) || !(flags & GRE_KEY) || *proto != ETH_P_PPP)
			return DECODE_NOT_IP;
		opt = 4 * (1 + !!(flags & GRE_SEQ) + !!(flags & GRE_ACK));
		break;
	default:
		return DECODE_NOT_IP;
	}
	return cur_pull(c, opt) ? DECODE_OK : DECODE_MALFORMED;
}

static enum decode_status decode_gre(struct cursor *c, struct pkt *p)
{
	struct cursor in = *c;
	enum decode_status st;
	uint16_t proto;

	st = decode_gre_header(&in, &proto);
	if (st != DECODE_OK)
		return st;
	switch (proto) {
	case ETH_P_IPV4:
	case ETH_P_IPV6:
		return tunnel_enter(p) ? decode_ip(&in, p) : DECODE_NOT_IP;
	case ETH_P_PPP:
		return tunnel_enter(p) ? decode_ppp(&in, p) : DECODE_NOT_IP;
	case ETH_P_TEB:
		return tunnel_enter(p) ? decode_ethernet(&in, p) : DECODE_NOT_IP;
	default:
		return DECODE_NOT_IP;
	}
}

/* 802.11 data frame and its LLC/SNAP header. Cisco's access points send
 * the frame control field byte-swapped: the byte that says "data" tells
 * which order this one is in. */
static enum decode_status decode_80211(struct cursor *c, struct pkt *p)
{
	const uint8_t *h = cur_peek(c, WLAN_HDR_LEN), *llc;
	uint8_t fc, flags;
	size_t len = WLAN_HDR_LEN;
	uint16_t type;

	if (!h)
		return DECODE_MALFORMED;
	if ((h[0] >> 2 & 3) == WLAN_FC_TYPE_DATA) {
		fc = h[0];
		flags = h[1];
	} else if ((h[1] >> 2 & 3) == WLAN_FC_TYPE_DATA) {
		fc = h[1];
		flags = h[0];
	} else {
		return DECODE_NOT_IP;	/* management or control frame */
	}
	if (fc >> 4 & 4)
		return DECODE_NOT_IP;	/* null data: no payload */
	if ((flags & (WLAN_FC_TODS | WLAN_FC_FROMDS)) == (WLAN_FC_TODS | WLAN_FC_FROMDS))
		len += 6;		/* fourth address */
	if (fc >> 4 & 8) {
		len += 2;		/* QoS control */
		if (flags & WLAN_FC_ORDER)
			len += 4;	/* HT control */
	}
	if ((flags & (WLAN_FC_TODS | WLAN_FC_FROMDS)) == WLAN_FC_TODS) {
		memcpy(p->smac, h + 10, 6);	/* address 2: the station */
		memcpy(p->dmac, h + 16, 6);
		p->has_mac = 1;
	} else if ((flags & (WLAN_FC_TODS | WLAN_FC_FROMDS)) == WLAN_FC_FROMDS) {
		memcpy(p->dmac, h + 4, 6);
		memcpy(p->smac, h + 16, 6);	/* address 3: the source */
		p->has_mac = 1;
	}
	if (!cur_pull(c, len) || !(llc = cur_pull(c, 6)) || cur_be16(c, &type))
		return DECODE_MALFORMED;
	if (llc[0] != LLC_SNAP || llc[1] != LLC_SNAP)
		return DECODE_NOT_IP;
	return decode_ethertype(c, p, type);
}

/* CAPWAP data channel (RFC 5415 section 4.3): the header, then an 802.3
 * frame, or an 802.11 one (RFC 5416) when T is set with wireless binding 1.
 * Returns DECODE_NOT_IP for keep-alives, fragments and other bindings. */
static enum decode_status decode_capwap(struct cursor *c, struct pkt *p)
{
	const uint8_t *h = cur_peek(c, 8);
	struct cursor in = *c;
	size_t hlen;
	unsigned wbid;

	if (!h || h[0] != 0)		/* preamble: version 0, type 0 (CAPWAP header) */
		return DECODE_NOT_IP;
	hlen = (size_t)(h[1] >> 3) * 4;
	wbid = h[2] >> 1 & 0x1f;
	if (hlen < 8 || (h[3] & (CAPWAP_F | CAPWAP_K)) || !cur_pull(&in, hlen))
		return DECODE_NOT_IP;	/* fragment (F), keep-alive (K), short */
	if (!tunnel_enter(p))
		return DECODE_NOT_IP;
	if (!(h[2] & 1))		/* T clear: IEEE 802.3 frame */
		return decode_ethernet(&in, p);
	if (wbid == CAPWAP_WBID_80211)
		return decode_80211(&in, p);
	return DECODE_MALFORMED;
}

/* The packet inside p's transport, if it is a tunnel we decode; else
 * DECODE_NOT_IP and p unchanged. */
static enum decode_status decode_tunnel(struct cursor *c, struct pkt *p)
{
	struct pkt outer;
	enum decode_status st;

	if (!(p->opts & DECODE_TUNNELS) || p->tunnels >= MAX_TUNNELS)
		return DECODE_NOT_IP;
	outer = *p;
	switch (p->l4proto) {
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
		st = tunnel_enter(p) ? decode_ip(c, p) : DECODE_NOT_IP;
		break;
	case IPPROTO_GRE:
		st = decode_gre(c, p);
		break;
	case IPPROTO_UDP:
		st = p->sport == CAPWAP_DATA_PORT || p->dport == CAPWAP_DATA_PORT ?
		     decode_capwap(c, p) : DECODE_NOT_IP;
		break;
	default:
		st = DECODE_NOT_IP;
	}
	/* Not a tunnel after all, or nothing IP inside: the outer packet. */
	if (st == DECODE_NOT_IP)
		*p = outer;
	return st;
}

static enum decode_status decode_tcp(struct cursor *c, struct pkt *p)
{
	const uint8_t *h = cur_peek(c, 20);
	size_t hlen;

	if (!h)
		return DECODE_MALFORMED;
	hlen = (size_t)(h[12] >> 4) * 4;
	if (hlen < 20 || !cur_pull(c, hlen))
		return DECODE_MALFORMED;
	p->sport = (uint16_t)(h[0] << 8 | h[1]);
	p->dport = (uint16_t)(h[2] << 8 | h[3]);
	p->tcp_flags = h[13];
	return DECODE_OK;
}

static enum decode_status decode_l4(struct cursor *c, struct pkt *p)
{
	const uint8_t *h;
	enum decode_status st = DECODE_OK;

	switch (p->l4proto) {
	case IPPROTO_TCP:
		st = decode_tcp(c, p);
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		h = cur_pull(c, 8);
		if (!h)
			return DECODE_MALFORMED;
		p->sport = (uint16_t)(h[0] << 8 | h[1]);
		p->dport = (uint16_t)(h[2] << 8 | h[3]);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* Ports stay 0: one flow per address pair, as ndpiReader keeps it. */
		if (!cur_peek(c, 4))
			return DECODE_MALFORMED;
		break;
	default:
		break;
	}
	p->payload = c->p;
	p->payload_len = (uint32_t)c->len;
	if (st == DECODE_OK && p->opts & DECODE_TUNNELS) {
		struct cursor in = *c;
		enum decode_status t = decode_tunnel(&in, p);

		if (t != DECODE_NOT_IP)
			return t;
	}
	return st;
}

static enum decode_status decode_ipv4(struct cursor *c, struct pkt *p)
{
	const uint8_t *h = cur_peek(c, 20);
	uint16_t total, frag;
	size_t hlen;

	if (!h)
		return DECODE_MALFORMED;
	hlen = (size_t)(h[0] & 0x0f) * 4;
	total = (uint16_t)(h[2] << 8 | h[3]);
	/* TSO/GSO hands us packets whose total length is 0: use what we have. */
	if (total == 0)
		total = (uint16_t)(c->len > 0xffff ? 0xffff : c->len);
	if (hlen < 20 || total < hlen || !cur_peek(c, hlen))
		return DECODE_MALFORMED;
	cur_limit(c, total);
	p->family = 4;
	p->l3 = c->p;
	p->l3_len = (uint32_t)c->len;
	p->ip_len = total;
	p->l4proto = h[9];
	memcpy(p->src, h + 12, 4);
	memcpy(p->dst, h + 16, 4);
	frag = (uint16_t)(h[6] << 8 | h[7]);
	cur_pull(c, hlen);
	if (frag & IP_OFFMASK)
		return DECODE_FRAGMENT;
	p->first_fragment = !!(frag & IP_MF);
	return decode_l4(c, p);
}

static int ipv6_is_ext(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_ESP:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
	case IPPROTO_MH:
	case NEXTHDR_HIP:
	case NEXTHDR_SHIM6:
		return 1;
	default:
		return 0;
	}
}

static enum decode_status decode_ipv6_ext(struct cursor *c, struct pkt *p, uint8_t nh)
{
	unsigned n;

	for (n = 0; n < MAX_IPV6_EXT && ipv6_is_ext(nh); n++) {
		const uint8_t *e = cur_peek(c, 8);
		size_t len;

		if (nh == IPPROTO_ESP)	/* the rest is encrypted */
			break;
		if (!e)
			return DECODE_MALFORMED;
		if (nh == IPPROTO_FRAGMENT) {
			if ((e[2] << 8 | e[3]) & IPV6_FRAG_OFFSET)
				return DECODE_FRAGMENT;
			p->first_fragment = !!(e[3] & IPV6_FRAG_MORE);
			len = 8;
		} else if (nh == IPPROTO_AH) {	/* length in 4-byte words */
			len = ((size_t)e[1] + 2) * 4;
		} else {
			len = ((size_t)e[1] + 1) * 8;
		}
		nh = e[0];
		if (!cur_pull(c, len))
			return DECODE_MALFORMED;
	}
	if (ipv6_is_ext(nh) && nh != IPPROTO_ESP)
		return DECODE_MALFORMED;
	p->l4proto = nh;
	return decode_l4(c, p);
}

static enum decode_status decode_ipv6(struct cursor *c, struct pkt *p)
{
	const uint8_t *h = cur_pull(c, 40);
	size_t plen;

	if (!h)
		return DECODE_MALFORMED;
	plen = (size_t)(h[4] << 8 | h[5]);
	if (plen == 0)		/* jumbogram or GSO: take what we have */
		plen = c->len;
	cur_limit(c, plen);
	p->family = 6;
	p->l3 = h;
	p->l3_len = (uint32_t)(40 + c->len);
	p->ip_len = (uint32_t)(40 + plen);
	memcpy(p->src, h + 8, 16);
	memcpy(p->dst, h + 24, 16);
	return decode_ipv6_ext(c, p, h[6]);
}

static enum decode_status decode_ip(struct cursor *c, struct pkt *p)
{
	const uint8_t *v = cur_peek(c, 1);

	if (!v)
		return DECODE_MALFORMED;
	switch (v[0] >> 4) {
	case 4:
		return decode_ipv4(c, p);
	case 6:
		return decode_ipv6(c, p);
	default:
		return DECODE_MALFORMED;
	}
}

int decode_packet(enum link_type lt, const uint8_t *data, uint32_t caplen, struct pkt *out)
{
	return decode_packet_opts(lt, data, caplen, 0, out);
}

int decode_packet_opts(enum link_type lt, const uint8_t *data, uint32_t caplen, unsigned opts,
		       struct pkt *out)
{
	struct cursor c;

	memset(out, 0, sizeof(*out));
	out->opts = (uint8_t)opts;
	cur_init(&c, data, caplen);
	switch (lt) {
	case LINK_ETHERNET:
		return decode_ethernet(&c, out);
	case LINK_SLL:
		return decode_sll(&c, out, 0);
	case LINK_SLL2:
		return decode_sll(&c, out, 1);
	case LINK_RAW:
		return decode_ip(&c, out);
	case LINK_NULL:
		return decode_null(&c, out);
	case LINK_PPP:
		return decode_ppp(&c, out);
	case LINK_CHDLC:
		return decode_chdlc(&c, out);
	case LINK_PPI:
		return decode_ppi(&c, out);
	default:
		return DECODE_NOT_IP;
	}
}

/* pcap link types (pcap-linktype(7)) and the link type each is read as;
 * the first entry of a link type is the one netify writes (flowcap.c). */
static const struct {
	int dlt;
	enum link_type lt;
} decode_dlts[] = {
	{ LINKTYPE_ETHERNET, LINK_ETHERNET },
	{ LINKTYPE_LINUX_SLL, LINK_SLL },
	{ LINKTYPE_LINUX_SLL2, LINK_SLL2 },
	{ LINKTYPE_RAW, LINK_RAW },
	{ DLT_RAW_BSD, LINK_RAW },
	{ DLT_RAW_OPENBSD, LINK_RAW },
	{ LINKTYPE_IPV4, LINK_RAW },
	{ LINKTYPE_IPV6, LINK_RAW },
	{ LINKTYPE_NULL, LINK_NULL },
	{ LINKTYPE_LOOP, LINK_NULL },
	{ LINKTYPE_PPP, LINK_PPP },
	{ LINKTYPE_PPP_HDLC, LINK_PPP },
	{ LINKTYPE_C_HDLC, LINK_CHDLC },
	{ LINKTYPE_PPI, LINK_PPI },
};

int decode_link_from_dlt(int dlt)
{
	size_t i;

	for (i = 0; i < sizeof(decode_dlts) / sizeof(decode_dlts[0]); i++)
		if (decode_dlts[i].dlt == dlt)
			return (int)decode_dlts[i].lt;
	return -1;
}

int decode_link_to_dlt(enum link_type lt)
{
	size_t i;

	for (i = 0; i < sizeof(decode_dlts) / sizeof(decode_dlts[0]); i++)
		if (decode_dlts[i].lt == lt)
			return decode_dlts[i].dlt;
	return -1;
}

const char *decode_status_name(enum decode_status s)
{
	static const char *const names[__DECODE_MAX] = {
		[DECODE_OK] = "ok",
		[DECODE_FRAGMENT] = "fragment",
		[DECODE_NOT_IP] = "not_ip",
		[DECODE_MALFORMED] = "malformed",
	};

	return s < __DECODE_MAX ? names[s] : "?";
}
