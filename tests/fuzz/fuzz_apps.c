/*
 * libFuzzer target for the application definitions parser: the input is
 * one definitions file, followed (after its last NUL, if any) by host names
 * to match; NULs before that are the file's own (each one an error at its
 * line).  Every line must load or be reported; lookups must not crash.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_queries(const struct apps_db *db, const uint8_t *q, size_t n)
{
	char host[300];
	struct apps_match m;
	size_t len = n < sizeof(host) - 1 ? n : sizeof(host) - 1;
	uint8_t addr[16] = { 0 };
	size_t i;

	memcpy(host, q, len);
	host[len] = '\0';
	apps_match_host(db, host);
	apps_explain_host(db, host, &m);
	apps_match_ndpi(db, host);
	apps_find_tag(db, host);
	memcpy(addr, q, n < 16 ? n : 16);
	apps_match_addr(db, AF_INET, addr);
	apps_explain_addr(db, AF_INET6, addr, &m);
	for (i = 0; i < apps_count(db); i++)
		if (!apps_get(db, apps_at(db, i)->id))
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct apps_errors errs;
	const uint8_t *nul = size ? memrchr(data, 0, size) : NULL;
	size_t file_len = nul ? (size_t)(nul - data) : size;
	char path[64];
	const char *files[1] = { path };
	struct apps_db *db;
	int fd;

	fd = memfd_create("fuzz-apps", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, file_len) != (ssize_t)file_len)
		goto out_close;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	db = apps_db_load_files(files, 1, &errs);
	if (db) {
		if (nul)
			fuzz_queries(db, nul + 1, size - file_len - 1);
		apps_db_free(db);
	}
out_close:
	close(fd);
	return 0;
}
