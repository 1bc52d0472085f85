/* Packet decode: link layer, IPv4/IPv6, transport header.
 *
 * decode_packet() fills a struct pkt whose pointers point into the caller's
 * buffer; it never allocates and never reads outside [data, data + caplen).
 */
#ifndef NETIFY_DECODE_H
#define NETIFY_DECODE_H

#include <stdbool.h>
#include <stdint.h>

enum link_type {
	LINK_ETHERNET,	/* DLT_EN10MB */
	LINK_SLL,	/* DLT_LINUX_SLL (cooked v1) */
	LINK_SLL2,	/* DLT_LINUX_SLL2 */
	LINK_RAW,	/* DLT_RAW and NFQUEUE payloads: IPv4 or IPv6 by version nibble */
	LINK_NULL,	/* DLT_NULL / DLT_LOOP: 4-byte address family */
	LINK_PPP,	/* DLT_PPP, DLT_PPP_SERIAL */
	LINK_CHDLC,	/* DLT_C_HDLC (Cisco HDLC) */
	LINK_PPI,	/* DLT_PPI wrapping Ethernet */
	__LINK_MAX
};

enum decode_status {
	DECODE_OK,
	DECODE_FRAGMENT,	/* a non-first IP fragment: counted, not inspected */
	DECODE_NOT_IP,		/* ARP, LLDP, ...: not ours */
	DECODE_MALFORMED,	/* truncated or inconsistent headers */
	__DECODE_MAX
};

#define PKT_MAX_VLANS 2

struct pkt {
	const uint8_t *l3;	/* IP header */
	const uint8_t *payload;	/* transport payload (may be empty) */
	uint32_t l3_len;	/* bytes from l3 to the end of the IP packet, as captured */
	uint32_t payload_len;
	uint32_t ip_len;	/* length the IP header claims (wire length) */
	uint8_t family;		/* 4 or 6 */
	uint8_t l4proto;	/* IPPROTO_* */
	uint8_t tcp_flags;	/* TCP only */
	uint8_t has_mac:1, first_fragment:1;
	uint8_t tunnels;	/* tunnel headers removed (DECODE_TUNNELS) */
	uint8_t opts;		/* decode options in force (DECODE_TUNNELS) */
	uint16_t vlan;		/* innermost VLAN id, 0 if none */
	uint16_t sport, dport;	/* host order; ICMP: type/code in sport, id in dport */
	uint8_t src[16], dst[16];	/* IPv4 uses the first 4 bytes */
	uint8_t smac[6], dmac[6];
};

struct decode_stats {
	uint64_t status[__DECODE_MAX];
};

/* Options of decode_packet_opts(). */
#define DECODE_TUNNELS 0x01	/* the packet inside IP-in-IP, GRE, CAPWAP data */

int decode_packet(enum link_type lt, const uint8_t *data, uint32_t caplen, struct pkt *out);
int decode_packet_opts(enum link_type lt, const uint8_t *data, uint32_t caplen, unsigned opts,
		       struct pkt *out);

/* Maps a libpcap DLT_* value to a link type; -1 if unsupported. */
int decode_link_from_dlt(int dlt);
/* The DLT_* value a capture of link type lt is written with; -1 if none. */
int decode_link_to_dlt(enum link_type lt);

const char *decode_status_name(enum decode_status s);

#endif
