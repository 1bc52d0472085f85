/*
 * libFuzzer target for the UCI parser: any input must either be rejected
 * with a positioned error or parse; what parses must write back in a form
 * that parses to the same tree, and writing that again gives the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *fuzz_write(const struct uci_pkg *p, size_t *len)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, len);

	if (!f || uci_write(p, f))
		abort();
	fclose(f);
	return out;
}

static void fuzz_roundtrip(const struct uci_pkg *p)
{
	struct uci_pkg *q = NULL;
	struct uci_err err;
	size_t len1, len2;
	char *out1 = fuzz_write(p, &len1), *out2;

	if (uci_parse_buf("written", p->name, out1, len1, &q, &err)) {
		fprintf(stderr, "re-parse failed: %d:%d: %s\n%s", err.line,
			err.col, err.msg, out1);
		abort();
	}
	if (!uci_pkg_equal(p, q))
		abort();
	out2 = fuzz_write(q, &len2);
	if (len1 != len2 || memcmp(out1, out2, len1))
		abort();
	uci_pkg_free(q);
	free(out1);
	free(out2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uci_pkg *p = NULL;
	struct uci_err err;

	if (uci_parse_buf("fuzz", "fuzz", (const char *)data, size, &p, &err)) {
		/* a rejection must say where */
		if (!err.msg[0] || err.line < 0 || err.col < 0)
			abort();
		return 0;
	}
	fuzz_roundtrip(p);
	uci_pkg_free(p);
	return 0;
}
