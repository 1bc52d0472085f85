/* The names a policy uses (app, category, proto), resolved from the
 * application catalog and nDPI's protocol names: the one resolver behind
 * `netify run`, `netify check` and `netify policy test`, so that a file
 * `check` accepts is one the daemon accepts.
 */
#ifndef NETIFY_POLICY_NAMES_H
#define NETIFY_POLICY_NAMES_H

#include "policy.h"

struct apps_db;
struct engine;

struct policy_catalog {
	const struct apps_db *apps;	/* NULL: no app or category is known */
	/* nDPI protocol name (any case) to id, -1 if unknown */
	int (*proto_id)(void *ctx, const char *name);
	void *proto_ctx;
};

/* The policy_names callbacks answering from n, which must outlive the
 * load. */
void policy_names_init(struct policy_catalog *n, struct policy_names *out);

/* proto_id through an engine's nDPI module (ctx: the engine). */
int policy_names_engine_proto(void *engine, const char *name);
/* proto_id through dpi_proto_by_name(): a process-wide nDPI module, for
 * commands that have no engine (ctx unused). */
int policy_names_dpi_proto(void *ctx, const char *name);

#endif
