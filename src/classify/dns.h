/*
 * dns.h - bounds-checked parser for DNS messages seen in traffic.
 *
 * Input is untrusted: every read goes through a cursor that checks the
 * remaining length, name compression is followed with a hop limit and
 * only backwards, and counts in the header are trusted only as far as the
 * bytes really present.  Nothing is allocated.
 */
#ifndef NETIFY_DNS_H
#define NETIFY_DNS_H

#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_TEXT_MAX	256u	/* text of a name incl. NUL; longer is an error */
#define DNS_ANSWERS_MAX		16u	/* answers kept; more are counted, not kept */
#define DNS_PTR_HOPS_MAX	16u	/* compression pointers followed per name */

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_AAAA = 28,
};

struct dns_answer {
	uint16_t type;			/* DNS_TYPE_A, _AAAA or _CNAME */
	uint32_t ttl;
	char name[DNS_NAME_TEXT_MAX];	/* owner name, lower case */
	char data[DNS_NAME_TEXT_MAX];	/* dotted/colon address or CNAME target */
	uint8_t addr[16];		/* raw address for A (4) / AAAA (16) */
};

struct dns_msg {
	uint16_t id;
	int is_response;
	uint8_t opcode;
	uint8_t rcode;
	uint16_t qtype;
	uint16_t qclass;
	char qname[DNS_NAME_TEXT_MAX];	/* lower case; "" if no question */
	unsigned int ancount;		/* answers announced in the header */
	unsigned int answers_seen;	/* answer records actually parsed */
	unsigned int n_answers;		/* A/AAAA/CNAME kept in answers[] */
	struct dns_answer answers[DNS_ANSWERS_MAX];
};

/**
 * dns_parse - parse a DNS message (UDP payload, no TCP length prefix)
 *
 * Names are lower-cased; bytes other than letters, digits, '-' and '_'
 * are written as \DDD and a dot inside a label as "\.", so the text is
 * printable ASCII and safe for JSON and logs.  A message truncated in the
 * answer section still yields the question and the complete answers before
 * the cut.  Returns 0, or -1 if the header or question is malformed.
 */
int dns_parse(const uint8_t *p, size_t len, struct dns_msg *out);

/** dns_type_name - "A", "AAAA", "CNAME" or "TYPE<n>" written into @buf. */
const char *dns_type_name(uint16_t type, char *buf, size_t size);

#endif /* NETIFY_DNS_H */
