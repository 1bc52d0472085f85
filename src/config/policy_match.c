/*
 * policy_match.c - the packet path of the policy: which rule a flow hits
 * (first match, log rules go on; semantics in policy.h) and which device a
 * host is.
 */
#include <string.h>
#include <sys/socket.h>

#include "policy.h"

/* ---- matching ---- */

void policy_input_init(struct policy_input *in)
{
	memset(in, 0, sizeof(*in));
	in->app_id = in->app_master_id = in->app_ndpi_id = in->category_id = -1;
	in->proto_id = in->proto_master_id = in->proto_ip_id = -1;
}

static bool policy_cidr_contains(const struct policy_cidr *c,
				 const uint8_t *addr)
{
	unsigned int full = c->prefix / 8, rest = c->prefix % 8;

	if (memcmp(c->addr, addr, full))
		return false;
	return !rest || !((c->addr[full] ^ addr[full]) &
			  (uint8_t)(0xff << (8 - rest)));
}

static bool policy_source_ok(const struct policy_rule *r,
			     const struct policy_input *in)
{
	bool hit = false;

	if (r->src_iface.n) {
		size_t i;

		for (i = 0; in->ifname && i < r->src_iface.n &&
			    strcmp(r->src_iface.v[i], in->ifname); i++)
			;
		if (!in->ifname || i == r->src_iface.n)
			return false;
	}
	if (!r->mac_set.n && !r->ip_set.n)
		return true;
	for (size_t i = 0; in->has_mac && !hit && i < r->mac_set.n; i++)
		hit = !memcmp(r->mac_set.v[i], in->mac, 6);
	for (size_t i = 0; in->family && !hit && i < r->ip_set.n; i++)
		hit = r->ip_set.v[i].family == in->family &&
		      policy_cidr_contains(&r->ip_set.v[i], in->addr);
	return hit;
}

static bool policy_id_in(const struct policy_ids *ids, int id)
{
	for (size_t i = 0; id >= 0 && i < ids->n; i++)
		if (ids->v[i] == id)
			return true;
	return false;
}

static bool policy_traffic_ok(const struct policy_rule *r,
			      const struct policy_input *in)
{
	if (!r->app_ids.n && !r->category_ids.n && !r->proto_ids.n)
		return true;
	return policy_id_in(&r->app_ids, in->app_id) ||
	       policy_id_in(&r->app_ids, in->app_master_id) ||
	       policy_id_in(&r->app_ids, in->app_ndpi_id) ||
	       policy_id_in(&r->category_ids, in->category_id) ||
	       policy_id_in(&r->proto_ids, in->proto_id) ||
	       policy_id_in(&r->proto_ids, in->proto_master_id) ||
	       policy_id_in(&r->proto_ids, in->proto_ip_id);
}

static const uint8_t policy_no_mac[6];

/* A limit rule matches once its budget is spent, and only then. */
static bool policy_limit_spent(const struct policy_rule *r,
			       const struct policy_input *in, time_t now)
{
	return in->limit_spent &&
	       in->limit_spent(in->limit_ctx, r->limit_key,
			       in->has_mac ? in->mac : policy_no_mac, now);
}

bool policy_rule_active(const struct policy_rule *r, time_t now)
{
	return r->enabled && sched_active(&r->sched, now);
}

const struct policy_rule *policy_match_ex(const struct policy *p,
					  const struct policy_input *in,
					  time_t now, unsigned int flags,
					  int *index,
					  const struct policy_rule **logged,
					  size_t max_logged, size_t *n_logged)
{
	size_t nlog = 0;

	if (index)
		*index = -1;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		/* cheapest test first: most rules name an app or protocol */
		if (!r->enabled || !policy_traffic_ok(r, in) ||
		    !policy_source_ok(r, in))
			continue;
		if (!(flags & POLICY_MATCH_IGNORE_SCHEDULE) &&
		    !sched_active(&r->sched, now))
			continue;
		if (r->limit_key && !policy_limit_spent(r, in, now))
			continue;
		if (r->action == POLICY_LOG) {
			if (logged && nlog < max_logged)
				logged[nlog] = r;
			nlog++;
			continue;
		}
		if (index)
			*index = (int)i;
		if (n_logged)
			*n_logged = nlog;
		return r;
	}
	if (n_logged)
		*n_logged = nlog;
	return NULL;
}

const struct policy_rule *policy_match(const struct policy *p,
				       const struct policy_input *in,
				       time_t now, int *index)
{
	return policy_match_ex(p, in, now, 0, index, NULL, 0, NULL);
}

size_t policy_limits(const struct policy *p, const struct policy_input *in,
		     time_t now, int upto, uint64_t *keys, size_t max)
{
	size_t end = upto >= 0 && (size_t)upto < p->n_rules ? (size_t)upto :
							     p->n_rules;
	size_t n = 0;

	for (size_t i = 0; p->n_limits && i < end && n < max; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->limit_key && r->enabled && policy_traffic_ok(r, in) &&
		    policy_source_ok(r, in) && sched_active(&r->sched, now))
			keys[n++] = r->limit_key;
	}
	return n;
}

const struct policy_rule *policy_rule_find_limit(const struct policy *p,
						 uint64_t key)
{
	for (size_t i = 0; key && p && i < p->n_rules; i++)
		if (p->rules[i].limit_key == key)
			return &p->rules[i];
	return NULL;
}

const char *policy_device_name(const struct policy *p, const uint8_t *mac,
			       int family, const uint8_t *addr)
{
	size_t i, j;

	for (i = 0; p && i < p->n_devices; i++) {
		const struct policy_device *dv = &p->devices[i];

		for (j = 0; mac && j < dv->macs.n; j++)
			if (!memcmp(dv->macs.v[j], mac, 6))
				return dv->name;
		for (j = 0; j < dv->ips.n; j++)
			if (dv->ips.v[j].family == family &&
			    !memcmp(dv->ips.v[j].addr, addr,
				    family == AF_INET ? 4 : 16))
				return dv->name;
	}
	return NULL;
}

const char *policy_rule_name(const struct policy_rule *r)
{
	return r->name;
}

enum policy_action policy_rule_action(const struct policy_rule *r)
{
	return r->action;
}

const struct policy_class *policy_rule_class(const struct policy_rule *r)
{
	return r->class;
}
