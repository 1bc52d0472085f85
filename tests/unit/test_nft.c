/* The nft table as netlink: build the batches, parse them back with
 * libnftnl (as libnftnl's own tests do) and check what the kernel would
 * get. The mark layout is checked here too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "marks.h"
#include "nft.h"

#define BUF_SIZE (64 * 1024)

/* ---- marks ---- */

static void test_marks_layout(void **state)
{
	struct marks m;

	(void)state;
	assert_int_equal(marks_init(&m, 0x00ff0000), 0);
	assert_int_equal(m.released, 0x00010000);
	assert_int_equal(m.blocked, 0x00020000);
	assert_int_equal(m.class_mask, 0x003c0000);
	assert_int_equal(marks_class(&m, 3), 0x000c0000);
	assert_int_equal(marks_class(&m, 16), 0);
	assert_int_equal(marks_class_of(&m, 0x12ff4000 | marks_class(&m, 15)), 15);
	/* bits outside the mask survive, netify's are replaced */
	assert_int_equal(marks_apply(&m, 0xab3f00cd, m.released), 0xab0100cd);
	assert_int_equal(marks_init(&m, 0xfc000000), 0);
	assert_int_equal(m.released, 0x04000000);
	assert_int_equal(m.class_mask, 0xf0000000);
	assert_int_equal(marks_init(&m, 0x00ff00ff), -1);	/* not contiguous */
	assert_int_equal(marks_init(&m, 0x0000001f), -1);	/* too few bits */
	assert_int_equal(marks_init(&m, 0), -1);
}

/* ---- batches, parsed back ---- */

struct parsed {
	int n_msgs, new_tables, del_tables, sets, chains, rules, elems;
	uint16_t first_types[3];
	struct nftnl_rule *rule[128];
	char chain_of[128][32];
};

static void parsed_free(struct parsed *p)
{
	int i;

	for (i = 0; i < p->rules; i++)
		nftnl_rule_free(p->rule[i]);
}

static void parse_batch(const char *buf, size_t len, struct parsed *p)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)len;

	memset(p, 0, sizeof(*p));
	while (mnl_nlmsg_ok(nlh, left)) {
		uint16_t type = nlh->nlmsg_type & 0xff;

		if (nlh->nlmsg_type != NFNL_MSG_BATCH_BEGIN && nlh->nlmsg_type != NFNL_MSG_BATCH_END) {
			if (p->n_msgs < 3)
				p->first_types[p->n_msgs] = type;
			p->n_msgs++;
			p->new_tables += type == NFT_MSG_NEWTABLE;
			p->del_tables += type == NFT_MSG_DELTABLE;
			p->sets += type == NFT_MSG_NEWSET;
			p->chains += type == NFT_MSG_NEWCHAIN;
			p->elems += type == NFT_MSG_NEWSETELEM;
			if (type == NFT_MSG_NEWRULE && p->rules < 128) {
				struct nftnl_rule *r = nftnl_rule_alloc();

				assert_non_null(r);
				assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
				strncpy(p->chain_of[p->rules], nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), 31);
				p->rule[p->rules++] = r;
			}
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
}

static size_t build(char *buf, const struct nft_cfg *cfg, int *ret)
{
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, BUF_SIZE / 2);
	uint32_t seq = 1;
	size_t len;

	*ret = nft_build_install(b, &seq, cfg);
	len = mnl_nlmsg_batch_size(b);
	mnl_nlmsg_batch_stop(b);
	return len;
}

/* The names of a rule's expressions, space-separated. */
static void rule_exprs(struct nftnl_rule *r, char *out, size_t len)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;

	out[0] = 0;
	while ((e = nftnl_expr_iter_next(it))) {
		strncat(out, nftnl_expr_get_str(e, NFTNL_EXPR_NAME), len - strlen(out) - 2);
		strncat(out, " ", len - strlen(out) - 1);
	}
	nftnl_expr_iter_destroy(it);
}

static struct nftnl_expr *rule_expr(struct nftnl_rule *r, const char *name, int nth)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e, *found = NULL;

	while ((e = nftnl_expr_iter_next(it)))
		if (!strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), name) && nth-- == 0) {
			found = e;
			break;
		}
	nftnl_expr_iter_destroy(it);
	return found;
}

static int chain_rules(const struct parsed *p, const char *chain, int *first)
{
	int i, n = 0;

	for (i = 0; i < p->rules; i++)
		if (!strcmp(p->chain_of[i], chain)) {
			if (!n && first)
				*first = i;
			n++;
		}
	return n;
}

static void test_install_forward_xt(void **state)
{
	char *buf = malloc(BUF_SIZE), ex[512];
	struct nft_cfg cfg;
	struct parsed p;
	struct nftnl_expr *e;
	const struct xt_NFQ_info_v3 *info;
	uint32_t len;
	int ret, first = -1, n;

	(void)state;
	nft_cfg_defaults(&cfg);
	parse_batch(buf, build(buf, &cfg, &ret), &p);
	assert_int_equal(ret, 0);
	/* add + delete + add: idempotent in one transaction */
	assert_int_equal(p.first_types[0], NFT_MSG_NEWTABLE);
	assert_int_equal(p.first_types[1], NFT_MSG_DELTABLE);
	assert_int_equal(p.first_types[2], NFT_MSG_NEWTABLE);
	assert_int_equal(p.sets, 2);
	assert_int_equal(p.chains, 3);		/* forward, forward_save, forward_verdict */
	/* no classes: the verdict chain is one jump for packets with a verdict */
	assert_int_equal(chain_rules(&p, "forward_verdict", NULL), 1);
	assert_int_equal(chain_rules(&p, "forward_save", NULL), 1 + 6 + 2);
	n = chain_rules(&p, "forward", &first);
	assert_int_equal(n, 7);
	/* 1: ct mark & released == released accept */
	rule_exprs(p.rule[first], ex, sizeof(ex));
	assert_string_equal(ex, "ct bitwise cmp immediate ");
	e = rule_expr(p.rule[first], "cmp", 0);
	assert_int_equal(*(const uint32_t *)nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len), cfg.marks.released);
	/* 4: block set lookup, counted */
	rule_exprs(p.rule[first + 3], ex, sizeof(ex));
	assert_string_equal(ex, "meta cmp ct bitwise cmp payload payload meta payload lookup counter immediate ");
	assert_string_equal(nftnl_expr_get_str(rule_expr(p.rule[first + 3], "lookup", 0), NFTNL_EXPR_LOOKUP_SET),
			    "block4");
	/* 6: ct packets > 32 accept, compared big-endian */
	e = rule_expr(p.rule[first + 5], "cmp", 0);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), NFT_CMP_GT);
	assert_int_equal(*(const uint64_t *)nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len), htobe64(32));
	/* 7: queue through xt NFQUEUE v3 with bypass */
	e = rule_expr(p.rule[first + 6], "target", 0);
	assert_non_null(e);
	assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME), "NFQUEUE");
	info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);
	assert_int_equal(info->queuenum, 0);
	assert_int_equal(info->queues_total, 1);
	assert_int_equal(info->flags, NFQ_FLAG_BYPASS);
	parsed_free(&p);
	free(buf);
}

static void test_install_options(void **state)
{
	char *buf = malloc(BUF_SIZE), ex[512];
	struct nft_cfg cfg;
	struct parsed p;
	struct nftnl_expr *e;
	int ret, first = -1, i, found = 0;

	(void)state;
	nft_cfg_defaults(&cfg);
	cfg.backend = NFT_QUEUE_EXPR;
	cfg.queue_first = 2;
	cfg.queue_last = 5;
	cfg.packet_budget = 0;
	cfg.reject = false;
	cfg.input_chain = cfg.output_chain = true;
	cfg.classes[0] = (struct nft_class_map){ .mark = 3, .dscp = 8, .priority = 0x10030 };
	cfg.n_classes = 1;
	parse_batch(buf, build(buf, &cfg, &ret), &p);
	assert_int_equal(ret, 0);
	assert_int_equal(p.chains, 9);
	/* no budget rule, no reject rule: 5 rules */
	assert_int_equal(chain_rules(&p, "forward", &first), 5);
	assert_int_equal(chain_rules(&p, "input", NULL), 5);
	e = rule_expr(p.rule[first + 4], "queue", 0);
	assert_non_null(e);
	assert_int_equal(nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_NUM), 2);
	assert_int_equal(nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_TOTAL), 4);
	assert_int_equal(nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_FLAGS), NFT_QUEUE_FLAG_BYPASS);
	/* the IPv4 DSCP write covers a whole 16-bit word and fixes the checksum */
	for (i = 0; i < p.rules; i++) {
		rule_exprs(p.rule[i], ex, sizeof(ex));
		if (!strstr(p.chain_of[i], "_verdict") || !strstr(ex, "payload bitwise payload"))
			continue;
		e = rule_expr(p.rule[i], "payload", 1);
		if (nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_TYPE) != NFT_PAYLOAD_CSUM_INET)
			continue;
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET), 0);
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN), 2);
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_OFFSET), 10);
		found++;
	}
	assert_int_equal(found, 3);	/* one per hook */
	parsed_free(&p);
	free(buf);
}

static void test_install_invalid(void **state)
{
	char *buf = malloc(BUF_SIZE);
	struct nft_cfg cfg;
	int ret;

	(void)state;
	nft_cfg_defaults(&cfg);
	cfg.queue_first = 3;
	cfg.queue_last = 1;
	build(buf, &cfg, &ret);
	assert_int_equal(ret, -1);
	free(buf);
}

static void test_install_buffer_too_small(void **state)
{
	/* libmnl batches may run one message past their limit: twice the room */
	char buf[4096];
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, sizeof(buf) / 2);
	struct nft_cfg cfg;
	uint32_t seq = 1;

	(void)state;
	nft_cfg_defaults(&cfg);
	assert_int_equal(nft_build_install(b, &seq, &cfg), -1);
	mnl_nlmsg_batch_stop(b);
}

static void test_block_element(void **state)
{
	char buf[4096];
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	const uint8_t src[16] = { 10, 77, 1, 2 }, dst[16] = { 10, 77, 2, 2 };
	const uint8_t want[16] = { 10, 77, 1, 2, 10, 77, 2, 2, 6, 0, 0, 0, 0x01, 0xbb, 0, 0 };
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *el;
	const void *key;
	uint32_t seq = 1, len;

	(void)state;
	assert_int_equal(nft_build_block(b, &seq, "netify", 4, src, dst, 6, 443, 60), 0);
	assert_int_equal(nftnl_set_elems_nlmsg_parse((const struct nlmsghdr *)buf, s), 0);
	assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_NAME), "block4");
	it = nftnl_set_elems_iter_create(s);
	el = nftnl_set_elems_iter_next(it);
	assert_non_null(el);
	key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &len);
	assert_int_equal(len, 16);
	assert_memory_equal(key, want, 16);
	assert_int_equal(nftnl_set_elem_get_u64(el, NFTNL_SET_ELEM_TIMEOUT), 60000);
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	assert_int_equal(nft_build_block(b, &seq, "netify", 5, src, dst, 6, 443, 60), -1);
	mnl_nlmsg_batch_stop(b);
}

/* The withdrawal of an element: DELSETELEM with the same key, no timeout. */
static void test_unblock_element(void **state)
{
	char buf[4096];
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	const uint8_t src[16] = { 0xfd, 0x77, 1 }, dst[16] = { 0xfd, 0x77, 2 };
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *el;
	const uint8_t *key;
	uint32_t seq = 1, len;

	(void)state;
	assert_int_equal(nft_build_unblock(b, &seq, "netify", 6, src, dst, 17, 443), 0);
	assert_int_equal(nlh->nlmsg_type & 0xff, NFT_MSG_DELSETELEM);
	assert_int_equal(nftnl_set_elems_nlmsg_parse(nlh, s), 0);
	assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_NAME), "block6");
	it = nftnl_set_elems_iter_create(s);
	el = nftnl_set_elems_iter_next(it);
	assert_non_null(el);
	key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &len);
	assert_int_equal(len, 40);
	assert_memory_equal(key, src, 16);
	assert_memory_equal(key + 16, dst, 16);
	assert_int_equal(key[32], 17);
	assert_int_equal(key[36] << 8 | key[37], 443);
	assert_false(nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_TIMEOUT));
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	mnl_nlmsg_batch_stop(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marks_layout),
		cmocka_unit_test(test_install_forward_xt),
		cmocka_unit_test(test_install_options),
		cmocka_unit_test(test_install_invalid),
		cmocka_unit_test(test_install_buffer_too_small),
		cmocka_unit_test(test_block_element),
		cmocka_unit_test(test_unblock_element),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
