/* Policy names from the catalog and nDPI (see names.h). */
#include <strings.h>

#include "apps.h"
#include "dpi.h"
#include "engine.h"
#include "names.h"

#define NAMES_NDPI_IDS 1024	/* nDPI protocol ids searched by name */

static int names_app(void *ctx, const char *tag)
{
	const struct names *n = ctx;

	return n->apps ? apps_find_tag(n->apps, tag) : -1;
}

static int names_category(void *ctx, const char *tag)
{
	const struct names *n = ctx;

	return n->apps ? apps_category_find(n->apps, tag) : -1;
}

static int names_proto(void *ctx, const char *name)
{
	const struct names *n = ctx;

	return n->proto_id ? n->proto_id(n->proto_ctx, name) : -1;
}

void names_policy(struct names *n, struct policy_names *out)
{
	*out = (struct policy_names){ names_app, names_category, names_proto, n };
}

/* Once per rule at load: a linear search is fine. */
int names_engine_proto(void *engine, const char *name)
{
	int id;

	for (id = 0; id < NAMES_NDPI_IDS; id++)
		if (!strcasecmp(engine_proto_name(engine, (uint16_t)id), name))
			return id;
	return -1;
}

int names_dpi_proto(void *ctx, const char *name)
{
	(void)ctx;
	return dpi_proto_by_name(name);
}
