/* Packet source: capture files (pcap and pcapng, through libpcap). */
#ifndef NETIFY_PCAPSRC_H
#define NETIFY_PCAPSRC_H

#include <stdint.h>

#include "decode.h"

typedef int (*pcapsrc_cb)(void *user, enum link_type lt, const uint8_t *data, uint32_t caplen,
			  uint64_t ts_us);

/* Reads every packet of path and calls cb (stop early by returning
 * non-zero). Returns 0, or -1 with a message in err. */
int pcapsrc_read(const char *path, pcapsrc_cb cb, void *user, char *err, size_t errlen);

#endif
