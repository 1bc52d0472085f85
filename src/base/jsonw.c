/* A small JSON writer for flow records; see jsonw.h for why it exists. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "util.h"

int jsonw_init(struct jsonw *w, size_t initial, size_t max)
{
	memset(w, 0, sizeof(*w));
	if (initial > max)
		initial = max;
	w->buf = malloc(initial);
	if (!w->buf) {
		errno = ENOMEM;
		return -1;
	}
	w->cap = initial;
	w->max = max;
	return 0;
}

void jsonw_free(struct jsonw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

void jsonw_reset(struct jsonw *w)
{
	w->len = 0;
	w->comma = false;
	w->full = false;
}

const char *jsonw_buf(const struct jsonw *w, size_t *len)
{
	*len = w->full ? 0 : w->len;
	return w->full ? NULL : w->buf;
}

/* Room for @n more bytes. The buffer only grows (to the largest document
 * seen), so the steady state allocates nothing. */
static bool jsonw_room(struct jsonw *w, size_t n)
{
	size_t cap;
	char *p;

	if (w->len + n <= w->cap)
		return true;
	if (w->full || w->len + n > w->max) {
		w->full = true;
		return false;
	}
	cap = w->cap * 2 > w->len + n ? w->cap * 2 : w->len + n;
	if (cap > w->max)
		cap = w->max;
	p = realloc(w->buf, cap);
	if (!p) {
		w->full = true;
		return false;
	}
	w->buf = p;
	w->cap = cap;
	return true;
}

static void jsonw_put(struct jsonw *w, const char *s, size_t n)
{
	if (jsonw_room(w, n)) {
		memcpy(w->buf + w->len, s, n);
		w->len += n;
	}
}

/* Before a value or a member: the separator from the previous one. */
static void jsonw_sep(struct jsonw *w)
{
	if (w->comma)
		jsonw_put(w, ",", 1);
}

static void jsonw_open(struct jsonw *w, char c)
{
	jsonw_sep(w);
	jsonw_put(w, &c, 1);
	w->comma = false;
}

static void jsonw_close(struct jsonw *w, char c)
{
	jsonw_put(w, &c, 1);
	w->comma = true;
}

void jsonw_map_open(struct jsonw *w)
{
	jsonw_open(w, '{');
}

void jsonw_map_close(struct jsonw *w)
{
	jsonw_close(w, '}');
}

void jsonw_array_open(struct jsonw *w)
{
	jsonw_open(w, '[');
}

void jsonw_array_close(struct jsonw *w)
{
	jsonw_close(w, ']');
}

/* Byte classes: 0 copied as is, 1 escaped, 2 starts a multi-byte (or
 * invalid) UTF-8 sequence. */
static const uint8_t byte_class[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 2,
};

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Whether none of 8 bytes needs care (all are 0x20..0x7f, not '"' or '\\'):
 * the usual "has a byte less than n / equal to c" word tricks, which are
 * exact about whether such a byte exists. */
static bool plain8(uint64_t x)
{
	uint64_t q = x ^ ('"' * ONES), b = x ^ ('\\' * ONES);

	return !((x | ((x - 0x20 * ONES) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGHS);
}

/* yajl's escapes, so a record reads the same whichever wrote it. */
static char *jsonw_escape(char *o, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char e = 0;

	switch (c) {
	case '"': e = '"'; break;
	case '\\': e = '\\'; break;
	case '\b': e = 'b'; break;
	case '\f': e = 'f'; break;
	case '\n': e = 'n'; break;
	case '\r': e = 'r'; break;
	case '\t': e = 't'; break;
	default: break;
	}
	*o++ = '\\';
	if (e) {
		*o++ = e;
		return o;
	}
	memcpy(o, "u00", 3);
	o[3] = hex[c >> 4];
	o[4] = hex[c & 15];
	return o + 5;
}

/* A string, or a member name when @key: one room check for the separator,
 * the quotes, the worst case of the bytes (6 per \u00XX) and the colon. */
static void jsonw_string(struct jsonw *w, const char *s, size_t len, bool key)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;
	char *o;

	if (len > JSONW_STR_MAX)
		len = JSONW_STR_MAX;
	if (!jsonw_room(w, len * 6 + 4))
		return;
	o = w->buf + w->len;
	if (w->comma)
		*o++ = ',';
	*o++ = '"';
	while (i < len) {
		run = i;
		for (; i + 8 <= len; i += 8) {
			uint64_t x;

			memcpy(&x, p + i, 8);
			if (!plain8(x))
				break;
		}
		while (i < len && !byte_class[p[i]])
			i++;
		memcpy(o, p + run, i - run);
		o += i - run;
		if (i == len)
			break;
		if (byte_class[p[i]] == 1) {
			o = jsonw_escape(o, p[i++]);
		} else {
			size_t n = util_utf8_seq(p + i, len - i);

			if (n) {
				memcpy(o, p + i, n);
				o += n;
				i += n;
			} else {	/* U+FFFD REPLACEMENT CHARACTER */
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				i++;
			}
		}
	}
	*o++ = '"';
	if (key)
		*o++ = ':';
	w->len = (size_t)(o - w->buf);
	w->comma = !key;
}

void jsonw_str(struct jsonw *w, const char *s, size_t len)
{
	jsonw_string(w, s, len, false);
}

void jsonw_cstr(struct jsonw *w, const char *s)
{
	jsonw_string(w, s, strlen(s), false);
}

void jsonw_key(struct jsonw *w, const char *key)
{
	jsonw_string(w, key, strlen(key), true);
}

void jsonw_int(struct jsonw *w, long long v)
{
	char *o;

	if (!jsonw_room(w, 21))	/* ",-9223372036854775808" */
		return;
	o = w->buf + w->len;
	if (w->comma)
		*o++ = ',';
	w->len = (size_t)(o - w->buf) + util_lltoa(v, o);
	w->comma = true;
}

void jsonw_bool(struct jsonw *w, bool v)
{
	jsonw_sep(w);
	if (v)
		jsonw_put(w, "true", 4);
	else
		jsonw_put(w, "false", 5);
	w->comma = true;
}

void __jsonw_name(struct jsonw *w, const char *quoted, size_t len)
{
	char *o;

	if (!jsonw_room(w, len + 1))
		return;
	o = w->buf + w->len;
	if (w->comma)
		*o++ = ',';
	memcpy(o, quoted, len);
	w->len = (size_t)(o - w->buf) + len;
	w->comma = false;
}

void __jsonw_kv_str(struct jsonw *w, const char *quoted, size_t len, const char *val)
{
	if (!val)
		return;
	__jsonw_name(w, quoted, len);
	jsonw_cstr(w, val);
}

void __jsonw_kv_int(struct jsonw *w, const char *quoted, size_t len, long long val)
{
	__jsonw_name(w, quoted, len);
	jsonw_int(w, val);
}

void __jsonw_kv_bool(struct jsonw *w, const char *quoted, size_t len, bool val)
{
	__jsonw_name(w, quoted, len);
	jsonw_bool(w, val);
}
