/* Unit tests of esc.c: what reaches a terminal from hostile text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "esc.h"

static void same(const char *in, const char *want)
{
	char buf[256];

	assert_string_equal(esc_str(in, buf, sizeof(buf)), want);
	assert_string_equal(esc(in), want);
}

static void controls(void **state)
{
	(void)state;
	same("example.com", "example.com");
	same("", "");
	same("\x1b]0;pwned\x07", "\\e]0;pwned\\a");
	same("a\rb\nc\td\be\ff\vg", "a\\rb\\nc\\td\\be\\ff\\vg");
	same("\x01\x1f\x7f", "\\x01\\x1f\\x7f");
	same("back\\slash", "back\\\\slash");
	same("\x1b[2J\x1b[H", "\\e[2J\\e[H");
}

static void unicode(void **state)
{
	(void)state;
	same("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
	same("\xc2\x9b" "2J", "\\u009b2J");			/* C1 CSI */
	same("abc\xe2\x80\xae" "cba", "abc\\u202ecba");	/* right-to-left override */
	same("a\xe2\x80\x8b" "b\xe2\x81\xa6" "c\xef\xbb\xbf", "a\\u200bb\\u2066c\\ufeff");
	same("line\xe2\x80\xa8" "sep", "line\\u2028sep");
	/* bytes that are not UTF-8: each shown as it is */
	same("\xff\xfe", "\\xff\\xfe");
	same("\xc0\xaf", "\\xc0\\xaf");				/* overlong */
	same("\xed\xa0\x80", "\\xed\\xa0\\x80");		/* surrogate */
	same("\xe2\x80", "\\xe2\\x80");				/* cut short */
}

static void binary(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(esc_mem("a\0b", 3, buf, sizeof(buf)), "a\\x00b");
	assert_string_equal(esc_str(NULL, buf, sizeof(buf)), "");
}

/* A buffer too small: cut at a whole escape or character, with "...". */
static void cut(void **state)
{
	char buf[16], big[ESC_RING_LEN * 2];
	size_t i;

	(void)state;
	assert_string_equal(esc_str("0123456789abcdefghij", buf, sizeof(buf)), "0123456789ab...");
	assert_string_equal(esc_str("0123456789a\x1bxyzw", buf, sizeof(buf)), "0123456789a...");
	assert_string_equal(esc_str("0123456789\xe6\x97\xa5xyzw", buf, sizeof(buf)), "0123456789...");
	assert_string_equal(esc_str("012345678\xe6\x97\xa5xyzw", buf, sizeof(buf)),
			    "012345678\xe6\x97\xa5...");
	assert_string_equal(esc_str("0123456789", buf, 11), "0123456789");
	assert_string_equal(esc_str("01234567890", buf, 11), "0123456...");
	assert_string_equal(esc_str("abc", buf, 1), "");
	memset(big, '\x07', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(strlen(esc(big)), ESC_RING_LEN - 1 - (ESC_RING_LEN - 4) % 2);
	for (i = 0; i + 3 < strlen(esc(big)); i += 2)
		assert_memory_equal(esc(big) + i, "\\a", 2);
}

/* esc()'s buffers last ESC_RING calls: one printf() can use several. */
static void ring(void **state)
{
	const char *p[ESC_RING];
	char in[8];
	int i;

	(void)state;
	for (i = 0; i < ESC_RING; i++) {
		snprintf(in, sizeof(in), "v%d\n", i);
		p[i] = esc(in);
	}
	for (i = 0; i < ESC_RING; i++) {
		snprintf(in, sizeof(in), "v%d\\n", i);
		assert_string_equal(p[i], in);
	}
}

static void file(void **state)
{
	char out[64] = "";
	FILE *f = fmemopen(out, sizeof(out), "w");

	(void)state;
	assert_non_null(f);
	assert_int_equal(esc_fputs("x\x1b" "y\n", f), 0);
	fclose(f);
	assert_string_equal(out, "x\\ey\\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(controls), cmocka_unit_test(unicode), cmocka_unit_test(binary),
		cmocka_unit_test(cut), cmocka_unit_test(ring), cmocka_unit_test(file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
