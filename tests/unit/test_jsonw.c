/* Unit tests of jsonw: it writes what yajl writes for the same calls (byte
 * for byte, with the same UTF-8 repair), grows, refuses what passes its cap,
 * and its documents parse whatever bytes the strings held. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "flowjson.h"
#include "json.h"
#include "jsonw.h"

/* Writes {"k":"<s>","n":[<v>,true]} with both writers and compares. */
static void same_as_yajl(const char *key, const char *s, size_t len, long long v)
{
	yajl_gen g = json_gen_new();
	const unsigned char *yb;
	const char *wb;
	size_t yn, wn;
	struct jsonw w;

	assert_non_null(g);
	assert_int_equal(jsonw_init(&w, 8, FLOWJSON_MAX), 0);
	yajl_gen_map_open(g);
	json_cstr(g, key);	/* a name is a string: repaired the same way */
	json_str(g, s, len);
	json_key(g, "n");
	yajl_gen_array_open(g);
	json_int(g, v);
	yajl_gen_bool(g, 1);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	jsonw_map_open(&w);
	jsonw_key(&w, key);
	jsonw_str(&w, s, len);
	jsonw_key(&w, "n");
	jsonw_array_open(&w);
	jsonw_int(&w, v);
	jsonw_bool(&w, true);
	jsonw_array_close(&w);
	jsonw_map_close(&w);
	assert_int_equal(yajl_gen_get_buf(g, &yb, &yn), yajl_gen_status_ok);
	wb = jsonw_buf(&w, &wn);
	assert_non_null(wb);
	if (wn != yn || memcmp(wb, yb, yn))
		print_message("# yajl:  %.*s\n# jsonw: %.*s\n", (int)yn, yb, (int)wn, wb);
	assert_int_equal(wn, yn);
	assert_memory_equal(wb, yb, yn);
	yajl_gen_free(g);
	jsonw_free(&w);
}

static void every_byte(void **state)
{
	char s[3];
	int c;

	(void)state;
	for (c = 0; c < 256; c++) {
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = 'z';
		same_as_yajl("key", s, 3, c);
	}
}

static void hostile_strings(void **state)
{
	static const char *const cases[] = {
		"", "a\"b\\c/d", "x\n\r\t\b\f\x01\x1f\x7fy", "caf\xc3\xa9", "\xe2\x82\xac\xf0\x9f\x98\x80",
		"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\xff\xfe", "\x80\x80x",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same_as_yajl("k", cases[i], strlen(cases[i]), (long long)i - 5);
	same_as_yajl("nul", "a\0b", 3, 0);
	same_as_yajl("ke\"y\x01\xff", "v", 1, 9223372036854775807LL);
	same_as_yajl("min", "v", 1, -9223372036854775807LL - 1);
}

static void long_strings_are_cut(void **state)
{
	char *big = malloc(10000);
	size_t i;

	(void)state;
	for (i = 0; i < 10000; i++)
		big[i] = i % 7 ? (char)('a' + i % 26) : i % 3 ? '\x01' : '\xe9';
	same_as_yajl("big", big, 10000, 1);
	/* a 3-byte character across the cut */
	memset(big, 'a', 10000);
	memcpy(big + JSONW_STR_MAX - 1, "\xe2\x82\xac", 3);
	same_as_yajl("cut", big, 10000, 2);
	free(big);
}

static void nesting_and_commas(void **state)
{
	struct jsonw w;
	const char *b;
	size_t n;

	(void)state;
	assert_int_equal(jsonw_init(&w, 4, 1024), 0);
	jsonw_map_open(&w);
	jsonw_kv_str(&w, "skip", NULL);
	jsonw_key(&w, "a");
	jsonw_array_open(&w);
	jsonw_array_close(&w);
	jsonw_name(&w, "m");
	jsonw_map_open(&w);
	jsonw_map_close(&w);
	jsonw_key(&w, "l");
	jsonw_array_open(&w);
	jsonw_map_open(&w);
	jsonw_kv_int(&w, "x", 1);
	jsonw_kv_bool(&w, "y", false);
	jsonw_map_close(&w);
	jsonw_int(&w, -7);
	jsonw_cstr(&w, "s");
	jsonw_array_close(&w);
	jsonw_map_close(&w);
	b = jsonw_buf(&w, &n);
	assert_non_null(b);
	assert_int_equal(n, strlen("{\"a\":[],\"m\":{},\"l\":[{\"x\":1,\"y\":false},-7,\"s\"]}"));
	assert_memory_equal(b, "{\"a\":[],\"m\":{},\"l\":[{\"x\":1,\"y\":false},-7,\"s\"]}", n);
	/* reset starts a new document: no leading comma */
	jsonw_reset(&w);
	jsonw_map_open(&w);
	jsonw_map_close(&w);
	b = jsonw_buf(&w, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(b, "{}", 2);
	jsonw_free(&w);
}

static void cap_refuses_and_recovers(void **state)
{
	struct jsonw w;
	char s[200];
	size_t n;

	(void)state;
	memset(s, 'x', sizeof(s));
	assert_int_equal(jsonw_init(&w, 16, 256), 0);
	jsonw_array_open(&w);
	jsonw_str(&w, s, sizeof(s));	/* 200 bytes may need 1200 */
	jsonw_int(&w, 1);
	jsonw_array_close(&w);
	assert_null(jsonw_buf(&w, &n));
	assert_int_equal(n, 0);
	assert_true(w.cap <= 256);
	jsonw_reset(&w);
	jsonw_array_open(&w);
	jsonw_str(&w, s, 20);
	jsonw_array_close(&w);
	assert_non_null(jsonw_buf(&w, &n));
	assert_int_equal(n, 24);
	jsonw_free(&w);
}

/* Whatever the bytes, the document parses and the string comes back
 * unchanged when it was valid UTF-8 with no cut. */
/* json_gen_tree: the generator's document as a tree, values intact
 * whatever they hold; no document, no tree. */
static void gen_tree(void **state)
{
	static const char *const path[] = { "device", NULL };
	yajl_gen g = json_gen_new();
	yajl_val v, d;

	(void)state;
	assert_non_null(g);
	yajl_gen_map_open(g);
	json_kv_str(g, "device", "kid's \"phone\"\n");
	json_kv_bool(g, "hours", 1);
	yajl_gen_map_close(g);
	v = json_gen_tree(g);
	assert_non_null(v);
	d = yajl_tree_get(v, (const char **)path, yajl_t_string);
	assert_non_null(d);
	assert_string_equal(YAJL_GET_STRING(d), "kid's \"phone\"\n");
	yajl_tree_free(v);
	assert_null(json_gen_tree(json_gen_new()));	/* empty generator */
	assert_null(json_gen_tree(NULL));
}

static void parses_back(void **state)
{
	static const char s[] = "h\xc3\xa9llo \"w\"\\\n\x02";
	struct jsonw w;
	char err[128], *copy;
	const char *b;
	yajl_val v;
	size_t n;

	(void)state;
	assert_int_equal(jsonw_init(&w, 64, 4096), 0);
	jsonw_array_open(&w);
	jsonw_str(&w, s, sizeof(s) - 1);
	jsonw_str(&w, "\xff", 1);
	jsonw_array_close(&w);
	b = jsonw_buf(&w, &n);
	copy = strndup(b, n);
	v = yajl_tree_parse(copy, err, sizeof(err));
	assert_non_null(v);
	assert_string_equal(v->u.array.values[0]->u.string, s);
	assert_string_equal(v->u.array.values[1]->u.string, "\xef\xbf\xbd");
	yajl_tree_free(v);
	free(copy);
	jsonw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_byte),
		cmocka_unit_test(hostile_strings),
		cmocka_unit_test(long_strings_are_cut),
		cmocka_unit_test(nesting_and_commas),
		cmocka_unit_test(cap_refuses_and_recovers),
		cmocka_unit_test(parses_back),
		cmocka_unit_test(gen_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
