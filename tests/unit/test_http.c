/* Unit tests: netify's HTTP request-head parser (untrusted bytes). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http.h"

static int parse(const char *s, struct http_req *r)
{
	return http_parse_request((const uint8_t *)s, strlen(s), r);
}

static void full_request(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("GET /a?b=c HTTP/1.1\r\nHost: Example.org\r\nUser-Agent:  curl/8.0\r\n"
			       "Accept: */*\r\n\r\n", &r), 0);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.url, "/a?b=c");
	assert_string_equal(r.host, "Example.org");
	assert_string_equal(r.user_agent, "curl/8.0");
}

static void header_names_any_case_and_bare_lf(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("POST /x HTTP/1.0\nhOsT: h\nuser-agent: ua\n\n", &r), 0);
	assert_string_equal(r.host, "h");
	assert_string_equal(r.user_agent, "ua");
}

static void incomplete_headers_keep_what_is_there(void **state)
{
	struct http_req r;

	(void)state;
	/* The second header line is cut by the segment boundary. */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a.b\r\nUser-Ag", &r), 0);
	assert_string_equal(r.host, "a.b");
	assert_string_equal(r.user_agent, "");
}

static void not_a_request(void **state)
{
	static const char *const bad[] = {
		"", "\x16\x03\x01\x02\x00", "get / HTTP/1.1\r\n", "GET / FTP/1.0\r\n", "GET /\r\n",
		"GE / HTTP/1.1\r\n", "GET / HTTP/1.1", "VERYLONGMETHODNAME / HTTP/1.1\r\n",
		"HTTP/1.1 200 OK\r\n", "G3T / HTTP/1.1\r\n",
	};
	struct http_req r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &r), -1);
}

static void long_fields_are_cut(void **state)
{
	char buf[4096], url[1000];
	struct http_req r;

	(void)state;
	memset(url, 'u', sizeof(url) - 1);
	url[sizeof(url) - 1] = '\0';
	snprintf(buf, sizeof(buf), "GET /%s HTTP/1.1\r\nUser-Agent: %s\r\n\r\n", url, url);
	assert_int_equal(parse(buf, &r), 0);
	assert_int_equal(strlen(r.url), HTTP_URL_MAX - 1);
	assert_int_equal(strlen(r.user_agent), HTTP_UA_MAX - 1);
}

static void every_prefix_is_safe(void **state)
{
	static const char req[] = "GET /p HTTP/1.1\r\nHost: h\r\nUser-Agent: u\r\n\r\n";
	struct http_req r;
	size_t n;

	(void)state;
	/* Each prefix in its own exact-size buffer: ASan catches any overread. */
	for (n = 0; n <= sizeof(req) - 1; n++) {
		uint8_t *p = malloc(n ? n : 1);

		memcpy(p, req, n);
		http_parse_request(p, n, &r);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_request),
		cmocka_unit_test(header_names_any_case_and_bare_lf),
		cmocka_unit_test(incomplete_headers_keep_what_is_there),
		cmocka_unit_test(not_a_request),
		cmocka_unit_test(long_fields_are_cut),
		cmocka_unit_test(every_prefix_is_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
