/*
 * crypto.c - libgcrypt bound by handle (see crypto.h for why).
 */
#define _GNU_SOURCE 1	/* dladdr() */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "crypto.h"

#ifndef NETIFY_GCRYPT_SONAME
#define NETIFY_GCRYPT_SONAME "libgcrypt.so.20"
#endif

static struct crypto_gcry gcry;
static const struct crypto_gcry *bound;
static char error[160];
static char library[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Name and offset of every member of struct crypto_gcry. */
#define FN(member, symbol) { #symbol, offsetof(struct crypto_gcry, member) }
static const struct {
	const char *symbol;
	size_t off;
} crypto_fns[] = {
	FN(check_version, gcry_check_version),
	FN(control, gcry_control),
	FN(md_open, gcry_md_open),
	FN(md_setkey, gcry_md_setkey),
	FN(md_write, gcry_md_write),
	FN(md_read, gcry_md_read),
	FN(md_close, gcry_md_close),
	FN(cipher_open, gcry_cipher_open),
	FN(cipher_setkey, gcry_cipher_setkey),
	FN(cipher_setiv, gcry_cipher_setiv),
	FN(cipher_authenticate, gcry_cipher_authenticate),
	FN(cipher_encrypt, gcry_cipher_encrypt),
	FN(cipher_decrypt, gcry_cipher_decrypt),
	FN(cipher_checktag, gcry_cipher_checktag),
	FN(cipher_gettag, gcry_cipher_gettag),
	FN(cipher_close, gcry_cipher_close),
};
#undef FN

static void crypto_bind(void)
{
	/* RTLD_LOCAL: libgcrypt's symbols stay out of the global scope, and
	 * dlsym() on its handle searches libgcrypt before anything else. The
	 * handle is kept for the life of the process. */
	void *h = dlopen(NETIFY_GCRYPT_SONAME, RTLD_NOW | RTLD_LOCAL);
	Dl_info info;
	size_t i;

	if (!h) {
		snprintf(error, sizeof(error), "%s", dlerror());
		return;
	}
	for (i = 0; i < sizeof(crypto_fns) / sizeof(crypto_fns[0]); i++) {
		void *fn = dlsym(h, crypto_fns[i].symbol);

		if (!fn) {
			snprintf(error, sizeof(error), "%s: no %s", NETIFY_GCRYPT_SONAME,
				 crypto_fns[i].symbol);
			return;
		}
		*(void **)((char *)&gcry + crypto_fns[i].off) = fn;
	}
	/* nDPI built with the system libgcrypt may have initialised it. */
	if (!gcry.control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		if (!gcry.check_version(NULL)) {
			snprintf(error, sizeof(error), "%s: gcry_check_version failed",
				 NETIFY_GCRYPT_SONAME);
			return;
		}
		gcry.control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
	if (dladdr((void *)gcry.cipher_open, &info) && info.dli_fname)
		snprintf(library, sizeof(library), "%s", info.dli_fname);
	bound = &gcry;
}

const struct crypto_gcry *crypto_gcry(void)
{
	pthread_once(&once, crypto_bind);
	return bound;
}

const char *crypto_error(void)
{
	pthread_once(&once, crypto_bind);
	return bound ? NULL : error;
}

const char *crypto_library(void)
{
	pthread_once(&once, crypto_bind);
	return bound && library[0] ? library : NULL;
}
