/* Unit tests: JSON output is valid UTF-8 JSON whatever bytes it is given,
 * and a flow built from real packets carries the expected fields. */
#define _GNU_SOURCE	/* open_memstream */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "engine.h"
#include "flowjson.h"
#include "json.h"
#include "pktbuild.h"

static const char *vstr(yajl_val v)
{
	assert_true(v && YAJL_IS_STRING(v));
	return v->u.string;
}

/* Generates ["<s>"] and parses it back; returns the decoded string. */
static char *roundtrip(const char *s, size_t len)
{
	yajl_gen g = json_gen_new();
	const unsigned char *buf;
	char err[256], *out;
	yajl_val v;
	size_t n;

	yajl_gen_array_open(g);
	json_str(g, s, len);
	yajl_gen_array_close(g);
	yajl_gen_get_buf(g, &buf, &n);
	out = strndup((const char *)buf, n);
	v = yajl_tree_parse(out, err, sizeof(err));
	assert_non_null(v);
	free(out);
	out = strdup(vstr(v->u.array.values[0]));
	yajl_tree_free(v);
	yajl_gen_free(g);
	return out;
}

static void quotes_and_backslashes(void **state)
{
	char *s = roundtrip("a\"b\\c/d", 7);

	(void)state;
	assert_string_equal(s, "a\"b\\c/d");
	free(s);
}

static void control_bytes(void **state)
{
	static const char in[] = "x\n\r\t\x01\x1f\x7fy";
	char *s = roundtrip(in, sizeof(in) - 1);

	(void)state;
	assert_string_equal(s, in);
	free(s);
}

static void embedded_nul(void **state)
{
	char *s = roundtrip("ab\0cd", 5);

	(void)state;
	/* The NUL is escaped and survives; the C string stops at it. */
	assert_string_equal(s, "ab");
	free(s);
}

static void invalid_utf8_replaced(void **state)
{
	static const struct { const char *in; size_t len; const char *out; } cases[] = {
		{ "\xff", 1, "\xef\xbf\xbd" },
		{ "a\xc3", 2, "a\xef\xbf\xbd" },		/* truncated sequence */
		{ "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong '/' */
		{ "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* surrogate */
		{ "\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },		/* valid stays */
		{ "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = roundtrip(cases[i].in, cases[i].len);

		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

static void random_bytes_always_parse(void **state)
{
	char buf[300];
	unsigned i, j;

	(void)state;
	srand(42);
	for (i = 0; i < 5000; i++) {
		size_t n = (size_t)rand() % sizeof(buf);
		char *s;

		for (j = 0; j < n; j++)
			buf[j] = (char)rand();
		s = roundtrip(buf, n);
		free(s);
	}
}

static void long_string_cut(void **state)
{
	char *big = malloc(10000), *s;

	(void)state;
	memset(big, 'a', 10000);
	s = roundtrip(big, 10000);
	assert_int_equal(strlen(s), 4096);
	free(s);
	free(big);
}

static void numbers_and_addresses(void **state)
{
	static const uint8_t a1[4] = { 10, 0, 100, 255 }, a0[4] = { 0, 0, 0, 0 };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	yajl_gen g = json_gen_new();
	const unsigned char *buf;
	size_t n;

	(void)state;
	yajl_gen_map_open(g);
	json_kv_int(g, "a", 0);
	json_kv_int(g, "b", -1234567890123LL);
	json_kv_int(g, "c", 9223372036854775807LL);
	json_kv_int(g, "d", (-9223372036854775807LL - 1));
	json_kv_ip(g, "e", 4, a1);
	json_kv_ip(g, "f", 4, a0);
	json_kv_ip(g, "g", 6, a6);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &n);
	assert_int_equal(n, strlen((const char *)buf));
	assert_string_equal((const char *)buf,
			    "{\"a\":0,\"b\":-1234567890123,\"c\":9223372036854775807,"
			    "\"d\":-9223372036854775808,\"e\":\"10.0.100.255\",\"f\":\"0.0.0.0\","
			    "\"g\":\"2001:db8::1\"}");
	yajl_gen_free(g);
}

/* The other members every message uses, and a printed document. */
static void macs_nulls_and_printing(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0xab, 0x00, 0x10, 0xff, 0x09 };
	yajl_gen g = json_gen_new();
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	(void)state;
	assert_non_null(f);
	yajl_gen_map_open(g);
	json_kv_mac(g, "m", mac);
	json_kv_null(g, "n", NULL);
	json_kv_null(g, "s", "x\xff");
	json_kv_str(g, "absent", NULL);
	json_kv_bool(g, "b", 7);
	yajl_gen_map_close(g);
	assert_int_equal(json_gen_print(g, f), 0);
	yajl_gen_map_open(g);	/* the generator is ready for the next one */
	yajl_gen_map_close(g);
	assert_int_equal(json_gen_print(g, f), 0);
	fclose(f);
	assert_string_equal(text, "{\"m\":\"02:ab:00:10:ff:09\",\"n\":null,\"s\":\"x\xef\xbf\xbd\",\"b\":true}\n{}\n");
	free(text);
	yajl_gen_free(g);
}

/* ---- a flow through the engine ---- */

struct capture {
	char json[8192];
	int done;
};

static void on_done(void *user, struct engine *e, struct flow *f)
{
	struct capture *c = user;
	struct jsonw w;
	const char *buf;
	size_t n;

	assert_int_equal(jsonw_init(&w, 16, FLOWJSON_MAX), 0);	/* small: it must grow */
	flowjson_open(&w, e, f);
	flowjson_close(&w);
	buf = jsonw_buf(&w, &n);
	assert_non_null(buf);
	snprintf(c->json, sizeof(c->json), "%.*s", (int)n, buf);
	c->done++;
	jsonw_free(&w);
}

static void send_tcp(struct engine *e, uint64_t ts, int dir, uint8_t flags, const char *payload)
{
	struct pb b = { .len = 0 };
	struct engine_result r;
	size_t plen = payload ? strlen(payload) : 0;

	pb_eth(&b, 0x0800);
	if (dir == 0) {
		pb_ipv4(&b, IPPROTO_TCP, "192.168.1.10", "10.1.1.1", (uint16_t)(20 + plen), 0, 0);
		pb_tcp(&b, 40000, 80, flags);
	} else {
		pb_ipv4(&b, IPPROTO_TCP, "10.1.1.1", "192.168.1.10", (uint16_t)(20 + plen), 0, 0);
		pb_tcp(&b, 80, 40000, flags);
	}
	if (plen)
		pb_bytes(&b, payload, plen);
	engine_process(e, LINK_ETHERNET, b.buf, (uint32_t)b.len, ts, &r);
	assert_int_equal(r.status, DECODE_OK);
}

static void http_flow_fields(void **state)
{
	struct capture c = { .done = 0 };
	struct engine_cfg cfg;
	struct engine *e;
	char err[256];
	yajl_val v, f;
	const char *host_path[] = { "flow", "host_server_name", NULL };
	const char *proto_path[] = { "flow", "detected_protocol_name", NULL };
	const char *ua_path[] = { "flow", "http", "user_agent", NULL };
	const char *lip_path[] = { "flow", "local_ip", NULL };

	(void)state;
	engine_cfg_defaults(&cfg);
	cfg.flow_capacity = 64;
	cfg.dns_cache_size = 0;
	cfg.cb.flow_done = on_done;
	cfg.cb.user = &c;
	e = engine_new(&cfg);
	assert_non_null(e);
	send_tcp(e, 1000000, 0, 0x02, NULL);
	send_tcp(e, 1001000, 1, 0x12, NULL);
	send_tcp(e, 1002000, 0, 0x10, NULL);
	send_tcp(e, 1003000, 0, 0x18,
		 "GET /x HTTP/1.1\r\nHost: ex\"ample\xff.org\r\nUser-Agent: t\x01st\r\n\r\n");
	send_tcp(e, 1004000, 1, 0x18, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n");
	engine_flush(e, FLOW_PURGE_SHUTDOWN);
	assert_int_equal(c.done, 1);
	v = yajl_tree_parse(c.json, err, sizeof(err));
	assert_non_null(v);
	f = yajl_tree_get(v, proto_path, yajl_t_string);
	assert_non_null(f);
	assert_string_equal(vstr(f), "HTTP");
	f = yajl_tree_get(v, host_path, yajl_t_string);
	assert_non_null(f);
	assert_non_null(strstr(vstr(f), "ex\"ample"));
	f = yajl_tree_get(v, ua_path, yajl_t_string);
	assert_non_null(f);
	assert_string_equal(vstr(f), "t\x01st");
	f = yajl_tree_get(v, lip_path, yajl_t_string);
	assert_string_equal(vstr(f), "192.168.1.10");
	yajl_tree_free(v);
	engine_free(e);
}

/* A TLS flow to a Google address: whichever way the nDPI version reports
 * what it names by address (4.2 as the application protocol, 4.6+ as
 * protocol_by_ip), the record keeps it as nDPI's application. */
static void ndpi_application_by_address(void **state)
{
	static const char hello[] = "\x16\x03\x01\x00\x05hello";
	struct capture c = { .done = 0 };
	const char *app_path[] = { "flow", "ndpi_application_name", NULL };
	const char *proto_path[] = { "flow", "detected_protocol_name", NULL };
	struct engine_cfg cfg;
	struct engine *e;
	struct pb b;
	struct engine_result r;
	char err[256];
	yajl_val v, f;
	int i;

	(void)state;
	engine_cfg_defaults(&cfg);
	cfg.flow_capacity = 64;
	cfg.cb.flow_done = on_done;
	cfg.cb.user = &c;
	e = engine_new(&cfg);
	assert_non_null(e);
	for (i = 0; i < 4; i++) {
		int up = i != 1;
		size_t plen = i == 3 ? sizeof(hello) - 1 : 0;

		b.len = 0;
		pb_eth(&b, 0x0800);
		pb_ipv4(&b, IPPROTO_TCP, up ? "192.168.1.10" : "142.250.1.1",
			up ? "142.250.1.1" : "192.168.1.10", (uint16_t)(20 + plen), 0, 0);
		pb_tcp(&b, up ? 40000 : 443, up ? 443 : 40000, i == 0 ? 0x02 : i == 1 ? 0x12 : 0x18);
		pb_bytes(&b, hello, plen);
		engine_process(e, LINK_ETHERNET, b.buf, (uint32_t)b.len, 1000000 + (uint64_t)i * 1000, &r);
	}
	engine_flush(e, FLOW_PURGE_SHUTDOWN);
	assert_int_equal(c.done, 1);
	v = yajl_tree_parse(c.json, err, sizeof(err));
	assert_non_null(v);
	f = yajl_tree_get(v, proto_path, yajl_t_string);
	assert_non_null(f);
	assert_string_equal(vstr(f), "TLS");
	f = yajl_tree_get(v, app_path, yajl_t_string);
	assert_non_null(f);
	assert_string_equal(vstr(f), "Google");
	yajl_tree_free(v);
	engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quotes_and_backslashes),
		cmocka_unit_test(control_bytes),
		cmocka_unit_test(embedded_nul),
		cmocka_unit_test(invalid_utf8_replaced),
		cmocka_unit_test(random_bytes_always_parse),
		cmocka_unit_test(long_string_cut),
		cmocka_unit_test(numbers_and_addresses),
		cmocka_unit_test(macs_nulls_and_printing),
		cmocka_unit_test(http_flow_fields),
		cmocka_unit_test(ndpi_application_by_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
