/*
 * crypto.h - libgcrypt, bound by handle.
 *
 * A default libndpi (OpenWrt's package, nDPI built without
 * --with-local-libgcrypt) carries nDPI's "gcrypt-light" and exports
 * gcry_* (and mbedtls_*) functions of its own. Linked the usual way, a
 * program's gcry_* calls bind to whichever library the dynamic linker
 * loaded first, and with libndpi that is gcrypt-light: netify's QUIC
 * reader then got wrong keys (configure's "libndpi exports gcry_*" probe
 * finds such a libndpi). So netify never calls gcry_* by name: it opens
 * libgcrypt by its SONAME and takes each function from that handle, which
 * searches libgcrypt itself first, whatever else the process has loaded.
 */
#ifndef NETIFY_CRYPTO_H
#define NETIFY_CRYPTO_H

#include <gcrypt.h>

/* The libgcrypt functions netify uses, typed from <gcrypt.h>. */
struct crypto_gcry {
	__typeof__(gcry_check_version) *check_version;
	__typeof__(gcry_control) *control;
	__typeof__(gcry_md_open) *md_open;
	__typeof__(gcry_md_setkey) *md_setkey;
	__typeof__(gcry_md_write) *md_write;
	__typeof__(gcry_md_read) *md_read;
	__typeof__(gcry_md_close) *md_close;
	__typeof__(gcry_cipher_open) *cipher_open;
	__typeof__(gcry_cipher_setkey) *cipher_setkey;
	__typeof__(gcry_cipher_setiv) *cipher_setiv;
	__typeof__(gcry_cipher_authenticate) *cipher_authenticate;
	__typeof__(gcry_cipher_encrypt) *cipher_encrypt;
	__typeof__(gcry_cipher_decrypt) *cipher_decrypt;
	__typeof__(gcry_cipher_checktag) *cipher_checktag;
	__typeof__(gcry_cipher_gettag) *cipher_gettag;
	__typeof__(gcry_cipher_close) *cipher_close;
};

/**
 * crypto_gcry - libgcrypt's functions, bound and initialised on first use
 * (thread-safe). NULL when libgcrypt cannot be opened or lacks one of them:
 * crypto_error() says why; callers then do without (fail open).
 */
const struct crypto_gcry *crypto_gcry(void);

/** crypto_error - why crypto_gcry() returned NULL, else NULL. */
const char *crypto_error(void);

/**
 * crypto_library - the file the bound functions come from (dladdr of
 * gcry_cipher_open), e.g. "/lib/x86_64-linux-gnu/libgcrypt.so.20"; NULL
 * when unbound. Tests use it to prove libndpi's copies are not in use.
 */
const char *crypto_library(void);

#endif
