/* Per-flow packet keeper for unknown-flow captures (see flowcap.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowcap.h"

struct flowcap_slot {
	struct flowcap_slot *next_free;
	uint32_t linktype;
	uint8_t n;			/* packets held */
	struct {
		uint64_t ts_us;
		uint32_t caplen, len;
		uint8_t data[FLOWCAP_SNAP];
	} pkt[FLOWCAP_PKTS];
};

struct flowcap {
	struct flowcap_slot *slots, *free_list;
	struct flowcap_stats st;
};

struct flowcap *flowcap_new(uint32_t slots)
{
	struct flowcap *c;
	uint32_t i;

	if (!slots) {
		errno = EINVAL;
		return NULL;
	}
	if (!(c = calloc(1, sizeof(*c))))
		return NULL;
	if (!(c->slots = calloc(slots, sizeof(*c->slots)))) {
		free(c);
		return NULL;
	}
	for (i = 0; i + 1 < slots; i++)
		c->slots[i].next_free = &c->slots[i + 1];
	c->free_list = c->slots;
	c->st.slots = slots;
	return c;
}

void flowcap_free(struct flowcap *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c);
}

struct flowcap_slot *flowcap_get(struct flowcap *c, uint32_t linktype)
{
	struct flowcap_slot *s = c->free_list;

	if (!s) {
		c->st.pool_empty++;
		return NULL;
	}
	c->free_list = s->next_free;
	s->next_free = NULL;
	s->linktype = linktype;
	s->n = 0;
	c->st.in_use++;
	return s;
}

int flowcap_add(struct flowcap *c, struct flowcap_slot *s, const uint8_t *data, uint32_t len,
		uint64_t ts_us)
{
	uint32_t caplen = len < FLOWCAP_SNAP ? len : FLOWCAP_SNAP;

	if (s->n >= FLOWCAP_PKTS)
		return -1;
	s->pkt[s->n].ts_us = ts_us;
	s->pkt[s->n].caplen = caplen;
	s->pkt[s->n].len = len;
	memcpy(s->pkt[s->n].data, data, caplen);
	s->n++;
	c->st.packets++;
	return 0;
}

int flowcap_hand(struct flowcap *c, struct flowcap_slot *s, struct monitor *m, uint32_t flow_id)
{
	struct monitor_pkt pkts[FLOWCAP_PKTS];
	unsigned i;

	for (i = 0; i < s->n; i++) {
		pkts[i].ts_us = s->pkt[i].ts_us;
		pkts[i].data = s->pkt[i].data;
		pkts[i].caplen = s->pkt[i].caplen;
		pkts[i].len = s->pkt[i].len;
	}
	c->st.handed++;
	/* the monitor copies the packets before it returns: the slot is free
	 * to be reused right after */
	if (!m || !s->n || monitor_capture(m, flow_id, s->linktype, pkts, s->n) < 0) {
		c->st.refused++;
		return -1;
	}
	return 0;
}

void flowcap_put(struct flowcap *c, struct flowcap_slot *s)
{
	s->next_free = c->free_list;
	c->free_list = s;
	c->st.in_use--;
}

void flowcap_stats(const struct flowcap *c, struct flowcap_stats *st)
{
	*st = c->st;
}
