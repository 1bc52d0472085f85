/* Reading IPFIX messages back in the unit tests: templates parsed from
 * the wire, data records decoded with them. Static functions: each test
 * program includes it once. */
#ifndef NETIFY_TEST_IPFIXPARSE_H
#define NETIFY_TEST_IPFIXPARSE_H

#include "ipfix.h"
#include "util.h"

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* A template as parsed back from the wire. */
struct tfield {
	uint16_t id, len;
	uint32_t pen;
};

struct tmpl {
	uint16_t id, n, scope;
	struct tfield f[64];
};

/* Parses the sets of a message into templates; checks every length. */
static inline unsigned parse_templates(const uint8_t *msg, size_t len, struct tmpl *t, unsigned max)
{
	size_t off = IPFIX_HDR_LEN;
	unsigned nt = 0, i;

	assert_int_equal(get16(msg), 10);
	assert_int_equal(get16(msg + 2), len);
	while (off < len) {
		uint16_t sid = get16(msg + off), slen = get16(msg + off + 2);
		size_t p = off + 4;

		assert_true(slen >= 4 && off + slen <= len);
		assert_true(sid == IPFIX_SET_TEMPLATE || sid == IPFIX_SET_OPTIONS);
		while (p < off + slen) {
			struct tmpl *tp = &t[nt++];

			assert_true(nt <= max);
			tp->id = get16(msg + p);
			tp->n = get16(msg + p + 2);
			p += 4;
			tp->scope = 0;
			if (sid == IPFIX_SET_OPTIONS) {
				tp->scope = get16(msg + p);
				p += 2;
			}
			assert_true(tp->n <= 64);
			for (i = 0; i < tp->n; i++) {
				uint16_t id = get16(msg + p);

				tp->f[i].id = id & 0x7fff;
				tp->f[i].len = get16(msg + p + 2);
				tp->f[i].pen = id & 0x8000 ? get32(msg + p + 4) : 0;
				p += id & 0x8000 ? 8 : 4;
			}
		}
		assert_int_equal(p, off + slen);
		off += slen;
	}
	assert_int_equal(off, len);
	return nt;
}

static inline const struct tmpl *find_tmpl(const struct tmpl *t, unsigned n, uint16_t id)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (t[i].id == id)
			return &t[i];
	return NULL;
}

/* One decoded field of a data record. */
struct dval {
	const uint8_t *p;
	size_t len;
};

/* Decodes one record at p with template t into v[] (by template position);
 * returns its length. */
static inline size_t decode_record(const struct tmpl *t, const uint8_t *p, size_t left, struct dval *v)
{
	size_t off = 0;
	unsigned i;

	for (i = 0; i < t->n; i++) {
		size_t l = t->f[i].len;

		if (l == IPFIX_VARLEN) {
			assert_true(off < left);
			l = p[off++];
			if (l == 255) {
				assert_true(off + 2 <= left);
				l = get16(p + off);
				off += 2;
			}
		}
		assert_true(off + l <= left);
		v[i].p = p + off;
		v[i].len = l;
		off += l;
	}
	return off;
}

static inline const struct dval *field(const struct tmpl *t, const struct dval *v, uint16_t id, uint32_t pen)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (t->f[i].id == id && t->f[i].pen == pen)
			return &v[i];
	fail_msg("element %u/%u not in template %u", pen, id, t->id);
	return NULL;
}

static inline void utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		n = util_utf8_seq(p + i, len - i);
		assert_true(n > 0);
		i += n;
	}
}

/* Data records in a message, decoded with templates t; template and
 * options template sets count none. */
static inline unsigned count_records(const uint8_t *msg, size_t len, const struct tmpl *t, unsigned nt)
{
	struct dval v[64];
	size_t off = IPFIX_HDR_LEN, p;
	unsigned n = 0;

	assert_int_equal(get16(msg + 2), len);
	while (off < len) {
		uint16_t sid = get16(msg + off), slen = get16(msg + off + 2);
		const struct tmpl *tp = find_tmpl(t, nt, sid);

		assert_true(slen >= 4 && off + slen <= len);
		if (sid >= 256) {
			assert_non_null(tp);
			for (p = off + 4; p < off + slen; n++)
				p += decode_record(tp, msg + p, off + slen - p, v);
			assert_int_equal(p, off + slen);
		}
		off += slen;
	}
	return n;
}

#endif
