/* Text from packets, files and sockets made safe for a terminal or a log.
 *
 * A host name a LAN client sent, a name in a configuration file, a message
 * quoting either: printed raw, their bytes can set a terminal's title,
 * rewrite the line it shows, ring, or forge a line of their own. Escaped,
 * every byte is visible: C0 controls, DEL and C1 controls, bytes that are
 * not UTF-8, and the Unicode format characters that reorder or hide text
 * (bidi overrides and isolates, zero-width characters, line separators)
 * become \n \r \t \e \a \b \f \v \xHH or \uHHHH, and a backslash \\, so the
 * escaped text reads back unambiguously. Valid UTF-8 otherwise passes as it
 * is. Human-readable output only: JSON has its own escaping (yajl, jsonw).
 */
#ifndef NETIFY_ESC_H
#define NETIFY_ESC_H

#include <stddef.h>
#include <stdio.h>

/* Bytes an escape of n bytes may need, with its terminator. */
#define ESC_SIZE(n) ((n) * 4 + 1)

/**
 * esc_mem - p[0..n) escaped into buf, NUL-terminated; cut (at an escape's
 * boundary, with "...") when buf is too small. Returns buf.
 */
char *esc_mem(const void *p, size_t n, char *buf, size_t len);

/** esc_str - esc_mem() of a C string; NULL becomes "" */
char *esc_str(const char *s, char *buf, size_t len);

/**
 * esc - s escaped in one of a few buffers of this thread's, valid until
 * ESC_RING further calls: for printing several values in one printf().
 * Values longer than ESC_RING_LEN escaped bytes are cut with "...".
 */
#define ESC_RING	8
#define ESC_RING_LEN	2048
const char *esc(const char *s);

/** esc_fputs - s escaped to f, however long; as fputs() */
int esc_fputs(const char *s, FILE *f);

#endif
