/*
 * policy.c - load /etc/config/netify into an immutable struct policy
 * (semantics in policy.h): sections, the checks and names that span them,
 * load and free. The option tables and value parsers are policy_schema.c,
 * matching is policy_match.c.
 *
 * Loading is table driven: each section type has a static array of option
 * name -> value kind -> field offset (as libubox's blobmsg_policy), one
 * parser per kind, and a resolve pass for what spans sections (classes,
 * devices, groups, names from the app catalog and nDPI).  Errors never stop
 * the load early: every problem in the file is reported in one go, then the
 * half-built policy is thrown away.
 */
#define _GNU_SOURCE	/* asprintf */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "policy_int.h"
#include "sfile.h"
#include "util.h"

/* Messages quote the user's bytes and end up in JSON: keep them UTF-8. */
static void policy_utf8_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;
	unsigned int n;

	for (; *p; p += n) {
		n = (unsigned int)util_utf8_seq(p, 4);
		if (!n) {
			*p = '?';
			n = 1;
		}
	}
}

static void policy_verr(struct policy_load_ctx *c, int line,
			const struct policy_where *w, const char *fmt,
			va_list ap)
{
	struct policy_errors *e = c->errs;
	char msg[POLICY_ERROR_LEN];
	int n;

	c->failed = true;
	if (!e)
		return;
	if (e->count >= POLICY_ERRORS_MAX) {
		e->dropped++;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* line 0: about the file as a whole (unreadable, out of memory) */
	n = line ? snprintf(e->msg[e->count], POLICY_ERROR_LEN, "%s:%d: ",
			    c->file, line) :
		   snprintf(e->msg[e->count], POLICY_ERROR_LEN, "%s: ", c->file);
	if (w && n >= 0 && (size_t)n < POLICY_ERROR_LEN)
		n += snprintf(e->msg[e->count] + n, POLICY_ERROR_LEN - (size_t)n,
			      "%s: ", w->label);
	if (n >= 0 && (size_t)n < POLICY_ERROR_LEN)
		snprintf(e->msg[e->count] + n, POLICY_ERROR_LEN - (size_t)n,
			 "%s", msg);
	policy_utf8_scrub(e->msg[e->count]);
	e->count++;
}

void policy_err(struct policy_load_ctx *c, int line,
		const struct policy_where *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	policy_verr(c, line, w, fmt, ap);
	va_end(ap);
}

/* ---- sections ---- */

static int policy_main_defaults(struct policy_main *m)
{
	memset(m, 0, sizeof(*m));
	m->enabled = true;
	m->packet_budget = 32;
	m->fail_open = true;
	m->mark_mask = 0x00ff0000;
	m->block_mode = POLICY_BLOCK_REJECT;
	m->block_timeout = 300;
	m->monitor_framing = POLICY_FRAMING_NDJSON;
	m->status_interval = 10;
	/* flow_table_size, dns_cache_size, inspect_slots: 0 = from the RAM
	 * the box has, at start (src/daemon/sizing.c) */
	m->dpi_share = 2;
	m->worker_priority = 1;
	m->dns_ttl_min = 60;
	m->dns_ttl_max = 86400;
	m->capture_unknown_max_files = 100;
	m->capture_unknown_max_bytes = 65536;
	m->log_level = LOG_NOTICE;
	m->monitor_socket = strdup("/var/run/netify/netify.sock");
	m->monitor_group = strdup("netify");
	m->control_socket = strdup("/var/run/netify/control.sock");
	m->apps_dir = strdup("/etc/netify/apps.d");
	m->usage = true;
	m->usage_dir = strdup("/var/run/netify");
	m->usage_save_interval = 300;
	m->usage_persist_interval = 21600;
	m->usage_max_entries = 4096;
	m->usage_min_bytes = 1;
	m->usage_refresh = 2;
	if (!m->monitor_socket || !m->monitor_group || !m->control_socket ||
	    !m->apps_dir || !m->usage_dir)
		return -1;
	return 0;
}

static void policy_export_defaults(struct policy_export *x)
{
	memset(x, 0, sizeof(*x));
	x->observation_domain = 1;
	x->active_timeout = 120;
	x->template_refresh = 60;
	x->template_refresh_packets = 1000;
	x->mtu = 1400;
	x->queue = 512;
	x->rate = 20000;
	x->flush = 500;
	x->max_conns = 8192;
}

static void policy_load_export(struct policy_load_ctx *c,
			       const struct uci_sec *s)
{
	struct policy_where w = { "export", s->line };

	if (s->name)
		snprintf(w.label, sizeof(w.label), "export '%s'", s->name);
	if (c->p->export.line) {
		policy_err(c, s->line, &w, "only one 'config export' section "
			   "is allowed (line %d has one)", c->p->export.line);
		return;
	}
	c->p->export.line = s->line;
	policy_apply_section(c, &w, POLICY_SEC_EXPORT, &c->p->export, s);
	if (c->p->export.enabled && !c->p->export.collector.n)
		policy_err(c, s->line, &w, "an enabled export needs at least "
			   "one 'collector' (host:port)");
}

static void policy_load_main(struct policy_load_ctx *c,
			     const struct uci_sec *s, int *seen)
{
	struct policy_where w = { "main", s->line };

	if (s->name && strcmp(s->name, "main"))
		snprintf(w.label, sizeof(w.label), "netify '%s'", s->name);
	if (++*seen > 1) {
		policy_err(c, s->line, &w, "only one 'config netify' "
			   "section is allowed");
		return;
	}
	policy_apply_section(c, &w, POLICY_SEC_MAIN,
			     &c->p->main, s);
}

/* A rule's daily limit: its options, and what a limit rule must have. */
static void policy_load_limit(struct policy_load_ctx *c,
			      const struct policy_where *w,
			      struct policy_rule *r, const struct uci_sec *s,
			      bool named)
{
	static const char *const only[] = { "limit_warn", "limit_per" };

	if (!r->time_limit && !r->volume_limit) {
		for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++)
			if (uci_opt_get(s, only[i]))
				policy_err(c, uci_opt_get(s, only[i])->line, w,
					   "option '%s' needs 'time_limit' or "
					   "'volume_limit'", only[i]);
		return;
	}
	/* a limit rule blocks once spent unless it says otherwise */
	if (!uci_opt_get(s, "action"))
		r->action = POLICY_BLOCK;
	else if (r->action == POLICY_ALLOW)
		policy_err(c, uci_opt_get(s, "action")->line, w, "a limit rule "
			   "must block, qos or log once its limit is reached, "
			   "not allow");
	/* the budget is kept by the rule's name across reloads and restarts */
	if (!named)
		policy_err(c, s->line, w, "a rule with a limit needs a name "
			   "(option name, or config rule 'NAME'): its budget is "
			   "kept by name");
	else if (r->name && strlen(r->name) > POLICY_LIMIT_NAME_MAX)
		policy_err(c, s->line, w, "the name of a rule with a limit is "
			   "at most %u bytes", POLICY_LIMIT_NAME_MAX);
	if (r->name)
		r->limit_key = policy_limit_key(r->name);
}

/* Limit rules are kept by name: no two alike, and a bounded number. */
static void policy_check_limits(struct policy_load_ctx *c)
{
	struct policy *p = c->p;

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (!r->limit_key)
			continue;
		if (r->enabled && ++p->n_limits == POLICY_LIMITS_MAX + 1)
			policy_err(c, r->line, NULL, "rule '%s': more than %u "
				   "rules with a limit", r->name,
				   POLICY_LIMITS_MAX);
		for (size_t j = 0; j < i; j++)
			if (p->rules[j].limit_key &&
			    !strcmp(p->rules[j].name, r->name))
				policy_err(c, r->line, NULL, "rule '%s': "
					   "another rule with a limit has this "
					   "name (line %d); limits are kept by "
					   "name", r->name, p->rules[j].line);
	}
}

static void policy_load_rule(struct policy_load_ctx *c,
			     const struct uci_sec *s)
{
	struct policy_rule *r = &c->p->rules[c->p->n_rules];
	const char *name = uci_get_str(s, "name", s->name);
	struct policy_where w;
	int rc;

	r->index = (int)c->p->n_rules++;
	r->line = s->line;
	r->enabled = true;
	r->action = __POLICY_ACTION_MAX;
	r->limit_warn = 80;
	sched_init(&r->sched);
	/* the name shown in messages, `check` and flow records */
	if (name)
		rc = asprintf(&r->name, "%s", name);
	else
		rc = asprintf(&r->name, "@rule[%d]", s->anon_index);
	if (rc < 0)
		r->name = NULL;
	snprintf(w.label, sizeof(w.label), "rule '%s'", r->name ? r->name : "");
	w.line = s->line;
	policy_apply_section(c, &w, POLICY_SEC_RULE, r, s);
	if (!r->name)
		policy_err(c, s->line, &w, "out of memory");
	policy_load_limit(c, &w, r, s, name != NULL);
	if (!uci_opt_get(s, "action") && !r->time_limit && !r->volume_limit)
		policy_err(c, s->line, &w, "option 'action' is required "
			   "(allow, block, qos or log)");
}

/* Sections named by their section name: class, device, group. */
static bool policy_named(struct policy_load_ctx *c, const struct uci_sec *s,
			 struct policy_where *w, char **name)
{
	snprintf(w->label, sizeof(w->label), "%s '%s'", s->type,
		 s->name ? s->name : "");
	w->line = s->line;
	if (!s->name) {
		snprintf(w->label, sizeof(w->label), "%s @%s[%d]", s->type,
			 s->type, s->anon_index);
		policy_err(c, s->line, w, "a %s section needs a name "
			   "(config %s 'NAME')", s->type, s->type);
		return false;
	}
	*name = strdup(s->name);
	if (!*name)
		policy_err(c, s->line, w, "out of memory");
	return *name != NULL;
}

static void policy_load_class(struct policy_load_ctx *c,
			      const struct uci_sec *s)
{
	struct policy_class *k = &c->p->classes[c->p->n_classes];
	struct policy_where w;

	if (!policy_named(c, s, &w, &k->name))
		return;
	c->p->n_classes++;
	k->line = s->line;
	k->dscp = -1;
	k->priority = -1;
	policy_apply_section(c, &w, POLICY_SEC_CLASS, k, s);
	if (!uci_opt_get(s, "mark"))
		policy_err(c, s->line, &w, "option 'mark' is required "
			   "(1..%u)", POLICY_CLASS_MARK_MAX);
}

static void policy_load_device(struct policy_load_ctx *c,
			       const struct uci_sec *s)
{
	struct policy_device *d = &c->p->devices[c->p->n_devices];
	struct policy_where w;

	if (!policy_named(c, s, &w, &d->name))
		return;
	c->p->n_devices++;
	d->line = s->line;
	policy_apply_section(c, &w, POLICY_SEC_DEVICE, d, s);
	if (!uci_opt_get(s, "mac") && !uci_opt_get(s, "ip"))
		policy_err(c, s->line, &w, "a device needs at least one "
			   "'mac' or 'ip'");
}

static void policy_load_group(struct policy_load_ctx *c,
			      const struct uci_sec *s)
{
	struct policy_group *g = &c->p->groups[c->p->n_groups];
	struct policy_where w;

	if (!policy_named(c, s, &w, &g->name))
		return;
	c->p->n_groups++;
	g->line = s->line;
	policy_apply_section(c, &w, POLICY_SEC_GROUP, g, s);
	if (!uci_opt_get(s, "device"))
		policy_err(c, s->line, &w, "a group needs at least one "
			   "'device'");
}

static const char *const policy_section_types[] = {
	"netify", "rule", "class", "device", "group",
};

static int policy_alloc_sections(struct policy_load_ctx *c,
				 const struct uci_pkg *pkg)
{
	size_t n[5] = { 0 };
	bool over = false;

	/* reported at the first section past its type's limit */
	for (const struct uci_sec *s = pkg->secs; s; s = s->next)
		for (size_t t = 1; t < 5; t++) {
			size_t max = t == 1 ? POLICY_RULES_MAX : POLICY_OBJECTS_MAX;

			if (strcmp(s->type, policy_section_types[t]) || ++n[t] != max + 1)
				continue;
			policy_err(c, s->line, NULL, "too many '%s' sections (at most %zu)",
				   policy_section_types[t], max);
			over = true;
		}
	if (over)
		return -1;
	c->p->rules = calloc(n[1] + 1, sizeof(*c->p->rules));
	c->p->classes = calloc(n[2] + 1, sizeof(*c->p->classes));
	c->p->devices = calloc(n[3] + 1, sizeof(*c->p->devices));
	c->p->groups = calloc(n[4] + 1, sizeof(*c->p->groups));
	if (!c->p->rules || !c->p->classes || !c->p->devices || !c->p->groups) {
		policy_err(c, 0, NULL, "out of memory");
		return -1;
	}
	return 0;
}

static void policy_load_sections(struct policy_load_ctx *c,
				 const struct uci_pkg *pkg)
{
	int seen_main = 0;

	for (const struct uci_sec *s = pkg->secs; s; s = s->next) {
		if (!strcmp(s->type, "netify"))
			policy_load_main(c, s, &seen_main);
		else if (!strcmp(s->type, "rule"))
			policy_load_rule(c, s);
		else if (!strcmp(s->type, "class"))
			policy_load_class(c, s);
		else if (!strcmp(s->type, "device"))
			policy_load_device(c, s);
		else if (!strcmp(s->type, "group"))
			policy_load_group(c, s);
		else if (!strcmp(s->type, "export"))
			policy_load_export(c, s);
		else
			policy_err(c, s->line, NULL, "unknown section type "
				   "'%s' (netify, rule, class, device, group "
				   "or export)", s->type);
	}
}

/* ---- cross-section checks and name resolution ---- */

static const struct policy_class *policy_find_class(const struct policy *p,
						    const char *name)
{
	for (size_t i = 0; i < p->n_classes; i++)
		if (!strcmp(p->classes[i].name, name))
			return &p->classes[i];
	return NULL;
}

static const struct policy_device *policy_find_device(const struct policy *p,
						      const char *name)
{
	for (size_t i = 0; i < p->n_devices; i++)
		if (!strcmp(p->devices[i].name, name))
			return &p->devices[i];
	return NULL;
}

static const struct policy_group *policy_find_group(const struct policy *p,
						    const char *name)
{
	for (size_t i = 0; i < p->n_groups; i++)
		if (!strcmp(p->groups[i].name, name))
			return &p->groups[i];
	return NULL;
}

static void policy_check_main(struct policy_load_ctx *c)
{
	const struct policy_main *m = &c->p->main;
	uint32_t mask = m->mark_mask;
	struct policy_where w = { "main", 0 };

	if (m->dns_ttl_min > m->dns_ttl_max)
		policy_err(c, 1, &w, "dns_ttl_min (%u) is above dns_ttl_max "
			   "(%u)", m->dns_ttl_min, m->dns_ttl_max);
	/* the daemon shifts values into the mask: it must be one run of bits */
	if (!mask || ((mask >> __builtin_ctz(mask)) &
		      ((mask >> __builtin_ctz(mask)) + 1)))
		policy_err(c, 1, &w, "mark_mask 0x%08x must be one contiguous, "
			   "non-zero run of bits", mask);
	for (size_t i = 0; mask && i < c->p->n_classes; i++) {
		const struct policy_class *k = &c->p->classes[i];

		if ((uint64_t)k->mark > (mask >> __builtin_ctz(mask)))
			policy_err(c, k->line, NULL, "class '%s': mark %u does "
				   "not fit in mark_mask 0x%08x", k->name,
				   k->mark, mask);
	}
}

static void policy_check_groups(struct policy_load_ctx *c)
{
	for (size_t i = 0; i < c->p->n_groups; i++) {
		const struct policy_group *g = &c->p->groups[i];

		for (size_t j = 0; j < g->devices.n; j++)
			if (!policy_find_device(c->p, g->devices.v[j]))
				policy_err(c, g->line, NULL, "group '%s': "
					   "unknown device '%s'", g->name,
					   g->devices.v[j]);
	}
}

static int policy_add_device(struct policy_rule *r,
			     const struct policy_device *d)
{
	for (size_t i = 0; i < d->macs.n; i++)
		if (policy_vec_push((void **)&r->mac_set.v, &r->mac_set.n, 6,
				    d->macs.v[i]) < 0)
			return -1;
	for (size_t i = 0; i < d->ips.n; i++)
		if (policy_vec_push((void **)&r->ip_set.v, &r->ip_set.n,
				    sizeof(d->ips.v[i]), &d->ips.v[i]) < 0)
			return -1;
	return 0;
}

static int policy_add_group(const struct policy *p, struct policy_rule *r,
			    const struct policy_group *g)
{
	for (size_t i = 0; i < g->devices.n; i++) {
		const struct policy_device *d =
			policy_find_device(p, g->devices.v[i]);

		if (d && policy_add_device(r, d) < 0)
			return -1;
	}
	return 0;
}

static int policy_copy_source(struct policy_rule *r)
{
	for (size_t i = 0; i < r->src_mac.n; i++)
		if (policy_vec_push((void **)&r->mac_set.v, &r->mac_set.n, 6,
				    r->src_mac.v[i]) < 0)
			return -1;
	for (size_t i = 0; i < r->src_ip.n; i++)
		if (policy_vec_push((void **)&r->ip_set.v, &r->ip_set.n,
				    sizeof(r->src_ip.v[i]), &r->src_ip.v[i]) < 0)
			return -1;
	return 0;
}

static void policy_resolve_source(struct policy_load_ctx *c,
				  struct policy_rule *r)
{
	int rc = policy_copy_source(r);

	for (size_t i = 0; rc == 0 && i < r->device.n; i++) {
		const struct policy_device *d =
			policy_find_device(c->p, r->device.v[i]);

		if (!d)
			policy_err(c, r->line, NULL, "rule '%s': unknown "
				   "device '%s'", r->name, r->device.v[i]);
		else
			rc = policy_add_device(r, d);
	}
	for (size_t i = 0; rc == 0 && i < r->group.n; i++) {
		const struct policy_group *g =
			policy_find_group(c->p, r->group.v[i]);

		if (!g)
			policy_err(c, r->line, NULL, "rule '%s': unknown "
				   "group '%s'", r->name, r->group.v[i]);
		else
			rc = policy_add_group(c->p, r, g);
	}
	if (rc < 0)
		policy_err(c, r->line, NULL, "out of memory");
}

static void policy_resolve_ids(struct policy_load_ctx *c,
			       struct policy_rule *r,
			       const struct policy_strs *names,
			       struct policy_ids *ids,
			       int (*lookup)(void *, const char *),
			       const char *what)
{
	for (size_t i = 0; i < names->n; i++) {
		int id = lookup ? lookup(c->names->ctx, names->v[i]) : -1;

		if (id < 0) {
			policy_err(c, r->line, NULL, "rule '%s': unknown %s "
				   "'%s'", r->name, what, names->v[i]);
			continue;
		}
		if (policy_vec_push((void **)&ids->v, &ids->n, sizeof(id),
				    &id) < 0)
			policy_err(c, r->line, NULL, "out of memory");
	}
}

static void policy_resolve_class(struct policy_load_ctx *c,
				 struct policy_rule *r)
{
	if (r->action == POLICY_QOS && !r->class_name) {
		policy_err(c, r->line, NULL, "rule '%s': action 'qos' needs "
			   "option 'class'", r->name);
	} else if (r->action != POLICY_QOS && r->class_name &&
		   r->action != __POLICY_ACTION_MAX) {
		policy_err(c, r->line, NULL, "rule '%s': option 'class' is "
			   "only valid with action 'qos'", r->name);
	} else if (r->class_name) {
		r->class = policy_find_class(c->p, r->class_name);
		if (!r->class)
			policy_err(c, r->line, NULL, "rule '%s': unknown "
				   "class '%s'", r->name, r->class_name);
	}
}

static void policy_resolve_rules(struct policy_load_ctx *c)
{
	static const struct policy_names none;
	const struct policy_names *n = c->names ? c->names : &none;

	c->names = n;
	for (size_t i = 0; i < c->p->n_rules; i++) {
		struct policy_rule *r = &c->p->rules[i];

		if (!r->name)
			continue;
		policy_resolve_class(c, r);
		policy_resolve_source(c, r);
		policy_resolve_ids(c, r, &r->app, &r->app_ids, n->app_id,
				   "application");
		policy_resolve_ids(c, r, &r->category, &r->category_ids,
				   n->category_id, "category");
		policy_resolve_ids(c, r, &r->proto, &r->proto_ids,
				   n->proto_id, "protocol");
	}
}

/* ---- load / free ---- */

static struct policy *policy_build(struct policy_load_ctx *c,
				   const struct uci_pkg *pkg)
{
	c->p = calloc(1, sizeof(*c->p));
	if (!c->p || !(c->p->file = strdup(c->file)) ||
	    policy_main_defaults(&c->p->main) < 0) {
		policy_err(c, 0, NULL, "out of memory");
		goto out_free;
	}
	policy_export_defaults(&c->p->export);
	if (policy_alloc_sections(c, pkg) < 0)
		goto out_free;
	policy_load_sections(c, pkg);
	policy_check_main(c);
	policy_check_groups(c);
	policy_check_limits(c);
	policy_resolve_rules(c);
	if (c->failed)
		goto out_free;
	return c->p;

out_free:
	policy_free(c->p);
	return NULL;
}

static void policy_uci_error(struct policy_load_ctx *c,
			     const struct uci_err *ue)
{
	char buf[POLICY_ERROR_LEN];

	uci_err_format(ue, buf, sizeof(buf));
	c->failed = true;
	if (c->errs && c->errs->count < POLICY_ERRORS_MAX)
		snprintf(c->errs->msg[c->errs->count++], POLICY_ERROR_LEN,
			 "%s", buf);
	if (c->errs && c->errs->count)
		policy_utf8_scrub(c->errs->msg[c->errs->count - 1]);
}

static struct policy *policy_load_pkg(struct policy_load_ctx *c, int rc,
				      struct uci_pkg *pkg,
				      const struct uci_err *ue)
{
	struct policy *p;

	if (rc < 0) {
		policy_uci_error(c, ue);
		return NULL;
	}
	p = policy_build(c, pkg);
	uci_pkg_free(pkg);
	return p;
}

/*
 * Reads the file itself rather than uci_parse_file(), whose package name
 * is the file's basename: `netify check -c /tmp/netify.new` must check
 * the file as package netify, whatever it is called.
 */
char *policy_read_file(const char *path, size_t *len, char *why,
			      size_t whylen)
{
	/* a regular file only: a FIFO or /dev/zero at the path is an error,
	 * not a daemon that hangs on reload */
	return sfile_read(path, UCI_MAX_FILE_SIZE, len, why, whylen);
}

struct policy *policy_load(const char *path, const struct policy_names *names,
			   struct policy_errors *errs)
{
	struct policy_load_ctx c = { NULL, names, errs, path, false };
	struct policy *p;
	char why[128];
	size_t len = 0;
	char *buf;

	if (errs)
		memset(errs, 0, sizeof(*errs));
	buf = policy_read_file(path, &len, why, sizeof(why));
	if (!buf) {
		policy_err(&c, 0, NULL, "cannot read: %s", why);
		return NULL;
	}
	p = policy_load_buf(path, buf, len, names, errs);
	free(buf);
	return p;
}

struct policy *policy_load_buf(const char *file, const char *buf, size_t len,
			       const struct policy_names *names,
			       struct policy_errors *errs)
{
	struct policy_load_ctx c = { NULL, names, errs, file, false };
	struct uci_pkg *pkg = NULL;
	struct uci_err ue;
	int rc;

	if (errs)
		memset(errs, 0, sizeof(*errs));
	memset(&ue, 0, sizeof(ue));
	rc = uci_parse_buf(file, "netify", buf, len, &pkg, &ue);
	return policy_load_pkg(&c, rc, pkg, &ue);
}

static void policy_main_free(struct policy_main *m)
{
	policy_strs_free(&m->lan_interface);
	policy_strs_free(&m->wan_interface);
	policy_strs_free(&m->monitor_tcp);
	free(m->lan_network.v);
	free(m->wan_network.v);
	free(m->monitor_socket);
	free(m->monitor_group);
	free(m->control_socket);
	free(m->apps_dir);
	free(m->json_save_dir);
	free(m->capture_unknown_dir);
	free(m->usage_dir);
	free(m->usage_persist_dir);
}

static void policy_rule_free(struct policy_rule *r)
{
	free(r->name);
	free(r->class_name);
	policy_strs_free(&r->src_iface);
	policy_strs_free(&r->device);
	policy_strs_free(&r->group);
	policy_strs_free(&r->app);
	policy_strs_free(&r->category);
	policy_strs_free(&r->proto);
	free(r->src_mac.v);
	free(r->src_ip.v);
	free(r->mac_set.v);
	free(r->ip_set.v);
	free(r->app_ids.v);
	free(r->category_ids.v);
	free(r->proto_ids.v);
}

static void policy_objects_free(struct policy *p)
{
	for (size_t i = 0; i < p->n_classes; i++) {
		free(p->classes[i].name);
		free(p->classes[i].label);
	}
	for (size_t i = 0; i < p->n_devices; i++) {
		free(p->devices[i].name);
		free(p->devices[i].label);
		free(p->devices[i].macs.v);
		free(p->devices[i].ips.v);
	}
	for (size_t i = 0; i < p->n_groups; i++) {
		free(p->groups[i].name);
		free(p->groups[i].label);
		policy_strs_free(&p->groups[i].devices);
	}
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	/* rules past n_rules and unnamed objects were never filled */
	for (size_t i = 0; p->rules && i < p->n_rules; i++)
		policy_rule_free(&p->rules[i]);
	policy_objects_free(p);
	policy_main_free(&p->main);
	policy_strs_free(&p->export.collector);
	free(p->rules);
	free(p->classes);
	free(p->devices);
	free(p->groups);
	free(p->file);
	free(p);
}
