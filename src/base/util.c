#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

uint64_t util_hash(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
	uint64_t w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
		p += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, p, len);
	return mix64(h ^ w ^ seed);
}

uint64_t util_random64(void)
{
	uint64_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == sizeof(v))
		return v;
	/* No entropy yet (early boot on a router): still better than a constant. */
	return mix64((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ util_mono_ms());
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t util_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t util_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

static char *ntop4(const uint8_t *a, char *p)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (a[i] >= 100)
			*p++ = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			*p++ = (char)('0' + a[i] / 10 % 10);
		*p++ = (char)('0' + a[i] % 10);
		*p++ = '.';
	}
	p[-1] = '\0';
	return p - 1;
}

static char *ntop6(const uint8_t *a, char *p)
{
	static const char hex[] = "0123456789abcdef";
	int best = -1, best_len = 1, i, n, shift;
	unsigned int g[8];

	for (i = 0; i < 8; i++)
		g[i] = (unsigned int)a[2 * i] << 8 | a[2 * i + 1];
	for (i = 0; i < 8; i += n ? n : 1) {	/* the first longest run of 2+ zero groups */
		for (n = 0; i + n < 8 && !g[i + n]; n++)
			;
		if (n > best_len)
			best = i, best_len = n;
	}
	for (i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		/* glibc writes IPv4-compatible and IPv4-mapped addresses with a
		 * dotted quad; keep its text so records do not change. */
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && g[5] == 0xffff)))
			return ntop4(a + 12, p);
		for (shift = 12; shift > 0 && !(g[i] >> shift); shift -= 4)
			;
		for (; shift >= 0; shift -= 4)
			*p++ = hex[g[i] >> shift & 15];
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	*p = '\0';
	return p;
}

const char *util_ntop(int family, const uint8_t *addr, char *buf, size_t len)
{
	char tmp[48];

	if (family == 6)
		ntop6(addr, tmp);
	else
		ntop4(addr, tmp);
	util_strlcpy(buf, tmp, len);
	return buf;
}

size_t util_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t util_lltoa(long long v, char *buf)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	size_t n;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(buf, p, n);
	return n;
}

int util_parse_cidr(const char *s, uint8_t *family, uint8_t *addr, uint8_t *bits)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	long n;
	int max;

	if (util_strlcpy(tmp, s, sizeof(tmp)) >= sizeof(tmp))
		return -1;
	slash = strchr(tmp, '/');
	if (slash)
		*slash = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, tmp, addr) == 1) {
		*family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, tmp, addr) == 1) {
		*family = 6;
		max = 128;
	} else {
		return -1;
	}
	*bits = (uint8_t)max;
	if (!slash)
		return 0;
	errno = 0;
	n = strtol(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || n < 0 || n > max)
		return -1;
	*bits = (uint8_t)n;
	return 0;
}

size_t util_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int util_endpoint_parse(const char *s, uint16_t default_port, struct util_endpoint *ep, char *err,
			size_t errlen)
{
	const char *host = s, *port = NULL, *end;
	size_t hlen;

	memset(ep, 0, sizeof(*ep));
	if (!strncmp(s, "udp://", 6)) {
		host = s + 6;
	} else if (!strncmp(s, "tcp://", 6)) {
		host = s + 6;
		ep->tcp = true;
	} else if (strstr(s, "://")) {
		snprintf(err, errlen, "'%s': transport must be udp:// or tcp://", s);
		return -1;
	}
	if (*host == '[') {
		if (!(end = strchr(host, ']'))) {
			snprintf(err, errlen, "'%s': missing ']'", s);
			return -1;
		}
		hlen = (size_t)(end - host - 1);
		host++;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1]) {
			snprintf(err, errlen, "'%s': expected ':port' after ']'", s);
			return -1;
		}
	} else {
		end = strrchr(host, ':');
		if (end && strchr(host, ':') != end) {
			snprintf(err, errlen, "'%s': write an IPv6 address as [addr]:port", s);
			return -1;
		}
		hlen = end ? (size_t)(end - host) : strlen(host);
		port = end ? end + 1 : NULL;
	}
	if (!hlen || hlen >= sizeof(ep->host)) {
		snprintf(err, errlen, "'%s': bad host", s);
		return -1;
	}
	memcpy(ep->host, host, hlen);
	if (port) {
		char *e;
		long p = strtol(port, &e, 10);

		if (*port < '0' || *port > '9' || *e || p < 1 || p > 65535) {
			snprintf(err, errlen, "'%s': port must be 1..65535", s);
			return -1;
		}
		snprintf(ep->port, sizeof(ep->port), "%ld", p);
	} else {
		snprintf(ep->port, sizeof(ep->port), "%u", default_port);
	}
	return 0;
}
