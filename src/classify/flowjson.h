/* Flow records as JSON, with the Netify Agent's field names, written with
 * jsonw (the packet path's writer; the other messages use json.h). Any
 * byte sequence becomes valid UTF-8 JSON (invalid sequences become
 * U+FFFD), so whatever a packet carried, the output parses.
 */
#ifndef NETIFY_FLOWJSON_H
#define NETIFY_FLOWJSON_H

#include <stddef.h>
#include <stdint.h>

#include "jsonw.h"

struct engine;
struct flow;

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

#endif
