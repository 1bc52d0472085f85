#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pcapsrc.h"
#include "sfile.h"

#define READ_BUFFER (1 << 16)
#define NSEC_PER_SEC 1000000000L

struct pcapsrc_ctx {
	pcap_t *pc;
	enum link_type lt;
	pcapsrc_cb cb;
	void *user;
	uint64_t last_ts;	/* of the last packet with a valid timestamp */
	uint64_t bad_ts;	/* packets whose timestamp was not */
};

/* Captures are opened with nanosecond precision: libpcap scales a
 * microsecond file's fraction up, so one check covers both formats. A
 * fraction past a second (the file's bytes are not checked by libpcap) or
 * a time before 1970 would move the flow clock anywhere: such a packet
 * keeps the previous packet's time, and is counted. */
static void pcapsrc_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *data)
{
	struct pcapsrc_ctx *c = (struct pcapsrc_ctx *)arg;
	uint64_t ts = c->last_ts;

	if (h->ts.tv_sec >= 0 && h->ts.tv_usec >= 0 && h->ts.tv_usec < NSEC_PER_SEC)
		c->last_ts = ts = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec / 1000;
	else
		c->bad_ts++;
	if (c->cb(c->user, c->lt, data, h->caplen, ts))
		pcap_breakloop(c->pc);
}

int pcapsrc_read(const char *path, pcapsrc_cb cb, void *user, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE], why[SFILE_WHY_LEN];
	struct pcapsrc_ctx ctx;
	pcap_t *pc;
	FILE *fp;
	char *iobuf;
	int lt, rc, fd = -1;

	/* stdio's default 4 KiB buffer costs one read(2) per 4 KiB. 64 KiB
	 * took `netify classify` 8-20% less time on a 160 MB capture
	 * (tests/bench); 1 MiB was slower again, as the buffer no longer
	 * stays in the CPU's cache between refills. */
	if (!strcmp(path, "-")) {
		fp = stdin;	/* "-" as libpcap reads it: a pipe is what one means */
	} else {
		/* a path must name a regular file: a FIFO would block the
		 * opener until a writer came, a device might never end */
		fd = sfile_open(path, 0, why, sizeof(why));
		if (fd < 0 || !(fp = fdopen(fd, "rb"))) {
			snprintf(err, errlen, "%s: %s", path, fd < 0 ? why : strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
	}
	/* glibc ignores the size when it allocates the buffer itself. */
	iobuf = malloc(READ_BUFFER);
	if (iobuf)
		setvbuf(fp, iobuf, _IOFBF, READ_BUFFER);
	pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!pc) {
		snprintf(err, errlen, "%s: %s", path, ebuf);
		if (fp != stdin)
			fclose(fp);
		free(iobuf);
		return -1;
	}
	lt = decode_link_from_dlt(pcap_datalink(pc));
	if (lt < 0) {
		snprintf(err, errlen, "%s: unsupported link type %s", path,
			 pcap_datalink_val_to_name(pcap_datalink(pc)) ?: "?");
		rc = PCAP_ERROR;
		goto out;
	}
	/* pcap_loop() rather than pcap_next_ex(): one call into libpcap for the
	 * whole file, not one per packet. */
	ctx = (struct pcapsrc_ctx){ .pc = pc, .lt = (enum link_type)lt, .cb = cb, .user = user };
	rc = pcap_loop(pc, -1, pcapsrc_packet, (u_char *)&ctx);
	if (rc == PCAP_ERROR)	/* a truncated capture still gave us its packets */
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(pc));
	if (ctx.bad_ts)
		log_msg(LOG_WARNING, "%s: %llu packets with an invalid timestamp took the previous one's",
			path, (unsigned long long)ctx.bad_ts);
out:
	pcap_close(pc);	/* closes fp */
	free(iobuf);
	return rc == PCAP_ERROR ? -1 : 0;
}
