/* Unit tests of the IPFIX encoder (src/export/ipfix.c): message and set
 * layout, templates parsed back field by field, data records decoded with
 * those templates, variable-length strings (RFC 7011 section 7) from
 * hostile bytes, packing up to the message size. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ipfix.h"
#include "ipfixparse.h"
#include "util.h"

static void sample(struct export_record *r, int family)
{
	memset(r, 0, sizeof(*r));
	r->flow_id = 0x1122334455667788ull;
	r->start_ms = 1700000000123ull;
	r->end_ms = 1700000009456ull;
	r->bytes[0] = 1234567890123ull;
	r->bytes[1] = 42;
	r->packets[0] = 1000;
	r->packets[1] = 7;
	r->family = (uint8_t)family;
	r->proto = 6;
	r->sport = 51000;
	r->dport = 443;
	if (family == 4) {
		memcpy(r->saddr, "\xc0\xa8\x01\x32", 4);
		memcpy(r->daddr, "\x08\x08\x04\x04", 4);
	} else {
		memcpy(r->saddr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
		memcpy(r->daddr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	}
	memcpy(r->smac, "\xaa\xbb\xcc\xdd\xee\x01", 6);
	r->vlan = 12;
	r->end = EXPORT_END_CLOSED;
	r->action = EXPORT_ACTION_BLOCK;
	r->app_id = 402;
	r->ndpi_id = 124;
	strcpy(r->app_name, "YouTube");
	strcpy(r->category, "video");
	strcpy(r->ndpi_name, "TLS.YouTube");
	strcpy(r->host, "www.youtube.com");
	strcpy(r->rule, "no-video");
}

static void templates_layout(void **state)
{
	uint8_t buf[1400];
	struct ipfix_msg m;
	struct tmpl t[8];
	const struct tmpl *v4, *v6, *apps;
	unsigned n, i;
	size_t len;

	(void)state;
	for (uint32_t pen = 0; pen <= 32473; pen += 32473) {
		ipfix_msg_init(&m, buf, sizeof(buf));
		assert_int_equal(ipfix_msg_templates(&m, pen), 0);
		len = ipfix_msg_header(&m, 1700000000, 77, 9);
		assert_int_equal(len, IPFIX_HDR_LEN + ipfix_templates_len(pen));
		assert_int_equal(get32(buf + 4), 1700000000);
		assert_int_equal(get32(buf + 8), 77);
		assert_int_equal(get32(buf + 12), 9);
		assert_int_equal(m.records, 0);	/* templates do not count */
		n = parse_templates(buf, len, t, 8);
		assert_int_equal(n, 3);
		v4 = find_tmpl(t, n, IPFIX_TID_V4);
		v6 = find_tmpl(t, n, IPFIX_TID_V6);
		apps = find_tmpl(t, n, IPFIX_TID_APPS);
		assert_non_null(v4);
		assert_non_null(v6);
		assert_non_null(apps);
		assert_int_equal(v4->f[0].id, 8);
		assert_int_equal(v6->f[0].id, 27);
		assert_int_equal(v6->f[0].len, 16);
		assert_int_equal(v4->n, v6->n);
		assert_int_equal(v4->n, pen ? 27 : 23);
		for (i = 2; i < v4->n; i++) {	/* the same after the addresses */
			assert_int_equal(v4->f[i].id, v6->f[i].id);
			assert_int_equal(v4->f[i].pen, v6->f[i].pen);
		}
		/* RFC 5103 reverse counters and netify's own elements */
		assert_int_equal(v4->f[9].id, 1);
		assert_int_equal(v4->f[9].pen, IPFIX_PEN_REVERSE);
		if (pen)
			assert_int_equal(v4->f[v4->n - 1].pen, pen);
		assert_int_equal(apps->scope, 1);
		assert_int_equal(apps->f[0].id, 95);
		assert_int_equal(apps->f[1].len, IPFIX_APPNAME_LEN);
	}
}

/* Encodes r after the templates and decodes it back with them. */
static void roundtrip(const struct export_record *r, uint32_t pen, struct tmpl *t, unsigned *nt,
		      struct dval *v, const struct tmpl **used, uint8_t *buf, size_t cap)
{
	struct ipfix_msg m;
	size_t len, off, rl;

	ipfix_msg_init(&m, buf, cap);
	assert_int_equal(ipfix_msg_templates(&m, pen), 0);
	ipfix_msg_header(&m, 0, 0, 0);
	off = m.len;
	*nt = parse_templates(buf, off, t, 8);
	assert_int_equal(ipfix_msg_record(&m, r, pen), 0);
	len = ipfix_msg_header(&m, 0, 0, 0);
	assert_int_equal(m.records, 1);
	assert_int_equal(get16(buf + off), r->family == 4 ? IPFIX_TID_V4 : IPFIX_TID_V6);
	assert_int_equal(get16(buf + off + 2), len - off);
	*used = find_tmpl(t, *nt, get16(buf + off));
	rl = decode_record(*used, buf + off + 4, len - off - 4, v);
	assert_int_equal(rl, ipfix_record_len(r, pen));
	assert_int_equal(off + 4 + rl, len);
}

static void record_fields(void **state)
{
	uint8_t buf[1400];
	struct export_record r;
	struct tmpl t[8];
	struct dval v[64];
	const struct tmpl *tp;
	unsigned nt;
	int family;

	(void)state;
	for (family = 4; family <= 6; family += 2) {
		sample(&r, family);
		roundtrip(&r, 32473, t, &nt, v, &tp, buf, sizeof(buf));
		assert_memory_equal(field(tp, v, family == 4 ? 8 : 27, 0)->p, r.saddr, family == 4 ? 4 : 16);
		assert_memory_equal(field(tp, v, family == 4 ? 12 : 28, 0)->p, r.daddr, family == 4 ? 4 : 16);
		assert_int_equal(get16(field(tp, v, 7, 0)->p), 51000);
		assert_int_equal(get16(field(tp, v, 11, 0)->p), 443);
		assert_int_equal(*field(tp, v, 4, 0)->p, 6);
		assert_int_equal(get64(field(tp, v, 152, 0)->p), r.start_ms);
		assert_int_equal(get64(field(tp, v, 153, 0)->p), r.end_ms);
		assert_int_equal(get64(field(tp, v, 1, 0)->p), r.bytes[0]);
		assert_int_equal(get64(field(tp, v, 2, 0)->p), 1000);
		assert_int_equal(get64(field(tp, v, 1, IPFIX_PEN_REVERSE)->p), 42);
		assert_int_equal(get64(field(tp, v, 2, IPFIX_PEN_REVERSE)->p), 7);
		assert_memory_equal(field(tp, v, 56, 0)->p, r.smac, 6);
		assert_memory_equal(field(tp, v, 80, 0)->p, "\0\0\0\0\0\0", 6);
		assert_int_equal(get16(field(tp, v, 58, 0)->p), 12);
		assert_int_equal(*field(tp, v, 239, 0)->p, 1);
		assert_int_equal(*field(tp, v, 136, 0)->p, EXPORT_END_CLOSED);
		assert_int_equal(*field(tp, v, 89, 0)->p, IPFIX_FWD_ACL_DENY);
		assert_int_equal(*field(tp, v, 233, 0)->p, IPFIX_FW_DENIED);
		assert_memory_equal(field(tp, v, 95, 0)->p, "\x06\x00\x00\x01\x92", 5);
		assert_int_equal(get64(field(tp, v, 148, 0)->p), r.flow_id);
		assert_int_equal(field(tp, v, 96, 0)->len, 7);
		assert_memory_equal(field(tp, v, 96, 0)->p, "YouTube", 7);
		assert_memory_equal(field(tp, v, 372, 0)->p, "video", 5);
		assert_memory_equal(field(tp, v, 460, 0)->p, "www.youtube.com", 15);
		assert_memory_equal(field(tp, v, 1, 32473)->p, "TLS.YouTube", 11);
		assert_int_equal(*field(tp, v, 2, 32473)->p, EXPORT_ACTION_BLOCK);
		assert_memory_equal(field(tp, v, 3, 32473)->p, "no-video", 8);
		assert_int_equal(field(tp, v, 4, 32473)->len, 0);	/* not a QoS flow */
	}
}

/* Without an application, nDPI's protocol names the flow (engine 13). */
static void app_id_scheme(void **state)
{
	struct export_record r;
	uint8_t id[IPFIX_APPID_LEN];

	(void)state;
	sample(&r, 4);
	ipfix_app_id(&r, id);
	assert_memory_equal(id, "\x06\x00\x00\x01\x92", 5);
	assert_string_equal(ipfix_app_name(&r), "YouTube");
	r.app_id = 0;
	ipfix_app_id(&r, id);
	assert_memory_equal(id, "\x0d\x00\x00\x00\x7c", 5);
	assert_string_equal(ipfix_app_name(&r), "TLS.YouTube");
	r.ndpi_id = 0;
	ipfix_app_id(&r, id);
	assert_memory_equal(id, "\x0d\x00\x00\x00\x00", 5);
}

/* Non-UTF-8, empty and full-length strings: valid UTF-8 on the wire,
 * every byte of the record accounted for. */
static void hostile_strings(void **state)
{
	uint8_t buf[2048];
	struct export_record r;
	struct tmpl t[8];
	struct dval v[64];
	const struct tmpl *tp;
	const struct dval *d;
	unsigned nt;
	size_t i;

	(void)state;
	sample(&r, 6);
	memset(r.app_name, 0xff, sizeof(r.app_name) - 1);	/* 63 invalid bytes */
	r.app_name[sizeof(r.app_name) - 1] = 0;
	memcpy(r.category, "\xc0\xaf\xed\xa0\x80ok\xe2\x82", 10);	/* overlong, surrogate, cut */
	memset(r.host, 'h', sizeof(r.host));	/* no terminator: all 64 bytes count */
	r.ndpi_name[0] = 0;
	r.action = EXPORT_ACTION_QOS;
	strcpy(r.qos_class, "b\xc3\xa9ulk");	/* valid UTF-8 stays as is */
	roundtrip(&r, 1, t, &nt, v, &tp, buf, sizeof(buf));
	d = field(tp, v, 96, 0);
	assert_int_equal(d->len, 63 * 3);	/* one U+FFFD per byte */
	utf8_valid(d->p, d->len);
	for (i = 0; i < d->len; i += 3)
		assert_memory_equal(d->p + i, "\xef\xbf\xbd", 3);
	d = field(tp, v, 372, 0);
	utf8_valid(d->p, d->len);
	assert_int_equal(d->len, 7 * 3 + 2);
	assert_memory_equal(d->p + 15, "ok", 2);
	d = field(tp, v, 460, 0);
	assert_int_equal(d->len, 64);
	assert_int_equal(field(tp, v, 1, 1)->len, 0);
	d = field(tp, v, 4, 1);
	assert_int_equal(d->len, 6);
	assert_memory_equal(d->p, "b\xc3\xa9ulk", 6);
	assert_int_equal(*field(tp, v, 89, 0)->p, IPFIX_FWD_FORWARDED);
	assert_int_equal(*field(tp, v, 233, 0)->p, IPFIX_FW_DELETED);
}

/* A string of 255 bytes or more takes the 3-byte length form. */
static void long_varlen(void **state)
{
	uint8_t out[400];
	char in[100];

	(void)state;
	memset(in, 0x80, sizeof(in));	/* 100 bytes -> 300 bytes of U+FFFD */
	assert_int_equal(ipfix_utf8(out, sizeof(out), in, sizeof(in)), 300);
	assert_int_equal(ipfix_utf8(out, 10, in, sizeof(in)), 9);	/* whole sequences only */
	assert_int_equal(ipfix_utf8(out, 10, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f", 10), 8);
	assert_int_equal(ipfix_utf8(out, 0, "abc", 3), 0);
}

static void long_varlen_record(void **state)
{
	uint8_t buf[2048];
	struct export_record r;
	struct ipfix_msg m;
	size_t off, i, vl = 0;
	const uint8_t *p;

	(void)state;
	sample(&r, 4);
	r.app_id = 0;
	memset(r.ndpi_name, 0xfe, sizeof(r.ndpi_name) - 1);	/* 189 bytes of U+FFFD */
	r.ndpi_name[sizeof(r.ndpi_name) - 1] = 0;
	memset(r.host, 0xfe, sizeof(r.host));		/* 192 bytes */
	ipfix_msg_init(&m, buf, sizeof(buf));
	assert_int_equal(ipfix_msg_record(&m, &r, 0), 0);
	ipfix_msg_header(&m, 0, 0, 0);
	/* applicationName is the nDPI name here: after 92 fixed bytes (IPv4) */
	off = IPFIX_HDR_LEN + 4 + 92;
	p = buf + off;
	assert_int_equal(p[0], 189);
	p += 1 + 189;
	assert_int_equal(p[0], 0);	/* no category without an application */
	p += 1;
	assert_int_equal(p[0], 192);
	for (i = 0; i < 192; i += 3)
		vl += !memcmp(p + 1 + i, "\xef\xbf\xbd", 3);
	assert_int_equal(vl, 64);
	assert_int_equal(p + 1 + 192 - buf, m.len);
}

/* Records are packed until the message is full; a refused record leaves
 * the message as it was. */
static void packing(void **state)
{
	uint8_t buf[1400];
	struct export_record r4, r6;
	struct ipfix_msg m;
	size_t before, n = 0, off, sets = 0;

	(void)state;
	sample(&r4, 4);
	sample(&r6, 6);
	ipfix_msg_init(&m, buf, sizeof(buf));
	for (;;) {
		before = m.len;
		if (ipfix_msg_record(&m, n % 3 ? &r4 : &r6, 0)) {
			assert_int_equal(m.len, before);
			break;
		}
		n++;
	}
	assert_true(n >= 8);
	assert_int_equal(m.records, n);
	assert_true(m.len <= sizeof(buf));
	assert_int_equal(ipfix_msg_header(&m, 1, 2, 3), m.len);
	/* sets alternate with the family and add up to the message */
	for (off = IPFIX_HDR_LEN; off < m.len; off += get16(buf + off + 2), sets++)
		assert_true(get16(buf + off) == IPFIX_TID_V4 || get16(buf + off) == IPFIX_TID_V6);
	assert_int_equal(off, m.len);
	assert_true(sets > 2);
	/* a bad family is refused */
	r4.family = 5;
	ipfix_msg_reset(&m);
	assert_int_equal(ipfix_msg_record(&m, &r4, 0), -1);
	assert_true(ipfix_msg_empty(&m));
}

static void app_records(void **state)
{
	uint8_t buf[600], id[5] = { 6, 0, 0, 0, 9 };
	struct ipfix_msg m;
	unsigned n = 0;

	(void)state;
	ipfix_msg_init(&m, buf, sizeof(buf));
	while (ipfix_msg_app(&m, id, "WhatsApp \xff with a name longer than thirty-two bytes", "chat") == 0)
		n++;
	assert_int_equal(n, (600 - 16 - 4) / IPFIX_APP_RECORD_LEN);
	assert_int_equal(m.records, n);
	ipfix_msg_header(&m, 0, 0, 0);
	assert_int_equal(get16(buf + 16), IPFIX_TID_APPS);
	assert_int_equal(get16(buf + 18), 4 + n * IPFIX_APP_RECORD_LEN);
	assert_memory_equal(buf + 20, id, 5);
	/* a fixed-length name: UTF-8, NUL-terminated and padded */
	utf8_valid(buf + 25, strnlen((char *)buf + 25, IPFIX_APPNAME_LEN));
	assert_int_equal(buf[25 + IPFIX_APPNAME_LEN - 1], 0);
	assert_memory_equal(buf + 25, "WhatsApp \xef\xbf\xbd with", 17);
	assert_string_equal((char *)buf + 25 + IPFIX_APPNAME_LEN, "chat");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(templates_layout),
		cmocka_unit_test(record_fields),
		cmocka_unit_test(app_id_scheme),
		cmocka_unit_test(hostile_strings),
		cmocka_unit_test(long_varlen),
		cmocka_unit_test(long_varlen_record),
		cmocka_unit_test(packing),
		cmocka_unit_test(app_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
