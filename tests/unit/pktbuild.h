/* Builds test packets byte by byte (Ethernet/VLAN/IPv4/IPv6/TCP/UDP). */
#ifndef NETIFY_TEST_PKTBUILD_H
#define NETIFY_TEST_PKTBUILD_H

#include <stdint.h>
#include <string.h>

struct pb {
	uint8_t buf[2048];
	size_t len;
};

static inline void pb_bytes(struct pb *b, const void *p, size_t n)
{
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static inline void pb_u8(struct pb *b, uint8_t v)
{
	b->buf[b->len++] = v;
}

static inline void pb_be16(struct pb *b, uint16_t v)
{
	pb_u8(b, (uint8_t)(v >> 8));
	pb_u8(b, (uint8_t)v);
}

static inline void pb_eth(struct pb *b, uint16_t type)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 2 }, src[6] = { 0x02, 0, 0, 0, 0, 1 };

	pb_bytes(b, dst, 6);
	pb_bytes(b, src, 6);
	pb_be16(b, type);
}

static inline void pb_vlan(struct pb *b, uint16_t tpid, uint16_t vid)
{
	/* call after pb_eth(b, tpid): the tag's TCI then the next type */
	pb_be16(b, vid);
	pb_be16(b, tpid);
}

/* IPv4 header (20 bytes + optlen of options) for a payload of plen bytes. */
static inline void pb_ipv4(struct pb *b, uint8_t proto, const char *src, const char *dst,
			   uint16_t plen, uint16_t frag, size_t optlen)
{
	uint8_t s[4], d[4];
	size_t i;

	sscanf(src, "%hhu.%hhu.%hhu.%hhu", &s[0], &s[1], &s[2], &s[3]);
	sscanf(dst, "%hhu.%hhu.%hhu.%hhu", &d[0], &d[1], &d[2], &d[3]);
	pb_u8(b, (uint8_t)(0x40 | (5 + optlen / 4)));
	pb_u8(b, 0);
	pb_be16(b, (uint16_t)(20 + optlen + plen));
	pb_be16(b, 1);
	pb_be16(b, frag);
	pb_u8(b, 64);
	pb_u8(b, proto);
	pb_be16(b, 0);
	pb_bytes(b, s, 4);
	pb_bytes(b, d, 4);
	for (i = 0; i < optlen; i++)
		pb_u8(b, 1);	/* NOP options */
}

static inline void pb_ipv6(struct pb *b, uint8_t nh, uint8_t last, uint16_t plen)
{
	pb_be16(b, 0x6000);
	pb_be16(b, 0);
	pb_be16(b, plen);
	pb_u8(b, nh);
	pb_u8(b, 64);
	for (int i = 0; i < 15; i++)
		pb_u8(b, 0x20);
	pb_u8(b, 1);
	for (int i = 0; i < 15; i++)
		pb_u8(b, 0x20);
	pb_u8(b, last);
}

static inline void pb_tcp(struct pb *b, uint16_t sport, uint16_t dport, uint8_t flags)
{
	pb_be16(b, sport);
	pb_be16(b, dport);
	pb_be16(b, 0); pb_be16(b, 1);	/* seq */
	pb_be16(b, 0); pb_be16(b, 0);	/* ack */
	pb_u8(b, 5 << 4);
	pb_u8(b, flags);
	pb_be16(b, 65535);
	pb_be16(b, 0);
	pb_be16(b, 0);
}

static inline void pb_udp(struct pb *b, uint16_t sport, uint16_t dport, uint16_t plen)
{
	pb_be16(b, sport);
	pb_be16(b, dport);
	pb_be16(b, (uint16_t)(8 + plen));
	pb_be16(b, 0);
}

#endif
