/* What the daemon tells the usage accounting about a flow it decided. */
#ifndef NETIFY_USAGE_UFLOW_H
#define NETIFY_USAGE_UFLOW_H

#include <stdint.h>

#include "ct.h"

#define USAGE_FLOW_LIMITS 4	/* limits one flow can count against */

struct usage_flow {
	struct ct_tuple tuple;	/* original direction, as the forward hook saw it
				 * (after DNAT, before SNAT), as ct.h uses it */
	uint64_t flow_id;	/* netify's flow id: the same flow decided again updates */
	uint8_t mac[6];		/* the local device; all zero if unknown */
	uint8_t local_is_src;	/* the device opened the connection (tuple.src is the device) */
	uint8_t blocked;	/* the decision blocks it: its bytes are not use */
	uint8_t n_limits;	/* entries used in limits[] */
	int32_t app;		/* catalog application id, -1 unknown */
	int32_t category;	/* its category id, -1 none */
	int32_t rule;		/* the deciding rule's index, -1 none (reported, not used) */
	uint64_t limits[USAGE_FLOW_LIMITS];	/* ulimit_key() of each limit rule whose scope holds the flow */
};

#endif
