/*
 * sizing.c - default table sizes from the RAM the router has (see sizing.h).
 *
 * A 128 MiB router shares its RAM with the kernel, dnsmasq, hostapd and
 * LuCI: what netify preallocates must scale with it. Totals per RAM class
 * are split over the queues, since every queue's worker has its own
 * tables, except the DNS cache: every worker learns every answer (through
 * its inbox), so each one needs the whole size.
 *
 * Worst case per queue at these sizes: a flow 208 B + its verdict state
 * 40 B, an inspection slot 0.75-1.2 KiB (netify 64 B + nDPI's flow state;
 * DNS, HTTP and QUIC flows 320 B more for their text, half the slots at most),
 * a DNS entry 304 B. A 128 MiB box with one queue: 16,384 flows (4 MiB),
 * 2,048 inspected at once (2.7 MiB), 4,096 DNS entries (1.2 MiB).
 */
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "sizing.h"

#define MIB (1024ull * 1024)

static const struct sizing_class {
	uint64_t ram_max;		/* this class: RAM up to here */
	unsigned int flows, inspect;	/* totals over all queues */
	unsigned int dns;		/* per queue */
} sizing_classes[] = {
	{ 128 * MIB, 16384, 2048, 4096 },	/* 16,384 = OpenWrt's nf_conntrack_max there */
	{ 256 * MIB, 32768, 4096, 8192 },
	{ 512 * MIB, 65536, 8192, 16384 },
	{ UINT64_MAX, 0, 16384, 16384 },	/* flows 0: 65,536 per queue */
};

#define FLOWS_PER_QUEUE_MAX 65536
#define FLOWS_MIN 1024			/* policy_schema.c's lower bounds */
#define INSPECT_MIN 256

uint64_t sizing_memtotal(void)
{
	unsigned long long kib = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "MemTotal:", 9) == 0) {
			if (sscanf(line + 9, "%llu", &kib) != 1)
				kib = 0;
			break;
		}
	fclose(f);
	return kib * 1024;
}

static unsigned int sizing_share(unsigned int total, unsigned int workers, unsigned int min)
{
	unsigned int n = total / workers;

	return n < min ? min : n;
}

void sizing_apply(struct policy_main *m, unsigned int workers, uint64_t memtotal)
{
	const struct sizing_class *c = sizing_classes;

	if (!workers)
		workers = 1;
	while (memtotal && memtotal > c->ram_max)
		c++;
	if (!memtotal)	/* unknown: as a large box */
		c = &sizing_classes[sizeof(sizing_classes) / sizeof(*c) - 1];
	if (!m->flow_table_size)
		m->flow_table_size = c->flows ? sizing_share(c->flows, workers, FLOWS_MIN)
					      : FLOWS_PER_QUEUE_MAX;
	if (!m->inspect_slots)
		m->inspect_slots = sizing_share(c->inspect, workers, INSPECT_MIN);
	/* more slots than flows would never be used */
	if (m->inspect_slots > m->flow_table_size)
		m->inspect_slots = m->flow_table_size;
	if (!m->dns_cache_size)
		m->dns_cache_size = c->dns;
}
