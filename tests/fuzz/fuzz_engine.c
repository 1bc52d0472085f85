/* libFuzzer target: the packet path (decode -> flow -> nDPI -> apps -> JSON).
 *
 * Input: byte 0 picks the link type; then records of [2-byte length][bytes],
 * each one packet, so one input can build a conversation. Every finished
 * flow is written as JSON and the JSON is checked to parse (yajl's parser
 * checks the strings are UTF-8).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "engine.h"
#include "flowjson.h"

static struct engine *engine;
static struct jsonw rec;

static void on_done(void *user, struct engine *e, struct flow *f)
{
	const char *buf;
	char *copy, err[128];
	yajl_val v;
	size_t n;

	(void)user;
	jsonw_reset(&rec);
	flowjson_open(&rec, e, f);
	flowjson_close(&rec);
	buf = jsonw_buf(&rec, &n);
	if (!buf)
		abort();	/* a record passed FLOWJSON_MAX */
	copy = strndup(buf, n);
	v = yajl_tree_parse(copy, err, sizeof(err));
	if (!v)
		abort();	/* the JSON we wrote does not parse */
	yajl_tree_free(v);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct engine_result res;
	uint64_t ts = 1000000;
	enum link_type lt;
	size_t off = 1;

	if (!engine) {
		struct engine_cfg cfg;

		engine_cfg_defaults(&cfg);
		cfg.flow_capacity = 64;	/* small: eviction paths get exercised too */
		cfg.packet_budget = 8;
		cfg.decode_tunnels = true;	/* the capture path: IP-in-IP, GRE, CAPWAP too */
		cfg.dns_cache_size = 64;
		cfg.cb.flow_done = on_done;
		engine = engine_new(&cfg);
		if (jsonw_init(&rec, FLOWJSON_INITIAL, FLOWJSON_MAX))
			abort();
	}
	if (size < 1)
		return 0;
	lt = (enum link_type)(data[0] % __LINK_MAX);
	while (off + 2 <= size) {
		size_t n = (size_t)(data[off] << 8 | data[off + 1]);

		off += 2;
		if (n > size - off)
			n = size - off;
		engine_process(engine, lt, data + off, (uint32_t)n, ts, &res);
		ts += 1000;
		off += n;
	}
	engine_flush(engine, FLOW_PURGE_SHUTDOWN);
	return 0;
}
