/* Helpers to craft DNS messages byte by byte for the DNS unit tests. */
#ifndef NETIFY_TEST_DNSBUILD_H
#define NETIFY_TEST_DNSBUILD_H

#include <stdint.h>
#include <string.h>

struct dnsb {
	uint8_t buf[4096];
	size_t len;
};

static inline void dnsb_u8(struct dnsb *b, uint8_t v)
{
	if (b->len < sizeof(b->buf))
		b->buf[b->len++] = v;
}

static inline void dnsb_u16(struct dnsb *b, uint16_t v)
{
	dnsb_u8(b, (uint8_t)(v >> 8));
	dnsb_u8(b, (uint8_t)v);
}

static inline void dnsb_u32(struct dnsb *b, uint32_t v)
{
	dnsb_u16(b, (uint16_t)(v >> 16));
	dnsb_u16(b, (uint16_t)v);
}

static inline void dnsb_bytes(struct dnsb *b, const void *p, size_t n)
{
	const uint8_t *s = p;

	while (n--)
		dnsb_u8(b, *s++);
}

/* Header: response with rcode, given section counts. */
static inline void dnsb_header(struct dnsb *b, uint16_t id, int response,
			       uint8_t rcode, uint16_t qd, uint16_t an)
{
	b->len = 0;
	dnsb_u16(b, id);
	dnsb_u16(b, (uint16_t)((response ? 0x8180 : 0x0100) | rcode));
	dnsb_u16(b, qd);
	dnsb_u16(b, an);
	dnsb_u16(b, 0);
	dnsb_u16(b, 0);
}

/* Uncompressed name from dotted text ("" = root). */
static inline void dnsb_name(struct dnsb *b, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);

		dnsb_u8(b, (uint8_t)n);
		dnsb_bytes(b, name, n);
		name += n + (dot ? 1 : 0);
	}
	dnsb_u8(b, 0);
}

static inline void dnsb_ptr(struct dnsb *b, uint16_t off)
{
	dnsb_u16(b, (uint16_t)(0xc000 | off));
}

static inline void dnsb_question(struct dnsb *b, const char *name, uint16_t type)
{
	dnsb_name(b, name);
	dnsb_u16(b, type);
	dnsb_u16(b, 1);
}

/* Record header after its owner name; rdata follows. */
static inline void dnsb_rr(struct dnsb *b, uint16_t type, uint32_t ttl,
			   uint16_t rdlen)
{
	dnsb_u16(b, type);
	dnsb_u16(b, 1);
	dnsb_u32(b, ttl);
	dnsb_u16(b, rdlen);
}

static inline void dnsb_a(struct dnsb *b, const char *owner, uint32_t ttl,
			  uint8_t a0, uint8_t a1, uint8_t a2, uint8_t a3)
{
	dnsb_name(b, owner);
	dnsb_rr(b, 1, ttl, 4);
	dnsb_u8(b, a0), dnsb_u8(b, a1), dnsb_u8(b, a2), dnsb_u8(b, a3);
}

static inline void dnsb_cname(struct dnsb *b, const char *owner, uint32_t ttl,
			      const char *target)
{
	size_t at;

	dnsb_name(b, owner);
	dnsb_rr(b, 5, ttl, 0);
	at = b->len;
	dnsb_name(b, target);
	b->buf[at - 2] = (uint8_t)((b->len - at) >> 8);
	b->buf[at - 1] = (uint8_t)(b->len - at);
}

#endif
