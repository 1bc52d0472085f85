/* IPFIX message encoding (RFC 7011) of netify's flow records.
 *
 * A message is built in a caller's buffer: ipfix_msg_init() leaves room
 * for the 16-byte header, sets and records are appended, and
 * ipfix_msg_header() writes the header last, so the same sets can go to
 * several collectors, each with its own sequence number. Nothing here
 * allocates or does I/O.
 *
 * Templates (ids fixed, so a collector that restarts needs only the next
 * refresh):
 *   256  IPv4 flow       sourceIPv4Address(8) destinationIPv4Address(12)
 *   257  IPv6 flow       sourceIPv6Address(27) destinationIPv6Address(28)
 *        both then:      sourceTransportPort(7) destinationTransportPort(11)
 *        protocolIdentifier(4) flowStartMilliseconds(152)
 *        flowEndMilliseconds(153) octetDeltaCount(1) packetDeltaCount(2)
 *        reverseOctetDeltaCount(29305/1) reversePacketDeltaCount(29305/2)
 *        sourceMacAddress(56) destinationMacAddress(80) vlanId(58)
 *        biflowDirection(239) flowEndReason(136) forwardingStatus(89)
 *        firewallEvent(233) applicationId(95) flowId(148)
 *        applicationName(96, varlen) applicationCategoryName(372, varlen)
 *        httpRequestHost(460, varlen)
 *        and, when a PEN is configured, netify's own elements:
 *        ndpiProtocolName(PEN/1, varlen) netifyAction(PEN/2)
 *        netifyRule(PEN/3, varlen) netifyQosClass(PEN/4, varlen)
 *   258  application options (RFC 6759 section 5): scope applicationId(95),
 *        applicationName(96, 32 bytes), applicationDescription(94, 64 bytes),
 *        fixed lengths because nfacctd and nfcapd read these records only so.
 *
 * applicationId (RFC 6759): 5 bytes, the classification engine then a
 * 4-byte selector, big-endian:
 *   engine 6 (USER-Defined), selector = netify application id (the
 *     catalog's numbers, fixed in the definition files: stable across
 *     reloads and routers with the same catalog; 50000+ are local);
 *   engine 13 (PANA-L7), selector = nDPI protocol id, when netify named no
 *     application (stable across reloads and routers with the same nDPI
 *     release; the name travels beside it);
 *   engine 13, selector 0: unknown.
 */
#ifndef NETIFY_IPFIX_H
#define NETIFY_IPFIX_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

#define IPFIX_VERSION		10
#define IPFIX_HDR_LEN		16
#define IPFIX_SET_HDR_LEN	4
#define IPFIX_SET_TEMPLATE	2
#define IPFIX_SET_OPTIONS	3
#define IPFIX_TID_V4		256
#define IPFIX_TID_V6		257
#define IPFIX_TID_APPS		258
#define IPFIX_VARLEN		65535
#define IPFIX_PEN_REVERSE	29305	/* RFC 5103 reverse information elements */

#define IPFIX_APPID_LEN		5
#define IPFIX_ENGINE_USER	6	/* RFC 6759 classification engine ids */
#define IPFIX_ENGINE_PANA_L7	13
#define IPFIX_APPNAME_LEN	32	/* fixed lengths in the options records */
#define IPFIX_APPDESC_LEN	64
#define IPFIX_APP_RECORD_LEN	(IPFIX_APPID_LEN + IPFIX_APPNAME_LEN + IPFIX_APPDESC_LEN)

/* forwardingStatus (RFC 7270): status in the two high bits, then a reason */
#define IPFIX_FWD_FORWARDED	64	/* forwarded, reason unknown */
#define IPFIX_FWD_ACL_DENY	129	/* dropped: ACL deny */
/* firewallEvent values (IANA registry) */
#define IPFIX_FW_DELETED	2
#define IPFIX_FW_DENIED		3
#define IPFIX_FW_UPDATE		5

struct ipfix_msg {
	uint8_t *buf;
	size_t cap;		/* at most 65535: a message's length field */
	size_t len;
	size_t set_at;		/* offset of the open set's header; 0: none open */
	uint16_t set_id;
	uint32_t records;	/* data records in the message (sequence numbers) */
};

/** ipfix_msg_init - start an empty message in buf (cap at least 256) */
void ipfix_msg_init(struct ipfix_msg *m, uint8_t *buf, size_t cap);
/** ipfix_msg_reset - empty the message, keeping its buffer */
void ipfix_msg_reset(struct ipfix_msg *m);
/** ipfix_msg_empty - true when no set was added */
static inline int ipfix_msg_empty(const struct ipfix_msg *m)
{
	return m->len <= IPFIX_HDR_LEN;
}

/**
 * ipfix_msg_templates - append the template set (IPv4 and IPv6 flows,
 * with netify's elements when pen is not 0) and the options template set.
 * 0, or -1 without change when they do not fit.
 */
int ipfix_msg_templates(struct ipfix_msg *m, uint32_t pen);
/** ipfix_templates_len - the bytes ipfix_msg_templates() appends */
size_t ipfix_templates_len(uint32_t pen);

/**
 * ipfix_msg_record - append one flow record to the set of its family's
 * template, opening the set if needed. 0, or -1 without change when it
 * does not fit (or r->family is neither 4 nor 6).
 */
int ipfix_msg_record(struct ipfix_msg *m, const struct export_record *r, uint32_t pen);
/** ipfix_record_len - the bytes r takes in a data set */
size_t ipfix_record_len(const struct export_record *r, uint32_t pen);

/**
 * ipfix_msg_app - append one application options record (template 258).
 * 0, or -1 without change when it does not fit.
 */
int ipfix_msg_app(struct ipfix_msg *m, const uint8_t id[IPFIX_APPID_LEN], const char *name,
		  const char *desc);

/**
 * ipfix_msg_header - close the open set and write the message header;
 * may be called again with another sequence number. Returns the length.
 */
size_t ipfix_msg_header(struct ipfix_msg *m, uint32_t export_time, uint32_t seq, uint32_t domain);

/** ipfix_app_id - r's applicationId (scheme above) */
void ipfix_app_id(const struct export_record *r, uint8_t id[IPFIX_APPID_LEN]);
/** ipfix_app_name - the applicationName that goes with ipfix_app_id() */
const char *ipfix_app_name(const struct export_record *r);

/**
 * ipfix_utf8 - copy up to srclen bytes of src into dst (dstlen bytes, no
 * terminator) as valid UTF-8: an invalid byte becomes U+FFFD, and a
 * sequence that does not fit whole is left out. Returns the bytes written.
 */
size_t ipfix_utf8(uint8_t *dst, size_t dstlen, const char *src, size_t srclen);

#endif
