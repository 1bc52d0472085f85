/* netify's own parser of an HTTP/1.x request head, for the fields nDPI
 * does not always keep (URL, User-Agent). Bounds-checked; never
 * allocates; fields are cut to their buffers. */
#ifndef NETIFY_HTTP_H
#define NETIFY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_URL_MAX 160
#define HTTP_UA_MAX 160
#define HTTP_HOST_MAX 96

struct http_req {
	char method[12];
	char url[HTTP_URL_MAX];
	char host[HTTP_HOST_MAX];
	char user_agent[HTTP_UA_MAX];
};

/* Parses the request line and headers in p[0..len). 0 when p starts with a
 * request line (headers may be incomplete), -1 otherwise. */
int http_parse_request(const uint8_t *p, size_t len, struct http_req *out);

#endif
