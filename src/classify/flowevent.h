/* The daemon's flow events: a flow record (flowjson.h) with what the
 * policy did, when a flow's inspection ends ("flow"), and a short record
 * when it leaves the table ("flow_purge"). Fields: man/netify-json.7.
 * Written with jsonw, like the records: they are the packet path's JSON.
 */
#ifndef NETIFY_FLOWEVENT_H
#define NETIFY_FLOWEVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "jsonw.h"

struct engine;

/* What the policy did with a flow, as its events show it ("netify"). */
struct flowevent_outcome {
	const char *rule;		/* the winning rule's name, NULL if none */
	const char *action;		/* "allow", "block", "qos", "log", or "none" */
	const char *class_name;		/* QoS class of a qos rule, else NULL */
	const char *device;		/* `config device` of the local side, or NULL */
	bool blocked;
	bool has_mark;			/* the flow has a decision: mark holds its bits */
	uint32_t mark;
	const uint8_t *local_mac;	/* the local MAC from NFQUEUE, when the record has none */
};

/* {"type":"flow","flow":{...record..., "local_mac", "netify":{...}}} */
void flowevent_flow(struct jsonw *j, struct engine *e, const struct flow *f,
		    const struct flowevent_outcome *o);

/* {"type":"flow_purge","reason":...,"flow":{id, times, counters, "netify"}} */
void flowevent_purge(struct jsonw *j, struct engine *e, const struct flow *f, enum flow_purge why,
		     const struct flowevent_outcome *o);

#endif
