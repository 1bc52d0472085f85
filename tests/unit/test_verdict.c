/* Unit tests: the per-flow decision. Real flows from the real engine,
 * a real policy and definitions; the kernel side is a recorder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "apps.h"
#include "dnsbuild.h"
#include "engine.h"
#include "pktbuild.h"
#include "rss.h"
#include "policy.h"
#include "verdict.h"

#define T0 1700000000	/* 2023-11-14 22:13:20 UTC */

/* The kernel side: what the decisions asked for. */
struct kernel {
	unsigned blocks, remarks;
	int fail;
	uint32_t last_bits;
	uint8_t last_local;
	enum verdict_tie last_tie;
	const struct flow *last;		/* of a block-set request */
	const struct flow *remarked;
	int spent;			/* limit budgets read spent */
	unsigned spent_asked, decisions;
	uint64_t spent_key;
	int decided_app;
	uint32_t decided_bits;
};

static bool kernel_spent(void *ctx, uint64_t key, const uint8_t mac[6], time_t now)
{
	struct kernel *k = ctx;
	static const uint8_t zero[6];

	(void)now;
	assert_memory_equal(mac, zero, 6);	/* no MAC: the unknown device */
	k->spent_asked++;
	k->spent_key = key;
	return k->spent;
}

static void kernel_decided(void *ctx, const struct flow *f, const struct flowstate *fs,
			   const struct policy_input *in, time_t now)
{
	struct kernel *k = ctx;

	(void)f;
	(void)now;
	k->decisions++;
	k->decided_app = in->app_id;
	k->decided_bits = fs->bits;
}

static int kernel_block(void *ctx, const struct flow *f, uint8_t local, enum verdict_tie tie)
{
	struct kernel *k = ctx;

	k->blocks++;
	k->last_tie = tie;
	k->last = f;
	k->last_local = local;
	return k->fail ? -1 : 0;
}

static int kernel_remark(void *ctx, const struct flow *f, uint32_t bits)
{
	struct kernel *k = ctx;

	k->remarks++;
	k->remarked = f;
	k->last_bits = bits;
	return k->fail ? -1 : 0;
}

struct fixture {
	struct engine *e;
	struct apps_db *apps;
	struct policy *policy;
	struct marks marks;
	struct verdict v;
	struct kernel k;
};

static const char apps_text[] =
	"cat:testcat:Test\n"
	"app:900001:blockme:testcat:Block Me\nnet:900001:10.9.1.0/24\n"
	"app:900002:slowme:testcat:Slow Me\nnet:900002:10.9.2.0/24\n"
	"app:900003:later:testcat:Later\nnet:900003:10.9.3.0/24\n"
	"app:900004:shareme:testcat:Share Me\ndom:900004:shareme.example\n"
	"cat:platform:Platforms\napp:900010:plat:platform:Plat\nnet:900010:10.8.0.0/16\n"
	"app:900005:limited:testcat:Limited\nnet:900005:10.9.8.0/24\n";

static const char policy_text[] =
	"config netify 'main'\n"
	"config rule\n\toption name 'block app'\n\tlist app 'blockme'\n\toption action 'block'\n"
	"config rule\n\toption name 'slow app'\n\tlist app 'slowme'\n\toption action 'qos'\n"
	"\toption class 'bulk'\n"
	"config rule\n\toption name 'block later'\n\tlist app 'later'\n\toption action 'block'\n"
	"\toption start_time '12:00'\n\toption stop_time '13:00'\n\toption utc_time '1'\n"
	"config rule\n\toption name 'block share'\n\tlist app 'shareme'\n\toption action 'block'\n"
	"config rule\n\toption name 'block device'\n\tlist src_mac '02:00:00:00:00:99'\n"
	"\toption action 'block'\n"
	"config rule\n\toption name 'limited 1h'\n\tlist app 'limited'\n\toption time_limit '1h'\n"
	"config class 'bulk'\n\toption mark '3'\n";

static int name_app(void *ctx, const char *tag)
{
	struct fixture *fx = ctx;

	return apps_find_tag(fx->apps, tag);
}

static int name_category(void *ctx, const char *tag)
{
	struct fixture *fx = ctx;

	return apps_category_find(fx->apps, tag);
}

static int name_proto(void *ctx, const char *name)
{
	struct fixture *fx = ctx;
	int id;

	for (id = 0; id < 1024; id++)
		if (!strcasecmp(engine_proto_name(fx->e, (uint16_t)id), name))
			return id;
	return -1;
}

/* Engine with LAN 192.168.1.0/24 and a budget of @budget packets. */
static struct fixture *fixture_new(uint32_t budget, uint32_t pool)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char path[] = "/tmp/netify-verdict-XXXXXX";
	const char *files[1] = { path };
	struct policy_names names = { name_app, name_category, name_proto, fx };
	struct verdict_ops ops = { .block = kernel_block, .remark = kernel_remark,
				   .limit_spent = kernel_spent, .decided = kernel_decided };
	struct engine_cidr lan = { 4, 24, { 192, 168, 1, 0 } };
	struct engine_cfg cfg;
	int fd;

	assert_non_null(fx);
	engine_cfg_defaults(&cfg);
	cfg.flow_capacity = 64;
	cfg.packet_budget = budget;
	cfg.dns_cache_size = 64;
	cfg.local_nets = &lan;
	cfg.n_local_nets = 1;
	assert_non_null(fx->e = engine_new(&cfg));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, apps_text, sizeof(apps_text) - 1), (ssize_t)sizeof(apps_text) - 1);
	close(fd);
	assert_non_null(fx->apps = apps_db_load_files(files, 1, NULL));
	unlink(path);
	engine_set_apps(fx->e, fx->apps);
	fx->policy = policy_load_buf("netify", policy_text, sizeof(policy_text) - 1, &names, NULL);
	assert_non_null(fx->policy);
	assert_int_equal(marks_init(&fx->marks, 0x00ff0000), 0);
	ops.ctx = &fx->k;
	assert_int_equal(verdict_init(&fx->v, fx->e, &fx->marks, pool, &ops), 0);
	verdict_set_config(&fx->v, fx->policy, fx->apps);
	return fx;
}

static void fixture_free(struct fixture *fx)
{
	engine_free(fx->e);
	verdict_fini(&fx->v);
	policy_free(fx->policy);
	apps_db_free(fx->apps);
	free(fx);
}

/* One UDP packet through the engine; returns its flow. */
static struct flow *udp(struct fixture *fx, const char *src, uint16_t sport, const char *dst,
			uint16_t dport, const void *payload, uint16_t len, uint64_t ts)
{
	struct pb b = { .len = 0 };
	struct engine_result r;

	pb_ipv4(&b, IPPROTO_UDP, src, dst, (uint16_t)(8 + len), 0, 0);
	pb_udp(&b, sport, dport, len);
	pb_bytes(&b, payload, len);
	assert_int_equal(engine_process(fx->e, LINK_RAW, b.buf, (uint32_t)b.len, ts * 1000000, &r), 0);
	assert_non_null(r.flow);
	return r.flow;
}

static const char junk[] = "qzjxkwvqzjxk";
static const uint8_t device_mac[6] = { 2, 0, 0, 0, 0, 0x99 };	/* the blocked device */

/* A flow from the LAN to @dst whose inspection ended on its first packet,
 * decided at @now. */
static struct flow *decided(struct fixture *fx, const char *dst, uint16_t sport, time_t now,
			    struct flowstate **fs)
{
	struct flow *f = udp(fx, "192.168.1.10", sport, dst, 47123, junk, 12, (uint64_t)now);

	assert_int_equal(f->state, FLOW_DONE);
	assert_non_null(*fs = verdict_state(&fx->v, f));
	verdict_evaluate(&fx->v, f, *fs, now);
	return f;
}

static void block_qos_release_bits(void **state)
{
	struct fixture *fx = fixture_new(1, 64);
	const struct marks *m = &fx->marks;
	struct flowstate *fs;
	struct flow *f;

	(void)state;
	/* blocked: only the blocked bit, and the block set asked once */
	f = decided(fx, "10.9.1.1", 40001, T0, &fs);
	assert_int_equal(fs->bits, m->blocked);
	assert_int_equal(fs->action, POLICY_BLOCK);
	assert_string_equal(policy_rule_name(fs->rule), "block app");
	assert_int_equal(fx->k.blocks, 1);
	assert_ptr_equal(fx->k.last, f);
	assert_int_equal(fx->k.last_local, engine_local_side(fx->e, f));
	verdict_evaluate(&fx->v, f, fs, T0);
	assert_int_equal(fx->k.blocks, 1);
	assert_int_equal(fx->v.st.flows_blocked, 1);
	assert_int_equal(fx->v.st.block_set_adds, 1);

	/* qos: the class bits, released once inspection ended */
	f = decided(fx, "10.9.2.1", 40002, T0, &fs);
	assert_int_equal(fs->bits, marks_class(m, 3) | m->released);
	assert_int_equal(marks_class_of(m, fs->bits), 3);
	assert_int_equal(fx->v.st.flows_qos, 1);

	/* no rule: released, nothing asked of the kernel */
	f = decided(fx, "10.9.5.1", 40003, T0, &fs);
	assert_int_equal(fs->bits, m->released);
	assert_int_equal(fs->action, VERDICT_NONE);
	assert_null(fs->rule);
	assert_int_equal(fx->v.st.flows_released, 2);
	assert_int_equal(fx->k.blocks, 1);

	/* a blocked flow the server opened puts nothing in the block set, and
	 * a refused block-set entry is counted */
	fx->k.fail = 1;
	f = udp(fx, "10.9.7.7", 40004, "192.168.1.20", 47123, junk, 12, T0);
	fs = verdict_state(&fx->v, f);
	verdict_note(&fx->v, f, fs, engine_local_side(fx->e, f), 3, device_mac);
	verdict_evaluate(&fx->v, f, fs, T0);
	assert_int_equal(fs->bits, m->blocked);
	assert_string_equal(policy_rule_name(fs->rule), "block device");
	assert_int_equal(fx->k.blocks, 1);
	f = decided(fx, "10.9.1.2", 40005, T0, &fs);
	assert_int_equal(fx->k.blocks, 2);
	assert_int_equal(fx->v.st.block_set_errors, 1);
	assert_true(fs->in_block_set);
	fixture_free(fx);
}

/* A DNS answer the engine sees: @qname is 10.9.@c.@d (or 10.8...). */
static void dns_answer(struct fixture *fx, const char *qname, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct dnsb m;

	dnsb_header(&m, 0x4242, 1, 0, 1, 1);
	dnsb_question(&m, qname, 1);
	dnsb_a(&m, qname, 300, 10, b, c, d);
	udp(fx, "192.168.1.1", 53, "192.168.1.10", port, m.buf, (uint16_t)m.len, T0);
}

/* Blocking an application puts its server address in the block set only
 * when the address is the application's alone: its own net: range, or an
 * address the DNS hint cache knows under one name, the application's. A
 * shared front end (a second name seen, a platform's network, another
 * application's range) is left out: the next connection there is judged
 * on its own name. */
static void block_set_only_for_the_app_alone(void **state)
{
	struct fixture *fx = fixture_new(1, 64);
	struct flowstate *fs;
	struct flow *f;

	(void)state;
	/* the application's own range */
	decided(fx, "10.9.1.1", 40101, T0, &fs);
	assert_int_equal(fx->k.blocks, 1);
	assert_int_equal(fx->k.last_tie, VERDICT_TIE_NET);
	/* one name seen for the address, the application's */
	dns_answer(fx, "www.shareme.example", 9, 6, 1, 50001);
	f = decided(fx, "10.9.6.1", 40102, T0, &fs);
	assert_int_equal(f->app_id, 900004);
	assert_int_equal(fs->bits, fx->marks.blocked);
	assert_int_equal(fx->k.blocks, 2);
	assert_int_equal(fx->k.last_tie, VERDICT_TIE_DNS);
	assert_int_equal(verdict_tie(&fx->v, f), VERDICT_TIE_DNS);
	/* a second name for the address: shared, though the hint still names
	 * the flow (its latest name is the application's again) */
	dns_answer(fx, "www.shareme.example", 9, 6, 2, 50002);
	dns_answer(fx, "unrelated.example", 9, 6, 2, 50003);
	dns_answer(fx, "www.shareme.example", 9, 6, 2, 50004);
	f = decided(fx, "10.9.6.2", 40103, T0, &fs);
	assert_int_equal(f->app_id, 900004);
	assert_int_equal(fs->bits, fx->marks.blocked);
	assert_int_equal(fx->k.blocks, 2);
	assert_int_equal(fx->v.st.block_set_shared, 1);
	/* a platform's network (Meta's, Google's): shared by definition */
	dns_answer(fx, "cdn.shareme.example", 8, 1, 1, 50005);
	f = decided(fx, "10.8.1.1", 40104, T0, &fs);
	assert_int_equal(f->app_id, 900004);
	assert_int_equal(fs->bits, fx->marks.blocked);
	assert_int_equal(verdict_tie(&fx->v, f), VERDICT_TIE_NONE);
	/* another application's range, whatever the DNS says */
	dns_answer(fx, "x.shareme.example", 9, 2, 5, 50006);
	f = decided(fx, "10.9.2.5", 40105, T0, &fs);
	assert_int_equal(f->app_id, 900004);
	assert_int_equal(verdict_tie(&fx->v, f), VERDICT_TIE_NONE);
	assert_int_equal(fx->k.blocks, 2);
	assert_int_equal(fx->v.st.block_set_shared, 3);
	assert_int_equal(fx->v.st.block_set_adds, 2);
	/* a blocking rule on a platform itself ties nothing either */
	f = udp(fx, "192.168.1.10", 40106, "10.8.2.2", 47123, junk, 12, T0);
	f->app_id = 900010;
	assert_int_equal(verdict_tie(&fx->v, f), VERDICT_TIE_NONE);
	fixture_free(fx);
}

/* Still inspected: no release yet, but a block takes effect at once and
 * ends the inspection (nothing more to learn). */
static void block_during_inspection(void **state)
{
	struct fixture *fx = fixture_new(0, 64);
	const uint8_t *mac = device_mac;
	struct flowstate *fs;
	struct flow *f;

	(void)state;
	f = udp(fx, "192.168.1.20", 40010, "10.9.5.5", 47123, junk, 12, T0);
	assert_int_equal(f->state, FLOW_INSPECTING);
	fs = verdict_state(&fx->v, f);
	verdict_update(&fx->v, f, fs, T0);
	assert_int_equal(fs->bits, 0);
	assert_false(f->finish_req);
	/* the device's MAC, noted from a packet the server sent, is ignored */
	verdict_note(&fx->v, f, fs, (uint8_t)!engine_local_side(fx->e, f), 7, mac);
	assert_false(fs->has_mac);
	verdict_note(&fx->v, f, fs, engine_local_side(fx->e, f), 7, mac);
	assert_true(fs->has_mac);
	assert_int_equal(fs->indev, 7);
	verdict_update(&fx->v, f, fs, T0);
	assert_int_equal(fs->bits, fx->marks.blocked);
	assert_string_equal(policy_rule_name(fs->rule), "block device");
	assert_true(f->finish_req);
	fixture_free(fx);
}

static size_t dns_msg(uint8_t *out, int response)
{
	struct dnsb d;

	dnsb_header(&d, 0x1234, response, 0, 1, response ? 1 : 0);
	dnsb_question(&d, "chat.example.org", 1);
	if (response)
		dnsb_a(&d, "chat.example.org", 300, 10, 9, 1, 9);
	memcpy(out, d.buf, d.len);
	return d.len;
}

/* A DNS flow is done at its query but stays queued until its answer went
 * by: the hint cache learns from the answer. */
static void dns_waits_for_answer(void **state)
{
	struct fixture *fx = fixture_new(1, 64);
	uint8_t msg[512];
	struct flowstate *fs;
	struct flow *f;
	size_t n;

	(void)state;
	n = dns_msg(msg, 0);
	f = udp(fx, "192.168.1.10", 40020, "192.168.1.1", 53, msg, (uint16_t)n, T0);
	assert_int_equal(f->state, FLOW_DONE);
	assert_string_equal(engine_proto_name(fx->e, f->proto_master), "DNS");
	fs = verdict_state(&fx->v, f);
	verdict_evaluate(&fx->v, f, fs, T0);
	assert_int_equal(fs->bits, 0);
	verdict_packet(&fx->v, f, fs, T0);	/* the query's own packet: still waiting */
	assert_int_equal(fs->bits, 0);
	n = dns_msg(msg, 1);
	assert_ptr_equal(udp(fx, "192.168.1.1", 53, "192.168.1.10", 40020, msg, (uint16_t)n, T0), f);
	verdict_packet(&fx->v, f, fs, T0);
	assert_int_equal(fs->bits, fx->marks.released);
	assert_int_equal(fx->v.st.flows_released, 1);
	fixture_free(fx);
}

/* A schedule that starts re-matches the live flows; a decision that had
 * reached the kernel gets its conntrack mark rewritten. */
static void reevaluate_on_schedule(void **state)
{
	struct fixture *fx = fixture_new(1, 64);
	const time_t noon = T0 - (T0 % 86400) + 12 * 3600;	/* 12:00 UTC */
	struct flowstate *fs, *fs2;
	struct flow *f;

	(void)state;
	verdict_schedule_tick(&fx->v, noon - 30);
	f = decided(fx, "10.9.3.1", 40030, noon - 30, &fs);
	decided(fx, "10.9.3.2", 40031, noon - 30, &fs2);
	assert_int_equal(fs->bits, fx->marks.released);
	fs->committed = 1;	/* its verdict went to the kernel, f2's did not */
	verdict_schedule_tick(&fx->v, noon - 10);
	assert_int_equal(fx->k.remarks, 0);
	verdict_schedule_tick(&fx->v, noon + 10);
	assert_int_equal(fs->bits, fx->marks.blocked);
	assert_int_equal(fs2->bits, fx->marks.blocked);
	assert_int_equal(fx->k.remarks, 1);
	assert_ptr_equal(fx->k.remarked, f);
	assert_int_equal(fx->k.last_bits, fx->marks.blocked);
	assert_int_equal(fx->k.blocks, 2);	/* both now in the block set */
	assert_int_equal(fx->v.st.ct_updates, 1);
	verdict_schedule_tick(&fx->v, noon + 20);	/* same rules active: nothing */
	assert_int_equal(fx->k.remarks, 1);
	/* the schedule ends: allowed again, and a failed update is counted */
	fx->k.fail = 1;
	verdict_schedule_tick(&fx->v, noon + 3601);
	assert_int_equal(fs->bits, fx->marks.released);
	assert_int_equal(fx->v.st.ct_errors, 1);
	assert_int_equal(fs2->bits, fx->marks.released);
	fixture_free(fx);
}

/* A new policy, re-evaluated: the flows follow it. */
static void reevaluate_on_new_policy(void **state)
{
	struct fixture *fx = fixture_new(1, 64);
	struct flowstate *fs;

	(void)state;
	decided(fx, "10.9.1.3", 40040, T0, &fs);
	assert_int_equal(fs->bits, fx->marks.blocked);
	verdict_set_config(&fx->v, NULL, fx->apps);
	verdict_reevaluate(&fx->v, T0);
	assert_int_equal(fs->bits, fx->marks.released);
	assert_null(fs->rule);
	fixture_free(fx);
}

/* A re-evaluation goes in steps of reeval_step flow slots, so that packets
 * are answered in between: each step matches only its slots, the walk ends
 * after the last one, and a new re-evaluation starts over. */
static void reevaluate_in_steps(void **state)
{
	struct fixture *fx = fixture_new(1, 64);
	struct flowstate *fs[5];
	unsigned i, n;

	(void)state;
	for (i = 0; i < 5; i++)
		decided(fx, "10.9.1.3", (uint16_t)(40100 + i), T0, &fs[i]);
	for (i = 0; i < 5; i++)
		assert_int_equal(fs[i]->bits, fx->marks.blocked);
	fx->v.reeval_step = 2;
	verdict_set_config(&fx->v, NULL, fx->apps);
	verdict_reevaluate(&fx->v, T0);		/* first step: slots 0-1 */
	for (i = n = 0; i < 5; i++)
		n += fs[i]->bits == fx->marks.released;
	assert_int_equal(n, 2);
	assert_true(verdict_reevaluate_step(&fx->v, T0));	/* 2-3 */
	assert_false(verdict_reevaluate_step(&fx->v, T0));	/* 4: done */
	for (i = 0; i < 5; i++)
		assert_int_equal(fs[i]->bits, fx->marks.released);
	assert_false(verdict_reevaluate_step(&fx->v, T0));	/* nothing under way */

	verdict_set_config(&fx->v, fx->policy, fx->apps);
	verdict_reevaluate(&fx->v, T0);
	verdict_set_config(&fx->v, NULL, fx->apps);	/* a newer one mid-walk */
	verdict_reevaluate(&fx->v, T0);
	while (verdict_reevaluate_step(&fx->v, T0))
		;
	for (i = 0; i < 5; i++)
		assert_int_equal(fs[i]->bits, fx->marks.released);
	fixture_free(fx);
}

/* The pool is sized like the flow table; past it, flows have no state and
 * that is counted. A purged flow gives its state back. */
static void pool_exhaustion_counted(void **state)
{
	struct fixture *fx = fixture_new(1, 2);
	struct flow *a, *b, *c;

	(void)state;
	a = udp(fx, "192.168.1.10", 40050, "10.9.5.1", 47123, junk, 12, T0);
	b = udp(fx, "192.168.1.10", 40051, "10.9.5.1", 47123, junk, 12, T0);
	c = udp(fx, "192.168.1.10", 40052, "10.9.5.1", 47123, junk, 12, T0);
	assert_non_null(verdict_state(&fx->v, a));
	assert_non_null(verdict_state(&fx->v, b));
	assert_null(verdict_state(&fx->v, c));
	assert_int_equal(fx->v.st.pool_empty, 1);
	verdict_state_put(&fx->v, a);
	assert_null(a->user);
	assert_non_null(verdict_state(&fx->v, c));
	assert_int_equal(fx->v.st.pool_empty, 1);
	fixture_free(fx);
}

/* A state put back is reused before a never-used one; the pool is not
 * touched at init: 1,048,576 states (tens of MiB) cost no resident memory
 * until flows take them. */
static void pool_lazy(void **state)
{
	struct fixture *fx = fixture_new(1, 3);
	struct flowstate *sa, *sb;
	struct verdict big;
	struct flow *a, *b;
	long before;

	(void)state;
	a = udp(fx, "192.168.1.10", 40060, "10.9.5.1", 47123, junk, 12, T0);
	b = udp(fx, "192.168.1.10", 40061, "10.9.5.1", 47123, junk, 12, T0);
	sa = verdict_state(&fx->v, a);
	assert_ptr_equal(sa, &fx->v.pool[0]);
	verdict_state_put(&fx->v, a);
	sb = verdict_state(&fx->v, b);
	assert_ptr_equal(sb, sa);
	assert_int_equal(sb->action, VERDICT_NONE);
	assert_ptr_equal(verdict_state(&fx->v, a), &fx->v.pool[1]);
	fixture_free(fx);

	before = rss_kib();
	assert_int_equal(verdict_init(&big, NULL, &(struct marks){ 0 }, 1u << 20, NULL), 0);
	if (before >= 0)
		assert_true(rss_kib() - before < 4096);
	verdict_fini(&big);
}

/* A limit rule matches once the accounting says its budget is spent; each
 * change of a decision is told once to the accounting (never per packet). */
static void limit_rule_and_decisions(void **state)
{
	struct fixture *fx = fixture_new(1, 64);
	struct flowstate *fs;
	struct flow *f;
	unsigned n;

	(void)state;
	f = decided(fx, "10.9.8.1", 40060, T0, &fs);
	assert_int_equal(fs->bits, fx->marks.released);
	assert_null(fs->rule);
	assert_true(fx->k.spent_key == policy_limit_key("limited 1h"));
	assert_int_equal(fx->k.decisions, 1);
	assert_int_equal(fx->k.decided_app, apps_find_tag(fx->apps, "limited"));
	assert_int_equal(fx->k.decided_bits, fx->marks.released);
	/* decided again, same outcome, more packets: nothing new to tell */
	n = fx->k.spent_asked;
	verdict_evaluate(&fx->v, f, fs, T0);
	udp(fx, "192.168.1.10", 40060, "10.9.8.1", 47123, junk, 12, T0);
	verdict_packet(&fx->v, f, fs, T0);
	assert_int_equal(fx->k.decisions, 1);
	assert_int_equal(fx->k.spent_asked, n + 1);
	/* the budget is spent: re-matched, the limit rule blocks the live
	 * connection, and the accounting hears of it once */
	fs->committed = 1;
	fx->k.spent = 1;
	verdict_reevaluate(&fx->v, T0 + 60);
	assert_int_equal(fs->bits, fx->marks.blocked);
	assert_string_equal(policy_rule_name(fs->rule), "limited 1h");
	assert_int_equal(fx->k.decisions, 2);
	assert_int_equal(fx->k.decided_bits, fx->marks.blocked);
	assert_int_equal(fx->k.remarks, 1);
	assert_int_equal(fx->k.blocks, 0);	/* no block-set entry: it would outlive the renewal */
	/* renewed: allowed again */
	fx->k.spent = 0;
	verdict_reevaluate(&fx->v, T0 + 120);
	assert_int_equal(fs->bits, fx->marks.released);
	assert_int_equal(fx->k.decisions, 3);
	/* other applications never ask about the limit */
	n = fx->k.spent_asked;
	decided(fx, "10.9.5.1", 40061, T0, &fs);
	assert_int_equal(fx->k.spent_asked, n);
	fixture_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(block_qos_release_bits),
		cmocka_unit_test(block_during_inspection),
		cmocka_unit_test(block_set_only_for_the_app_alone),
		cmocka_unit_test(dns_waits_for_answer),
		cmocka_unit_test(reevaluate_on_schedule),
		cmocka_unit_test(reevaluate_on_new_policy),
		cmocka_unit_test(reevaluate_in_steps),
		cmocka_unit_test(pool_exhaustion_counted),
		cmocka_unit_test(pool_lazy),
		cmocka_unit_test(limit_rule_and_decisions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
