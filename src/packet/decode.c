/* Packet decode through a bounds-checked cursor (see cursor.h).
 *
 * Link layers: Ethernet with 802.1Q/802.1ad/QinQ, PPPoE session and MPLS,
 * Linux cooked v1/v2, raw IP, BSD loopback. Then IPv4 (options, fragments)
 * or IPv6 (extension headers), then the transport header. Anything that
 * does not add up is DECODE_MALFORMED; nothing here trusts a length field.
 */
#include <netinet/in.h>
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

#define MAX_LINK_TAGS	8	/* VLAN + MPLS labels we are willing to skip */
#define MAX_IPV6_EXT	8	/* extension headers we are willing to walk */

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
			p->vlan = tci & 0x0fff;
			break;
		case ETH_P_PPPOE_S:
			if (!cur_pull(c, 6) || cur_be16(c, &ppp))
				return DECODE_MALFORMED;
			if (ppp == 0x0021 || ppp == 0x0057)
				return decode_by_version(c, p);
			return DECODE_NOT_IP;
		case ETH_P_MPLS:
		case ETH_P_MPLS_MC:
			do {
				if (cur_be32(c, &label))
					return DECODE_MALFORMED;
			} while (!(label & 0x100) && ++tags < MAX_LINK_TAGS);
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
	if (arphrd == 1 && alen == 6) {
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
	if (h && h[0] == 0xff && h[1] == 0x03)
		cur_pull(c, 2);
	if (cur_be16(c, &proto))
		return DECODE_MALFORMED;
	if (proto == 0x0021 || proto == 0x0057)
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
	if ((h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24) != 1)
		return DECODE_NOT_IP;	/* only Ethernet inside */
	return decode_ethernet(c, p);
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
	if (frag & 0x1fff)
		return DECODE_FRAGMENT;
	p->first_fragment = !!(frag & 0x2000);
	return decode_l4(c, p);
}

static int ipv6_is_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 50 || nh == 51 || nh == 60 || nh == 135 ||
	       nh == 139 || nh == 140;
}

static enum decode_status decode_ipv6_ext(struct cursor *c, struct pkt *p, uint8_t nh)
{
	unsigned n;

	for (n = 0; n < MAX_IPV6_EXT && ipv6_is_ext(nh); n++) {
		const uint8_t *e = cur_peek(c, 8);
		size_t len;

		if (nh == 50)	/* ESP: the rest is encrypted */
			break;
		if (!e)
			return DECODE_MALFORMED;
		if (nh == 44) {
			if ((e[2] << 8 | e[3]) & 0xfff8)
				return DECODE_FRAGMENT;
			p->first_fragment = !!(e[3] & 1);
			len = 8;
		} else if (nh == 51) {
			len = ((size_t)e[1] + 2) * 4;
		} else {
			len = ((size_t)e[1] + 1) * 8;
		}
		nh = e[0];
		if (!cur_pull(c, len))
			return DECODE_MALFORMED;
	}
	if (ipv6_is_ext(nh) && nh != 50)
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
	struct cursor c;

	memset(out, 0, sizeof(*out));
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
	{ 1, LINK_ETHERNET },	/* DLT_EN10MB */
	{ 113, LINK_SLL },	/* DLT_LINUX_SLL */
	{ 276, LINK_SLL2 },	/* DLT_LINUX_SLL2 */
	{ 101, LINK_RAW },	/* LINKTYPE_RAW */
	{ 12, LINK_RAW },	/* DLT_RAW (BSD value) */
	{ 14, LINK_RAW },	/* DLT_RAW (OpenBSD value) */
	{ 228, LINK_RAW },	/* DLT_IPV4 */
	{ 229, LINK_RAW },	/* DLT_IPV6 */
	{ 0, LINK_NULL },	/* DLT_NULL */
	{ 108, LINK_NULL },	/* DLT_LOOP */
	{ 9, LINK_PPP },	/* DLT_PPP */
	{ 50, LINK_PPP },	/* DLT_PPP_SERIAL */
	{ 104, LINK_CHDLC },	/* DLT_C_HDLC */
	{ 192, LINK_PPI },	/* DLT_PPI */
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
