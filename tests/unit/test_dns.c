/* Unit tests for the DNS message parser, with crafted packets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dns.h"
#include "dnsbuild.h"

static struct dns_msg msg;

static void test_query(void **state)
{
	struct dnsb b;
	(void)state;

	dnsb_header(&b, 0x1234, 0, 0, 1, 0);
	dnsb_question(&b, "WWW.Example.COM", 28);
	assert_int_equal(dns_parse(b.buf, b.len, &msg), 0);
	assert_int_equal(msg.id, 0x1234);
	assert_false(msg.is_response);
	assert_string_equal(msg.qname, "www.example.com");
	assert_int_equal(msg.qtype, 28);
	assert_int_equal(msg.n_answers, 0);
}

static void test_answers_cname_chain(void **state)
{
	struct dnsb b;
	uint8_t v6[16] = { 0x2a, 0x03, 0x28, 0x80, [15] = 1 };
	(void)state;

	dnsb_header(&b, 1, 1, 0, 1, 4);
	dnsb_question(&b, "web.whatsapp.com", 1);
	dnsb_cname(&b, "web.whatsapp.com", 300, "mmx-ds.cdn.whatsapp.net");
	dnsb_a(&b, "mmx-ds.cdn.whatsapp.net", 60, 157, 240, 0, 60);
	dnsb_name(&b, "mmx-ds.cdn.whatsapp.net");
	dnsb_rr(&b, 28, 0x80000001u, 16);	/* top bit: treated as 0 */
	dnsb_bytes(&b, v6, 16);
	dnsb_name(&b, "x.example");
	dnsb_rr(&b, 15, 60, 2);			/* MX: walked over, not kept */
	dnsb_u16(&b, 0);
	assert_int_equal(dns_parse(b.buf, b.len, &msg), 0);
	assert_true(msg.is_response);
	assert_int_equal(msg.rcode, 0);
	assert_int_equal(msg.ancount, 4);
	assert_int_equal(msg.answers_seen, 4);
	assert_int_equal(msg.n_answers, 3);
	assert_string_equal(msg.answers[0].name, "web.whatsapp.com");
	assert_int_equal(msg.answers[0].type, DNS_TYPE_CNAME);
	assert_string_equal(msg.answers[0].data, "mmx-ds.cdn.whatsapp.net");
	assert_int_equal(msg.answers[0].ttl, 300);
	assert_string_equal(msg.answers[1].data, "157.240.0.60");
	assert_int_equal(msg.answers[1].ttl, 60);
	assert_string_equal(msg.answers[2].data, "2a03:2880::1");
	assert_int_equal(msg.answers[2].ttl, 0);
}

/* Owner and CNAME target compressed against the question, as servers do. */
static void test_compressed_names(void **state)
{
	struct dnsb b;
	size_t rd;
	(void)state;

	dnsb_header(&b, 7, 1, 3, 1, 2);
	dnsb_question(&b, "www.example.org", 1);
	dnsb_ptr(&b, 12);
	dnsb_rr(&b, 5, 30, 6);
	rd = b.len;
	dnsb_u8(&b, 3), dnsb_bytes(&b, "cdn", 3);
	dnsb_ptr(&b, 16);			/* "example.org" inside the question */
	dnsb_ptr(&b, (uint16_t)rd);		/* owner: the CNAME target */
	dnsb_rr(&b, 1, 30, 4);
	dnsb_u32(&b, 0x0a000001);
	assert_int_equal(dns_parse(b.buf, b.len, &msg), 0);
	assert_int_equal(msg.rcode, 3);
	assert_int_equal(msg.n_answers, 2);
	assert_string_equal(msg.answers[0].name, "www.example.org");
	assert_string_equal(msg.answers[0].data, "cdn.example.org");
	assert_string_equal(msg.answers[1].name, "cdn.example.org");
	assert_string_equal(msg.answers[1].data, "10.0.0.1");
}

static void test_compression_loop(void **state)
{
	struct dnsb b;
	(void)state;

	/* answer owner points at itself */
	dnsb_header(&b, 1, 1, 0, 1, 1);
	dnsb_question(&b, "a.example", 1);
	dnsb_ptr(&b, (uint16_t)b.len);
	dnsb_rr(&b, 1, 60, 4);
	dnsb_u32(&b, 0x01020304);
	assert_int_equal(dns_parse(b.buf, b.len, &msg), 0);
	assert_int_equal(msg.n_answers, 0);	/* the record is dropped */
	/* question name pointing forward into itself: malformed message */
	dnsb_header(&b, 1, 1, 0, 1, 0);
	dnsb_u8(&b, 1), dnsb_u8(&b, 'a');
	dnsb_ptr(&b, 12);
	dnsb_u16(&b, 1), dnsb_u16(&b, 1);
	assert_int_equal(dns_parse(b.buf, b.len, &msg), -1);
}

/* A chain of @links labels, each pointing back at the previous one, laid
 * out in a TXT record's rdata; then an A record owned by the chain's end. */
static void build_chain(struct dnsb *b, int links)
{
	size_t prev = 12, here;
	int i;

	dnsb_header(b, 1, 1, 0, 1, 2);
	dnsb_question(b, "z", 1);
	dnsb_ptr(b, 12);
	dnsb_rr(b, 16, 60, (uint16_t)(links * 4));
	for (i = 0; i < links; i++) {
		here = b->len;
		dnsb_u8(b, 1), dnsb_u8(b, 'a');
		dnsb_ptr(b, (uint16_t)prev);
		prev = here;
	}
	dnsb_ptr(b, (uint16_t)prev);
	dnsb_rr(b, 1, 60, 4);
	dnsb_u32(b, 0x01020304);
}

static void test_compression_hops(void **state)
{
	struct dnsb b;
	size_t first;
	(void)state;

	build_chain(&b, DNS_PTR_HOPS_MAX - 1);	/* + the owner's own pointer */
	assert_int_equal(dns_parse(b.buf, b.len, &msg), 0);
	assert_int_equal(msg.answers_seen, 2);
	assert_int_equal(msg.n_answers, 1);
	assert_int_equal(strncmp(msg.answers[0].name, "a.a.a.a.a.", 10), 0);
	assert_int_equal(msg.answers[0].name[strlen(msg.answers[0].name) - 1], 'z');
	build_chain(&b, DNS_PTR_HOPS_MAX + 4);
	assert_int_equal(dns_parse(b.buf, b.len, &msg), 0);
	assert_int_equal(msg.answers_seen, 1);	/* second record dropped */
	assert_int_equal(msg.n_answers, 0);

	/* a forward pointer is refused even when it would end */
	dnsb_header(&b, 1, 1, 0, 1, 1);
	dnsb_question(&b, "x", 1);
	first = b.len;
	dnsb_ptr(&b, (uint16_t)(first + 12));
	dnsb_rr(&b, 1, 60, 4);
	dnsb_u32(&b, 0);
	dnsb_name(&b, "fwd");
	assert_int_equal(dns_parse(b.buf, b.len, &msg), 0);
	assert_int_equal(msg.answers_seen, 0);
}

static void test_truncated(void **state)
{
	struct dnsb b = { .len = 0 };
	size_t full, cut;
	(void)state;

	assert_int_equal(dns_parse(b.buf, 0, &msg), -1);
	dnsb_header(&b, 1, 1, 0, 1, 2);
	assert_int_equal(dns_parse(b.buf, 11, &msg), -1);	/* short header */
	dnsb_question(&b, "a.example", 1);
	dnsb_a(&b, "a.example", 60, 1, 2, 3, 4);
	dnsb_a(&b, "a.example", 60, 5, 6, 7, 8);
	full = b.len;
	assert_int_equal(dns_parse(b.buf, full, &msg), 0);
	assert_int_equal(msg.n_answers, 2);
	/* cut inside the second record's rdata: first answer survives */
	for (cut = full - 1; cut > full - 15; cut--) {
		assert_int_equal(dns_parse(b.buf, cut, &msg), 0);
		assert_int_equal(msg.n_answers, 1);
		assert_string_equal(msg.answers[0].data, "1.2.3.4");
	}
	/* cut inside the question: malformed */
	assert_int_equal(dns_parse(b.buf, 12 + 5, &msg), -1);
}

static void test_huge_counts(void **state)
{
	struct dnsb b;
	int i;
	(void)state;

	dnsb_header(&b, 1, 1, 0, 1, 0xffff);
	dnsb_question(&b, "many.example", 1);
	for (i = 0; i < 40; i++)
		dnsb_a(&b, "many.example", 60, 10, 0, 0, (uint8_t)i);
	assert_int_equal(dns_parse(b.buf, b.len, &msg), 0);
	assert_int_equal(msg.ancount, 0xffff);
	assert_int_equal(msg.answers_seen, 40);
	assert_int_equal(msg.n_answers, DNS_ANSWERS_MAX);
	assert_string_equal(msg.answers[DNS_ANSWERS_MAX - 1].data, "10.0.0.15");
	/* a huge question count with one question present is malformed */
	dnsb_header(&b, 1, 1, 0, 0xffff, 0);
	dnsb_question(&b, "q.example", 1);
	assert_int_equal(dns_parse(b.buf, b.len, &msg), -1);
}

static void test_bad_rdata(void **state)
{
	struct dnsb b;
	(void)state;

	dnsb_header(&b, 1, 1, 0, 1, 2);
	dnsb_question(&b, "a.example", 1);
	dnsb_name(&b, "a.example");
	dnsb_rr(&b, 1, 60, 3);		/* A with 3 bytes */
	dnsb_u8(&b, 1), dnsb_u8(&b, 2), dnsb_u8(&b, 3);
	dnsb_name(&b, "a.example");
	dnsb_rr(&b, 1, 60, 200);	/* rdlength past the end */
	dnsb_u32(&b, 0);
	assert_int_equal(dns_parse(b.buf, b.len, &msg), 0);
	assert_int_equal(msg.answers_seen, 1);
	assert_int_equal(msg.n_answers, 0);
}

static void test_name_escaping_and_limits(void **state)
{
	static const uint8_t label[] = { 5, 'a', '.', 'b', 0x01, '"' };
	char big[300];
	struct dnsb b;
	int i;
	(void)state;

	dnsb_header(&b, 1, 0, 0, 1, 0);
	dnsb_bytes(&b, label, sizeof(label));
	dnsb_u8(&b, 0);
	dnsb_u16(&b, 1), dnsb_u16(&b, 1);
	assert_int_equal(dns_parse(b.buf, b.len, &msg), 0);
	assert_string_equal(msg.qname, "a\\.b\\001\\034");
	/* a 63-byte label limit is enforced by the 0xc0 flag bits */
	dnsb_header(&b, 1, 0, 0, 1, 0);
	dnsb_u8(&b, 0x40);		/* extended label type */
	dnsb_u16(&b, 1), dnsb_u16(&b, 1);
	assert_int_equal(dns_parse(b.buf, b.len, &msg), -1);
	/* names over 255 wire bytes are refused */
	for (i = 0; i < 299; i++)
		big[i] = (i % 50 == 49) ? '.' : 'x';
	big[299] = '\0';
	dnsb_header(&b, 1, 0, 0, 1, 0);
	dnsb_question(&b, big, 1);
	assert_int_equal(dns_parse(b.buf, b.len, &msg), -1);
	/* root name */
	dnsb_header(&b, 1, 0, 0, 1, 0);
	dnsb_question(&b, "", 2);
	assert_int_equal(dns_parse(b.buf, b.len, &msg), 0);
	assert_string_equal(msg.qname, "");
}

static void test_type_name(void **state)
{
	char buf[16];
	(void)state;

	assert_string_equal(dns_type_name(1, buf, sizeof(buf)), "A");
	assert_string_equal(dns_type_name(28, buf, sizeof(buf)), "AAAA");
	assert_string_equal(dns_type_name(5, buf, sizeof(buf)), "CNAME");
	assert_string_equal(dns_type_name(65, buf, sizeof(buf)), "TYPE65");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_answers_cname_chain),
		cmocka_unit_test(test_compression_loop),
		cmocka_unit_test(test_compression_hops),
		cmocka_unit_test(test_compressed_names),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_huge_counts),
		cmocka_unit_test(test_bad_rdata),
		cmocka_unit_test(test_name_escaping_and_limits),
		cmocka_unit_test(test_type_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
