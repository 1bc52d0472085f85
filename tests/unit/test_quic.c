/*
 * Unit tests for QUIC Initial decryption and ClientHello reassembly: the
 * RFC 9001 Appendix A vectors, and Initials built here with libgcrypt
 * (split, out of order, coalesced, v2, draft-29, new DCID), plus
 * malformed and hostile inputs. libgcrypt is reached through crypto.c's
 * handle here too: linked with a default libndpi, a gcry_* call by name
 * would run nDPI's gcrypt-light (see crypto.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto.h"
#include "quic.h"

static struct quic_reasm r;

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned int v;

	while (s[0] && s[1] && n < cap && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* RFC 9001 A.1 and A.2: DCID, derived client keys, protected Initial. */
static const uint8_t rfc_dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
static const char rfc_crypto_hex[] =
	"010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
	"04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
	"616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
	"04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
	"baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
	"0d0010000e0403050306030203080408050806002d00020101001c0002400100"
	"3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
	"75300901100f088394c8f03e51570806048000ffff";
static const char rfc_packet_hex[] =
	"c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
	"d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
	"1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
	"8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
	"30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
	"457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
	"4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
	"4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
	"485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
	"059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
	"7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
	"9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
	"be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
	"68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
	"c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
	"f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
	"291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
	"25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
	"14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
	"ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
	"e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
	"c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
	"203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
	"cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
	"fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
	"a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
	"90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
	"162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
	"40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
	"6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
	"8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
	"be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
	"54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
	"760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
	"f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
	"056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
	"7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
	"e221af44860018ab0856972e194cd934";

static uint8_t rfc_packet[1200];

static void assert_hex(const uint8_t *got, const char *hex)
{
	uint8_t want[64];
	size_t n = unhex(hex, want, sizeof(want));

	assert_memory_equal(got, want, n);
}

/* ---- building protected Initials with libgcrypt directly ---- */

struct pkt {
	uint8_t buf[QUIC_PACKET_MAX * 2];
	size_t len;
};

static void seal(const struct quic_keys *k, uint8_t *hdr, size_t hdr_len, uint8_t *payload,
		 size_t len, uint64_t pn)
{
	const struct crypto_gcry *g = crypto_gcry();
	gcry_cipher_hd_t h;
	uint8_t nonce[12];
	int i;

	assert_non_null(g);
	memcpy(nonce, k->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	assert_int_equal(g->cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0), 0);
	assert_int_equal(g->cipher_setkey(h, k->key, 16), 0);
	assert_int_equal(g->cipher_setiv(h, nonce, 12), 0);
	assert_int_equal(g->cipher_authenticate(h, hdr, hdr_len), 0);
	assert_int_equal(g->cipher_encrypt(h, payload, len, NULL, 0), 0);
	assert_int_equal(g->cipher_gettag(h, payload + len, 16), 0);
	g->cipher_close(h);
}

static void protect_header(const struct quic_keys *k, uint8_t *p, size_t pn_off, size_t pn_len)
{
	const struct crypto_gcry *g = crypto_gcry();
	gcry_cipher_hd_t h;
	uint8_t mask[16];
	size_t i;

	assert_non_null(g);
	assert_int_equal(g->cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_ECB, 0), 0);
	assert_int_equal(g->cipher_setkey(h, k->hp, 16), 0);
	assert_int_equal(g->cipher_encrypt(h, mask, 16, p + pn_off + 4, 16), 0);
	g->cipher_close(h);
	p[0] ^= mask[0] & 0x0f;
	for (i = 0; i < pn_len; i++)
		p[pn_off + i] ^= mask[1 + i];
}

/*
 * Appends to @out a client Initial of @version: keys from @key_dcid, @dcid
 * in the header, packet number @pn (2 bytes), @frames padded to @pad.
 */
static void build_initial(struct pkt *out, uint32_t version, const uint8_t *key_dcid,
			  const uint8_t *dcid, size_t dcid_len, uint16_t pn,
			  const uint8_t *frames, size_t flen, size_t pad)
{
	uint8_t *p = out->buf + out->len;
	uint8_t type = version == 0x6b3343cfu ? 1 : 0;
	struct quic_keys k;
	size_t n = 0, pn_off, plen = flen > pad ? flen : pad, len;

	assert_int_equal(quic_initial_keys(version, key_dcid, dcid_len, &k), 0);
	p[n++] = (uint8_t)(0xc0 | type << 4 | 1);	/* 2-byte packet number */
	p[n++] = (uint8_t)(version >> 24);
	p[n++] = (uint8_t)(version >> 16);
	p[n++] = (uint8_t)(version >> 8);
	p[n++] = (uint8_t)version;
	p[n++] = (uint8_t)dcid_len;
	memcpy(p + n, dcid, dcid_len);
	n += dcid_len;
	p[n++] = 0;					/* SCID */
	p[n++] = 0;					/* token */
	len = 2 + plen + 16;
	p[n++] = (uint8_t)(0x40 | len >> 8);
	p[n++] = (uint8_t)len;
	pn_off = n;
	p[n++] = (uint8_t)(pn >> 8);
	p[n++] = (uint8_t)pn;
	memcpy(p + n, frames, flen);
	memset(p + n + flen, 0, plen - flen);		/* PADDING frames */
	seal(&k, p, n, p + n, plen, pn);
	protect_header(&k, p, pn_off, 2);
	out->len += n + plen + 16;
}

/* A ClientHello of about @size bytes: a padding extension before SNI and ALPN. */
static size_t build_ch(uint8_t *b, size_t size, const char *sni)
{
	size_t n = 0, ext_start, sl = strlen(sni), padlen = size > 200 ? size - 120 : 0;

	b[n++] = 1;
	n += 3;						/* length, below */
	b[n++] = 3; b[n++] = 3;
	memset(b + n, 0xaa, 32);
	n += 32;
	b[n++] = 0;					/* session id */
	b[n++] = 0; b[n++] = 2; b[n++] = 0x13; b[n++] = 0x01;
	b[n++] = 1; b[n++] = 0;				/* compression */
	ext_start = n;
	n += 2;
	b[n++] = 0; b[n++] = 0x15;			/* padding extension */
	b[n++] = (uint8_t)(padlen >> 8); b[n++] = (uint8_t)padlen;
	memset(b + n, 0, padlen);
	n += padlen;
	b[n++] = 0; b[n++] = 0;				/* server_name */
	b[n++] = 0; b[n++] = (uint8_t)(sl + 5);
	b[n++] = 0; b[n++] = (uint8_t)(sl + 3);
	b[n++] = 0;
	b[n++] = 0; b[n++] = (uint8_t)sl;
	memcpy(b + n, sni, sl);
	n += sl;
	b[n++] = 0; b[n++] = 16;			/* ALPN: h3, h3-29 */
	b[n++] = 0; b[n++] = 11;
	b[n++] = 0; b[n++] = 9;
	b[n++] = 2; memcpy(b + n, "h3", 2); n += 2;
	b[n++] = 5; memcpy(b + n, "h3-29", 5); n += 5;
	b[ext_start] = (uint8_t)((n - ext_start - 2) >> 8);
	b[ext_start + 1] = (uint8_t)(n - ext_start - 2);
	b[1] = 0;
	b[2] = (uint8_t)((n - 4) >> 8);
	b[3] = (uint8_t)(n - 4);
	return n;
}

/* A CRYPTO frame (2-byte varint offset and length) into @f. */
static size_t crypto_frame(uint8_t *f, const uint8_t *data, size_t off, size_t len)
{
	f[0] = 0x06;
	f[1] = (uint8_t)(0x40 | off >> 8);
	f[2] = (uint8_t)off;
	f[3] = (uint8_t)(0x40 | len >> 8);
	f[4] = (uint8_t)len;
	memcpy(f + 5, data + off, len);
	return 5 + len;
}

static const uint8_t dcid_a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t dcid_b[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };

/* Feeds a ClientHello of @size split at @cut over two Initials of @version. */
static void split_two(uint32_t version, size_t size, size_t cut)
{
	uint8_t ch[3000], f[2000];
	struct pkt a = { .len = 0 }, b = { .len = 0 };
	size_t n = build_ch(ch, size, "www.youtube.com");

	build_initial(&a, version, dcid_a, dcid_a, 8, 0, f, crypto_frame(f, ch, 0, cut), 1200);
	build_initial(&b, version, dcid_a, dcid_a, 8, 1, f, crypto_frame(f, ch, cut, n - cut), 1200);
	quic_reasm_init(&r);
	assert_int_equal(quic_reasm_feed(&r, a.buf, a.len), QUIC_MORE);
	assert_null(quic_reasm_sni(&r));
	assert_int_equal(quic_reasm_feed(&r, b.buf, b.len), QUIC_DONE);
	assert_string_equal(quic_reasm_sni(&r), "www.youtube.com");
	assert_string_equal(quic_reasm_alpn(&r), "h3,h3-29");
	assert_int_equal(r.initials, 2);
	assert_int_equal(r.version, version);
	assert_int_equal(quic_reasm_feed(&r, a.buf, a.len), QUIC_DONE);	/* sticky */
}

/* ---- tests ---- */

static void test_rfc9001_keys(void **state)
{
	struct quic_keys k;
	(void)state;

	assert_int_equal(quic_initial_keys(1, rfc_dcid, 8, &k), 0);
	assert_hex(k.key, "1f369613dd76d5467730efcbe3b1a22d");
	assert_hex(k.iv, "fa044b2f42a3fd3b46fb255c");
	assert_hex(k.hp, "9f50449e04a0e810283a1e9933adedd2");
	assert_int_equal(quic_initial_keys(0x51303530, rfc_dcid, 8, &k), -1);	/* Q050 */
	assert_int_equal(quic_initial_keys(1, rfc_dcid, 21, &k), -1);
}

static void test_rfc9369_v2_keys(void **state)
{
	struct quic_keys k;
	(void)state;

	assert_int_equal(quic_initial_keys(0x6b3343cf, rfc_dcid, 8, &k), 0);
	assert_hex(k.key, "8b1a0bc121284290a29e0971b5cd045d");
	assert_hex(k.iv, "91f73e2351d8fa91660e909f");
	assert_hex(k.hp, "45b95e15235d6f45a6b19cbcb0294ba9");
}

static void test_rfc9001_header_protection(void **state)
{
	uint8_t sample[16], mask[5];
	struct quic_keys k;
	(void)state;

	assert_int_equal(quic_initial_keys(1, rfc_dcid, 8, &k), 0);
	unhex("d1b1c98dd7689fb8ec11d242b123dc9b", sample, sizeof(sample));
	assert_int_equal(quic_hp_mask(k.hp, sample, mask), 0);
	assert_hex(mask, "437b9aec36");
}

static void test_rfc9001_packet(void **state)
{
	uint8_t want[300];
	size_t n = unhex(rfc_crypto_hex, want, sizeof(want));
	(void)state;

	assert_int_equal(n, 0xf1);
	quic_reasm_init(&r);
	assert_int_equal(quic_reasm_feed(&r, rfc_packet, sizeof(rfc_packet)), QUIC_DONE);
	assert_memory_equal(r.crypto, want, n);		/* decrypted CRYPTO data */
	assert_string_equal(quic_reasm_sni(&r), "example.com");
	assert_string_equal(quic_reasm_alpn(&r), "alpn");
	assert_int_equal(r.version, 1);
	assert_int_equal(r.initials, 1);
	assert_int_equal(r.dcid_len, 8);
}

static void test_rfc9001_tampered(void **state)
{
	uint8_t p[sizeof(rfc_packet)];
	size_t i;
	(void)state;

	/* One flipped bit anywhere after the DCID fails authentication or
	 * parsing; never a name. */
	for (i = 14; i < sizeof(p); i += 37) {
		memcpy(p, rfc_packet, sizeof(p));
		p[i] ^= 0x10;
		quic_reasm_init(&r);
		assert_int_not_equal(quic_reasm_feed(&r, p, sizeof(p)), QUIC_DONE);
		assert_null(quic_reasm_sni(&r));
	}
	/* A DCID changed in flight derives other keys. */
	memcpy(p, rfc_packet, sizeof(p));
	p[7] ^= 1;
	quic_reasm_init(&r);
	assert_int_equal(quic_reasm_feed(&r, p, sizeof(p)), QUIC_NOT_INITIAL);
}

static void test_rfc9001_truncated(void **state)
{
	size_t len;
	(void)state;

	for (len = 0; len < sizeof(rfc_packet); len++) {
		quic_reasm_init(&r);
		assert_int_equal(quic_reasm_feed(&r, rfc_packet, len), QUIC_ERROR);
	}
}

static void test_split_v1(void **state)
{
	(void)state;
	split_two(1, 1800, 1100);
	split_two(1, 1800, 3);		/* even the handshake length is split */
}

static void test_split_v2(void **state)
{
	(void)state;
	split_two(0x6b3343cf, 1800, 900);
}

static void test_split_drafts(void **state)
{
	(void)state;
	split_two(0xff00001d, 1500, 700);	/* draft-29 */
	split_two(0xff00001b, 1500, 700);	/* draft-27 */
	split_two(0xfaceb002, 1500, 700);	/* mvfst */
}

static void test_out_of_order_and_overlap(void **state)
{
	uint8_t ch[3000], f[2000];
	struct pkt a = { .len = 0 }, b = { .len = 0 };
	size_t n = build_ch(ch, 1800, "r1---sn-4g5e6nsz.googlevideo.com"), fl;
	(void)state;

	/* Second half first; the first packet then overlaps it by 200 bytes
	 * and carries its two CRYPTO frames in reverse order. */
	build_initial(&b, 1, dcid_a, dcid_a, 8, 1, f, crypto_frame(f, ch, 900, n - 900), 1200);
	fl = crypto_frame(f, ch, 500, 600);
	fl += crypto_frame(f + fl, ch, 0, 500);
	build_initial(&a, 1, dcid_a, dcid_a, 8, 0, f, fl, 1200);
	quic_reasm_init(&r);
	assert_int_equal(quic_reasm_feed(&r, b.buf, b.len), QUIC_MORE);
	assert_int_equal(quic_reasm_feed(&r, b.buf, b.len), QUIC_MORE);	/* retransmit */
	assert_int_equal(quic_reasm_feed(&r, a.buf, a.len), QUIC_DONE);
	assert_string_equal(quic_reasm_sni(&r), "r1---sn-4g5e6nsz.googlevideo.com");
}

static void test_coalesced(void **state)
{
	uint8_t ch[3000], f[2000];
	struct pkt d = { .len = 0 };
	size_t n = build_ch(ch, 1000, "coalesced.example"), start;
	(void)state;

	build_initial(&d, 1, dcid_a, dcid_a, 8, 0, f, crypto_frame(f, ch, 0, 400), 0);
	build_initial(&d, 1, dcid_a, dcid_a, 8, 1, f, crypto_frame(f, ch, 400, n - 400), 0);
	/* A 0-RTT packet and datagram padding after them are stepped over. */
	start = d.len;
	d.buf[d.len++] = 0xd1;
	memcpy(d.buf + d.len, "\x00\x00\x00\x01\x08", 5);
	d.len += 5;
	memcpy(d.buf + d.len, dcid_a, 8);
	d.len += 8;
	d.buf[d.len++] = 0;
	d.buf[d.len++] = 20;
	memset(d.buf + d.len, 0x5a, 20 + 30);
	d.len += 50;
	assert_true(d.len - start < 100);
	quic_reasm_init(&r);
	assert_int_equal(quic_reasm_feed(&r, d.buf, d.len), QUIC_DONE);
	assert_string_equal(quic_reasm_sni(&r), "coalesced.example");
	assert_int_equal(r.initials, 2);
}

static void test_new_dcid(void **state)
{
	uint8_t ch[3000], f[2000];
	struct pkt a = { .len = 0 }, b = { .len = 0 }, c = { .len = 0 };
	size_t n = build_ch(ch, 1800, "retry.example");
	(void)state;

	/* The client moved to the server's CID (dcid_b): keys stay those of
	 * the first DCID. */
	build_initial(&a, 1, dcid_a, dcid_a, 8, 0, f, crypto_frame(f, ch, 0, 1000), 1200);
	build_initial(&b, 1, dcid_a, dcid_b, 8, 1, f, crypto_frame(f, ch, 1000, n - 1000), 1200);
	quic_reasm_init(&r);
	assert_int_equal(quic_reasm_feed(&r, a.buf, a.len), QUIC_MORE);
	assert_int_equal(quic_reasm_feed(&r, b.buf, b.len), QUIC_DONE);
	assert_string_equal(quic_reasm_sni(&r), "retry.example");

	/* After a Retry the client starts again with keys from the new DCID:
	 * the earlier partial ClientHello is dropped. */
	n = build_ch(ch, 600, "after.retry");
	build_initial(&c, 1, dcid_b, dcid_b, 8, 0, f, crypto_frame(f, ch, 0, n), 1200);
	quic_reasm_init(&r);
	assert_int_equal(quic_reasm_feed(&r, a.buf, a.len), QUIC_MORE);
	assert_int_equal(quic_reasm_feed(&r, c.buf, c.len), QUIC_DONE);
	assert_string_equal(quic_reasm_sni(&r), "after.retry");
	assert_int_equal(r.initials, 1);
}

static void test_not_initial(void **state)
{
	uint8_t p[1200];
	(void)state;

	quic_reasm_init(&r);
	memcpy(p, rfc_packet, sizeof(p));
	p[4] = 0x02;				/* unknown version 0x00000002 */
	assert_int_equal(quic_reasm_feed(&r, p, sizeof(p)), QUIC_NOT_INITIAL);
	memcpy(p + 1, "Q050", 4);		/* gQUIC without TLS */
	assert_int_equal(quic_reasm_feed(&r, p, sizeof(p)), QUIC_NOT_INITIAL);
	memset(p + 1, 0, 4);			/* version negotiation */
	assert_int_equal(quic_reasm_feed(&r, p, sizeof(p)), QUIC_NOT_INITIAL);
	memcpy(p, rfc_packet, sizeof(p));
	p[0] = 0x40;				/* short header */
	assert_int_equal(quic_reasm_feed(&r, p, sizeof(p)), QUIC_NOT_INITIAL);
	p[0] = 0xe0;				/* Handshake packet, v1 */
	assert_int_equal(quic_reasm_feed(&r, p, sizeof(p)), QUIC_NOT_INITIAL);
	p[0] = 0xf0;				/* Retry */
	assert_int_equal(quic_reasm_feed(&r, p, sizeof(p)), QUIC_NOT_INITIAL);
	assert_int_equal(r.version, 0);
	assert_null(quic_reasm_sni(&r));
}

static void test_hostile_frames(void **state)
{
	uint8_t f[64], ch[3000], fr[2000];
	struct pkt a = { .len = 0 }, b = { .len = 0 }, c = { .len = 0 }, d = { .len = 0 };
	size_t n = 0;
	(void)state;

	/* CRYPTO at offset 2^62-1 and at the buffer's edge: ignored or clipped. */
	f[n++] = 0x06;
	memcpy(f + n, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	n += 8;
	f[n++] = 4;
	memcpy(f + n, "abcd", 4);
	n += 4;
	f[n++] = 0x06;
	f[n++] = 0x40 | (QUIC_CRYPTO_MAX - 2) >> 8;
	f[n++] = (uint8_t)(QUIC_CRYPTO_MAX - 2);
	f[n++] = 8;
	memcpy(f + n, "12345678", 8);
	n += 8;
	f[n++] = 0x02;				/* ACK with 2^62-1 ranges: cut short */
	memcpy(f + n, "\x01\x00\xbf\xff\xff\xff\x00\x01\x01", 9);
	n += 9;
	build_initial(&a, 1, dcid_a, dcid_a, 8, 0, f, n, 0);
	quic_reasm_init(&r);
	assert_int_equal(quic_reasm_feed(&r, a.buf, a.len), QUIC_ERROR);
	assert_int_equal(r.initials, 0);

	/* CRYPTO length larger than the packet. */
	memcpy(f, "\x06\x00\x80\x00\x10\x00", 6);
	build_initial(&b, 1, dcid_a, dcid_a, 8, 0, f, 6, 1200);
	quic_reasm_init(&r);
	assert_int_equal(quic_reasm_feed(&r, b.buf, b.len), QUIC_ERROR);

	/* A ClientHello that announces more than the buffer holds. */
	memcpy(f, "\x06\x00\x04\x01\x00\x20\x00", 7);
	build_initial(&c, 1, dcid_a, dcid_a, 8, 0, f, 7, 1200);
	quic_reasm_init(&r);
	assert_int_equal(quic_reasm_feed(&r, c.buf, c.len), QUIC_NOT_INITIAL);

	/* Not a ClientHello (ServerHello type); a hostname with a NUL byte. */
	memcpy(f, "\x06\x00\x04\x02\x00\x00\x00", 7);
	build_initial(&d, 1, dcid_a, dcid_a, 8, 0, f, 7, 1200);
	quic_reasm_init(&r);
	assert_int_equal(quic_reasm_feed(&r, d.buf, d.len), QUIC_ERROR);
	n = build_ch(ch, 300, "bad\001name");
	d.len = 0;
	build_initial(&d, 1, dcid_a, dcid_a, 8, 0, fr, crypto_frame(fr, ch, 0, n), 1200);
	quic_reasm_init(&r);
	assert_int_equal(quic_reasm_feed(&r, d.buf, d.len), QUIC_DONE);
	assert_null(quic_reasm_sni(&r));
	assert_string_equal(quic_reasm_alpn(&r), "h3,h3-29");
}

static void test_garbage(void **state)
{
	uint8_t p[1400];
	int i, ret;
	size_t j;
	(void)state;

	srand(7);
	for (i = 0; i < 2000; i++) {
		for (j = 0; j < sizeof(p); j++)
			p[j] = (uint8_t)rand();
		p[0] |= 0x80;
		if (i & 1)
			memcpy(p + 1, "\x00\x00\x00\x01", 4);
		quic_reasm_init(&r);
		ret = quic_reasm_feed(&r, p, (size_t)rand() % sizeof(p));
		assert_true(ret == QUIC_ERROR || ret == QUIC_NOT_INITIAL);
	}
	quic_reasm_init(&r);
	assert_int_equal(quic_reasm_feed(&r, NULL, 0), QUIC_ERROR);
}

/* Whatever libndpi exports (gcrypt-light's gcry_* functions), the bound
 * functions are libgcrypt's own. */
static void test_crypto_binding(void **state)
{
	const char *lib;

	(void)state;
	assert_non_null(crypto_gcry());
	assert_null(crypto_error());
	lib = crypto_library();
	assert_non_null(lib);
	print_message("# QUIC crypto from %s\n", lib);
	assert_non_null(strstr(lib, "libgcrypt"));
	assert_null(strstr(lib, "ndpi"));
}

static void test_size(void **state)
{
	(void)state;
	/* The engine pools these: keep the documented bound. */
	print_message("# sizeof(struct quic_reasm) = %zu\n", sizeof(struct quic_reasm));
	assert_true(sizeof(struct quic_reasm) <= 5120);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc9001_keys),
		cmocka_unit_test(test_rfc9369_v2_keys),
		cmocka_unit_test(test_rfc9001_header_protection),
		cmocka_unit_test(test_rfc9001_packet),
		cmocka_unit_test(test_rfc9001_tampered),
		cmocka_unit_test(test_rfc9001_truncated),
		cmocka_unit_test(test_split_v1),
		cmocka_unit_test(test_split_v2),
		cmocka_unit_test(test_split_drafts),
		cmocka_unit_test(test_out_of_order_and_overlap),
		cmocka_unit_test(test_coalesced),
		cmocka_unit_test(test_new_dcid),
		cmocka_unit_test(test_not_initial),
		cmocka_unit_test(test_hostile_frames),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_crypto_binding),
		cmocka_unit_test(test_size),
	};

	unhex(rfc_packet_hex, rfc_packet, sizeof(rfc_packet));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
