/* A small JSON writer for flow records, the one JSON document netify writes
 * per flow (classify, and every flow event of the daemon).
 *
 * yajl's generator cost 488 instructions per constant key and ~17% of all
 * of `netify classify`'s instructions (callgrind, tests/bench); this writer
 * appends to one buffer with no callbacks. What it writes is what yajl
 * writes for the same calls with strings repaired by json_str(), byte for
 * byte (tests/unit/test_jsonw.c and fuzz_jsonw compare the two), so
 * whatever bytes a packet carried the output parses.
 *
 * The writer does not check nesting: callers write well-formed documents
 * (the tests parse every record they produce). The buffer grows to a cap;
 * a document that would pass the cap is marked and jsonw_buf() refuses it.
 */
#ifndef NETIFY_JSONW_H
#define NETIFY_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONW_STR_MAX 4096	/* bytes of a string kept; a character cut in two becomes U+FFFD */

struct jsonw {
	char *buf;
	size_t len, cap, max;
	bool comma;	/* the next member or element needs a ',' first */
	bool full;	/* the document passed max: cut, refused */
};

/* Allocates @initial bytes, growing to at most @max. 0, or -1 (ENOMEM). */
int jsonw_init(struct jsonw *w, size_t initial, size_t max);
void jsonw_free(struct jsonw *w);
/* Empties the buffer for the next document (keeps the memory). */
void jsonw_reset(struct jsonw *w);
/* The document written since the last reset, or NULL if it was cut. */
const char *jsonw_buf(const struct jsonw *w, size_t *len);

void jsonw_map_open(struct jsonw *w);
void jsonw_map_close(struct jsonw *w);
void jsonw_array_open(struct jsonw *w);
void jsonw_array_close(struct jsonw *w);
/* A member name from any bytes (escaped like a string); must be followed
 * by exactly one value. */
void jsonw_key(struct jsonw *w, const char *key);

/* A member name that is a string literal of the code's own: written as is,
 * with no escaping, so a name that is not a literal does not compile.
 * JSONW_NAME() gives the quoted form and its length for helpers that take
 * a name as an argument. */
#define JSONW_NAME(lit) "\"" lit "\":", (sizeof(lit) + 2)
#define jsonw_name(w, lit) __jsonw_name((w), JSONW_NAME(lit))
void __jsonw_name(struct jsonw *w, const char *quoted, size_t len);
/* A string value from any bytes: invalid UTF-8 becomes U+FFFD, control
 * bytes, '"' and '\' are escaped, and more than JSONW_STR_MAX bytes are cut. */
void jsonw_str(struct jsonw *w, const char *s, size_t len);
void jsonw_cstr(struct jsonw *w, const char *s);
void jsonw_int(struct jsonw *w, long long v);
void jsonw_bool(struct jsonw *w, bool v);

/* Members named by a literal; jsonw_kv_str() writes nothing when @val is
 * NULL. */
#define jsonw_kv_str(w, lit, val) __jsonw_kv_str((w), JSONW_NAME(lit), (val))
#define jsonw_kv_int(w, lit, val) __jsonw_kv_int((w), JSONW_NAME(lit), (val))
#define jsonw_kv_bool(w, lit, val) __jsonw_kv_bool((w), JSONW_NAME(lit), (val))
void __jsonw_kv_str(struct jsonw *w, const char *quoted, size_t len, const char *val);
void __jsonw_kv_int(struct jsonw *w, const char *quoted, size_t len, long long val);
void __jsonw_kv_bool(struct jsonw *w, const char *quoted, size_t len, bool val);

#endif
