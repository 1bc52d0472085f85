/* The daemon's flow events (see flowevent.h). */
#include "engine.h"
#include "flowevent.h"
#include "flowjson.h"

/* What the winning rule said. */
static void flowevent_rule(struct jsonw *j, const struct flowevent_outcome *o)
{
	jsonw_kv_str(j, "rule", o->rule);
	jsonw_kv_str(j, "action", o->action);
	jsonw_kv_str(j, "class", o->class_name);
}

static void flowevent_outcome(struct jsonw *j, const struct flowevent_outcome *o)
{
	jsonw_name(j, "netify");
	jsonw_map_open(j);
	flowevent_rule(j, o);
	jsonw_kv_bool(j, "blocked", o->blocked);
	if (o->has_mark)
		jsonw_kv_int(j, "mark", o->mark);
	jsonw_kv_str(j, "device", o->device);
	jsonw_map_close(j);
}

void flowevent_flow(struct jsonw *j, struct engine *e, const struct flow *f,
		    const struct flowevent_outcome *o)
{
	flowjson_open(j, e, f);
	if (o->local_mac)
		flowjson_kv_mac(j, "local_mac", o->local_mac);
	flowevent_outcome(j, o);
	flowjson_close(j);
}

void flowevent_purge(struct jsonw *j, struct engine *e, const struct flow *f, enum flow_purge why,
		     const struct flowevent_outcome *o)
{
	uint8_t l = engine_local_side(e, f);

	jsonw_map_open(j);
	jsonw_kv_str(j, "type", "flow_purge");
	jsonw_kv_str(j, "reason", flow_purge_name(why));
	jsonw_name(j, "flow");
	jsonw_map_open(j);
	jsonw_kv_int(j, "flow_id", f->id);
	jsonw_kv_int(j, "first_seen_at", (long long)f->first_seen);
	jsonw_kv_int(j, "last_seen_at", (long long)f->last_seen);
	jsonw_kv_int(j, "local_packets", f->packets[l]);
	jsonw_kv_int(j, "other_packets", f->packets[!l]);
	jsonw_kv_int(j, "local_bytes", (long long)f->bytes[l]);
	jsonw_kv_int(j, "other_bytes", (long long)f->bytes[!l]);
	flowevent_outcome(j, o);
	jsonw_map_close(j);
	jsonw_map_close(j);
}
