#include <string.h>
#include <strings.h>

#include "cursor.h"
#include "http.h"

#define HTTP_MAX_HEADERS 64

/* The next line without its CR LF; NULL when no complete line is left. */
static const uint8_t *next_line(struct cursor *c, size_t *len)
{
	const uint8_t *nl = c->len ? memchr(c->p, '\n', c->len) : NULL;
	const uint8_t *line = c->p;

	if (!nl)
		return NULL;
	*len = (size_t)(nl - line);
	cur_pull(c, *len + 1);
	if (*len && line[*len - 1] == '\r')
		(*len)--;
	return line;
}

static void copy_field(char *dst, size_t size, const uint8_t *src, size_t len)
{
	while (len && (*src == ' ' || *src == '\t'))
		src++, len--;
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int is_token_char(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z';
}

static int parse_request_line(const uint8_t *line, size_t len, struct http_req *out)
{
	const uint8_t *sp1, *sp2;
	size_t mlen;

	sp1 = memchr(line, ' ', len);
	if (!sp1)
		return -1;
	mlen = (size_t)(sp1 - line);
	if (mlen < 3 || mlen >= sizeof(out->method))
		return -1;
	for (size_t i = 0; i < mlen; i++)
		if (!is_token_char(line[i]))
			return -1;
	sp2 = memchr(sp1 + 1, ' ', len - mlen - 1);
	if (!sp2 || (size_t)(line + len - sp2) < 9 || memcmp(sp2 + 1, "HTTP/", 5))
		return -1;
	copy_field(out->method, sizeof(out->method), line, mlen);
	copy_field(out->url, sizeof(out->url), sp1 + 1, (size_t)(sp2 - sp1 - 1));
	return 0;
}

static void parse_header(const uint8_t *line, size_t len, struct http_req *out)
{
	const uint8_t *colon = memchr(line, ':', len);
	size_t nlen, vlen;

	if (!colon)
		return;
	nlen = (size_t)(colon - line);
	vlen = len - nlen - 1;
	if (nlen == 4 && !strncasecmp((const char *)line, "host", 4))
		copy_field(out->host, sizeof(out->host), colon + 1, vlen);
	else if (nlen == 10 && !strncasecmp((const char *)line, "user-agent", 10))
		copy_field(out->user_agent, sizeof(out->user_agent), colon + 1, vlen);
}

int http_parse_request(const uint8_t *p, size_t len, struct http_req *out)
{
	struct cursor c;
	const uint8_t *line;
	size_t llen;
	unsigned n;

	memset(out, 0, sizeof(*out));
	/* Most payloads are not HTTP: refuse them before looking for a line. */
	if (!len || !is_token_char(p[0]))
		return -1;
	cur_init(&c, p, len);
	line = next_line(&c, &llen);
	if (!line || parse_request_line(line, llen, out))
		return -1;
	for (n = 0; n < HTTP_MAX_HEADERS && (line = next_line(&c, &llen)) && llen; n++)
		parse_header(line, llen, out);
	return 0;
}
