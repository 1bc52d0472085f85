/*
 * policy.h - /etc/config/netify: schema validation and rule matching.
 *
 * Reload contract.  policy_load() parses and validates the whole file into
 * a new object beside the running one.  On success the caller swaps its
 * pointer (atomically, e.g. __atomic_exchange_n) and frees the old policy
 * once no packet worker can still hold it; on failure it logs every
 * collected error and keeps the old policy.  A loaded policy is immutable:
 * nothing in this module writes to it after policy_load() returns, so
 * workers may read it concurrently without locks.  Nothing here ever
 * writes the user's file.
 *
 * Matching, like fw4: rules are tried in file order and the first enabled
 * rule whose source, match and schedule all hold wins.  Rules with action
 * `log` never stop the search: they are recorded (policy_match_ex) and
 * matching goes on, as fw4's log option adds logging without a verdict.
 *
 * Within a rule:
 *   - source: src_mac, src_ip, device and group together name a set of
 *     hosts; the flow's source must be one of them (its MAC in the MAC set
 *     or its address in the address set).  src_iface, if given, must also
 *     hold.  No source option at all means any source.
 *   - match: app, category and proto together name the traffic; any one of
 *     them matching is enough (a flow detected as TLS carrying WhatsApp is
 *     matched by `app whatsapp` and by `proto TLS`).  None means any traffic.
 *   - schedule: see sched.h.
 */
#ifndef NETIFY_POLICY_H
#define NETIFY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "sched.h"
#include "util.h"

#define POLICY_ERRORS_MAX	64u	/* messages kept; more are counted */
#define POLICY_ERROR_LEN	320u
#define POLICY_RULES_MAX	4096u	/* config rule sections */
#define POLICY_OBJECTS_MAX	4096u	/* classes, devices, groups each */
#define POLICY_LIST_MAX		1024u	/* items in one list option */
#define POLICY_CLASS_MARK_MAX	15u
#define POLICY_IFNAME_MAX	15u	/* IFNAMSIZ - 1 */
#define POLICY_SOCKPATH_MAX	107u	/* sizeof(sun_path) - 1 */
#define POLICY_LIMITS_MAX	256u	/* rules with a daily limit */
#define POLICY_LIMIT_NAME_MAX	63u	/* bytes of a limit rule's name (its identity) */
#define POLICY_TIME_LIMIT_MAX	1440u	/* minutes: a day */
#define POLICY_VOLUME_LIMIT_MAX	1000000000000000ull	/* bytes: 1 PB */

/* Collected load errors, "file:line: message", bounded and counted. */
struct policy_errors {
	unsigned int count;		/* messages kept in msg[] */
	unsigned int dropped;		/* further errors, counted only */
	char msg[POLICY_ERRORS_MAX][POLICY_ERROR_LEN];
};

/*
 * Name resolution supplied by the caller, so this module depends neither on
 * the app catalog nor on nDPI.  Each returns an id >= 0, or -1 if unknown.
 * A NULL callback makes every name of that kind unknown.
 */
struct policy_names {
	int (*app_id)(void *ctx, const char *tag);
	int (*category_id)(void *ctx, const char *tag);
	int (*proto_id)(void *ctx, const char *name);
	void *ctx;
};

enum policy_action {
	POLICY_ALLOW,
	POLICY_BLOCK,
	POLICY_QOS,
	POLICY_LOG,
	__POLICY_ACTION_MAX
};

enum policy_block_mode {
	POLICY_BLOCK_REJECT,
	POLICY_BLOCK_DROP,
	__POLICY_BLOCK_MODE_MAX
};

/* Whose budget a limit rule counts: each device its own, or one for all. */
enum policy_limit_per {
	POLICY_LIMIT_PER_DEVICE,
	POLICY_LIMIT_PER_RULE,
	__POLICY_LIMIT_PER_MAX
};

enum policy_framing {
	POLICY_FRAMING_NDJSON,
	POLICY_FRAMING_NETIFY,
	__POLICY_FRAMING_MAX
};

/* An address or network; host bits past @prefix are zero. */
struct policy_cidr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t prefix;
	uint8_t addr[16];	/* 4 bytes used for AF_INET */
};

struct policy_cidrs {
	struct policy_cidr *v;
	size_t n;
};

struct policy_macs {
	uint8_t (*v)[6];
	size_t n;
};

struct policy_strs {
	char **v;
	size_t n;
};

struct policy_ids {
	int *v;
	size_t n;
};

/* The `config netify 'main'` section; every field has the schema default. */
struct policy_main {
	bool enabled;
	unsigned int queue_first, queue_last;	/* '0' or '0-3' */
	unsigned int packet_budget;		/* 0 = no limit */
	bool fail_open;
	struct policy_strs lan_interface;
	struct policy_strs wan_interface;
	struct policy_cidrs lan_network;
	struct policy_cidrs wan_network;
	uint32_t mark_mask;			/* contiguous, non-zero */
	enum policy_block_mode block_mode;
	unsigned int block_timeout;		/* seconds */
	bool input_chain, output_chain, keep_blocking;
	char *monitor_socket;
	char *monitor_group;
	struct policy_strs monitor_tcp;		/* "addr:port", "[v6]:port" */
	enum policy_framing monitor_framing;
	char *control_socket;
	unsigned int status_interval;		/* seconds */
	char *apps_dir;
	char *json_save_dir;			/* NULL = off */
	char *capture_unknown_dir;		/* NULL = off */
	unsigned int capture_unknown_max_files;	/* per run */
	unsigned int capture_unknown_max_bytes;	/* per file */
	unsigned int flow_table_size, dns_cache_size;	/* per queue; 0 = from RAM */
	unsigned int inspect_slots;		/* per queue; 0 = from RAM */
	unsigned int dpi_share;			/* queues per nDPI module */
	unsigned int worker_priority;		/* SCHED_FIFO priority; 0 = normal */
	unsigned int dns_ttl_min, dns_ttl_max;	/* seconds */
	int log_level;				/* syslog LOG_ERR .. LOG_DEBUG */
	/* usage accounting and daily limits (doc: netify.5, "USAGE") */
	bool usage;
	int reset_time;				/* minutes after midnight a usage day starts */
	char *usage_dir;			/* state file (tmpfs); NULL = none */
	unsigned int usage_save_interval;	/* seconds */
	char *usage_persist_dir;		/* the copy that survives reboots; NULL = none */
	unsigned int usage_persist_interval;	/* seconds */
	unsigned int usage_max_entries;		/* device x app entries */
	unsigned int usage_min_bytes;		/* bytes that make a minute active */
	unsigned int usage_refresh;		/* seconds between reads of volume-limited connections */
};

/* `config export`: IPFIX flow records to collectors (netify.5, "EXPORT");
 * every field has the schema default. */
#define POLICY_EXPORT_COLLECTORS_MAX 8
struct policy_export {
	bool enabled;
	struct policy_strs collector;		/* "[udp://|tcp://]host[:port]", checked */
	unsigned int observation_domain;
	unsigned int active_timeout;		/* seconds; 0: a record at the end only */
	unsigned int template_refresh;		/* seconds (UDP) */
	unsigned int template_refresh_packets;	/* messages (UDP); 0: off */
	unsigned int mtu;			/* bytes of a message */
	unsigned int queue;			/* records waiting; full: dropped, counted */
	unsigned int rate;			/* records/s; 0: no limit */
	unsigned int flush;			/* ms a record waits for a fuller message */
	unsigned int max_conns;			/* connections joined with conntrack (inline) */
	unsigned int pen;			/* enterprise number of netify's elements; 0: none */
	int line;				/* of the section, 0: none */
};

/* `config class 'NAME'`: a QoS class. */
struct policy_class {
	char *name;
	char *label;		/* NULL if none */
	unsigned int mark;	/* 1..15, class bits of the mark */
	int dscp;		/* 0..63, or -1 to leave it */
	int priority;		/* skb priority, or -1 to leave it */
	int line;
};

/* `config device 'NAME'`: a host known by MAC and/or address. */
struct policy_device {
	char *name;
	char *label;
	struct policy_macs macs;
	struct policy_cidrs ips;
	int line;
};

/* `config group 'NAME'`: a set of devices. */
struct policy_group {
	char *name;
	char *label;
	struct policy_strs devices;	/* names, all resolved at load */
	int line;
};

struct policy_rule {
	char *name;		/* option name, else section name, else @rule[n] */
	bool enabled;
	enum policy_action action;
	char *class_name;	/* as written */
	const struct policy_class *class;	/* set iff action is qos */
	/* as written, for display */
	struct policy_strs src_iface, device, group, app, category, proto;
	struct policy_macs src_mac;
	struct policy_cidrs src_ip;
	/* resolved at load: src_mac + the devices' and groups' addresses */
	struct policy_macs mac_set;
	struct policy_cidrs ip_set;
	struct policy_ids app_ids, category_ids, proto_ids;
	struct sched sched;
	/* a daily limit: the rule matches only once its budget is spent
	 * (policy_input.limit_spent); until then the flows it names count
	 * against it and matching goes on */
	unsigned int time_limit;	/* active minutes a day, 0 = none */
	uint64_t volume_limit;		/* bytes in + out a day, 0 = none */
	unsigned int limit_warn;	/* percent, 0 = no warning */
	enum policy_limit_per limit_per;
	uint64_t limit_key;		/* policy_limit_key(name) of a limit rule, else 0 */
	int index;		/* position among rules, 0-based */
	int line;
};

struct policy {
	char *file;
	struct policy_main main;
	struct policy_rule *rules;
	size_t n_rules;
	struct policy_class *classes;
	size_t n_classes;
	struct policy_device *devices;
	size_t n_devices;
	struct policy_group *groups;
	size_t n_groups;
	size_t n_limits;	/* rules with a daily limit */
	struct policy_export export;
};

/*
 * Whether limit @key's budget is spent for the device @mac (all zero when
 * unknown) at @now: the usage accounting's answer (usage_limit_blocked()).
 * Must not block: the workers ask it.
 */
typedef bool (*policy_limit_fn)(void *ctx, uint64_t key, const uint8_t mac[6],
				time_t now);

/** policy_limit_key - a limit's identity from its rule's name (never 0) */
static inline uint64_t policy_limit_key(const char *name)
{
	/* a fixed seed: budgets are kept by key across restarts */
	return util_hash(name, strlen(name), 0x6e657469667955ull) | 1;
}

/* What is known about a flow when it is matched.  -1 = unknown id. */
struct policy_input {
	bool has_mac;
	uint8_t mac[6];		/* source (LAN side) MAC */
	int family;		/* AF_INET, AF_INET6, or 0 if no address */
	uint8_t addr[16];	/* source address */
	const char *ifname;	/* ingress interface, or NULL */
	int app_id;
	int app_master_id;	/* e.g. the app of the parent flow, or -1 */
	int category_id;
	int app_ndpi_id;	/* the app nDPI's own application stands for, or -1 */
	int proto_id;		/* nDPI application protocol (WhatsApp) */
	int proto_master_id;	/* nDPI master protocol (TLS), or -1 */
	int proto_ip_id;	/* nDPI's application by server address, or -1 */
	/* limit rules: NULL = no budget is ever spent (they never match) */
	policy_limit_fn limit_spent;
	void *limit_ctx;
};

/** policy_input_init - an input with every id -1 and no source */
void policy_input_init(struct policy_input *in);

/**
 * policy_load - parse and validate @path into a new policy
 * @names: name resolution for app/category/proto lists
 * @errs: every error found (may be NULL); zeroed first
 *
 * Returns the policy, or NULL if anything is wrong (unknown sections or
 * options, bad values, dangling references, unknown names): never a partly
 * valid policy.
 */
struct policy *policy_load(const char *path, const struct policy_names *names,
			   struct policy_errors *errs);

/** policy_load_buf - as policy_load() for a file held in memory. */
struct policy *policy_load_buf(const char *file, const char *buf, size_t len,
			       const struct policy_names *names,
			       struct policy_errors *errs);

/**
 * policy_read_file - the whole file in a malloc()ed buffer (at most
 * UCI_MAX_FILE_SIZE bytes), or NULL with the reason in @why.
 */
char *policy_read_file(const char *path, size_t *len, char *why,
		       size_t whylen);

/** policy_free - release a policy; NULL is fine. */
void policy_free(struct policy *p);

/* Flags of policy_match_ex(). */
#define POLICY_MATCH_IGNORE_SCHEDULE	0x1u	/* for "policy test" reasons */

/**
 * policy_match_ex - first rule for @in at @now
 * @index: receives the rule's index, or -1 (may be NULL)
 * @logged: receives the `log` rules met before the verdict (may be NULL)
 * @max_logged: room in @logged
 * @n_logged: receives how many log rules matched (may exceed @max_logged)
 *
 * Returns the winning rule or NULL.  Never allocates.
 */
const struct policy_rule *policy_match_ex(const struct policy *p,
					  const struct policy_input *in,
					  time_t now, unsigned int flags,
					  int *index,
					  const struct policy_rule **logged,
					  size_t max_logged, size_t *n_logged);

/**
 * policy_limits - the keys of the limit rules that count @in at @now: those
 * before rule @upto (the winning rule's index; -1 for all) whose source,
 * match and schedule hold. At most @max; returns how many were written.
 */
size_t policy_limits(const struct policy *p, const struct policy_input *in,
		     time_t now, int upto, uint64_t *keys, size_t max);

/** policy_rule_find_limit - the limit rule of @key, or NULL */
const struct policy_rule *policy_rule_find_limit(const struct policy *p,
						 uint64_t key);

/** policy_limit_per_name - "device", "rule" */
const char *policy_limit_per_name(enum policy_limit_per per);

/** policy_match - policy_match_ex() without log rules and flags */
const struct policy_rule *policy_match(const struct policy *p,
				       const struct policy_input *in,
				       time_t now, int *index);

/**
 * policy_device_name - the `config device` a host is: the first device that
 * lists @mac (may be NULL) or the address @addr (@family AF_INET or
 * AF_INET6) itself; NULL if none, or if @p is NULL.
 */
const char *policy_device_name(const struct policy *p, const uint8_t *mac,
			       int family, const uint8_t *addr);

/** policy_rule_active - the rule is enabled and its schedule holds now */
bool policy_rule_active(const struct policy_rule *r, time_t now);

/* Rule accessors, for callers that treat rules as opaque. */
const char *policy_rule_name(const struct policy_rule *r);
enum policy_action policy_rule_action(const struct policy_rule *r);
const struct policy_class *policy_rule_class(const struct policy_rule *r);

/** policy_action_name - "allow", "block", "qos", "log" */
const char *policy_action_name(enum policy_action a);

/** policy_log_level_name - "err" .. "debug" for a syslog level */
const char *policy_log_level_name(int level);

/** policy_block_mode_name / policy_framing_name - option values */
const char *policy_block_mode_name(enum policy_block_mode m);
const char *policy_framing_name(enum policy_framing f);

/** policy_cidr_format - "192.168.1.0/24" ("/32" and "/128" omitted) */
void policy_cidr_format(const struct policy_cidr *c, char *buf, size_t len);

/** policy_parse_mac - "aa:bb:cc:dd:ee:ff" (or '-' separated); 0 or -1 */
int policy_parse_mac(const char *text, uint8_t mac[6]);

/** policy_parse_cidr - "IP" or "IP/prefix", v4 or v6; host bits cleared */
int policy_parse_cidr(const char *text, struct policy_cidr *c);

#endif /* NETIFY_POLICY_H */
