/* Unknown-flow captures (see flowcap.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "flowcap.h"

struct flowcap_slot {
	struct flowcap_slot *next_free;
	uint32_t linktype;		/* pcap DLT */
	uint8_t n;			/* packets held */
	bool pending;			/* ended unknown mid-packet: hand over after it */
	struct {
		uint64_t ts_us;
		uint32_t caplen, len;
		uint8_t data[FLOWCAP_SNAP];
	} pkt[FLOWCAP_PKTS];
};

struct flowcap {
	struct flowcap_slot *slots, *free_list;
	uint32_t capacity, fresh;	/* slots[fresh..capacity) never used yet */
	size_t file_max;
	flowcap_sink sink;
	void *ctx;
	struct flowcap_stats st;
};

struct flowcap *flowcap_new(uint32_t slots, size_t file_max, flowcap_sink sink, void *ctx)
{
	struct flowcap *c;

	if (!slots || file_max < FLOWCAP_PCAP_HDR) {
		errno = EINVAL;
		return NULL;
	}
	if (!(c = calloc(1, sizeof(*c))))
		return NULL;
	if (!(c->slots = calloc(slots, sizeof(*c->slots)))) {
		free(c);
		return NULL;
	}
	/* handed out in index order (no free list threaded through them):
	 * the slots' pages are touched only as flows use them */
	c->capacity = slots;
	c->file_max = file_max < FLOWCAP_FILE_MAX ? file_max : FLOWCAP_FILE_MAX;
	c->sink = sink;
	c->ctx = ctx;
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

/* ---- the pcap file layout ---- */

static void flowcap_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);	/* pcap files are in the writer's byte order */
}

size_t flowcap_pcap_build(uint8_t *out, size_t cap, uint32_t dlt, const struct flowcap_pkt *pkts, unsigned n)
{
	static const uint16_t ver[2] = { 2, 4 };
	size_t off = FLOWCAP_PCAP_HDR;
	unsigned i;

	flowcap_put32(out, 0xa1b2c3d4);	/* microsecond timestamps */
	memcpy(out + 4, ver, 4);
	memset(out + 8, 0, 8);		/* thiszone, sigfigs */
	flowcap_put32(out + 16, 65535);
	flowcap_put32(out + 20, dlt);
	for (i = 0; i < n; i++) {
		if (!pkts[i].data || off + FLOWCAP_REC_HDR + pkts[i].caplen > cap)
			break;
		flowcap_put32(out + off, (uint32_t)(pkts[i].ts_us / 1000000));
		flowcap_put32(out + off + 4, (uint32_t)(pkts[i].ts_us % 1000000));
		flowcap_put32(out + off + 8, pkts[i].caplen);
		flowcap_put32(out + off + 12, pkts[i].len > pkts[i].caplen ? pkts[i].len : pkts[i].caplen);
		memcpy(out + off + FLOWCAP_REC_HDR, pkts[i].data, pkts[i].caplen);
		off += FLOWCAP_REC_HDR + pkts[i].caplen;
	}
	return off;
}

/* ---- slots ---- */

static struct flowcap_slot *flowcap_get(struct flowcap *c, uint32_t linktype)
{
	struct flowcap_slot *s = c->free_list;

	if (s) {
		c->free_list = s->next_free;
	} else if (c->fresh < c->capacity) {
		s = &c->slots[c->fresh++];
	} else {
		c->st.pool_empty++;
		return NULL;
	}
	s->next_free = NULL;
	s->linktype = linktype;
	s->n = 0;
	s->pending = false;
	c->st.in_use++;
	return s;
}

static void flowcap_add(struct flowcap *c, struct flowcap_slot *s, const uint8_t *data, uint32_t len,
			uint64_t ts_us)
{
	uint32_t caplen = len < FLOWCAP_SNAP ? len : FLOWCAP_SNAP;

	if (s->n >= FLOWCAP_PKTS)
		return;
	s->pkt[s->n].ts_us = ts_us;
	s->pkt[s->n].caplen = caplen;
	s->pkt[s->n].len = len;
	memcpy(s->pkt[s->n].data, data, caplen);
	s->n++;
	c->st.packets++;
}

/* The slot's packets as one pcap file, to the sink. */
static void flowcap_hand(struct flowcap *c, struct flowcap_slot *s, uint32_t flow_id)
{
	struct flowcap_pkt pkts[FLOWCAP_PKTS];
	uint8_t file[FLOWCAP_FILE_MAX];
	size_t len;
	unsigned i;

	for (i = 0; i < s->n; i++)
		pkts[i] = (struct flowcap_pkt){ s->pkt[i].ts_us, s->pkt[i].data, s->pkt[i].caplen, s->pkt[i].len };
	c->st.handed++;
	if (!s->n || !c->sink) {
		c->st.refused++;
		return;
	}
	len = flowcap_pcap_build(file, c->file_max, s->linktype, pkts, s->n);
	if (c->sink(c->ctx, flow_id, file, len) < 0)
		c->st.refused++;
}

/* Hands the flow's packets over if it ended unknown, then frees its slot. */
static void flowcap_end(struct flowcap *c, struct flowcap_slot **slot, const struct flow *f)
{
	struct flowcap_slot *s = *slot;

	if (!s)
		return;
	if (s->pending)
		flowcap_hand(c, s, f->id);
	s->next_free = c->free_list;
	c->free_list = s;
	c->st.in_use--;
	*slot = NULL;
}

/* ---- flows ---- */

/* Neither nDPI nor the definitions could name it. */
static bool flowcap_wanted(const struct flow *f)
{
	return !f->proto_master && f->app_id < 0;
}

void flowcap_packet(struct flowcap *c, struct flowcap_slot **slot, const struct flow *f, bool created,
		    enum link_type lt, const uint8_t *data, uint32_t len, uint64_t ts_us)
{
	int dlt;

	if (!c)
		return;
	if (created && f->state == FLOW_INSPECTING && (dlt = decode_link_to_dlt(lt)) >= 0)
		*slot = flowcap_get(c, (uint32_t)dlt);
	if (!*slot)
		return;
	flowcap_add(c, *slot, data, len, ts_us);
	if (f->state == FLOW_DONE)
		flowcap_end(c, slot, f);
}

void flowcap_flow_done(struct flowcap *c, struct flowcap_slot **slot, const struct flow *f, bool in_packet)
{
	if (!*slot)
		return;
	(*slot)->pending = flowcap_wanted(f);
	if (!(*slot)->pending || !in_packet)
		flowcap_end(c, slot, f);
}

void flowcap_flow_gone(struct flowcap *c, struct flowcap_slot **slot, const struct flow *f)
{
	flowcap_end(c, slot, f);
}

void flowcap_stats(const struct flowcap *c, struct flowcap_stats *st)
{
	*st = c->st;
}
