/* Unit tests: the daemon's one packet path (worker_packet), without root.
 * The same packets give the same flow events whether they come from
 * NFQUEUE (with its out-of-band metadata) or from a replayed capture, and
 * whichever worker sees them: a DNS answer one worker saw names another
 * worker's next flow. */
#define _GNU_SOURCE	/* open_memstream */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "apps.h"
#include "daemon_int.h"
#include "dnsbuild.h"
#include "nfq.h"
#include "pktbuild.h"
#include "sizing.h"

static const char apps_text[] =
	"cat:testcat:Test\n"
	"app:900001:chatapp:testcat:Chat App\ndom:900001:chat.example.org\n"
	"app:900002:slowme:testcat:Slow Me\nnet:900002:10.9.2.0/24\n";

static const char policy_text[] =
	"config netify 'main'\n"
	"\toption queue '0-1'\n"
	"\toption packet_budget '1'\n"
	"\tlist lan_network '192.168.1.0/24'\n"
	"config rule\n\toption name 'block chat'\n\tlist app 'chatapp'\n\toption action 'block'\n"
	"config rule\n\toption name 'slow'\n\tlist app 'slowme'\n\toption action 'qos'\n"
	"\toption class 'bulk'\n"
	"config class 'bulk'\n\toption mark '2'\n"
	"config device 'laptop'\n\tlist ip '192.168.1.10'\n";

struct rig {
	struct daemon_ctx *d;
	struct apps_db *apps;
	struct policy *policy;
	struct config cfg;
	char *out;
	size_t out_len;
};

static int name_app(void *ctx, const char *tag)
{
	return apps_find_tag(ctx, tag);
}

static struct rig *rig_new(unsigned int workers)
{
	struct rig *r = calloc(1, sizeof(*r));
	char path[] = "/tmp/netify-worker-XXXXXX";
	const char *files[1] = { path };
	struct policy_names names = { name_app, NULL, NULL, NULL };
	unsigned int i;
	int fd;

	assert_non_null(r);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, apps_text, sizeof(apps_text) - 1), (ssize_t)sizeof(apps_text) - 1);
	close(fd);
	assert_non_null(r->apps = apps_db_load_files(files, 1, NULL));
	unlink(path);
	names.ctx = r->apps;
	r->policy = policy_load_buf("netify", policy_text, sizeof(policy_text) - 1, &names, NULL);
	assert_non_null(r->policy);
	r->cfg = (struct config){ r->policy, r->apps, 1 };
	assert_non_null(r->d = calloc(1, sizeof(*r->d)));
	r->d->main = r->policy->main;
	sizing_apply(&r->d->main, workers, 0);
	assert_int_equal(marks_init(&r->d->marks, r->d->main.mark_mask), 0);
	r->d->cfg = &r->cfg;
	r->d->n_workers = workers;
	assert_non_null(r->d->events = open_memstream(&r->out, &r->out_len));
	for (i = 0; i < workers; i++) {
		assert_int_equal(worker_init(r->d, &r->d->w[i], i), 0);
		worker_set_config(&r->d->w[i], &r->cfg);
	}
	return r;
}

/* Ends every flow (flow_purge events) and returns the events written. */
static const char *rig_events(struct rig *r)
{
	unsigned int i;

	for (i = 0; i < r->d->n_workers; i++)
		engine_flush(r->d->w[i].e, FLOW_PURGE_SHUTDOWN);
	fflush(r->d->events);
	return r->out;
}

static void rig_free(struct rig *r)
{
	unsigned int i;

	for (i = 0; i < r->d->n_workers; i++)
		worker_fini(&r->d->w[i]);
	fclose(r->d->events);
	free(r->out);
	free(r->d);
	policy_free(r->policy);
	apps_db_free(r->apps);
	free(r);
}

/* A packet and what NFQUEUE would tell about it (NULL: a capture). */
static struct flowstate *send_udp(struct rig *r, unsigned int worker, const struct nfqueue_pkt *q,
				  const char *src, uint16_t sport, const char *dst, uint16_t dport,
				  const void *payload, uint16_t len, uint64_t ts_s)
{
	struct pb b = { .len = 0 };
	struct worker_pkt wp;

	pb_ipv4(&b, IPPROTO_UDP, src, dst, (uint16_t)(8 + len), 0, 0);
	pb_udp(&b, sport, dport, len);
	pb_bytes(&b, payload, len);
	wp = (struct worker_pkt){ LINK_RAW, b.buf, (uint32_t)b.len, ts_s * 1000000, q };
	return worker_packet(&r->d->w[worker], &wp);
}

static size_t dns(uint8_t *out, int response)
{
	struct dnsb d;

	dnsb_header(&d, 0x4242, response, 0, 1, response ? 1 : 0);
	dnsb_question(&d, "chat.example.org", 1);
	if (response)
		dnsb_a(&d, "chat.example.org", 300, 10, 9, 1, 9);
	memcpy(out, d.buf, d.len);
	return d.len;
}

static const char junk[] = "qzjxkwvqzjxk";

/* A lookup, its answer, the connection the answer named, a QoS flow and a
 * flow no rule wants; @lan and @wan are the NFQUEUE metadata of packets
 * from the device and from the servers (NULL: a capture). The DNS answer
 * goes to @dns_worker, the rest to worker 0. */
static void traffic(struct rig *r, unsigned int dns_worker, const struct nfqueue_pkt *lan,
		    const struct nfqueue_pkt *wan)
{
	uint8_t msg[512];
	struct flowstate *fs;
	size_t n;

	n = dns(msg, 0);
	fs = send_udp(r, dns_worker, lan, "192.168.1.10", 40000, "192.168.1.1", 53, msg, (uint16_t)n, 1000);
	assert_non_null(fs);
	assert_int_equal(fs->bits, 0);	/* done at the query, waiting for the answer */
	n = dns(msg, 1);
	fs = send_udp(r, dns_worker, wan, "192.168.1.1", 53, "192.168.1.10", 40000, msg, (uint16_t)n, 1001);
	assert_int_equal(fs->bits, r->d->marks.released);
	fs = send_udp(r, 0, lan, "192.168.1.10", 40001, "10.9.1.9", 5000, junk, 12, 1002);
	assert_int_equal(fs->bits, r->d->marks.blocked);
	fs = send_udp(r, 0, lan, "192.168.1.10", 40002, "10.9.2.1", 5000, junk, 12, 1003);
	assert_int_equal(fs->bits, marks_class(&r->d->marks, 2) | r->d->marks.released);
	fs = send_udp(r, 0, lan, "192.168.1.10", 40003, "10.9.5.1", 5000, junk, 12, 1004);
	assert_int_equal(fs->bits, r->d->marks.released);
	fs = send_udp(r, 0, wan, "10.9.5.1", 5000, "192.168.1.10", 40003, junk, 12, 1005);
	assert_int_equal(fs->bits, r->d->marks.released);
}

/* Drops every "local_mac" member: only NFQUEUE knows the device's MAC on a
 * raw IP packet. */
static char *without_local_mac(const char *s)
{
	char *out = strdup(s), *p;

	assert_non_null(out);
	while ((p = strstr(out, "\"local_mac\":\""))) {
		char *end = strchr(p + 13, '"');

		assert_non_null(end);
		memmove(p, end + 2, strlen(end + 2) + 1);	/* the value, its quote and comma */
	}
	return out;
}

static unsigned int count(const char *s, const char *what)
{
	unsigned int n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s++;
	}
	return n;
}

static void nfqueue_and_replay_same_events(void **state)
{
	static const struct nfqueue_pkt lan = { .indev = 0, .has_hwaddr = true,
						.hwaddr = { 2, 0, 0, 0, 0, 0x10 } };
	static const struct nfqueue_pkt wan = { .indev = 0, .has_hwaddr = true,
						.hwaddr = { 2, 0, 0, 0, 0, 0x01 } };
	struct rig *q = rig_new(1), *c = rig_new(1);
	const char *from_queue, *from_capture;
	char *stripped;

	(void)state;
	traffic(q, 0, &lan, &wan);
	traffic(c, 0, NULL, NULL);
	from_queue = rig_events(q);
	from_capture = rig_events(c);
	/* the device's MAC is what NFQUEUE adds, to every flow event, known
	 * from the first packet on */
	assert_int_equal(count(from_queue, "{\"type\":\"flow\","), 4);
	assert_int_equal(count(from_queue, "\"local_mac\":\"02:00:00:00:00:10\""), 4);
	assert_null(strstr(from_queue, "02:00:00:00:00:01"));
	assert_null(strstr(from_capture, "local_mac"));
	stripped = without_local_mac(from_queue);
	assert_string_equal(stripped, from_capture);
	/* and the events say what the bits said */
	assert_non_null(strstr(from_capture, "\"rule\":\"block chat\",\"action\":\"block\",\"blocked\":true"));
	assert_non_null(strstr(from_capture, "\"detection_source\":\"dns\""));
	assert_non_null(strstr(from_capture, "\"class\":\"bulk\""));
	assert_non_null(strstr(from_capture, "\"device\":\"laptop\""));
	free(stripped);
	rig_free(q);
	rig_free(c);
}

/* The answer seen by worker 1 reaches worker 0's hint cache: the flow it
 * announced is named and blocked on worker 0 (traffic() asserts the bits)
 * as if one worker had seen both. */
static void dns_answer_shared_between_workers(void **state)
{
	struct rig *r = rig_new(2);
	const char *ev;

	(void)state;
	traffic(r, 1, NULL, NULL);
	ev = rig_events(r);
	assert_non_null(strstr(ev, "\"other_ip\":\"10.9.1.9\""));
	assert_non_null(strstr(ev, "\"detected_application_name\":\"chatapp\",\"detection_source\":\"dns\""));
	assert_int_equal(r->d->w[0].inbox.dropped, 0);
	rig_free(r);
}

/* A packet that does not decode has no flow: accepted, counted. */
static void undecodable_counted(void **state)
{
	static const uint8_t garbage[8] = { 0x45, 0, 0, 99 };
	struct rig *r = rig_new(1);
	struct worker_pkt wp = { LINK_RAW, garbage, sizeof(garbage), 1000000, NULL };

	(void)state;
	assert_null(worker_packet(&r->d->w[0], &wp));
	assert_int_equal(r->d->w[0].st.not_ip, 1);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nfqueue_and_replay_same_events),
		cmocka_unit_test(dns_answer_shared_between_workers),
		cmocka_unit_test(undecodable_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
