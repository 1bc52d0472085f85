/* Bounds-checked cursor over untrusted bytes.
 *
 * Every read goes through cur_pull*() or cur_peek*(): they fail (return -1
 * or NULL) instead of reading past the end, and a failed read leaves the
 * cursor where it was. Callers never index the buffer themselves.
 */
#ifndef NETIFY_CURSOR_H
#define NETIFY_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct cursor {
	const uint8_t *p;
	size_t len;	/* bytes left from p */
};

static inline void cur_init(struct cursor *c, const void *p, size_t len)
{
	c->p = p;
	c->len = p ? len : 0;
}

/* Returns a pointer to the next n bytes without consuming them, or NULL. */
static inline const uint8_t *cur_peek(const struct cursor *c, size_t n)
{
	return n <= c->len ? c->p : NULL;
}

/* Consumes n bytes; returns a pointer to them, or NULL if fewer remain. */
static inline const uint8_t *cur_pull(struct cursor *c, size_t n)
{
	const uint8_t *p = cur_peek(c, n);

	if (p) {
		c->p += n;
		c->len -= n;
	}
	return p;
}

static inline int cur_u8(struct cursor *c, uint8_t *v)
{
	const uint8_t *p = cur_pull(c, 1);

	if (!p)
		return -1;
	*v = p[0];
	return 0;
}

static inline int cur_be16(struct cursor *c, uint16_t *v)
{
	const uint8_t *p = cur_pull(c, 2);

	if (!p)
		return -1;
	*v = (uint16_t)(p[0] << 8 | p[1]);
	return 0;
}

static inline int cur_be32(struct cursor *c, uint32_t *v)
{
	const uint8_t *p = cur_pull(c, 4);

	if (!p)
		return -1;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return 0;
}

/* Narrows the cursor to its first n bytes (e.g. IP total length < capture). */
static inline void cur_limit(struct cursor *c, size_t n)
{
	if (n < c->len)
		c->len = n;
}

#endif
