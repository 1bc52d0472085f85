/* Escaping for terminals and logs (esc.h). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "esc.h"
#include "util.h"

/* The code point of a valid sequence of n bytes. */
static uint32_t esc_cp(const unsigned char *s, size_t n)
{
	static const unsigned char lead_mask[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t cp = s[0] & lead_mask[n];
	size_t i;

	for (i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* Unicode characters that are invisible or move text: C1 controls, the
 * bidi marks, embeddings, overrides and isolates, zero-width characters,
 * the line and paragraph separators, the byte-order mark. */
static bool esc_cp_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0xad || cp == 0x61c ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

/* The escape of one character at s (n bytes: 1 for a byte that is not
 * UTF-8), in out[]; its length, 0 if it passes as it is. */
static size_t esc_one(const unsigned char *s, size_t n, bool utf8, char out[8])
{
	static const char hex[] = "0123456789abcdef";
	static const char named[] = "0000000abtnvfr";	/* \a .. \r by value */
	unsigned char c = s[0];
	uint32_t cp;

	if (!utf8) {
		out[0] = '\\', out[1] = 'x', out[2] = hex[c >> 4], out[3] = hex[c & 15];
		return 4;
	}
	if (n == 1) {
		if (c == '\\' || (c >= 7 && c <= 13) || c == 27) {
			out[0] = '\\';
			out[1] = c == '\\' ? '\\' : c == 27 ? 'e' : named[c];
			return 2;
		}
		if (c < 0x20 || c == 0x7f) {
			out[0] = '\\', out[1] = 'x', out[2] = hex[c >> 4], out[3] = hex[c & 15];
			return 4;
		}
		return 0;
	}
	cp = esc_cp(s, n);
	if (!esc_cp_hidden(cp))
		return 0;
	out[0] = '\\', out[1] = 'u';
	out[2] = hex[cp >> 12 & 15], out[3] = hex[cp >> 8 & 15];
	out[4] = hex[cp >> 4 & 15], out[5] = hex[cp & 15];
	return 6;
}

/* Calls put for every piece of the escaped text; stops when put says so. */
static void esc_walk(const unsigned char *s, size_t n, bool (*put)(void *u, const char *p, size_t k),
		     void *u)
{
	char e[8];
	size_t i = 0, seq, k;

	while (i < n) {
		seq = util_utf8_seq(s + i, n - i);
		k = esc_one(s + i, seq ? seq : 1, seq != 0, e);
		if (!(k ? put(u, e, k) : put(u, (const char *)s + i, seq)))
			return;
		i += seq ? seq : 1;
	}
}

struct esc_buf {
	char *buf;
	size_t len, used;
	bool cut;
};

static bool esc_buf_put(void *u, const char *p, size_t k)
{
	struct esc_buf *b = u;

	if (b->used + k + 1 > b->len) {
		b->cut = true;
		return false;
	}
	memcpy(b->buf + b->used, p, k);
	b->used += k;
	return true;
}

char *esc_mem(const void *p, size_t n, char *buf, size_t len)
{
	struct esc_buf b = { buf, len, 0, false };

	if (!len)
		return buf;
	esc_walk(p, n, esc_buf_put, &b);
	if (b.cut && len > 3) {
		/* again, with room for "..." after the escapes that fit: pieces
		 * go whole, so no escape or character is cut in two */
		b = (struct esc_buf){ buf, len - 3, 0, false };
		esc_walk(p, n, esc_buf_put, &b);
		memcpy(buf + b.used, "...", 3);
		b.used += 3;
	}
	buf[b.used] = '\0';
	return buf;
}

char *esc_str(const char *s, char *buf, size_t len)
{
	return esc_mem(s ? s : "", s ? strlen(s) : 0, buf, len);
}

const char *esc(const char *s)
{
	static _Thread_local char ring[ESC_RING][ESC_RING_LEN];
	static _Thread_local unsigned int next;

	return esc_str(s, ring[next++ % ESC_RING], ESC_RING_LEN);
}

static bool esc_file_put(void *u, const char *p, size_t k)
{
	return fwrite(p, 1, k, u) == k;
}

int esc_fputs(const char *s, FILE *f)
{
	esc_walk((const unsigned char *)s, strlen(s), esc_file_put, f);
	return ferror(f) ? EOF : 0;
}
