/* Flow records as JSON, with the Netify Agent's field names, and helpers
 * for the other JSON messages (written with yajl).
 *
 * Records are written with jsonw (the packet path's writer); messages with
 * yajl go through json_str(). Both turn any byte sequence into valid UTF-8
 * JSON (invalid sequences become U+FFFD), so whatever a packet carried,
 * the output parses.
 */
#ifndef NETIFY_FLOWJSON_H
#define NETIFY_FLOWJSON_H

#include <stddef.h>
#include <yajl/yajl_gen.h>

#include "jsonw.h"

struct engine;
struct flow;

/* Writes s[0..len) as a JSON string, repairing invalid UTF-8. */
void json_str(yajl_gen g, const char *s, size_t len);
void json_cstr(yajl_gen g, const char *s);
void json_key(yajl_gen g, const char *key);
void json_kv_str(yajl_gen g, const char *key, const char *val);
void json_int(yajl_gen g, long long val);
void json_kv_int(yajl_gen g, const char *key, long long val);
void json_kv_bool(yajl_gen g, const char *key, int val);

/* A writer for records: most fit in 4 KiB; strings are capped (JSONW_STR_MAX)
 * and so is every list, so none comes near the cap. */
#define FLOWJSON_INITIAL 4096
#define FLOWJSON_MAX (1 << 20)

/* Opens {"type":"flow","flow":{ and writes every classifier field of f,
 * leaving the "flow" map open so the caller can add its own fields
 * (policy outcome, interface) before flowjson_close(). */
void flowjson_open(struct jsonw *w, struct engine *e, const struct flow *f);
void flowjson_close(struct jsonw *w);

/* A MAC address member, "aa:bb:cc:dd:ee:ff", named by a literal. */
#define flowjson_kv_mac(w, lit, mac) __flowjson_kv_mac((w), JSONW_NAME(lit), (mac))
void __flowjson_kv_mac(struct jsonw *w, const char *quoted, size_t len, const uint8_t *mac);

/* Writes an IP address (family 4/6) as text. */
void json_kv_ip(yajl_gen g, const char *key, int family, const uint8_t *addr);

/* A yajl generator that prints compact JSON; NULL on allocation failure. */
yajl_gen json_gen_new(void);

#endif
