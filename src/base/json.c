/* JSON messages written with yajl (see json.h). */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonw.h"
#include "util.h"

yajl_gen json_gen_new(void)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g)
		yajl_gen_config(g, yajl_gen_validate_utf8, 0);
	return g;
}

void json_str(yajl_gen g, const char *s, size_t len)
{
	unsigned char buf[JSONW_STR_MAX * 3 + 4];
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;

	if (len > JSONW_STR_MAX)
		len = JSONW_STR_MAX;
	/* Plain ASCII (most host names, all addresses) needs no repair. */
	while (i < len && p[i] < 0x80)
		i++;
	if (i == len) {
		yajl_gen_string(g, p, len);
		return;
	}
	memcpy(buf, p, i);
	o = i;
	while (i < len) {
		size_t n = util_utf8_seq(p + i, len - i);

		if (n) {
			memcpy(buf + o, p + i, n);
			o += n;
			i += n;
		} else {	/* U+FFFD REPLACEMENT CHARACTER */
			buf[o++] = 0xef;
			buf[o++] = 0xbf;
			buf[o++] = 0xbd;
			i++;
		}
	}
	yajl_gen_string(g, buf, o);
}

void json_cstr(yajl_gen g, const char *s)
{
	json_str(g, s, strlen(s));
}

void json_key(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

/* yajl_gen_integer() goes through printf. */
void json_int(yajl_gen g, long long val)
{
	char buf[24];

	yajl_gen_number(g, buf, util_lltoa(val, buf));
}

void json_kv_str(yajl_gen g, const char *key, const char *val)
{
	if (!val)
		return;
	json_key(g, key);
	json_cstr(g, val);
}

void json_kv_null(yajl_gen g, const char *key, const char *val)
{
	if (val) {
		json_kv_str(g, key, val);
		return;
	}
	json_key(g, key);
	yajl_gen_null(g);
}

void json_kv_int(yajl_gen g, const char *key, long long val)
{
	json_key(g, key);
	json_int(g, val);
}

void json_kv_bool(yajl_gen g, const char *key, int val)
{
	json_key(g, key);
	yajl_gen_bool(g, !!val);
}

void json_kv_ip(yajl_gen g, const char *key, int family, const uint8_t *addr)
{
	char buf[64];

	json_kv_str(g, key, util_ntop(family, addr, buf, sizeof(buf)));
}

void json_kv_mac(yajl_gen g, const char *key, const uint8_t *mac)
{
	static const char hex[] = "0123456789abcdef";
	char buf[17];
	int i;

	for (i = 0; i < 6; i++) {
		buf[i * 3] = hex[mac[i] >> 4];
		buf[i * 3 + 1] = hex[mac[i] & 15];
		if (i < 5)
			buf[i * 3 + 2] = ':';
	}
	json_key(g, key);
	yajl_gen_string(g, (const unsigned char *)buf, sizeof(buf));
}

int json_gen_print(yajl_gen g, FILE *out)
{
	const unsigned char *buf;
	size_t len;

	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		return -1;
	fwrite(buf, 1, len, out);
	fputc('\n', out);
	yajl_gen_clear(g);
	yajl_gen_reset(g, NULL);
	return 0;
}

yajl_val json_gen_tree(yajl_gen g)
{
	const unsigned char *buf;
	yajl_val v = NULL;
	size_t len;
	char *text;

	if (!g)
		return NULL;
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok && len &&
	    (text = strndup((const char *)buf, len))) {
		v = yajl_tree_parse(text, NULL, 0);
		free(text);
	}
	yajl_gen_free(g);
	return v;
}
