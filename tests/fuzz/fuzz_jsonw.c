/* libFuzzer target: jsonw against yajl. The input is cut into strings at
 * every 0xfe byte; the first half become keys, the rest string values, and
 * the lengths become integers. Both writers must produce the same bytes,
 * and the document must parse.
 * fuzz-sources: src/jsonw.c src/flowjson.c src/util.c src/log.c src/engine.c src/flow.c
 *   src/decode.c src/dpi.c src/http.c src/quic.c src/crypto.c src/apps.c src/domset.c src/lpm.c src/dns.c
 *   src/dnscache.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "flowjson.h"
#include "jsonw.h"

static yajl_gen gen;
static struct jsonw w;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *wb;
	const unsigned char *yb;
	char *copy, err[128];
	size_t yn, wn, i = 0, off = 0;
	yajl_val v;

	if (!gen) {
		gen = json_gen_new();
		if (!gen || jsonw_init(&w, 64, FLOWJSON_MAX))
			abort();
	}
	yajl_gen_map_open(gen);
	jsonw_map_open(&w);
	while (off <= size) {
		const char *p = in + off, *q = memchr(p, 0xfe, size - off);
		size_t n = q ? (size_t)(q - p) : size - off;
		char key[64];

		if (i % 2) {	/* a member whose name is the input's bytes */
			size_t k = n < sizeof(key) - 1 ? n : sizeof(key) - 1;

			memcpy(key, p, k);
			key[k] = '\0';
			json_cstr(gen, key);	/* repaired like any string */
			jsonw_key(&w, key);
			yajl_gen_array_open(gen);
			jsonw_array_open(&w);
			json_int(gen, (long long)n * (i % 4 == 1 ? -1 : 1));
			jsonw_int(&w, (long long)n * (i % 4 == 1 ? -1 : 1));
			yajl_gen_array_close(gen);
			jsonw_array_close(&w);
		} else {
			json_key(gen, "s");
			jsonw_key(&w, "s");
			json_str(gen, p, n);
			jsonw_str(&w, p, n);
		}
		i++;
		off += n + 1;
	}
	yajl_gen_map_close(gen);
	jsonw_map_close(&w);
	if (yajl_gen_get_buf(gen, &yb, &yn) != yajl_gen_status_ok || !(wb = jsonw_buf(&w, &wn)))
		abort();
	if (yn != wn || memcmp(yb, wb, yn))
		abort();	/* the writers disagree */
	copy = strndup(wb, wn);
	v = yajl_tree_parse(copy, err, sizeof(err));
	if (!v)
		abort();	/* what we wrote does not parse */
	yajl_tree_free(v);
	free(copy);
	yajl_gen_clear(gen);
	yajl_gen_reset(gen, NULL);
	jsonw_reset(&w);
	return 0;
}
