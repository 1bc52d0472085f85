/*
 * quic.c - QUIC client Initial decryption, CRYPTO reassembly, ClientHello
 * SNI and ALPN (RFC 9000, 9001, 9369; see quic.h).
 */
#include <stdbool.h>
#include <string.h>

#include "crypto.h"
#include "cursor.h"
#include "quic.h"

#define QUIC_V1		0x00000001u
#define QUIC_V2		0x6b3343cfu
#define QUIC_T050	0x54303530u
#define QUIC_T051	0x54303531u
#define QUIC_TAG_LEN	16u
#define QUIC_SAMPLE_LEN	16u

enum quic_salt {
	SALT_DRAFT22,
	SALT_DRAFT23,	/* drafts 23..28 and mvfst */
	SALT_DRAFT29,	/* drafts 29..32 */
	SALT_V1,	/* v1, drafts 33/34 */
	SALT_V2,
	SALT_T050,
	SALT_T051,
	__SALT_MAX
};

/* Initial salts, public constants of each version's specification. */
static const uint8_t quic_salts[__SALT_MAX][20] = {
	[SALT_DRAFT22] = { 0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a,
			   0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a },
	[SALT_DRAFT23] = { 0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
			   0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02 },
	[SALT_DRAFT29] = { 0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
			   0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99 },
	[SALT_V1] = { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
		      0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a },
	[SALT_V2] = { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
		      0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 },
	[SALT_T050] = { 0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80,
			0x30, 0x4c, 0x43, 0xa2, 0x36, 0x7c, 0x60, 0x48, 0x83, 0x10 },
	[SALT_T051] = { 0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50,
			0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d },
};

/* Returns the salt of @v, or -1 for a version we cannot read. */
static int quic_version_salt(uint32_t v)
{
	if (v == QUIC_V1)
		return SALT_V1;
	if (v == QUIC_V2)
		return SALT_V2;
	if (v == QUIC_T050)
		return SALT_T050;
	if (v == QUIC_T051)
		return SALT_T051;
	if (v == 0xfaceb001u)
		return SALT_DRAFT22;
	if (v == 0xfaceb002u || v == 0xfaceb00eu)
		return SALT_DRAFT23;
	if ((v & 0xffffff00u) != 0xff000000u)
		return -1;
	v &= 0xff;
	if (v == 22)
		return SALT_DRAFT22;
	if (v >= 23 && v <= 28)
		return SALT_DRAFT23;
	if (v >= 29 && v <= 32)
		return SALT_DRAFT29;
	if (v == 33 || v == 34)
		return SALT_V1;
	return -1;
}

/* v2 changed the Initial type bits (0b01) and the HKDF labels. */
static bool quic_is_v2(uint32_t v)
{
	return v == QUIC_V2;
}

/* ---- HKDF (RFC 5869) with TLS 1.3's HKDF-Expand-Label (RFC 8446 7.1) ---- */

/* libgcrypt through crypto.c's handle, never by symbol name: a default
 * libndpi exports gcry_* functions of its own (see crypto.h). */
static int quic_hmac(const uint8_t *key, size_t key_len, const uint8_t *a, size_t a_len,
		     uint8_t out[32])
{
	const struct crypto_gcry *g = crypto_gcry();
	gcry_md_hd_t h;

	if (!g || g->md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC))
		return -1;
	if (g->md_setkey(h, key, key_len)) {
		g->md_close(h);
		return -1;
	}
	g->md_write(h, a, a_len);
	memcpy(out, g->md_read(h, GCRY_MD_SHA256), 32);
	g->md_close(h);
	return 0;
}

/* HKDF-Expand-Label(secret, label, "", len), len <= 32 (one HMAC block). */
static int quic_expand_label(const uint8_t secret[32], const char *label, uint8_t *out,
			     size_t len)
{
	uint8_t info[2 + 1 + 6 + 32 + 1 + 1], t[32];
	size_t n = strlen(label), i = 0;

	if (n > 32 || len > 32)
		return -1;
	info[i++] = 0;
	info[i++] = (uint8_t)len;
	info[i++] = (uint8_t)(6 + n);
	memcpy(info + i, "tls13 ", 6);
	i += 6;
	memcpy(info + i, label, n);
	i += n;
	info[i++] = 0;		/* empty context */
	info[i++] = 1;		/* T(1) counter */
	if (quic_hmac(secret, 32, info, i, t))
		return -1;
	memcpy(out, t, len);
	return 0;
}

int quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
		      struct quic_keys *k)
{
	int salt = quic_version_salt(version);
	bool v2 = quic_is_v2(version);
	uint8_t initial[32], client[32];

	if (salt < 0 || dcid_len > QUIC_CID_MAX)
		return -1;
	if (quic_hmac(quic_salts[salt], 20, dcid, dcid_len, initial) ||
	    quic_expand_label(initial, "client in", client, 32) ||
	    quic_expand_label(client, v2 ? "quicv2 key" : "quic key", k->key, 16) ||
	    quic_expand_label(client, v2 ? "quicv2 iv" : "quic iv", k->iv, 12) ||
	    quic_expand_label(client, v2 ? "quicv2 hp" : "quic hp", k->hp, 16))
		return -1;
	return 0;
}

int quic_hp_mask(const uint8_t hp[16], const uint8_t sample[16], uint8_t mask[5])
{
	const struct crypto_gcry *g = crypto_gcry();
	gcry_cipher_hd_t h;
	uint8_t block[16];
	int ret = -1;

	if (!g || g->cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_ECB, 0))
		return -1;
	if (g->cipher_setkey(h, hp, 16) ||
	    g->cipher_encrypt(h, block, sizeof(block), sample, 16))
		goto out_close;
	memcpy(mask, block, 5);
	ret = 0;
out_close:
	g->cipher_close(h);
	return ret;
}

/* ---- packets ---- */

/* Outcome of one packet of a datagram. */
enum quic_pkt {
	PKT_INITIAL,	/* client Initial decrypted, CRYPTO frames stored */
	PKT_SKIPPED,	/* 0-RTT or Handshake packet stepped over */
	PKT_STOP,	/* short header, unknown version, undecryptable: stop here */
	PKT_BAD,	/* truncated or malformed */
};

/* Normalised long packet types (v2 rotated the type bits). */
enum quic_kind { KIND_INITIAL, KIND_0RTT, KIND_HANDSHAKE, KIND_RETRY };

struct quic_hdr {
	uint32_t version;
	enum quic_kind kind;
	const uint8_t *dcid;
	uint8_t dcid_len;
	size_t pn_off;		/* packet number offset from the first byte */
	size_t pkt_len;		/* whole packet: header, packet number, payload */
};

/* Variable-length integer (RFC 9000 section 16). */
static int quic_varint(struct cursor *c, uint64_t *v)
{
	const uint8_t *p = cur_peek(c, 1);
	size_t n, i;

	if (!p)
		return -1;
	n = (size_t)1 << (p[0] >> 6);
	p = cur_pull(c, n);
	if (!p)
		return -1;
	*v = p[0] & 0x3f;
	for (i = 1; i < n; i++)
		*v = *v << 8 | p[i];
	return 0;
}

/* Connection IDs of a long header; the cursor is left at the token/length. */
static int quic_hdr_cids(struct cursor *c, struct quic_hdr *h)
{
	uint8_t scid_len;

	if (cur_u8(c, &h->dcid_len) || h->dcid_len > QUIC_CID_MAX)
		return PKT_BAD;
	h->dcid = cur_pull(c, h->dcid_len);
	if (!h->dcid || cur_u8(c, &scid_len) || scid_len > QUIC_CID_MAX ||
	    !cur_pull(c, scid_len))
		return PKT_BAD;
	return PKT_INITIAL;
}

/*
 * Parses the long header at @c and advances @c past the whole packet.
 * Returns PKT_INITIAL with @h filled, PKT_SKIPPED, PKT_STOP or PKT_BAD.
 */
static int quic_hdr_parse(struct cursor *c, struct quic_hdr *h)
{
	struct cursor p = *c;
	uint64_t token_len = 0, len;
	uint8_t first;

	if (cur_u8(&p, &first) || !(first & 0x80))
		return c->len ? PKT_STOP : PKT_BAD;
	if (cur_be32(&p, &h->version))
		return PKT_BAD;
	/* Version negotiation and versions we have no salt for have no
	 * layout we may assume beyond the invariants: stop. */
	if (quic_version_salt(h->version) < 0)
		return PKT_STOP;
	h->kind = (enum quic_kind)(quic_is_v2(h->version) ? ((first >> 4) + 3) & 3 : (first >> 4) & 3);
	if (h->kind == KIND_RETRY)
		return PKT_STOP;
	if (quic_hdr_cids(&p, h) != PKT_INITIAL)
		return PKT_BAD;
	if (h->kind == KIND_INITIAL && (quic_varint(&p, &token_len) || !cur_pull(&p, token_len)))
		return PKT_BAD;
	if (quic_varint(&p, &len) || len > p.len)
		return PKT_BAD;
	h->pn_off = (size_t)(p.p - c->p);
	h->pkt_len = h->pn_off + (size_t)len;
	cur_pull(c, h->pkt_len);
	return h->kind == KIND_INITIAL ? PKT_INITIAL : PKT_SKIPPED;
}

static int quic_gcm_open(const struct quic_keys *k, const uint8_t nonce[12], const uint8_t *aad,
			 size_t aad_len, uint8_t *data, size_t len, const uint8_t *tag)
{
	const struct crypto_gcry *g = crypto_gcry();
	gcry_cipher_hd_t h;
	int ret = -1;

	if (!g || g->cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0))
		return -1;
	if (g->cipher_setkey(h, k->key, 16) || g->cipher_setiv(h, nonce, 12) ||
	    g->cipher_authenticate(h, aad, aad_len) ||
	    g->cipher_decrypt(h, data, len, NULL, 0) ||
	    g->cipher_checktag(h, tag, QUIC_TAG_LEN))
		goto out_close;
	ret = 0;
out_close:
	g->cipher_close(h);
	return ret;
}

/*
 * Removes header protection from @buf (a copy of one packet of @pkt_len
 * bytes) and decrypts its payload in place.  Returns the offset of the
 * plaintext in @buf and its length in @plain_len, or -1.
 */
static long quic_unprotect(const struct quic_keys *k, uint8_t *buf, size_t pkt_len, size_t pn_off,
			   size_t *plain_len)
{
	uint8_t mask[5], nonce[12];
	size_t pn_len, hdr_len, i;
	uint64_t pn = 0;

	/* The sample is taken as if the packet number were 4 bytes long. */
	if (pn_off + 4 + QUIC_SAMPLE_LEN > pkt_len || quic_hp_mask(k->hp, buf + pn_off + 4, mask))
		return -1;
	buf[0] ^= mask[0] & 0x0f;
	pn_len = (buf[0] & 3u) + 1;
	for (i = 0; i < pn_len; i++) {
		buf[pn_off + i] ^= mask[1 + i];
		pn = pn << 8 | buf[pn_off + i];
	}
	hdr_len = pn_off + pn_len;
	if (hdr_len + QUIC_TAG_LEN > pkt_len)
		return -1;
	/* Initial packet numbers are small: the truncated number is the
	 * full one for the first 2^8..2^32 packets of a connection. */
	memcpy(nonce, k->iv, sizeof(nonce));
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	*plain_len = pkt_len - hdr_len - QUIC_TAG_LEN;
	if (quic_gcm_open(k, nonce, buf, hdr_len, buf + hdr_len, *plain_len,
			  buf + hdr_len + *plain_len))
		return -1;
	return (long)hdr_len;
}

/* ---- CRYPTO stream ---- */

static void quic_crypto_store(struct quic_reasm *r, uint64_t off, const uint8_t *d, uint64_t n)
{
	uint64_t i;

	/* Bytes past the buffer are dropped; a ClientHello that needs them
	 * is refused later by its length. */
	if (off >= QUIC_CRYPTO_MAX)
		return;
	if (n > QUIC_CRYPTO_MAX - off)
		n = QUIC_CRYPTO_MAX - off;
	memcpy(r->crypto + off, d, (size_t)n);
	for (i = off; i < off + n; i++)
		r->have[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/* Length of the gap-free prefix of the CRYPTO stream. */
static size_t quic_crypto_contig(const struct quic_reasm *r)
{
	size_t i = 0, n;

	while (i < sizeof(r->have) && r->have[i] == 0xff)
		i++;
	n = i * 8;
	while (n < QUIC_CRYPTO_MAX && (r->have[n >> 3] >> (n & 7) & 1))
		n++;
	return n;
}

static int quic_ack_skip(struct cursor *c, bool ecn)
{
	uint64_t v, ranges, i;

	if (quic_varint(c, &v) || quic_varint(c, &v) || quic_varint(c, &ranges) ||
	    quic_varint(c, &v))
		return -1;
	/* Each range consumes bytes, so a huge count ends at the cursor's end. */
	for (i = 0; i < ranges; i++)
		if (quic_varint(c, &v) || quic_varint(c, &v))
			return -1;
	if (ecn && (quic_varint(c, &v) || quic_varint(c, &v) || quic_varint(c, &v)))
		return -1;
	return 0;
}

static int quic_crypto_frame(struct quic_reasm *r, struct cursor *c)
{
	uint64_t off, len;
	const uint8_t *d;

	if (quic_varint(c, &off) || quic_varint(c, &len) || len > c->len)
		return -1;
	d = cur_pull(c, (size_t)len);
	if (!d)
		return -1;
	quic_crypto_store(r, off, d, len);
	return 0;
}

/* Google's T05x put the CRYPTO stream in frames of type 0x08. */
static uint64_t quic_crypto_type(uint32_t version)
{
	return version == QUIC_T050 || version == QUIC_T051 ? 0x08 : 0x06;
}

/* Walks the frames of one decrypted Initial.  Returns 0, or -1 if malformed. */
static int quic_frames_walk(struct quic_reasm *r, const uint8_t *p, size_t len)
{
	uint64_t type, crypto = quic_crypto_type(r->version);
	struct cursor c;

	cur_init(&c, p, len);
	while (c.len) {
		if (quic_varint(&c, &type))
			return -1;
		if (type == 0x00 || type == 0x01)	/* PADDING, PING */
			continue;
		if (type == 0x02 || type == 0x03) {	/* ACK, ACK with ECN */
			if (quic_ack_skip(&c, type == 0x03))
				return -1;
			continue;
		}
		if (type == crypto) {
			if (quic_crypto_frame(r, &c))
				return -1;
			continue;
		}
		/* CONNECTION_CLOSE or a frame not allowed in Initials: what
		 * follows cannot be parsed safely, and it holds no CRYPTO. */
		return 0;
	}
	return 0;
}

/* ---- ClientHello ---- */

static bool quic_name_char(uint8_t ch)
{
	return ch > 0x20 && ch < 0x7f && ch != ',' && ch != '"' && ch != '\\';
}

/* server_name extension: the first host_name entry, lower-cased. */
static void quic_sni_parse(struct quic_reasm *r, const uint8_t *p, size_t len)
{
	struct cursor c;
	const uint8_t *name;
	uint16_t list, n;
	uint8_t type;
	size_t i;

	cur_init(&c, p, len);
	if (cur_be16(&c, &list) || cur_u8(&c, &type) || type != 0 || cur_be16(&c, &n) ||
	    n == 0 || n >= QUIC_SNI_MAX || !(name = cur_pull(&c, n)))
		return;
	/* Names with bytes that are no hostname are not reported at all:
	 * they would only carry garbage into logs and policy matching. */
	for (i = 0; i < n; i++)
		if (!quic_name_char(name[i]))
			return;
	for (i = 0; i < n; i++)
		r->sni[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	r->sni[n] = '\0';
}

/* ALPN extension: protocols joined by ',', as many as fit. */
static void quic_alpn_parse(struct quic_reasm *r, const uint8_t *p, size_t len)
{
	struct cursor c;
	const uint8_t *proto;
	size_t used = 0, i;
	uint16_t list;
	uint8_t n;

	cur_init(&c, p, len);
	if (cur_be16(&c, &list))
		return;
	cur_limit(&c, list);
	while (!cur_u8(&c, &n) && (proto = cur_pull(&c, n))) {
		for (i = 0; i < n && quic_name_char(proto[i]); i++)
			;
		if (n == 0 || i < n || used + (used > 0) + n >= QUIC_ALPN_MAX)
			continue;
		if (used)
			r->alpn[used++] = ',';
		memcpy(r->alpn + used, proto, n);
		used += n;
		r->alpn[used] = '\0';
	}
}

/* Parses a ClientHello body (after the 4-byte handshake header). */
static int quic_ch_parse(struct quic_reasm *r, const uint8_t *p, size_t len)
{
	struct cursor c, ext;
	const uint8_t *e, *d;
	uint16_t n16, type, elen;
	uint8_t n8;

	cur_init(&c, p, len);
	if (!cur_pull(&c, 2 + 32) ||				/* version, random */
	    cur_u8(&c, &n8) || !cur_pull(&c, n8) ||		/* session id */
	    cur_be16(&c, &n16) || !cur_pull(&c, n16) ||		/* cipher suites */
	    cur_u8(&c, &n8) || !cur_pull(&c, n8) ||		/* compression */
	    cur_be16(&c, &n16) || !(e = cur_pull(&c, n16)))	/* extensions */
		return -1;
	cur_init(&ext, e, n16);
	while (ext.len) {
		if (cur_be16(&ext, &type) || cur_be16(&ext, &elen) || !(d = cur_pull(&ext, elen)))
			return -1;
		if (type == 0 && !r->sni[0])
			quic_sni_parse(r, d, elen);
		else if (type == 16 && !r->alpn[0])
			quic_alpn_parse(r, d, elen);
	}
	return 0;
}

/* Parses the ClientHello when its bytes are all in.  Returns a quic_status. */
static int quic_ch_try(struct quic_reasm *r)
{
	size_t have = quic_crypto_contig(r), body;

	if (have < 4)
		return QUIC_MORE;
	if (r->crypto[0] != 1)		/* the first handshake message must be ClientHello */
		return QUIC_ERROR;
	body = (size_t)r->crypto[1] << 16 | (size_t)r->crypto[2] << 8 | r->crypto[3];
	if (body > QUIC_CRYPTO_MAX - 4)
		return QUIC_NOT_INITIAL;
	if (have < 4 + body)
		return QUIC_MORE;
	if (quic_ch_parse(r, r->crypto + 4, body)) {
		r->sni[0] = r->alpn[0] = '\0';
		return QUIC_ERROR;
	}
	r->done = 1;
	return QUIC_DONE;
}

/* ---- datagrams ---- */

static void quic_reasm_restart(struct quic_reasm *r, const struct quic_hdr *h,
			       const struct quic_keys *k)
{
	memset(r->have, 0, sizeof(r->have));
	r->keys = *k;
	r->version = h->version;
	memcpy(r->dcid, h->dcid, h->dcid_len);
	r->dcid_len = h->dcid_len;
	r->initials = 0;
}

static bool quic_same_dcid(const struct quic_reasm *r, const struct quic_hdr *h)
{
	return r->dcid_len == h->dcid_len && !memcmp(r->dcid, h->dcid, h->dcid_len);
}

/*
 * Decrypts one Initial into @buf.  The flow's keys come from the DCID of
 * its first Initial and stay valid after the client adopts the server's
 * connection ID; a packet they cannot open but whose own DCID opens it
 * starts a new ClientHello (after a Retry, or a reused 5-tuple).
 */
static long quic_initial_open(struct quic_reasm *r, const struct quic_hdr *h, const uint8_t *pkt,
			      uint8_t *buf, size_t *plain_len)
{
	struct quic_keys k;
	long off;

	if (r->version == h->version) {
		memcpy(buf, pkt, h->pkt_len);
		off = quic_unprotect(&r->keys, buf, h->pkt_len, h->pn_off, plain_len);
		if (off >= 0 || quic_same_dcid(r, h))
			return off;
	}
	if (quic_initial_keys(h->version, h->dcid, h->dcid_len, &k))
		return -1;
	memcpy(buf, pkt, h->pkt_len);
	off = quic_unprotect(&k, buf, h->pkt_len, h->pn_off, plain_len);
	if (off >= 0)
		quic_reasm_restart(r, h, &k);
	return off;
}

/* Reads the packet at @c (and steps over it).  Returns an enum quic_pkt. */
static int quic_packet_feed(struct quic_reasm *r, struct cursor *c)
{
	uint8_t buf[QUIC_PACKET_MAX];
	const uint8_t *pkt = c->p;
	struct quic_hdr h;
	size_t plain_len;
	long off;
	int ret;

	ret = quic_hdr_parse(c, &h);
	if (ret != PKT_INITIAL)
		return ret;
	/* Client Initials fill a datagram of 1200..~1500 bytes. */
	if (h.pkt_len > sizeof(buf))
		return PKT_SKIPPED;
	off = quic_initial_open(r, &h, pkt, buf, &plain_len);
	if (off < 0)
		return PKT_STOP;
	if (quic_frames_walk(r, buf + off, plain_len))
		return PKT_BAD;
	if (r->initials < UINT16_MAX)
		r->initials++;
	return PKT_INITIAL;
}

void quic_reasm_init(struct quic_reasm *r)
{
	memset(r, 0, sizeof(*r));
}

int quic_reasm_feed(struct quic_reasm *r, const uint8_t *udp_payload, size_t len)
{
	int first = -1, ret = PKT_STOP, read = 0;
	struct cursor c;

	if (r->done)
		return QUIC_DONE;
	cur_init(&c, udp_payload, len);
	/* Coalesced packets (RFC 9000 12.2) follow each other; a short
	 * header or padding after them ends the walk. */
	do {
		ret = quic_packet_feed(r, &c);
		if (first < 0)
			first = ret;
		read += ret == PKT_INITIAL;
	} while (c.len && (ret == PKT_INITIAL || ret == PKT_SKIPPED));
	if (read)
		return quic_ch_try(r);
	if (first == PKT_BAD)
		return QUIC_ERROR;
	return r->version ? QUIC_MORE : QUIC_NOT_INITIAL;
}

const char *quic_reasm_sni(const struct quic_reasm *r)
{
	return r->done && r->sni[0] ? r->sni : NULL;
}

const char *quic_reasm_alpn(const struct quic_reasm *r)
{
	return r->done && r->alpn[0] ? r->alpn : NULL;
}
