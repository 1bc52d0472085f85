#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "pcapsrc.h"

int pcapsrc_read(const char *path, pcapsrc_cb cb, void *user, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int lt, rc;

	pc = pcap_open_offline(path, ebuf);
	if (!pc) {
		snprintf(err, errlen, "%s: %s", path, ebuf);
		return -1;
	}
	lt = decode_link_from_dlt(pcap_datalink(pc));
	if (lt < 0) {
		snprintf(err, errlen, "%s: unsupported link type %s", path,
			 pcap_datalink_val_to_name(pcap_datalink(pc)) ?: "?");
		pcap_close(pc);
		return -1;
	}
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;

		if (cb(user, (enum link_type)lt, data, h->caplen, ts))
			break;
	}
	if (rc == PCAP_ERROR) {
		/* A truncated capture still gave us its packets: say so, go on. */
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(pc));
		pcap_close(pc);
		return -1;
	}
	pcap_close(pc);
	return 0;
}
