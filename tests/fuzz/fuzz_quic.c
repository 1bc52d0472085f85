/* fuzz-sources: src/quic.c src/crypto.c */
/*
 * libFuzzer target for the QUIC Initial reader.  The input is split into
 * datagrams at each 0xff 0xfe marker so one run can feed several Initials
 * into the same reassembly state.  Without valid keys most inputs stop at
 * decryption, so every odd run also seals the bytes into a real v1 Initial
 * whose payload is the fuzzer's frame data: that reaches the frame walker,
 * the CRYPTO reassembly and the ClientHello parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <gcrypt.h>

#include "quic.h"

static struct quic_reasm r;

static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };

/* Builds a protected v1 Initial carrying @frames into @out; returns its length. */
static size_t fuzz_seal(const uint8_t *frames, size_t flen, uint8_t *out, uint8_t pn)
{
	static const uint8_t hdr[] = { 0xc0, 0, 0, 0, 1, 8, 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51,
				       0x57, 0x08, 0, 0 };
	struct quic_keys k;
	gcry_cipher_hd_t h;
	uint8_t nonce[12], mask[5];
	size_t n = sizeof(hdr), plen = flen < 1100 ? 1100 : flen, len = 1 + plen + 16;

	if (plen > QUIC_PACKET_MAX - 40 || quic_initial_keys(1, dcid, 8, &k))
		return 0;
	memcpy(out, hdr, n);
	out[n++] = (uint8_t)(0x40 | len >> 8);
	out[n++] = (uint8_t)len;
	out[n++] = pn;
	memcpy(out + n, frames, flen);
	memset(out + n + flen, 0, plen - flen);
	memcpy(nonce, k.iv, 12);
	nonce[11] ^= pn;
	if (gcry_cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0))
		return 0;
	gcry_cipher_setkey(h, k.key, 16);
	gcry_cipher_setiv(h, nonce, 12);
	gcry_cipher_authenticate(h, out, n);
	gcry_cipher_encrypt(h, out + n, plen, NULL, 0);
	gcry_cipher_gettag(h, out + n + plen, 16);
	gcry_cipher_close(h);
	if (quic_hp_mask(k.hp, out + n - 1 + 4, mask))
		return 0;
	out[0] ^= mask[0] & 0x0f;
	out[n - 1] ^= mask[1];
	return n + plen + 16;
}

static void fuzz_datagram(const uint8_t *p, size_t len, int sealed, uint8_t pn)
{
	uint8_t pkt[QUIC_PACKET_MAX];
	size_t n;

	if (!sealed) {
		quic_reasm_feed(&r, p, len);
		return;
	}
	n = fuzz_seal(p, len, pkt, pn);
	if (n)
		quic_reasm_feed(&r, pkt, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t start = 0, i;
	int sealed = size && (data[0] & 1);
	uint8_t pn = 0;

	quic_reasm_init(&r);
	for (i = 0; i + 1 < size; i++) {
		if (data[i] != 0xff || data[i + 1] != 0xfe)
			continue;
		fuzz_datagram(data + start, i - start, sealed, pn++);
		start = i + 2;
	}
	fuzz_datagram(data + start, size - start, sealed, pn);
	(void)quic_reasm_sni(&r);
	(void)quic_reasm_alpn(&r);
	return 0;
}
