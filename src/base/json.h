/* JSON messages written with yajl: every message but the flow records
 * (jsonw.h) goes through these, so member names are C strings (never a
 * hand-counted length) and any bytes become valid UTF-8 JSON: strings are
 * repaired (invalid sequences become U+FFFD) and capped at JSONW_STR_MAX
 * bytes, exactly as jsonw writes them.
 */
#ifndef NETIFY_JSON_H
#define NETIFY_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* A generator that prints compact JSON; NULL on allocation failure. */
yajl_gen json_gen_new(void);

/* Writes s[0..len) as a JSON string, repairing invalid UTF-8. */
void json_str(yajl_gen g, const char *s, size_t len);
void json_cstr(yajl_gen g, const char *s);
/* A member name of the code's own (not repaired). */
void json_key(yajl_gen g, const char *key);
/* An integer, without printf. */
void json_int(yajl_gen g, long long val);

/* Members. json_kv_str() writes nothing when val is NULL, json_kv_null()
 * writes null then. */
void json_kv_str(yajl_gen g, const char *key, const char *val);
void json_kv_null(yajl_gen g, const char *key, const char *val);
void json_kv_int(yajl_gen g, const char *key, long long val);
void json_kv_bool(yajl_gen g, const char *key, int val);
/* An IP address (family 4/6, or AF_INET/AF_INET6) as text. */
void json_kv_ip(yajl_gen g, const char *key, int family, const uint8_t *addr);
/* A MAC address as "aa:bb:cc:dd:ee:ff". */
void json_kv_mac(yajl_gen g, const char *key, const uint8_t *mac);

/* Writes the generator's document and a newline to out, then empties the
 * generator for the next document. 0, or -1 if it holds no document. */
int json_gen_print(yajl_gen g, FILE *out);

/* The generator's document as a tree (arguments built by the generator,
 * so values are escaped by it, not by hand); frees the generator. NULL if
 * it holds no document or memory ran out. */
yajl_val json_gen_tree(yajl_gen g);

#endif
