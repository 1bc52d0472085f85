/* Unit tests: packet decode, including truncated and garbage input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "decode.h"
#include "pktbuild.h"

static void eth_ipv4_tcp(void **state)
{
	struct pb b = { .len = 0 };
	struct pkt p;

	(void)state;
	pb_eth(&b, 0x0800);
	pb_ipv4(&b, IPPROTO_TCP, "10.0.0.1", "10.0.0.2", 20 + 4, 0, 0);
	pb_tcp(&b, 40000, 443, 0x02);
	pb_bytes(&b, "abcd", 4);
	assert_int_equal(decode_packet(LINK_ETHERNET, b.buf, (uint32_t)b.len, &p), DECODE_OK);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.l4proto, IPPROTO_TCP);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.tcp_flags, 0x02);
	assert_int_equal(p.payload_len, 4);
	assert_memory_equal(p.payload, "abcd", 4);
	assert_int_equal(p.src[3], 1);
	assert_true(p.has_mac);
	assert_int_equal(p.smac[5], 1);
}

static void qinq_innermost_vlan(void **state)
{
	struct pb b = { .len = 0 };
	struct pkt p;

	(void)state;
	pb_eth(&b, 0x88a8);
	pb_vlan(&b, 0x8100, 100);
	pb_vlan(&b, 0x0800, 200);
	pb_ipv4(&b, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 8, 0, 0);
	pb_udp(&b, 5000, 53, 0);
	assert_int_equal(decode_packet(LINK_ETHERNET, b.buf, (uint32_t)b.len, &p), DECODE_OK);
	assert_int_equal(p.vlan, 200);
	assert_int_equal(p.dport, 53);
}

static void ipv4_options_and_padding(void **state)
{
	struct pb b = { .len = 0 };
	struct pkt p;

	(void)state;
	pb_eth(&b, 0x0800);
	pb_ipv4(&b, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 8 + 2, 0, 8);
	pb_udp(&b, 1, 2, 2);
	pb_bytes(&b, "hi", 2);
	pb_bytes(&b, "\0\0\0\0\0\0", 6);	/* Ethernet padding past the IP length */
	assert_int_equal(decode_packet(LINK_ETHERNET, b.buf, (uint32_t)b.len, &p), DECODE_OK);
	assert_int_equal(p.payload_len, 2);
	assert_int_equal(p.ip_len, 20 + 8 + 8 + 2);
}

static void ipv4_fragments(void **state)
{
	struct pb b = { .len = 0 };
	struct pkt p;

	(void)state;
	pb_ipv4(&b, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 8, 0x2000, 0);	/* MF, offset 0 */
	pb_udp(&b, 1, 2, 0);
	assert_int_equal(decode_packet(LINK_RAW, b.buf, (uint32_t)b.len, &p), DECODE_OK);
	assert_true(p.first_fragment);
	b.len = 0;
	pb_ipv4(&b, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 8, 0x0010, 0);	/* offset 16 */
	pb_udp(&b, 1, 2, 0);
	assert_int_equal(decode_packet(LINK_RAW, b.buf, (uint32_t)b.len, &p), DECODE_FRAGMENT);
}

static void ipv6_extension_headers(void **state)
{
	struct pb b = { .len = 0 };
	struct pkt p;

	(void)state;
	pb_ipv6(&b, 0 /* hop-by-hop */, 2, 8 + 8 + 8);
	pb_u8(&b, 60); pb_u8(&b, 0); pb_bytes(&b, "\0\0\0\0\0\0", 6);	/* HBH -> dest opts */
	pb_u8(&b, IPPROTO_UDP); pb_u8(&b, 0); pb_bytes(&b, "\0\0\0\0\0\0", 6);
	pb_udp(&b, 546, 547, 0);
	assert_int_equal(decode_packet(LINK_RAW, b.buf, (uint32_t)b.len, &p), DECODE_OK);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.l4proto, IPPROTO_UDP);
	assert_int_equal(p.dport, 547);
	assert_int_equal(p.dst[15], 2);
}

static void ipv6_later_fragment(void **state)
{
	struct pb b = { .len = 0 };
	struct pkt p;

	(void)state;
	pb_ipv6(&b, 44, 2, 8 + 8);
	pb_u8(&b, IPPROTO_UDP); pb_u8(&b, 0); pb_be16(&b, 0x0008); pb_be16(&b, 0); pb_be16(&b, 1);
	pb_udp(&b, 1, 2, 0);
	assert_int_equal(decode_packet(LINK_RAW, b.buf, (uint32_t)b.len, &p), DECODE_FRAGMENT);
}

static void sll_cooked(void **state)
{
	struct pb b = { .len = 0 };
	struct pkt p;
	static const uint8_t sll[16] = { 0, 0, 0, 1, 0, 6, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0,
					 0x08, 0x00 };

	(void)state;
	pb_bytes(&b, sll, sizeof(sll));
	pb_ipv4(&b, IPPROTO_ICMP, "10.0.0.1", "10.0.0.2", 8, 0, 0);
	pb_bytes(&b, "\x08\0\0\0\0\1\0\1", 8);
	assert_int_equal(decode_packet(LINK_SLL, b.buf, (uint32_t)b.len, &p), DECODE_OK);
	assert_int_equal(p.l4proto, IPPROTO_ICMP);
	assert_true(p.has_mac);
	assert_int_equal(p.smac[0], 0xaa);
}

static void not_ip(void **state)
{
	struct pb b = { .len = 0 };
	struct pkt p;

	(void)state;
	pb_eth(&b, 0x0806);	/* ARP */
	pb_bytes(&b, "0123456789012345678901234567", 28);
	assert_int_equal(decode_packet(LINK_ETHERNET, b.buf, (uint32_t)b.len, &p), DECODE_NOT_IP);
}

static void every_truncation_is_safe(void **state)
{
	struct pb b = { .len = 0 };
	struct pkt p;
	size_t n;

	(void)state;
	pb_eth(&b, 0x8100);
	pb_vlan(&b, 0x0800, 7);
	pb_ipv4(&b, IPPROTO_TCP, "10.0.0.1", "10.0.0.2", 20, 0, 4);
	pb_tcp(&b, 1, 2, 0x10);
	/* Every prefix must decode as malformed (or OK for the full packet),
	 * never read past the end: ASan checks the latter. */
	for (n = 0; n < b.len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, b.buf, n);
		assert_int_equal(decode_packet(LINK_ETHERNET, copy, (uint32_t)n, &p), DECODE_MALFORMED);
		free(copy);
	}
	assert_int_equal(decode_packet(LINK_ETHERNET, b.buf, (uint32_t)b.len, &p), DECODE_OK);
}

static void bad_lengths(void **state)
{
	struct pb b = { .len = 0 };
	struct pkt p;

	(void)state;
	pb_ipv4(&b, IPPROTO_TCP, "10.0.0.1", "10.0.0.2", 20, 0, 0);
	pb_tcp(&b, 1, 2, 0);
	b.buf[0] = 0x44;	/* IHL 4 < 5 */
	assert_int_equal(decode_packet(LINK_RAW, b.buf, (uint32_t)b.len, &p), DECODE_MALFORMED);
	b.buf[0] = 0x45;
	b.buf[20 + 12] = 0x20;	/* TCP data offset 2 < 5 */
	assert_int_equal(decode_packet(LINK_RAW, b.buf, (uint32_t)b.len, &p), DECODE_MALFORMED);
	b.buf[0] = 0x75;	/* IP version 7 */
	assert_int_equal(decode_packet(LINK_RAW, b.buf, (uint32_t)b.len, &p), DECODE_MALFORMED);
}

static void random_garbage(void **state)
{
	uint8_t buf[256];
	struct pkt p;
	unsigned i, j, lt;

	(void)state;
	srand(1234);
	for (i = 0; i < 20000; i++) {
		size_t n = (size_t)rand() % sizeof(buf);

		for (j = 0; j < n; j++)
			buf[j] = (uint8_t)rand();
		if (n > 14 && (i & 1))
			buf[12] = 0x08, buf[13] = 0x00, buf[14] = 0x45;
		lt = i % __LINK_MAX;
		assert_true(decode_packet((enum link_type)lt, buf, (uint32_t)n, &p) < __DECODE_MAX);
	}
}

static void dlt_mapping(void **state)
{
	(void)state;
	assert_int_equal(decode_link_from_dlt(1), LINK_ETHERNET);
	assert_int_equal(decode_link_from_dlt(113), LINK_SLL);
	assert_int_equal(decode_link_from_dlt(101), LINK_RAW);
	assert_int_equal(decode_link_from_dlt(147), -1);
	/* every link type is written with a DLT that reads back as itself */
	for (int lt = 0; lt < __LINK_MAX; lt++)
		assert_int_equal(decode_link_from_dlt(decode_link_to_dlt((enum link_type)lt)), lt);
	assert_int_equal(decode_link_to_dlt(LINK_RAW), 101);	/* LINKTYPE_RAW, not a BSD value */
	assert_int_equal(decode_link_to_dlt(LINK_NULL), 0);
	assert_int_equal(decode_link_to_dlt(LINK_PPP), 9);
	assert_int_equal(decode_link_to_dlt(__LINK_MAX), -1);
}

/* ---- tunnels (DECODE_TUNNELS) ---- */

static int decode_tun(const struct pb *b, enum link_type lt, struct pkt *p)
{
	return decode_packet_opts(lt, b->buf, (uint32_t)b->len, DECODE_TUNNELS, p);
}

static void tunnel_4in4_6in4_4in6(void **state)
{
	struct pb b = { .len = 0 };
	struct pkt p;

	(void)state;
	/* 4in4 under a VLAN: the inner flow keeps the outer VLAN id */
	pb_eth(&b, 0x8100);
	pb_vlan(&b, 0x0800, 505);
	pb_ipv4(&b, IPPROTO_IPIP, "192.0.2.1", "192.0.2.2", 20 + 8 + 3, 0, 0);
	pb_ipv4(&b, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 8 + 3, 0, 0);
	pb_udp(&b, 5000, 17000, 3);
	pb_bytes(&b, "abc", 3);
	assert_int_equal(decode_tun(&b, LINK_ETHERNET, &p), DECODE_OK);
	assert_int_equal(p.tunnels, 1);
	assert_int_equal(p.l4proto, IPPROTO_UDP);
	assert_int_equal(p.src[0], 10);
	assert_int_equal(p.dport, 17000);
	assert_int_equal(p.vlan, 505);
	assert_int_equal(p.payload_len, 3);
	assert_false(p.has_mac);	/* the outer frame's MACs are a router's */
	/* without the option, the outer IP-in-IP packet as before */
	assert_int_equal(decode_packet(LINK_ETHERNET, b.buf, (uint32_t)b.len, &p), DECODE_OK);
	assert_int_equal(p.l4proto, IPPROTO_IPIP);
	assert_int_equal(p.src[0], 192);

	/* 6in4 */
	b.len = 0;
	pb_ipv4(&b, IPPROTO_IPV6, "192.0.2.1", "192.0.2.2", 40 + 20, 0, 0);
	pb_ipv6(&b, IPPROTO_TCP, 7, 20);
	pb_tcp(&b, 40000, 443, 0x02);
	assert_int_equal(decode_tun(&b, LINK_RAW, &p), DECODE_OK);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.l4proto, IPPROTO_TCP);
	assert_int_equal(p.dst[15], 7);

	/* 4in6 */
	b.len = 0;
	pb_ipv6(&b, IPPROTO_IPIP, 9, 20 + 20);
	pb_ipv4(&b, IPPROTO_TCP, "10.1.1.1", "10.2.2.2", 20, 0, 0);
	pb_tcp(&b, 40000, 80, 0x02);
	assert_int_equal(decode_tun(&b, LINK_RAW, &p), DECODE_OK);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.dst[0], 10);
	assert_int_equal(p.dport, 80);
}

static void tunnel_gre(void **state)
{
	struct pb b = { .len = 0 };
	struct pkt p;

	(void)state;
	/* GRE v0 with checksum, key and sequence number, IPv4 inside */
	pb_ipv4(&b, IPPROTO_GRE, "192.0.2.1", "192.0.2.2", 4 + 12 + 20 + 8, 0, 0);
	pb_be16(&b, 0x8000 | 0x2000 | 0x1000);
	pb_be16(&b, 0x0800);
	pb_be16(&b, 0); pb_be16(&b, 0);		/* checksum, reserved */
	pb_be16(&b, 0); pb_be16(&b, 42);	/* key */
	pb_be16(&b, 0); pb_be16(&b, 1);		/* sequence */
	pb_ipv4(&b, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 8, 0, 0);
	pb_udp(&b, 5353, 53, 0);
	assert_int_equal(decode_tun(&b, LINK_RAW, &p), DECODE_OK);
	assert_int_equal(p.l4proto, IPPROTO_UDP);
	assert_int_equal(p.dport, 53);

	/* transparent Ethernet bridging: the inner frame's MACs */
	b.len = 0;
	pb_ipv4(&b, IPPROTO_GRE, "192.0.2.1", "192.0.2.2", 4 + 14 + 20 + 20, 0, 0);
	pb_be16(&b, 0);
	pb_be16(&b, 0x6558);
	pb_eth(&b, 0x0800);
	pb_ipv4(&b, IPPROTO_TCP, "10.0.0.1", "10.0.0.2", 20, 0, 0);
	pb_tcp(&b, 1, 2, 0x02);
	assert_int_equal(decode_tun(&b, LINK_RAW, &p), DECODE_OK);
	assert_int_equal(p.l4proto, IPPROTO_TCP);
	assert_true(p.has_mac);
	assert_int_equal(p.smac[5], 1);

	/* PPTP's enhanced GRE (v1): key, sequence, PPP with address/control */
	b.len = 0;
	pb_ipv4(&b, IPPROTO_GRE, "192.0.2.1", "192.0.2.2", 4 + 8 + 4 + 20 + 8, 0, 0);
	pb_be16(&b, 0x2000 | 0x1000 | 1);
	pb_be16(&b, 0x880b);
	pb_be16(&b, 8); pb_be16(&b, 7);		/* payload length, call id */
	pb_be16(&b, 0); pb_be16(&b, 3);		/* sequence */
	pb_u8(&b, 0xff); pb_u8(&b, 0x03); pb_be16(&b, 0x0021);
	pb_ipv4(&b, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 8, 0, 0);
	pb_udp(&b, 1000, 2000, 0);
	assert_int_equal(decode_tun(&b, LINK_RAW, &p), DECODE_OK);
	assert_int_equal(p.dport, 2000);

	/* routing present (RFC 1701): not read, the GRE packet itself */
	b.len = 0;
	pb_ipv4(&b, IPPROTO_GRE, "192.0.2.1", "192.0.2.2", 4 + 20, 0, 0);
	pb_be16(&b, 0x4000);
	pb_be16(&b, 0x0800);
	pb_ipv4(&b, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 0, 0, 0);
	assert_int_equal(decode_tun(&b, LINK_RAW, &p), DECODE_OK);
	assert_int_equal(p.l4proto, IPPROTO_GRE);
	assert_int_equal(p.src[0], 192);
	assert_int_equal(p.tunnels, 0);
}

/* CAPWAP data, 802.11 frame (frame control in either byte order, as
 * Cisco's access points swap it) and 802.3 frame. */
static void capwap(struct pb *b, int t, int swapped, int qos)
{
	static const uint8_t sta[6] = { 0x54, 0xf2, 1, 0xe1, 0xb2, 0x99 };
	static const uint8_t bss[6] = { 0xa0, 0, 0, 0, 0, 1 }, dst[6] = { 0xe4, 0xc7, 0x22, 0, 0, 2 };
	size_t inner = t ? 24 + (qos ? 2 : 0) + 8 : 14;

	b->len = 0;
	pb_eth(b, 0x0800);
	pb_ipv4(b, IPPROTO_UDP, "172.50.100.155", "172.16.100.87", 8 + 16 + inner + 20 + 20, 0, 0);
	pb_udp(b, 41264, 5247, 16 + inner + 40);
	pb_u8(b, 0);				/* preamble */
	pb_u8(b, 4 << 3);			/* HLEN 4 words */
	pb_u8(b, (uint8_t)(t ? (1 << 1) | 1 : 0));	/* WBID 1, T */
	pb_u8(b, 0x20);				/* W: wireless info present */
	pb_be16(b, 0); pb_be16(b, 0);
	pb_be16(b, 0x04bf); pb_be16(b, 0x2300); pb_be16(b, 0); pb_be16(b, 0);
	if (t) {
		uint8_t fc = qos ? 0x88 : 0x08, flags = 0x01;	/* data, ToDS */

		pb_u8(b, swapped ? flags : fc);
		pb_u8(b, swapped ? fc : flags);
		pb_be16(b, 0);
		pb_bytes(b, bss, 6);
		pb_bytes(b, sta, 6);
		pb_bytes(b, dst, 6);
		pb_be16(b, 0);
		if (qos)
			pb_be16(b, 0);
		pb_u8(b, 0xaa); pb_u8(b, 0xaa); pb_u8(b, 3);
		pb_u8(b, 0); pb_u8(b, 0); pb_u8(b, 0);
		pb_be16(b, 0x0800);
	} else {
		pb_eth(b, 0x0800);
	}
	pb_ipv4(b, IPPROTO_TCP, "10.1.3.68", "74.125.130.188", 20, 0, 0);
	pb_tcp(b, 47025, 443, 0x02);
}

static void tunnel_capwap(void **state)
{
	struct pb b;
	struct pkt p;
	int swapped, qos;

	(void)state;
	for (swapped = 0; swapped < 2; swapped++) {
		for (qos = 0; qos < 2; qos++) {
			capwap(&b, 1, swapped, qos);
			assert_int_equal(decode_tun(&b, LINK_ETHERNET, &p), DECODE_OK);
			assert_int_equal(p.l4proto, IPPROTO_TCP);
			assert_int_equal(p.src[0], 10);
			assert_int_equal(p.dport, 443);
			assert_true(p.has_mac);
			assert_int_equal(p.smac[0], 0x54);	/* the station, address 2 */
			assert_int_equal(p.dmac[0], 0xe4);
		}
	}
	capwap(&b, 0, 0, 0);
	assert_int_equal(decode_tun(&b, LINK_ETHERNET, &p), DECODE_OK);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.smac[5], 1);
	/* a keep-alive (K) stays the outer UDP packet */
	capwap(&b, 1, 0, 0);
	b.buf[14 + 20 + 8 + 3] |= 0x08;
	assert_int_equal(decode_tun(&b, LINK_ETHERNET, &p), DECODE_OK);
	assert_int_equal(p.l4proto, IPPROTO_UDP);
	assert_int_equal(p.dport, 5247);
}

/* Tunnels in tunnels stop at a bound; every cut of a tunnel packet is safe. */
static void tunnel_depth_and_truncation(void **state)
{
	struct pb b = { .len = 0 };
	struct pkt p;
	int i;
	size_t n;

	(void)state;
	for (i = 0; i < 8; i++)
		pb_ipv4(&b, IPPROTO_IPIP, "192.0.2.1", "192.0.2.2", (uint16_t)((7 - i) * 20 + 28), 0, 0);
	pb_ipv4(&b, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 8, 0, 0);
	pb_udp(&b, 1, 2, 0);
	assert_int_equal(decode_tun(&b, LINK_RAW, &p), DECODE_OK);
	assert_int_equal(p.tunnels, 4);
	assert_int_equal(p.l4proto, IPPROTO_IPIP);
	capwap(&b, 1, 1, 1);
	for (n = 0; n < b.len; n++) {
		uint8_t copy[2048];

		memcpy(copy, b.buf, n);
		assert_true(decode_packet_opts(LINK_ETHERNET, copy, (uint32_t)n, DECODE_TUNNELS, &p) <
			    __DECODE_MAX);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(eth_ipv4_tcp),
		cmocka_unit_test(qinq_innermost_vlan),
		cmocka_unit_test(ipv4_options_and_padding),
		cmocka_unit_test(ipv4_fragments),
		cmocka_unit_test(ipv6_extension_headers),
		cmocka_unit_test(ipv6_later_fragment),
		cmocka_unit_test(sll_cooked),
		cmocka_unit_test(not_ip),
		cmocka_unit_test(every_truncation_is_safe),
		cmocka_unit_test(bad_lengths),
		cmocka_unit_test(random_garbage),
		cmocka_unit_test(dlt_mapping),
		cmocka_unit_test(tunnel_4in4_6in4_4in6),
		cmocka_unit_test(tunnel_gre),
		cmocka_unit_test(tunnel_capwap),
		cmocka_unit_test(tunnel_depth_and_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
