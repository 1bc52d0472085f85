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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
