/* Flow metadata as the engine hands it to JSON writers.
 *
 * A view: strings point into the inspection state (nDPI's flow and
 * netify's own side record) and are valid until the flow's inspection
 * ends. Absent fields are NULL / 0. Nothing here is trusted to be UTF-8.
 */
#ifndef NETIFY_META_H
#define NETIFY_META_H

#include <stdint.h>

#include "http.h"

#define META_DNS_ANSWERS 4
#define META_DNS_ANSWER_LEN 64

struct quic_reasm;

struct flow;

/* What netify itself read from a flow's payload where nDPI keeps less. A
 * flow has one kind at most (HTTP requests are read on TCP away from DNS
 * ports, QUIC Initials and DNS messages on UDP, and the first kind read
 * claims the flow), so the kinds share one place, and only flows that have
 * such text hold one: it comes from the engine's text pool when a kind is
 * first claimed (320 bytes less for every other flow under inspection). */
enum meta_text {
	META_TEXT_NONE,
	META_TEXT_QUIC,		/* t->quic: SNI and ALPN from QUIC Initials */
	META_TEXT_HTTP,		/* t->http: the first request head */
	META_TEXT_DNS,		/* t->dns: the message, answers kept */
	META_TEXT_REFUSED,	/* none: the engine's text pool was full */
	__META_TEXT_MAX
};

struct meta_dns {
	uint16_t qtype;
	uint8_t rcode;
	uint8_t is_response;
	uint8_t n_answers;
	char answers[META_DNS_ANSWERS][META_DNS_ANSWER_LEN];
};

union meta_text_buf {
	struct {
		char sni[96];
		char alpn[32];
	} quic;
	struct {
		char url[HTTP_URL_MAX];
		char user_agent[HTTP_UA_MAX];
	} http;
	struct meta_dns dns;
	union meta_text_buf *next_free;	/* in the engine's pool */
};

struct meta_extra {
	/* engine's list of flows under inspection, least recently used last */
	struct flow *owner;
	struct meta_extra *iprev, *inext;
	uint64_t last_ms;
	struct quic_reasm *quic;	/* while reading QUIC Initials (engine's pool) */
	union meta_text_buf *t;		/* set with text (engine's pool) */
	uint8_t quic_state;		/* engine's: none, reading, done, gave up */
	uint8_t text;			/* enum meta_text: which member of *t is set */
	uint8_t tls_seen;		/* engine's: enum tls_seen bits */
};

struct flow_meta {
	const char *host;		/* SNI, HTTP Host, DNS query, DHCP/mDNS host name */
	/* TLS / QUIC */
	uint16_t tls_version, tls_cipher;
	const char *alpn, *ja3_client, *ja3_server;
	const char *cert_subject, *cert_issuer, *cert_names;	/* SAN list, comma-separated */
	const uint8_t *cert_sha1;	/* 20 bytes */
	/* HTTP */
	const char *http_url, *http_user_agent, *http_content_type;
	uint16_t http_status;
	/* DNS (query name is host) */
	const struct meta_dns *dns;
	/* DHCP (host name is host) */
	const char *dhcp_fingerprint, *dhcp_class_ident;
	/* SSH */
	const char *ssh_client, *ssh_server;
	/* BitTorrent */
	const uint8_t *bt_info_hash;	/* 20 bytes */
	uint8_t is_tls:1, is_http:1, is_dns:1, is_dhcp:1, is_ssh:1, is_bt:1, is_mdns:1;
};

#endif
