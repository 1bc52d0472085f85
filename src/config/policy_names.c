/* Policy names from the catalog and nDPI (see policy_names.h). */
#include <strings.h>

#include "apps.h"
#include "dpi.h"
#include "engine.h"
#include "policy_names.h"

#define POLICY_NAMES_NDPI_IDS 1024	/* nDPI protocol ids searched by name */

static int policy_names_app(void *ctx, const char *tag)
{
	const struct policy_catalog *n = ctx;

	return n->apps ? apps_find_tag(n->apps, tag) : -1;
}

static int policy_names_category(void *ctx, const char *tag)
{
	const struct policy_catalog *n = ctx;

	return n->apps ? apps_category_find(n->apps, tag) : -1;
}

static int policy_names_proto(void *ctx, const char *name)
{
	const struct policy_catalog *n = ctx;

	return n->proto_id ? n->proto_id(n->proto_ctx, name) : -1;
}

void policy_names_init(struct policy_catalog *n, struct policy_names *out)
{
	*out = (struct policy_names){ policy_names_app, policy_names_category, policy_names_proto, n };
}

/* Once per rule at load: a linear search is fine. */
int policy_names_engine_proto(void *engine, const char *name)
{
	int id;

	for (id = 0; id < POLICY_NAMES_NDPI_IDS; id++)
		if (!strcasecmp(engine_proto_name(engine, (uint16_t)id), name))
			return id;
	return -1;
}

int policy_names_dpi_proto(void *ctx, const char *name)
{
	(void)ctx;
	return dpi_proto_by_name(name);
}
