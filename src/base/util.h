/* Small helpers shared by modules. */
#ifndef NETIFY_UTIL_H
#define NETIFY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* 64-bit keyed hash (SipHash-1-3 style mixing is overkill here; this is a
 * seeded wyhash-like mix that is fast and not trivially collidable without
 * the seed). */
uint64_t util_hash(const void *data, size_t len, uint64_t seed);

/* A random 64-bit value from getrandom(), falling back to time and pid. */
uint64_t util_random64(void);

/* Monotonic and wall clocks in milliseconds. */
uint64_t util_mono_ms(void);
uint64_t util_wall_ms(void);

/* Formats an address of family 4/6 into buf (INET6_ADDRSTRLEN), as
 * inet_ntop() does (RFC 5952 with glibc's IPv4-in-IPv6 forms) but without
 * its sprintf per group. */
const char *util_ntop(int family, const uint8_t *addr, char *buf, size_t len);

/* Length of the valid UTF-8 sequence at s[0..len) (1..4), or 0 if it is
 * not one (overlong forms, surrogates and values past U+10FFFF refused). */
size_t util_utf8_seq(const unsigned char *s, size_t len);

/* Writes v in decimal (no terminator) into buf[20+]; returns its length. */
size_t util_lltoa(long long v, char *buf);

/* Parses "a.b.c.d/n" or "x::y/n" (prefix optional). 0 on success. */
int util_parse_cidr(const char *s, uint8_t *family, uint8_t *addr, uint8_t *bits);

/* Copies at most size-1 bytes and terminates; returns strlen(src). */
size_t util_strlcpy(char *dst, const char *src, size_t size);

/* "[udp://|tcp://]host[:port]", an IPv6 address as "[addr]:port": an
 * IPFIX collector (config export, src/export/). */
struct util_endpoint {
	char host[256];
	char port[8];		/* decimal, @default_port when absent */
	bool tcp;		/* tcp:// (else UDP) */
};

/** util_endpoint_parse - 0, or -1 with the reason (quoting @s) in @err */
int util_endpoint_parse(const char *s, uint16_t default_port, struct util_endpoint *ep, char *err,
			size_t errlen);

#endif
