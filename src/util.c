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

const char *util_ntop(int family, const uint8_t *addr, char *buf, size_t len)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len))
		util_strlcpy(buf, "?", len);
	return buf;
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
