/* Control requests and the nfnetlink_queue parser on arbitrary bytes: the
 * reply must always be one valid JSON object, never a crash or a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "control.h"
#include "nfqstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fz_method(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el)
{
	const char *s = a->app ? a->app : a->device ? a->device : a->host;

	/* echo an argument back, as real callbacks quote names */
	if (s) {
		yajl_gen_string(g, (const unsigned char *)"echo", 4);
		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
	}
	if (a->blocked == 1) {
		memcpy(err, "blocked is not available", 25);
		return -1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct control *c;
	struct nfqstat_queue q[4];
	size_t len;
	char *reply;
	int i;

	if (!c) {
		struct control_ops ops;

		for (i = 0; i < __CONTROL_MAX; i++)
			ops.fn[i] = fz_method;
		ops.fn[CONTROL_RELOAD] = NULL;
		c = control_new(&ops, NULL);
	}
	reply = control_handle(c, (const char *)data, size, &len);
	if (!reply || len != strlen(reply) || reply[0] != '{' ||
	    !control_json_valid((const unsigned char *)reply, len))
		abort();
	free(reply);
	nfqstat_parse((const char *)data, size, q, 4, NULL);
	return 0;
}
