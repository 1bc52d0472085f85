/* Deep packet inspection: the only module that includes nDPI's headers.
 *
 * A compat layer over nDPI 4.2 (Debian), 4.8 (OpenWrt 23.05/24.10), 4.11 and
 * 5.0's published API (OpenWrt master), selected by configure's probes. One struct dpi per engine (thread), alone
 * or sharing its detection module with others (dpi_new); flow states come
 * from a bounded pool that grows in chunks and is reused, so steady state
 * does not allocate (nDPI itself may allocate strings for metadata).
 */
#ifndef NETIFY_DPI_H
#define NETIFY_DPI_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "meta.h"

struct dpi;
struct dpi_flow;

struct dpi_result {
	uint16_t master;	/* wire protocol (TLS, HTTP, DNS, ...), 0 unknown */
	uint16_t app;		/* app-level protocol (WhatsApp, ...) or == master */
	uint16_t by_ip;		/* application nDPI names by the server's address
				 * (protocol_by_ip, nDPI >= 4.6), 0 none */
	uint8_t detected:1;	/* nDPI named a protocol */
	uint8_t complete:1;	/* ... and has nothing more to collect */
	uint8_t guessed:1;	/* from giveup(): by port or address */
	uint8_t nomem:1;	/* dpi_process(): no memory for nDPI's state */
};

struct dpi_stats {
	uint64_t flows_alloc, flows_pool;
	uint64_t flows_full;	/* refused: max_flows in use */
	uint64_t flows_nomem;	/* refused: the pool could not grow */
};

/* @share: NULL for a detection module of its own, or a dpi whose module
 * to use (under a lock from then on, on both); the flow pool is always
 * this dpi's. Call from one thread, before packets flow. */
struct dpi *dpi_new(uint32_t max_flows, struct dpi *share);
void dpi_free(struct dpi *d);

/* A clean flow state from the pool; NULL when max_flows are in use or
 * the pool cannot grow (both counted in dpi_stats and logged once). */
struct dpi_flow *dpi_flow_new(struct dpi *d);
void dpi_flow_release(struct dpi *d, struct dpi_flow *df);
/* Whether nDPI has been given a packet of df (its state is taken from a
 * second pool then: a flow nDPI is not shown yet costs the head alone). */
bool dpi_flow_fed(const struct dpi_flow *df);
struct meta_extra *dpi_flow_extra(struct dpi_flow *df);

/* Feeds one packet (p->l3, p->l3_len) seen at ts_ms. */
void dpi_process(struct dpi *d, struct dpi_flow *df, const struct pkt *p, uint64_t ts_ms,
		 struct dpi_result *r);

/* Ends inspection: the best answer nDPI has, guessing if it must. */
void dpi_giveup(struct dpi *d, struct dpi_flow *df, struct dpi_result *r);

/* Fills a metadata view of df for a flow classified as r. */
void dpi_meta(const struct dpi_flow *df, const struct dpi_result *r, struct flow_meta *m);

const char *dpi_proto_name(const struct dpi *d, uint16_t id);
unsigned dpi_proto_count(const struct dpi *d);
const struct dpi_stats *dpi_stats(const struct dpi *d);

/* For configuration checks outside the daemon: case-insensitive name to
 * nDPI id, -1 if unknown. Builds one process-wide nDPI module on first
 * use (the packet path never calls it). Thread-safe. */
int dpi_proto_by_name(const char *name);

/* Whether a flow's host name is the server's own (TLS/QUIC SNI, HTTP Host):
 * only those are matched against application domains first. */
int dpi_proto_names_server(uint16_t id);

int dpi_proto_is_quic(uint16_t id);
int dpi_proto_quic_id(void);
int dpi_proto_is_tls(uint16_t id);

/* Network plumbing (DNS, NTP, ICMP, DHCP, ...): a flow of these to some
 * vendor's address says nothing about which application runs. */
int dpi_proto_is_infrastructure(uint16_t id);

/* nDPI's version string, for status and --version. */
const char *dpi_version(void);

#endif
