/* Builds a benchmark capture: the given Ethernet captures, repeated R
 * times, each repetition under its own 802.1Q VLAN id (1..R), so every
 * repetition's flows stay distinct for both netify and ndpiReader. Every
 * capture is moved to start at the same time, so the repetitions' flows
 * are alive together (a table with R times the flows).
 * Usage: mkbench OUT.pcap R IN.pcap... */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int copy_one(pcap_dumper_t *d, const char *path, unsigned vid, long shift, long *span)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h, nh;
	const u_char *data;
	u_char buf[65536 + 4];
	long first = -1;
	pcap_t *p = pcap_open_offline(path, err);

	if (!p || pcap_datalink(p) != DLT_EN10MB) {
		if (p)
			pcap_close(p);
		return -1;
	}
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (h->caplen < 14 || h->caplen > 65536)
			continue;
		if (first < 0)
			first = h->ts.tv_sec;
		memcpy(buf, data, 12);
		buf[12] = 0x81, buf[13] = 0x00;
		buf[14] = (u_char)(vid >> 8 & 0x0f), buf[15] = (u_char)vid;
		memcpy(buf + 16, data + 12, h->caplen - 12);
		nh = *h;
		nh.ts.tv_sec = h->ts.tv_sec - first + shift;
		nh.caplen += 4;
		nh.len += 4;
		pcap_dump((u_char *)d, &nh, buf);
		if (h->ts.tv_sec - first > *span)
			*span = h->ts.tv_sec - first;
	}
	pcap_close(p);
	return 0;
}

int main(int argc, char **argv)
{
	pcap_t *dead;
	pcap_dumper_t *d;
	unsigned r, reps;
	long shift = 1000000000, span;
	int i;

	if (argc < 4) {
		fprintf(stderr, "usage: mkbench OUT.pcap REPEATS IN.pcap...\n");
		return 2;
	}
	reps = (unsigned)atoi(argv[2]);
	dead = pcap_open_dead(DLT_EN10MB, 65536);
	d = pcap_dump_open(dead, argv[1]);
	if (!d)
		return 1;
	for (r = 1; r <= reps && r < 4095; r++) {
		for (i = 3; i < argc; i++) {
			span = 0;
			copy_one(d, argv[i], r, shift, &span);
		}
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return 0;
}
