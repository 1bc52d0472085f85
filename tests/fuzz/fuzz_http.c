/* libFuzzer target: the HTTP request-head parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req r;

	if (http_parse_request(data, size, &r) == 0) {
		/* Every field is a terminated string inside its buffer. */
		if (strnlen(r.method, sizeof(r.method)) == sizeof(r.method) ||
		    strnlen(r.url, sizeof(r.url)) == sizeof(r.url) ||
		    strnlen(r.host, sizeof(r.host)) == sizeof(r.host) ||
		    strnlen(r.user_agent, sizeof(r.user_agent)) == sizeof(r.user_agent))
			abort();
	}
	return 0;
}
