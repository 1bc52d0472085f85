/*
 * dns.c - bounds-checked DNS message parser (see dns.h).
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cursor.h"
#include "dns.h"

#define DNS_HEADER_LEN		12u
#define DNS_WIRE_NAME_MAX	255u	/* RFC 1035 3.1, length octets included */
#define DNS_CLASS_IN		1u
#define DNS_CLASS_MASK		0x7fffu	/* mDNS uses the top bit (cache flush) */

/* Output buffer for a name's text; every append checks the room left. */
struct dns_text {
	char *buf;
	size_t pos;
};

static int dns_text_put(struct dns_text *t, const char *s, size_t n)
{
	if (t->pos + n >= DNS_NAME_TEXT_MAX)
		return -1;
	memcpy(t->buf + t->pos, s, n);
	t->pos += n;
	return 0;
}

/* Lower-case hostname bytes pass through; anything else is escaped so the
 * text stays printable ASCII and unambiguous. */
static int dns_text_byte(struct dns_text *t, uint8_t c)
{
	char esc[5];

	if (c >= 'A' && c <= 'Z')
		c |= 0x20;
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_')
		return dns_text_put(t, (const char *)&c, 1);
	if (c == '.')
		return dns_text_put(t, "\\.", 2);
	snprintf(esc, sizeof(esc), "\\%03u", c);
	return dns_text_put(t, esc, 4);
}

static int dns_text_label(struct dns_text *t, const uint8_t *p, uint8_t len)
{
	uint8_t i;

	if (t->pos && dns_text_put(t, ".", 1) < 0)
		return -1;
	for (i = 0; i < len; i++)
		if (dns_text_byte(t, p[i]) < 0)
			return -1;
	return 0;
}

/* Follow a compression pointer.  It must point before every byte of the
 * name read so far, so each hop moves strictly backwards: loops are
 * impossible, and the hop limit bounds the work on long chains. */
static int dns_name_jump(const uint8_t *msg, size_t msg_len, struct cursor *r,
			 uint8_t hi, size_t *floor, unsigned int *hops)
{
	uint8_t lo;
	size_t target;

	if (cur_u8(r, &lo) < 0)
		return -1;
	target = (size_t)(hi & 0x3f) << 8 | lo;
	if (target >= *floor || ++*hops > DNS_PTR_HOPS_MAX)
		return -1;
	*floor = target;
	cur_init(r, msg + target, msg_len - target);
	return 0;
}

/* Read a possibly compressed name at @c into @out; @c ends after the name
 * as it appears in place (after the first pointer, if any). */
static int dns_name(const uint8_t *msg, size_t msg_len, struct cursor *c,
		    char *out)
{
	struct dns_text t = { out, 0 };
	struct cursor r = *c;
	size_t floor = (size_t)(c->p - msg), wire = 1;
	unsigned int hops = 0;
	const uint8_t *label;
	uint8_t len;

	for (;;) {
		if (cur_u8(&r, &len) < 0)
			return -1;
		if ((len & 0xc0) == 0xc0) {
			struct cursor after = r;

			/* the name in place ends after its first pointer */
			if (!cur_pull(&after, 1))
				return -1;
			if (!hops)
				*c = after;
			if (dns_name_jump(msg, msg_len, &r, len, &floor, &hops) < 0)
				return -1;
			continue;
		}
		if (len & 0xc0)		/* extended label types (RFC 6891 obsoleted them) */
			return -1;
		if (len == 0)
			break;
		wire += len + 1u;
		label = cur_pull(&r, len);
		if (wire > DNS_WIRE_NAME_MAX || !label ||
		    dns_text_label(&t, label, len) < 0)
			return -1;
	}
	if (!hops)
		*c = r;
	out[t.pos] = '\0';
	return 0;
}

static int dns_header(struct cursor *c, struct dns_msg *m, uint16_t *qdcount)
{
	uint16_t flags, ancount, nscount, arcount;

	if (cur_be16(c, &m->id) < 0 || cur_be16(c, &flags) < 0 ||
	    cur_be16(c, qdcount) < 0 || cur_be16(c, &ancount) < 0 ||
	    cur_be16(c, &nscount) < 0 || cur_be16(c, &arcount) < 0)
		return -1;
	m->is_response = (flags >> 15) & 1;
	m->opcode = (flags >> 11) & 0x0f;
	m->rcode = flags & 0x0f;
	m->ancount = ancount;
	return 0;
}

/* The first question is kept; any further ones are only walked over. */
static int dns_questions(const uint8_t *msg, size_t len, struct cursor *c,
			 struct dns_msg *m, uint16_t qdcount)
{
	char scratch[DNS_NAME_TEXT_MAX];
	uint16_t i, type, cls;

	for (i = 0; i < qdcount; i++) {
		if (dns_name(msg, len, c, i ? scratch : m->qname) < 0 ||
		    cur_be16(c, &type) < 0 || cur_be16(c, &cls) < 0)
			return -1;
		if (i == 0) {
			m->qtype = type;
			m->qclass = cls;
		}
	}
	return 0;
}

/* Fill @a from the rdata of an A, AAAA or CNAME record; 1 if kept. */
static int dns_rdata(const uint8_t *msg, size_t len, struct cursor *rd,
		     uint16_t type, struct dns_answer *a)
{
	size_t n = type == DNS_TYPE_A ? 4 : 16;
	const uint8_t *p;

	if (type == DNS_TYPE_CNAME)
		return dns_name(msg, len, rd, a->data) == 0;
	if (type != DNS_TYPE_A && type != DNS_TYPE_AAAA)
		return 0;
	if (rd->len != n || !(p = cur_pull(rd, n)))
		return 0;
	memcpy(a->addr, p, n);
	inet_ntop(type == DNS_TYPE_A ? AF_INET : AF_INET6, a->addr, a->data,
		  sizeof(a->data));
	return 1;
}

/* One resource record; -1 when the section is cut short. */
static int dns_answer(const uint8_t *msg, size_t len, struct cursor *c,
		      struct dns_msg *m)
{
	struct dns_answer *a, spare;
	uint16_t type, cls, rdlen;
	struct cursor rd;
	uint32_t ttl;

	a = m->n_answers < DNS_ANSWERS_MAX ? &m->answers[m->n_answers] : &spare;
	if (dns_name(msg, len, c, a->name) < 0 || cur_be16(c, &type) < 0 ||
	    cur_be16(c, &cls) < 0 || cur_be32(c, &ttl) < 0 ||
	    cur_be16(c, &rdlen) < 0 || !cur_peek(c, rdlen))
		return -1;
	cur_init(&rd, c->p, rdlen);
	cur_pull(c, rdlen);
	m->answers_seen++;
	if ((cls & DNS_CLASS_MASK) != DNS_CLASS_IN || a == &spare)
		return 0;
	a->type = type;
	a->ttl = ttl & 0x80000000u ? 0 : ttl;	/* RFC 2181 8: top bit set means 0 */
	if (dns_rdata(msg, len, &rd, type, a) > 0)
		m->n_answers++;
	return 0;
}

int dns_parse(const uint8_t *p, size_t len, struct dns_msg *out)
{
	struct cursor c;
	uint16_t qdcount;
	unsigned int i;

	memset(out, 0, offsetof(struct dns_msg, answers));
	cur_init(&c, p, len);
	if (dns_header(&c, out, &qdcount) < 0 ||
	    dns_questions(p, len, &c, out, qdcount) < 0)
		return -1;
	/* trust ancount only as far as the bytes go: a record needs >= 11 */
	for (i = 0; i < out->ancount; i++)
		if (dns_answer(p, len, &c, out) < 0)
			break;
	return 0;
}

const char *dns_type_name(uint16_t type, char *buf, size_t size)
{
	switch (type) {
	case DNS_TYPE_A:
		return "A";
	case DNS_TYPE_AAAA:
		return "AAAA";
	case DNS_TYPE_CNAME:
		return "CNAME";
	}
	snprintf(buf, size, "TYPE%u", type);
	return buf;
}
