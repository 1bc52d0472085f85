/* Packet source: capture files (pcap and pcapng, through libpcap). */
#ifndef NETIFY_PCAPSRC_H
#define NETIFY_PCAPSRC_H

#include <stdint.h>

#include "decode.h"

typedef int (*pcapsrc_cb)(void *user, enum link_type lt, const uint8_t *data, uint32_t caplen,
			  uint64_t ts_us);

/* Reads every packet of path and calls cb (stop early by returning
 * non-zero) with its time in microseconds, from the file's microsecond or
 * nanosecond timestamps; a packet whose timestamp is invalid (fraction of
 * a second out of range, before 1970) gets the previous packet's, and is
 * counted in a warning. @path "-" is standard input (a pipe is fine);
 * any other path must be a regular file (sfile_open(): a FIFO, a device or
 * a directory is refused at once). A capture is read as a stream, with no
 * size limit. Returns 0, or -1 with a message in err. */
int pcapsrc_read(const char *path, pcapsrc_cb cb, void *user, char *err, size_t errlen);

#endif
