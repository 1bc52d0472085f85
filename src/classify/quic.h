/*
 * quic.h - QUIC client Initial decryption and ClientHello SNI/ALPN.
 *
 * nDPI 4.2 reads the SNI of a QUIC connection only when the whole TLS
 * ClientHello sits, in order, in the first Initial packet.  Modern clients
 * (Chrome's post-quantum key share) split it over two Initials, coalesce
 * or retransmit them, or send CRYPTO frames out of order.  This module
 * derives the client Initial keys from the Destination Connection ID
 * (RFC 9001 section 5.2), removes header protection, decrypts each client
 * Initial with AES-128-GCM, collects CRYPTO data by offset in a fixed
 * buffer and parses the ClientHello once it is complete.
 *
 * Versions: QUIC v1 (RFC 9000), v2 (RFC 9369), IETF drafts 22..34,
 * Facebook mvfst (0xfaceb001/2/e) and Google T050/T051.  gQUIC Q0xx (no
 * TLS) is not readable here.  Input is untrusted and only read through
 * the bounds-checked cursor; nothing is allocated by this module (libgcrypt
 * allocates its cipher handles per call, freed before return).
 */
#ifndef NETIFY_QUIC_H
#define NETIFY_QUIC_H

#include <stddef.h>
#include <stdint.h>

#define QUIC_CRYPTO_MAX		4096u	/* ClientHello bytes kept; larger gives up */
#define QUIC_PACKET_MAX		2048u	/* one Initial packet; larger ones are skipped */
#define QUIC_CID_MAX		20u
#define QUIC_SNI_MAX		256u	/* incl. NUL */
#define QUIC_ALPN_MAX		64u	/* comma-joined list incl. NUL, truncated */

enum quic_status {
	QUIC_MORE,		/* ClientHello incomplete: feed the next datagram */
	QUIC_DONE,		/* sni/alpn filled (sni may be "" if absent) */
	QUIC_NOT_INITIAL,	/* nothing readable here: not a client Initial we know */
	QUIC_ERROR,		/* malformed packet or ClientHello */
	__QUIC_STATUS_MAX
};

/* Keys of the client Initial packets, derived from the first DCID. */
struct quic_keys {
	uint8_t key[16];
	uint8_t iv[12];
	uint8_t hp[16];
};

/*
 * Per-flow reassembly state, fixed size (about 4.9 KiB on x86_64, see
 * sizeof in the test); the engine takes it from a bounded pool only for
 * QUIC flows nDPI left without a name.  No pointers: it can be copied or
 * zeroed freely.
 */
struct quic_reasm {
	uint8_t crypto[QUIC_CRYPTO_MAX];	/* CRYPTO stream, by offset */
	uint8_t have[QUIC_CRYPTO_MAX / 8];	/* bitmap of bytes received */
	struct quic_keys keys;
	uint32_t version;			/* 0 until the first Initial */
	uint8_t dcid[QUIC_CID_MAX];		/* DCID the keys come from */
	uint8_t dcid_len;
	uint8_t done;
	uint16_t initials;			/* client Initials decrypted */
	char sni[QUIC_SNI_MAX];			/* printable ASCII, lower case */
	char alpn[QUIC_ALPN_MAX];		/* e.g. "h3" or "h3,h3-29" */
};

/** quic_reasm_init - reset @r for a new flow (libgcrypt is bound on first use, see crypto.h). */
void quic_reasm_init(struct quic_reasm *r);

/**
 * quic_reasm_feed - feed one client->server UDP payload
 *
 * Every client Initial packet coalesced in the datagram is decrypted and its
 * CRYPTO frames are stored; 0-RTT and Handshake packets beside them are
 * skipped.  Returns an enum quic_status.  QUIC_DONE is sticky: once
 * returned, later calls return it again without work.  QUIC_NOT_INITIAL
 * and QUIC_ERROR do not change the state; the caller should give up.
 */
int quic_reasm_feed(struct quic_reasm *r, const uint8_t *udp_payload, size_t len);

/** quic_reasm_sni - server name once QUIC_DONE with one, else NULL. */
const char *quic_reasm_sni(const struct quic_reasm *r);

/** quic_reasm_alpn - comma-joined ALPN list once QUIC_DONE with one, else NULL. */
const char *quic_reasm_alpn(const struct quic_reasm *r);

/**
 * quic_initial_keys - derive client Initial keys of @version from @dcid
 * Returns 0, or -1 for an unknown version or a gcrypt failure.  Exposed for
 * tests (RFC 9001 Appendix A) and for building Initials in them.
 */
int quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
		      struct quic_keys *k);

/**
 * quic_hp_mask - header protection mask: AES-128-ECB(@hp, @sample)[0..4]
 * into @mask (5 bytes).  Returns 0 or -1.
 */
int quic_hp_mask(const uint8_t hp[16], const uint8_t sample[16], uint8_t mask[5]);

#endif
